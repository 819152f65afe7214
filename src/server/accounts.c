/* accounts.c - the users table: registration, equal-work login, password change, encrypted TOTP secrets. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/totp.h"
#include "common/util.h"
#include "server/accounts.h"

#define HASH_STR crypto_pwhash_STRBYTES
#define TOTP_BOX_LEN (24 + ACCOUNTS_TOTP_SECRET_LEN + 16)

struct accounts {
	sqlite3 *db;
	struct sessions *sess;
	pthread_mutex_t mu;          /* read-verify-write sequences (TOTP steps) are atomic */
	struct accounts_limits lim;
	uint8_t salt_key[32];        /* kdf(secret, 1, "vglacct_"): fake salts */
	uint8_t totp_key[32];        /* kdf(secret, 2, "vglacct_"): TOTP secrets at rest */
	char dummy[HASH_STR];        /* hash of a random key: unknown users verify against it */
};

static const char *const schema[] = {
	"CREATE TABLE IF NOT EXISTS users (id VARCHAR(32) PRIMARY KEY, "
	    "username VARCHAR(64) NOT NULL UNIQUE, salt VARCHAR(32) NOT NULL, "
	    "auth_hash VARCHAR(128) NOT NULL, recovery_hash VARCHAR(128) NOT NULL, "
	    "box_pk VARCHAR(64) NOT NULL, sign_pk VARCHAR(64) NOT NULL, "
	    "wrapped VARCHAR(1024) NOT NULL, recovery_wrapped VARCHAR(1024) NOT NULL, "
	    "totp_secret VARCHAR(256) NOT NULL DEFAULT '', totp_pending VARCHAR(256) NOT NULL DEFAULT '', "
	    "totp_last_step BIGINT NOT NULL DEFAULT -1, flags BIGINT NOT NULL DEFAULT 0, "
	    "created_us BIGINT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0)",
};

void
accounts_limits_default(struct accounts_limits *l)
{
	l->ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	l->mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
}

static int
prep(struct accounts *a, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(a->db, sql, -1, st, NULL) != SQLITE_OK) {
		log_err("accounts", "op=prepare err=\"%s\"", sqlite3_errmsg(a->db));
		*st = NULL;
		return ACCOUNTS_ERR_IO;
	}
	return 0;
}

static int
is_id(const char *h)
{
	size_t i;

	if (h == NULL)
		return 0;
	for (i = 0; i < ACCOUNTS_ID_LEN; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return 0;
	return h[ACCOUNTS_ID_LEN] == '\0';
}

static void
bind_hexv(sqlite3_stmt *st, int i, const uint8_t *p, size_t n)
{
	char hex[2 * 2 * ACCOUNTS_WRAPPED_MAX + 1];

	if (n > 2 * ACCOUNTS_WRAPPED_MAX)
		n = 0;
	hex_encode(p, n, hex);
	sqlite3_bind_text(st, i, hex, (int)(2 * n), SQLITE_TRANSIENT);
}

/* Decode a hex column of at most max bytes; the byte count, or -1. */
static long
col_hexv(sqlite3_stmt *st, int i, uint8_t *out, size_t max)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);

	if (t == NULL || n % 2 != 0 || n / 2 > max || hex_decode((const char *)t, out, n / 2) != 0)
		return -1;
	return (long)(n / 2);
}

static void
col_str(sqlite3_stmt *st, int i, char *out, size_t outsz)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	size_t n = t == NULL ? 0 : (size_t)sqlite3_column_bytes(st, i);

	if (n >= outsz)
		n = outsz - 1;
	if (n > 0)
		memcpy(out, t, n);
	out[n] = '\0';
}

