/* identity.h - the server's account state: accounts.db (accounts, sessions, throttle, signup codes, KDF costs, organizations), audit.db and the server secret. */
#ifndef VIGIL_SERVER_IDENTITY_H
#define VIGIL_SERVER_IDENTITY_H

#include <stdint.h>
#include <sqlite3.h>
#include "server/userkdf.h"

#define IDENTITY_SECRET_LEN 32
/* The instance-level audit log, until organizations have logs of their own. */
#define IDENTITY_AUDIT_ORG "instance"

struct accounts;
struct sessions;
struct throttle;
struct audit;
struct signup;
struct authtimer;
struct orgs;

struct identity_cfg {
	const char *data_dir;
	/* Cookies get Secure and the __Host- prefix (false only for plain HTTP on loopback). */
	int cookie_secure;
	/* Tests only: Argon2id at its minimum on the server, the minimum client KDF cost
	 * accepted, no login backoff and no per-address cap (the per-account cap stays). */
	int insecure_test_auth;
};

/* Opened once at start-up, read by handlers. The modules are thread-safe. */
struct identity {
	sqlite3 *db;                 /* accounts.db: accounts, sessions, throttle, signup, kdf */
	sqlite3 *audit_db;           /* audit.db: the audit module's own connection */
	struct accounts *acc;
	struct sessions *sess;
	struct throttle *thr;
	struct signup *su;
	struct userkdf *kdf;
	struct audit *aud;
	struct authtimer *timer;
	struct orgs *orgs;           /* organizations, on its own connection to accounts.db */
	struct userkdf_params kdf_default;   /* what prelogin says for unknown names */
	struct userkdf_params kdf_floor;     /* the least cost registration accepts */
	int cookie_secure;
	int insecure_test_auth;
};

/* Open or create DATA/accounts.db, DATA/audit.db (both WAL), DATA/server.secret (32
 * random bytes, 0600, made once) and DATA/audit.key, and start the housekeeping timer
 * (audit checkpoints, session and throttle expiry). 0 or -1 (logged); *out owned by the
 * caller. */
int identity_open(struct identity **out, const struct identity_cfg *cfg);
/* Stop the timer, close the modules and both databases; NULL-safe. */
void identity_close(struct identity *id);

#endif
