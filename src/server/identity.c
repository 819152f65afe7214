/* identity.c - opens and closes the account databases, the server secret and the modules that use them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "common/buf.h"
#include "common/util.h"
#include "server/accounts.h"
#include "server/audit.h"
#include "server/authtimer.h"
#include "server/identity.h"
#include "server/orgs.h"
#include "server/sessions.h"
#include "server/signup.h"
#include "server/throttle.h"

#define IDENTITY_PATH_MAX 4096

/* Open path with its own WAL connection, safe for use from several threads. 0 or -1. */
static int
db_open(const char *path, sqlite3 **out)
{
	sqlite3 *db = NULL;
	int r = -1;

	*out = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		log_err("identity", "op=open_db err=\"%s\"", db != NULL ? sqlite3_errmsg(db) : "nomem");
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK) {
		log_err("identity", "op=pragma err=\"%s\"", sqlite3_errmsg(db));
		goto out;
	}
	*out = db;
	db = NULL;
	r = 0;
out:
	sqlite3_close(db);
	return r;
}

/* Load the 32-byte server secret from path, creating it (mode 0600) on first start. */
static int
secret_load(const char *path, uint8_t secret[IDENTITY_SECRET_LEN])
{
	struct buf b;
	struct stat sb;
	int r = -1;

	buf_init(&b, IDENTITY_SECRET_LEN + 1);
	if (stat(path, &sb) != 0) {
		if (errno != ENOENT) {
			log_err("identity", "op=secret err=\"cannot stat the server secret\"");
			goto out;
		}
		randombytes_buf(secret, IDENTITY_SECRET_LEN);
		if (file_write_atomic(path, secret, IDENTITY_SECRET_LEN, 0600) != 0) {
			log_err("identity", "op=secret err=\"cannot write the server secret\"");
			goto out;
		}
		log_info("identity", "op=secret created=1");
		r = 0;
		goto out;
	}
	if ((sb.st_mode & 077) != 0)
		log_warn("identity", "op=secret warn=\"server.secret is readable by others; chmod 600\"");
	if (file_read(path, &b, IDENTITY_SECRET_LEN + 1) != 0 || b.len != IDENTITY_SECRET_LEN) {
		log_err("identity", "op=secret err=\"server.secret must hold exactly 32 bytes\"");
		goto out;
	}
	memcpy(secret, b.data, IDENTITY_SECRET_LEN);
	r = 0;
out:
	buf_free(&b);
	if (r != 0)
		sodium_memzero(secret, IDENTITY_SECRET_LEN);
	return r;
}

static int
join(char *out, const char *dir, const char *name)
{
	return snprintf(out, IDENTITY_PATH_MAX, "%s/%s", dir, name) >= IDENTITY_PATH_MAX ? -1 : 0;
}

int
identity_open(struct identity **out, const struct identity_cfg *cfg)
{
	struct identity *id = NULL;
	struct accounts_limits lim;
	struct throttle_cfg tcfg;
	uint8_t secret[IDENTITY_SECRET_LEN];
	char path[IDENTITY_PATH_MAX];
	int r = -1;

	*out = NULL;
	memset(&tcfg, 0, sizeof(tcfg));
	if ((id = calloc(1, sizeof(*id))) == NULL)
		goto out;
	id->cookie_secure = cfg->cookie_secure;
	id->insecure_test_auth = cfg->insecure_test_auth;
	accounts_limits_default(&lim);
	id->kdf_default.ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	id->kdf_default.mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	if (cfg->insecure_test_auth) {
		lim.ops = crypto_pwhash_OPSLIMIT_MIN;
		lim.mem = crypto_pwhash_MEMLIMIT_MIN;
		id->kdf_default.ops = crypto_pwhash_OPSLIMIT_MIN;
		id->kdf_default.mem = crypto_pwhash_MEMLIMIT_MIN;
		/* Effectively no backoff and no address cap: a test makes 100+ failures fast. */
		tcfg.backoff_after = 1000000;
		tcfg.addr_max = 1000000;
		log_warn("identity", "op=open insecure_test_auth=1 warn=\"minimum Argon2id cost, "
		    "no login backoff: for tests only\"");
	}
	id->kdf_floor = id->kdf_default;
	if (join(path, cfg->data_dir, "server.secret") != 0 || secret_load(path, secret) != 0)
		goto out;
	if (join(path, cfg->data_dir, "accounts.db") != 0 || db_open(path, &id->db) != 0)
		goto out;
	if (sessions_open(id->db, NULL, &id->sess) != 0 ||
	    accounts_open(id->db, secret, &lim, id->sess, &id->acc) != 0 ||
	    throttle_open(id->db, &tcfg, &id->thr) != 0 || signup_open(id->db, &id->su) != 0 ||
	    userkdf_open(id->db, &id->kdf) != 0)
		goto out;
	if (orgs_open(&id->orgs, path, id->acc) != 0)
		goto out;
	if (join(path, cfg->data_dir, "audit.db") != 0 || db_open(path, &id->audit_db) != 0)
		goto out;
	if (join(path, cfg->data_dir, "audit.key") != 0 || audit_open(&id->aud, id->audit_db, path) != 0)
		goto out;
	if (authtimer_start(&id->timer, id) != 0)
		goto out;
	*out = id;
	id = NULL;
	r = 0;
out:
	sodium_memzero(secret, sizeof(secret));
	if (r != 0)
		log_err("identity", "op=open err=failed");
	identity_close(id);
	return r;
}

void
identity_close(struct identity *id)
{
	if (id == NULL)
		return;
	authtimer_stop(id->timer);
	audit_close(id->aud);
	orgs_close(id->orgs);
	userkdf_close(id->kdf);
	signup_close(id->su);
	throttle_close(id->thr);
	accounts_close(id->acc);
	sessions_close(id->sess);
	sqlite3_close(id->audit_db);
	sqlite3_close(id->db);
	free(id);
}