int
accounts_open(sqlite3 *db, const uint8_t secret[ACCOUNTS_SECRET_LEN],
    const struct accounts_limits *lim, struct sessions *sess, struct accounts **out)
{
	struct accounts *a;
	uint8_t rnd[ACCOUNTS_KEY_LEN];
	size_t i;
	int r = ACCOUNTS_ERR_IO;

	*out = NULL;
	if (db == NULL || secret == NULL || (a = sodium_malloc(sizeof(*a))) == NULL)
		return ACCOUNTS_ERR_IO;
	memset(a, 0, sizeof(*a));
	a->db = db;
	a->sess = sess;
	pthread_mutex_init(&a->mu, NULL);
	if (lim != NULL)
		a->lim = *lim;
	else
		accounts_limits_default(&a->lim);
	crypto_kdf_derive_from_key(a->salt_key, 32, 1, "vglacct_", secret);
	crypto_kdf_derive_from_key(a->totp_key, 32, 2, "vglacct_", secret);
	randombytes_buf(rnd, sizeof(rnd));
	if (crypto_pwhash_str(a->dummy, (const char *)rnd, sizeof(rnd), a->lim.ops,
	    a->lim.mem) != 0)
		goto out;
	for (i = 0; i < sizeof(schema) / sizeof(schema[0]); i++) {
		if (sqlite3_exec(db, schema[i], NULL, NULL, NULL) != SQLITE_OK) {
			log_err("accounts", "op=schema err=\"%s\"", sqlite3_errmsg(db));
			goto out;
		}
	}
	*out = a;
	a = NULL;
	r = 0;
out:
	sodium_memzero(rnd, sizeof(rnd));
	accounts_close(a);
	return r;
}

void
accounts_close(struct accounts *a)
{
	if (a == NULL)
		return;
	pthread_mutex_destroy(&a->mu);
	sodium_free(a);          /* wipes the derived keys */
}

int
accounts_username_norm(const char *in, char out[ACCOUNTS_NAME_BUF])
{
	size_t i;

	out[0] = '\0';
	if (in == NULL)
		return ACCOUNTS_ERR_INVAL;
	for (i = 0; in[i] != '\0'; i++) {
		char c = in[i];

		if (i >= ACCOUNTS_NAME_MAX)
			goto bad;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '@' || c == '+' || c == '-'))
			goto bad;
		out[i] = c;
	}
	out[i] = '\0';
	if (i >= ACCOUNTS_NAME_MIN)
		return 0;
bad:
	out[0] = '\0';
	return ACCOUNTS_ERR_INVAL;
}

int
accounts_prelogin(struct accounts *a, const char *username, uint8_t salt[ACCOUNTS_SALT_LEN])
{
	sqlite3_stmt *st = NULL;
	char name[ACCOUNTS_NAME_BUF];
	const char *key = name;
	size_t klen;
	int r = 0;

	if (username == NULL)
		username = "";
	if (accounts_username_norm(username, name) != 0)
		key = username;
	klen = strnlen(key, 256);
	/* The fake salt first, so a database miss and a hit do the same work before the query. */
	crypto_generichash(salt, ACCOUNTS_SALT_LEN, (const uint8_t *)key, klen, a->salt_key,
	    sizeof(a->salt_key));
	if (key != name)
		return 0;
	pthread_mutex_lock(&a->mu);
	if ((r = prep(a, &st, "SELECT salt FROM users WHERE username = ?")) == 0) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    col_hexv(st, 0, salt, ACCOUNTS_SALT_LEN) != ACCOUNTS_SALT_LEN)
			r = ACCOUNTS_ERR_IO;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->mu);
	return r;
}

/* crypto_pwhash_str of a 32-byte key into out. 0 or ACCOUNTS_ERR_IO. */
static int
hash_key(struct accounts *a, const uint8_t *key, char out[HASH_STR])
{
	return crypto_pwhash_str(out, (const char *)key, ACCOUNTS_KEY_LEN, a->lim.ops,
	    a->lim.mem) == 0 ? 0 : ACCOUNTS_ERR_IO;
}

int
accounts_register(struct accounts *a, const struct accounts_reg *g)
{
	sqlite3_stmt *st = NULL;
	char name[ACCOUNTS_NAME_BUF], ah[HASH_STR], rh[HASH_STR];
	int r = ACCOUNTS_ERR_INVAL, rc;

	memset(rh, 0, sizeof(rh));
	if (g == NULL || !is_id(g->id) || accounts_username_norm(g->username, name) != 0 ||
	    g->salt == NULL || g->auth_key == NULL || g->box_pk == NULL || g->sign_pk == NULL ||
	    g->wrapped == NULL || g->wrapped_len == 0 || g->wrapped_len > ACCOUNTS_WRAPPED_MAX ||
	    g->recovery_wrapped_len > ACCOUNTS_WRAPPED_MAX ||
	    (g->recovery_wrapped == NULL) != (g->recovery_wrapped_len == 0) ||
	    (g->recovery_auth == NULL) != (g->recovery_wrapped == NULL) ||
	    (g->flags & ~ACCOUNTS_FLAG_OPERATOR) != 0)
		goto out;
	r = ACCOUNTS_ERR_IO;
	if (hash_key(a, g->auth_key, ah) != 0 ||
	    (g->recovery_auth != NULL && hash_key(a, g->recovery_auth, rh) != 0))
		goto out;
	pthread_mutex_lock(&a->mu);
	if ((r = prep(a, &st, "INSERT INTO users (id, username, salt, auth_hash, recovery_hash, "
	    "box_pk, sign_pk, wrapped, recovery_wrapped, flags, created_us) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) == 0) {
		sqlite3_bind_text(st, 1, g->id, ACCOUNTS_ID_LEN, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
		bind_hexv(st, 3, g->salt, ACCOUNTS_SALT_LEN);
		sqlite3_bind_text(st, 4, ah, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 5, rh, -1, SQLITE_TRANSIENT);
		bind_hexv(st, 6, g->box_pk, 32);
		bind_hexv(st, 7, g->sign_pk, 32);
		bind_hexv(st, 8, g->wrapped, g->wrapped_len);
		bind_hexv(st, 9, g->recovery_wrapped, g->recovery_wrapped_len);
		sqlite3_bind_int64(st, 10, g->flags);
		sqlite3_bind_int64(st, 11, now_us());
		rc = sqlite3_step(st);
		r = rc == SQLITE_DONE ? 0 : (rc & 0xff) == SQLITE_CONSTRAINT ? ACCOUNTS_ERR_EXISTS :
		    ACCOUNTS_ERR_IO;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->mu);
out:
	sodium_memzero(ah, sizeof(ah));
	sodium_memzero(rh, sizeof(rh));
	return r;
}

/*
 * Verify key against the hash in column col of the user selected by (by_name ? username :
 * id). Unknown or malformed users, empty hashes (no recovery key) and disabled accounts
 * all run crypto_pwhash_str_verify against the dummy hash or the real one, so every path
 * costs one Argon2id verification and ends in the same ACCOUNTS_ERR_DENIED.
 */
static int
verify_key(struct accounts *a, const char *who, int by_name, const char *col,
    const uint8_t *key, char id[ACCOUNTS_ID_BUF])
{
	sqlite3_stmt *st = NULL;
	char name[ACCOUNTS_NAME_BUF], hash[HASH_STR], uid[ACCOUNTS_ID_BUF], sql[128];
	int found = 0, disabled = 1, ok, r;

	if (id != NULL)
		id[0] = '\0';
	memcpy(hash, a->dummy, sizeof(hash));
	uid[0] = '\0';
	if (key == NULL)
		return ACCOUNTS_ERR_DENIED;
	if (by_name ? accounts_username_norm(who, name) == 0 : is_id(who)) {
		snprintf(sql, sizeof(sql), "SELECT id, %s, disabled FROM users WHERE %s = ?", col,
		    by_name ? "username" : "id");
		pthread_mutex_lock(&a->mu);
		if ((r = prep(a, &st, sql)) == 0) {
			sqlite3_bind_text(st, 1, by_name ? name : who, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(st) == SQLITE_ROW &&
			    (size_t)sqlite3_column_bytes(st, 1) > 0 &&
			    (size_t)sqlite3_column_bytes(st, 1) < sizeof(hash)) {
				col_str(st, 0, uid, sizeof(uid));
				col_str(st, 1, hash, sizeof(hash));
				disabled = sqlite3_column_int(st, 2) != 0;
				found = 1;
			}
		}
		sqlite3_finalize(st);
		pthread_mutex_unlock(&a->mu);
	}
	ok = crypto_pwhash_str_verify(hash, (const char *)key, ACCOUNTS_KEY_LEN) == 0;
	sodium_memzero(hash, sizeof(hash));
	if (!(ok && found && !disabled && is_id(uid)))
		return ACCOUNTS_ERR_DENIED;
	if (id != NULL)
		memcpy(id, uid, ACCOUNTS_ID_BUF);
	return 0;
}

int
accounts_login(struct accounts *a, const char *username, const uint8_t auth_key[ACCOUNTS_KEY_LEN],
    char id[ACCOUNTS_ID_BUF])
{
	return verify_key(a, username, 1, "auth_hash", auth_key, id);
}

int
accounts_login_recovery(struct accounts *a, const char *username,
    const uint8_t recovery_auth[ACCOUNTS_KEY_LEN], char id[ACCOUNTS_ID_BUF])
{
	return verify_key(a, username, 1, "recovery_hash", recovery_auth, id);
}

int
accounts_verify_password(struct accounts *a, const char *id, const uint8_t auth_key[ACCOUNTS_KEY_LEN])
{
	return verify_key(a, id, 0, "auth_hash", auth_key, NULL);
}

int
accounts_get(struct accounts *a, const char *id, struct accounts_user *u)
{
	sqlite3_stmt *st = NULL;
	long n;
	int r;

	memset(u, 0, sizeof(*u));
	if (!is_id(id))
		return ACCOUNTS_ERR_NOTFOUND;
	pthread_mutex_lock(&a->mu);
	if ((r = prep(a, &st, "SELECT id, username, salt, box_pk, sign_pk, wrapped, "
	    "recovery_wrapped, flags, totp_secret, disabled, created_us FROM users WHERE id = ?")) != 0)
		goto out;
	sqlite3_bind_text(st, 1, id, ACCOUNTS_ID_LEN, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = ACCOUNTS_ERR_NOTFOUND;
		goto out;
	}
	r = ACCOUNTS_ERR_IO;
	col_str(st, 0, u->id, sizeof(u->id));
	col_str(st, 1, u->username, sizeof(u->username));
	if (col_hexv(st, 2, u->salt, ACCOUNTS_SALT_LEN) != ACCOUNTS_SALT_LEN ||
	    col_hexv(st, 3, u->box_pk, 32) != 32 || col_hexv(st, 4, u->sign_pk, 32) != 32 ||
	    (n = col_hexv(st, 5, u->wrapped, ACCOUNTS_WRAPPED_MAX)) < 0)
		goto out;
	u->wrapped_len = (size_t)n;
	if ((n = col_hexv(st, 6, u->recovery_wrapped, ACCOUNTS_WRAPPED_MAX)) < 0)
		goto out;
	u->recovery_wrapped_len = (size_t)n;
	u->flags = (uint32_t)sqlite3_column_int64(st, 7);
	u->totp_enabled = sqlite3_column_bytes(st, 8) > 0;
	u->disabled = sqlite3_column_int(st, 9) != 0;
	u->created_us = sqlite3_column_int64(st, 10);
	r = 0;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->mu);
	if (r != 0)
		memset(u, 0, sizeof(*u));
	return r;
}

int
accounts_find(struct accounts *a, const char *username, char id[ACCOUNTS_ID_BUF])
{
	sqlite3_stmt *st = NULL;
	char name[ACCOUNTS_NAME_BUF];
	int r;

	id[0] = '\0';
	if (accounts_username_norm(username, name) != 0)
		return ACCOUNTS_ERR_NOTFOUND;
	pthread_mutex_lock(&a->mu);
	if ((r = prep(a, &st, "SELECT id FROM users WHERE username = ?")) == 0) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW)
			col_str(st, 0, id, ACCOUNTS_ID_BUF);
		else
			r = ACCOUNTS_ERR_NOTFOUND;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->mu);
	return r;
}

/* Revoke every session of id; 0 or ACCOUNTS_ERR_IO. */
static int
revoke_all(struct accounts *a, const char *id)
{
	if (a->sess == NULL)
		return 0;
	return sessions_revoke_user(a->sess, id) >= 0 ? 0 : ACCOUNTS_ERR_IO;
}

int
accounts_set_password(struct accounts *a, const char *id,
    const uint8_t new_salt[ACCOUNTS_SALT_LEN], const uint8_t new_auth[ACCOUNTS_KEY_LEN],
    const uint8_t *wrapped, size_t wrapped_len)
{
	sqlite3_stmt *st = NULL;
	char ah[HASH_STR];
	int r = ACCOUNTS_ERR_INVAL;

	if (!is_id(id) || new_salt == NULL || new_auth == NULL || wrapped == NULL ||
	    wrapped_len == 0 || wrapped_len > ACCOUNTS_WRAPPED_MAX)
		goto out;
	if ((r = hash_key(a, new_auth, ah)) != 0)
		goto out;
	/* Sessions go first: if the update then fails the user is logged out, never left with
	 * old sessions under a new password. */
	if ((r = revoke_all(a, id)) != 0)
		goto out;
	pthread_mutex_lock(&a->mu);
	if ((r = prep(a, &st, "UPDATE users SET salt = ?, auth_hash = ?, wrapped = ? "
	    "WHERE id = ?")) == 0) {
		bind_hexv(st, 1, new_salt, ACCOUNTS_SALT_LEN);
		sqlite3_bind_text(st, 2, ah, -1, SQLITE_TRANSIENT);
		bind_hexv(st, 3, wrapped, wrapped_len);
		sqlite3_bind_text(st, 4, id, ACCOUNTS_ID_LEN, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			r = ACCOUNTS_ERR_IO;
		else if (sqlite3_changes(a->db) != 1)
			r = ACCOUNTS_ERR_NOTFOUND;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->mu);
out:
	sodium_memzero(ah, sizeof(ah));
	return r;
}

int
accounts_change_password(struct accounts *a, const char *id,
    const uint8_t old_auth[ACCOUNTS_KEY_LEN], const uint8_t new_salt[ACCOUNTS_SALT_LEN],
    const uint8_t new_auth[ACCOUNTS_KEY_LEN], const uint8_t *wrapped, size_t wrapped_len)
{
	int r;

	if ((r = accounts_verify_password(a, id, old_auth)) != 0)
		return r;
	return accounts_set_password(a, id, new_salt, new_auth, wrapped, wrapped_len);
}

int
accounts_set_disabled(struct accounts *a, const char *id, int disabled)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (!is_id(id))
		return ACCOUNTS_ERR_INVAL;
	pthread_mutex_lock(&a->mu);
	if ((r = prep(a, &st, "UPDATE users SET disabled = ? WHERE id = ?")) == 0) {
		sqlite3_bind_int(st, 1, disabled ? 1 : 0);
		sqlite3_bind_text(st, 2, id, ACCOUNTS_ID_LEN, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			r = ACCOUNTS_ERR_IO;
		else if (sqlite3_changes(a->db) != 1)
			r = ACCOUNTS_ERR_NOTFOUND;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->mu);
	if (r == 0 && disabled)
		r = revoke_all(a, id);
	return r;
}

/* AD for a TOTP secret at rest: "vigil-totp-v1" || user id. */
static void
totp_ad(const char *id, uint8_t ad[13 + ACCOUNTS_ID_LEN])
{
	memcpy(ad, "vigil-totp-v1", 13);
	memcpy(ad + 13, id, ACCOUNTS_ID_LEN);
}

static void
totp_seal(struct accounts *a, const char *id, const uint8_t secret[ACCOUNTS_TOTP_SECRET_LEN],
    uint8_t box[TOTP_BOX_LEN])
{
	uint8_t ad[13 + ACCOUNTS_ID_LEN];
	unsigned long long clen;

	totp_ad(id, ad);
	randombytes_buf(box, 24);
	crypto_aead_xchacha20poly1305_ietf_encrypt(box + 24, &clen, secret,
	    ACCOUNTS_TOTP_SECRET_LEN, ad, sizeof(ad), NULL, box, a->totp_key);
}

static int
totp_open(struct accounts *a, const char *id, const uint8_t *box, size_t n,
    uint8_t secret[ACCOUNTS_TOTP_SECRET_LEN])
{
	uint8_t ad[13 + ACCOUNTS_ID_LEN];
	unsigned long long plen;

	totp_ad(id, ad);
	if (n != TOTP_BOX_LEN || crypto_aead_xchacha20poly1305_ietf_decrypt(secret, &plen, NULL,
	    box + 24, n - 24, ad, sizeof(ad), box, a->totp_key) != 0 ||
	    plen != ACCOUNTS_TOTP_SECRET_LEN) {
		sodium_memzero(secret, ACCOUNTS_TOTP_SECRET_LEN);
		return -1;
	}
	return 0;
}

int
accounts_totp_begin(struct accounts *a, const char *id, uint8_t secret[ACCOUNTS_TOTP_SECRET_LEN])
{
	sqlite3_stmt *st = NULL;
	uint8_t box[TOTP_BOX_LEN];
	int r;

	if (!is_id(id))
		return ACCOUNTS_ERR_INVAL;
	totp_secret_new(secret);
	totp_seal(a, id, secret, box);
	pthread_mutex_lock(&a->mu);
	if ((r = prep(a, &st, "UPDATE users SET totp_pending = ? WHERE id = ?")) == 0) {
		bind_hexv(st, 1, box, sizeof(box));
		sqlite3_bind_text(st, 2, id, ACCOUNTS_ID_LEN, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			r = ACCOUNTS_ERR_IO;
		else if (sqlite3_changes(a->db) != 1)
			r = ACCOUNTS_ERR_NOTFOUND;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->mu);
	if (r != 0)
		sodium_memzero(secret, ACCOUNTS_TOTP_SECRET_LEN);
	return r;
}

/* Check code against the pending (confirm) or active secret and, on success, store the
 * step (and promote the pending secret) in the same locked sequence. */
static int
totp_check(struct accounts *a, const char *id, const char *code, int64_t now_us, int confirm)
{
	sqlite3_stmt *st = NULL;
	uint8_t box[TOTP_BOX_LEN], secret[ACCOUNTS_TOTP_SECRET_LEN];
	int64_t last, step;
	long n;
	int r = ACCOUNTS_ERR_DENIED;

	if (!is_id(id) || code == NULL)
		return ACCOUNTS_ERR_DENIED;
	pthread_mutex_lock(&a->mu);
	if (prep(a, &st, confirm ? "SELECT totp_pending, -1 FROM users WHERE id = ?" :
	    "SELECT totp_secret, totp_last_step FROM users WHERE id = ?") != 0) {
		r = ACCOUNTS_ERR_IO;
		goto out;
	}
	sqlite3_bind_text(st, 1, id, ACCOUNTS_ID_LEN, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW || (n = col_hexv(st, 0, box, sizeof(box))) < 0 ||
	    totp_open(a, id, box, (size_t)n, secret) != 0)
		goto out;
	last = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	st = NULL;
	if (totp_verify(secret, sizeof(secret), code, now_us, last, &step) != 0)
		goto out;
	if (prep(a, &st, confirm ? "UPDATE users SET totp_secret = totp_pending, "
	    "totp_pending = '', totp_last_step = ? WHERE id = ?" :
	    "UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?") != 0) {
		r = ACCOUNTS_ERR_IO;
		goto out;
	}
	sqlite3_bind_int64(st, 1, step);
	sqlite3_bind_text(st, 2, id, ACCOUNTS_ID_LEN, SQLITE_TRANSIENT);
	if (!confirm)
		sqlite3_bind_int64(st, 3, step);
	if (sqlite3_step(st) != SQLITE_DONE) {
		r = ACCOUNTS_ERR_IO;
		goto out;
	}
	r = sqlite3_changes(a->db) == 1 ? 0 : ACCOUNTS_ERR_DENIED;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->mu);
	sodium_memzero(secret, sizeof(secret));
	return r;
}

int
accounts_totp_confirm(struct accounts *a, const char *id, const char *code, int64_t now_us)
{
	return totp_check(a, id, code, now_us, 1);
}

int
accounts_totp_verify(struct accounts *a, const char *id, const char *code, int64_t now_us)
{
	return totp_check(a, id, code, now_us, 0);
}

int
accounts_totp_disable(struct accounts *a, const char *id)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (!is_id(id))
		return ACCOUNTS_ERR_INVAL;
	pthread_mutex_lock(&a->mu);
	if ((r = prep(a, &st, "UPDATE users SET totp_secret = '', totp_pending = '', "
	    "totp_last_step = -1 WHERE id = ?")) == 0) {
		sqlite3_bind_text(st, 1, id, ACCOUNTS_ID_LEN, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			r = ACCOUNTS_ERR_IO;
		else if (sqlite3_changes(a->db) != 1)
			r = ACCOUNTS_ERR_NOTFOUND;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->mu);
	return r;
}
