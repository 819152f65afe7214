/* cmd_account.c - `vigil account register`, `login`, `recover`, `password` (and `totp`, acct_totp.c): keys are derived and unwrapped here, the password and the recovery key never leave. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sodium.h>
#include "cli/acct_totp.h"
#include "cli/apic.h"
#include "cli/cli.h"
#include "cli/cmd_account.h"
#include "cli/httpc.h"
#include "cli/jsonv.h"
#include "cli/setcookie.h"
#include "common/passpolicy.h"
#include "common/userkey.h"
#include "common/util.h"

#define PW_BUF (PASSPOLICY_MAX_BYTES + 2)
#define BODY_MAX (8u * 1024u)
#define ANSWER_MAX (64u * 1024u)
#define LIST_REL "/../../data/common-passwords.txt"
#define KDF_OPS_MAX 16ULL
#define KDF_MEM_MAX ((size_t)1 << 30)

static const char USAGE[] =
    "usage: vigil account register --server URL --code CODE --username NAME\n"
    "                              [--password-list FILE] [--kdf-fast]\n"
    "       vigil account login --server URL --username NAME --session FILE\n"
    "                           [--totp CODE] [--kdf-fast]\n"
    "       vigil account recover --server URL --username NAME [--totp CODE]\n"
    "                             [--password-list FILE] [--kdf-fast]\n"
    "       vigil account totp --server URL --session FILE\n"
    "       vigil account password --server URL --session FILE [--password-list FILE]\n"
    "                              [--kdf-fast]\n"
    "\n"
    "The password comes from $VIGIL_PASSWORD or a prompt without echo on a terminal. It is\n"
    "checked (12+ characters, not a common password), stretched with Argon2id and never\n"
    "sent: the server gets an auth key derived from it and your private keys wrapped under\n"
    "another. register prints a recovery key once: keep it offline. login writes the\n"
    "session cookie to FILE (mode 0600) and checks the key bundle the server returns.\n"
    "recover sets a new password for a forgotten one: the recovery key (from\n"
    "$VIGIL_RECOVERY_KEY or a prompt without echo) opens your keys, which are wrapped anew\n"
    "under the new password; your second factor is still asked for (--totp); every session\n"
    "of the account is signed out. The recovery key stays valid.\n"
    "totp turns on the second factor that owners, admins and operators need: it prints a\n"
    "secret and its otpauth:// URI for an authenticator app, then reads the app's code from\n"
    "$VIGIL_TOTP_CODE or standard input (within 5 minutes of login).\n"
    "password changes the password: the current one ($VIGIL_PASSWORD or a prompt) must open\n"
    "your keys here, the new one ($VIGIL_NEW_PASSWORD or a prompt) wraps them; every session\n"
    "of the account is signed out, this one too.\n"
    "--kdf-fast uses the minimum Argon2id cost (tests only; the server must allow it).\n";

struct acct_args {
	const char *server, *code, *username, *session, *totp, *list;
	int kdf_fast;
};

static int
parse_args(int argc, char **argv, struct acct_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		const char *o = argv[i];
		const char **dst = NULL;

		if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
			fputs(USAGE, stdout);
			return 1;
		} else if (strcmp(o, "--kdf-fast") == 0) {
			a->kdf_fast = 1;
			continue;
		} else if (strcmp(o, "--server") == 0) {
			dst = &a->server;
		} else if (strcmp(o, "--code") == 0) {
			dst = &a->code;
		} else if (strcmp(o, "--username") == 0) {
			dst = &a->username;
		} else if (strcmp(o, "--session") == 0) {
			dst = &a->session;
		} else if (strcmp(o, "--totp") == 0) {
			dst = &a->totp;
		} else if (strcmp(o, "--password-list") == 0) {
			dst = &a->list;
		}
		if (dst == NULL || i + 1 >= argc) {
			fprintf(stderr, "vigil account: unknown option or missing value (see --help)\n");
			return -1;
		}
		*dst = argv[++i];
	}
	return 0;
}

/* A secret: $env_name, else typed on the terminal after prompt, without echo (twice when
 * confirm). out holds PW_BUF bytes. 0 or -1 (out wiped). */
static int
read_secret(const char *env_name, const char *prompt, char out[PW_BUF], size_t *len, int confirm)
{
	const char *env = getenv(env_name);
	char *pw = out;
	char again[PW_BUF];
	struct termios old, quiet;
	FILE *tty = NULL;
	int r = -1, restored = 1;

	*len = 0;
	if (env != NULL) {
		if (strlen(env) >= PW_BUF - 1) {
			fprintf(stderr, "vigil account: %s\n", passpolicy_strerror(PASSPOLICY_ERR_LONG));
			goto out;
		}
		*len = strlen(env);
		memcpy(pw, env, *len + 1);
		r = 0;
		goto out;
	}
	if ((tty = fopen("/dev/tty", "r+")) == NULL || tcgetattr(fileno(tty), &old) != 0) {
		fprintf(stderr, "vigil account: no terminal to ask for it: set %s\n", env_name);
		goto out;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	if (tcsetattr(fileno(tty), TCSAFLUSH, &quiet) != 0)
		goto out;
	restored = 0;
	fputs(prompt, tty);
	fflush(tty);
	if (fgets(pw, PW_BUF, tty) == NULL)
		goto out;
	fputs("\n", tty);
	if (confirm) {
		fputs("Again: ", tty);
		fflush(tty);
		if (fgets(again, PW_BUF, tty) == NULL)
			goto out;
		fputs("\n", tty);
		if (strcmp(pw, again) != 0) {
			fprintf(stderr, "vigil account: the passwords differ\n");
			goto out;
		}
	}
	*len = strcspn(pw, "\r\n");
	pw[*len] = '\0';
	r = 0;
out:
	if (!restored)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	if (tty != NULL)
		fclose(tty);
	sodium_memzero(again, sizeof(again));
	if (r != 0)
		sodium_memzero(pw, PW_BUF);
	return r;
}

/* The password: $VIGIL_PASSWORD, else typed on the terminal without echo. 0 or -1. */
static int
read_password(char pw[PW_BUF], size_t *len, int confirm)
{
	return read_secret("VIGIL_PASSWORD", confirm ? "New password: " : "Password: ", pw, len, confirm);
}

/* The common-password list: --password-list, else data/ relative to the binary. */
static int
open_policy(const char *given, struct passpolicy **pp)
{
	char exe[PATH_MAX], path[PATH_MAX + sizeof(LIST_REL)];
	ssize_t n;
	char *slash;

	if (given != NULL)
		return passpolicy_open(given, pp);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return -1;
	*slash = '\0';
	if (snprintf(path, sizeof(path), "%s%s", exe, LIST_REL) >= (int)sizeof(path))
		return -1;
	return passpolicy_open(path, pp);
}

/* The answer's "error" text, for messages (the server never echoes input in it). */
static const char *
answer_error(const struct buf *b, char *out, size_t outsz)
{
	json_t *j = json_loadb((const char *)b->data, b->len, 0, NULL);
	const char *e;

	snprintf(out, outsz, "no reason given");
	if (j != NULL && json_is_string(json_object_get(j, "error"))) {
		e = json_string_value(json_object_get(j, "error"));
		snprintf(out, outsz, "%s", e);
	}
	json_decref(j);
	return out;
}

/* Free a json_dumps() result with jansson's allocator (it wipes, see jsonv.h). */
static void
json_text_free(char *s)
{
	json_malloc_t m;
	json_free_t f;

	if (s == NULL)
		return;
	json_get_alloc_funcs(&m, &f);
	f(s);
}

static void
limits_for(int fast, struct userkey_limits *l)
{
	userkey_limits_default(l);
	if (fast) {
		l->ops = crypto_pwhash_OPSLIMIT_MIN;
		l->mem = crypto_pwhash_MEMLIMIT_MIN;
	}
}

/* The server's Argon2id cost (prelogin, /auth/keys) as limits, refused below this client's
 * floor (the defaults, or the minimum with --kdf-fast): a server could otherwise make the
 * auth key cheap to brute-force. 0 or -1 (message printed). */
static int
server_limits(int fast, int64_t ops, int64_t mem, struct userkey_limits *lim)
{
	struct userkey_limits floor;

	limits_for(fast, &floor);
	if ((unsigned long long)ops < floor.ops || (size_t)mem < floor.mem) {
		fprintf(stderr, "vigil account: the server asks for a weaker Argon2id cost than this "
		    "client accepts (ops=%lld mem=%lld); refusing\n", (long long)ops, (long long)mem);
		return -1;
	}
	lim->ops = (unsigned long long)ops;
	lim->mem = (size_t)mem;
	return 0;
}

/* A key bundle the server sent (hex): it must open with wrap, be bound to uid and carry
 * the very public keys the server names for the account. 0 or -1 (*kb wiped). */
static int
open_bundle(const uint8_t wrap[USERKEY_KEY_LEN], const char *uid, const char *wrapped_hex,
    const uint8_t box[32], const uint8_t sign[32], struct userkey_bundle *kb)
{
	uint8_t wrapped[512];
	size_t n = strlen(wrapped_hex) / 2;
	int r = -1;

	if (strlen(wrapped_hex) % 2 == 0 && n > 0 && n <= sizeof(wrapped) &&
	    hex_decode(wrapped_hex, wrapped, n) == 0 && userkey_unwrap(wrap, uid, wrapped, n, kb) == 0 &&
	    sodium_memcmp(kb->box_pk, box, 32) == 0 && sodium_memcmp(kb->sign_pk, sign, 32) == 0)
		r = 0;
	else
		userkey_bundle_wipe(kb);
	sodium_memzero(wrapped, sizeof(wrapped));
	return r;
}

/* A new password for kb: read from $env_name or the terminal (twice), checked by pol,
 * stretched under a fresh salt; its salt, auth key, the bundle wrapped under it and the
 * cost go into body (the fields of /auth/recover and /auth/password). 0, EXIT_USAGE (the
 * policy refused it) or EXIT_RUNTIME; messages printed. */
static int
new_password_into(json_t *body, const char *env_name, struct passpolicy *pol, int kdf_fast,
    const char *uid, const struct userkey_bundle *kb)
{
	struct userkey_limits lim;
	uint8_t salt[USERKEY_SALT_LEN], auth[USERKEY_KEY_LEN], wrap[USERKEY_KEY_LEN];
	uint8_t wrapped[USERKEY_WRAPPED_LEN];
	char pw[PW_BUF], salt_h[2 * USERKEY_SALT_LEN + 1], auth_h[65];
	char wr_h[2 * USERKEY_WRAPPED_LEN + 1];
	size_t pwlen = 0;
	int e, r = EXIT_RUNTIME;

	memset(auth, 0, sizeof(auth));
	memset(wrap, 0, sizeof(wrap));
	memset(auth_h, 0, sizeof(auth_h));
	if (read_secret(env_name, "New password: ", pw, &pwlen, 1) != 0)
		goto out;
	if ((e = passpolicy_check(pol, pw, pwlen)) != 0) {
		fprintf(stderr, "vigil account: %s\n", passpolicy_strerror(e));
		r = EXIT_USAGE;
		goto out;
	}
	limits_for(kdf_fast, &lim);
	userkey_salt_new(salt);
	if (userkey_derive(pw, pwlen, salt, &lim, auth, wrap) != 0 ||
	    userkey_wrap(wrap, uid, kb, wrapped) != 0) {
		fprintf(stderr, "vigil account: key derivation failed\n");
		goto out;
	}
	hex_encode(salt, sizeof(salt), salt_h);
	hex_encode(auth, sizeof(auth), auth_h);
	hex_encode(wrapped, sizeof(wrapped), wr_h);
	if (json_object_set_new(body, "salt", json_string(salt_h)) == 0 &&
	    json_object_set_new(body, "auth_key", json_string(auth_h)) == 0 &&
	    json_object_set_new(body, "wrapped", json_string(wr_h)) == 0 &&
	    json_object_set_new(body, "kdf_ops", json_integer((json_int_t)lim.ops)) == 0 &&
	    json_object_set_new(body, "kdf_mem", json_integer((json_int_t)lim.mem)) == 0)
		r = 0;
out:
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(auth, sizeof(auth));
	sodium_memzero(wrap, sizeof(wrap));
	sodium_memzero(auth_h, sizeof(auth_h));
	return r;
}

static int
do_register(const struct acct_args *a)
{
	struct passpolicy *pol = NULL;
	struct userkey_bundle kb;
	struct userkey_limits lim;
	struct httpc *h = NULL;
	struct buf ans;
	uint8_t salt[USERKEY_SALT_LEN], auth[USERKEY_KEY_LEN], wrap[USERKEY_KEY_LEN];
	uint8_t rk[USERKEY_RECOVERY_LEN], rauth[USERKEY_KEY_LEN], rwrap[USERKEY_KEY_LEN];
	uint8_t wrapped[USERKEY_WRAPPED_LEN], rwrapped[USERKEY_WRAPPED_LEN];
	char pw[PW_BUF], id[USERKEY_ID_BUF], rstr[USERKEY_RECOVERY_STR_BUF], why[128];
	char salt_h[2 * USERKEY_SALT_LEN + 1], auth_h[65], rauth_h[65], box_h[65], sign_h[65];
	char wr_h[2 * USERKEY_WRAPPED_LEN + 1], rwr_h[2 * USERKEY_WRAPPED_LEN + 1];
	char *body = NULL;
	json_t *j = NULL;
	size_t pwlen = 0;
	long status = 0;
	int e, rc = EXIT_RUNTIME;

	memset(&kb, 0, sizeof(kb));
	buf_init(&ans, ANSWER_MAX);
	if (a->server == NULL || a->code == NULL || a->username == NULL) {
		fprintf(stderr, "%s", USAGE);
		rc = EXIT_USAGE;
		goto out;
	}
	if (open_policy(a->list, &pol) != 0) {
		fprintf(stderr, "vigil account: cannot read the common-password list "
		    "(data/common-passwords.txt, or give --password-list FILE)\n");
		goto out;
	}
	if (read_password(pw, &pwlen, 1) != 0)
		goto out;
	if ((e = passpolicy_check(pol, pw, pwlen)) != 0) {
		fprintf(stderr, "vigil account: %s\n", passpolicy_strerror(e));
		rc = EXIT_USAGE;
		goto out;
	}
	limits_for(a->kdf_fast, &lim);
	userkey_id_new(id);
	userkey_salt_new(salt);
	if (userkey_derive(pw, pwlen, salt, &lim, auth, wrap) != 0 || userkey_generate(&kb) != 0) {
		fprintf(stderr, "vigil account: key derivation failed\n");
		goto out;
	}
	userkey_recovery_new(rk, rstr);
	userkey_recovery_keys(rk, rauth, rwrap);
	if (userkey_wrap(wrap, id, &kb, wrapped) != 0 || userkey_wrap(rwrap, id, &kb, rwrapped) != 0)
		goto out;
	hex_encode(salt, sizeof(salt), salt_h);
	hex_encode(auth, sizeof(auth), auth_h);
	hex_encode(rauth, sizeof(rauth), rauth_h);
	hex_encode(kb.box_pk, sizeof(kb.box_pk), box_h);
	hex_encode(kb.sign_pk, sizeof(kb.sign_pk), sign_h);
	hex_encode(wrapped, sizeof(wrapped), wr_h);
	hex_encode(rwrapped, sizeof(rwrapped), rwr_h);
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "code", a->code,
	    "id", id, "username", a->username, "salt", salt_h, "auth_key", auth_h,
	    "recovery_auth", rauth_h, "box_pk", box_h, "sign_pk", sign_h, "wrapped", wr_h,
	    "recovery_wrapped", rwr_h, "kdf_ops", (json_int_t)lim.ops, "kdf_mem",
	    (json_int_t)lim.mem);
	if (j == NULL || (body = json_dumps(j, JSON_COMPACT)) == NULL)
		goto out;
	if ((e = httpc_new(&h, a->server, NULL)) != 0 ||
	    (e = httpc_post_json(h, "/api/v1/auth/register", body, ANSWER_MAX, &ans, &status)) != 0) {
		fprintf(stderr, "vigil account: %s\n", httpc_strerror(e));
		goto out;
	}
	if (status != 201) {
		fprintf(stderr, "vigil account: registration refused (HTTP %ld: %s)\n", status,
		    answer_error(&ans, why, sizeof(why)));
		goto out;
	}
	printf("registered user_id=%s username=%s\n", id, a->username);
	printf("recovery key (shown once; write it down and keep it offline):\n%s\n", rstr);
	rc = 0;
out:
	json_text_free(body);
	json_decref(j);
	httpc_free(h);
	buf_free(&ans);
	passpolicy_close(pol);
	userkey_bundle_wipe(&kb);
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(auth, sizeof(auth));
	sodium_memzero(wrap, sizeof(wrap));
	sodium_memzero(rk, sizeof(rk));
	sodium_memzero(rauth, sizeof(rauth));
	sodium_memzero(rwrap, sizeof(rwrap));
	sodium_memzero(rstr, sizeof(rstr));
	sodium_memzero(auth_h, sizeof(auth_h));
	sodium_memzero(rauth_h, sizeof(rauth_h));
	return rc;
}

/* Salt and Argon2id cost from prelogin; a cost below the default is refused unless
 * --kdf-fast (a server could otherwise make the auth key cheap to brute-force). */
static int
prelogin(struct httpc *h, const struct acct_args *a, uint8_t salt[USERKEY_SALT_LEN],
    struct userkey_limits *lim)
{
	struct buf ans;
	json_t *req = NULL, *j = NULL;
	char *body = NULL, err[160];
	int64_t ops, mem;
	long status = 0;
	int e, r = -1;

	buf_init(&ans, ANSWER_MAX);
	if ((req = json_pack("{s:s}", "username", a->username)) == NULL ||
	    (body = json_dumps(req, JSON_COMPACT)) == NULL)
		goto out;
	if ((e = httpc_post_json(h, "/api/v1/auth/prelogin", body, ANSWER_MAX, &ans, &status)) != 0) {
		fprintf(stderr, "vigil account: %s\n", httpc_strerror(e));
		goto out;
	}
	if (status != 200 || (j = json_loadb((const char *)ans.data, ans.len, 0, NULL)) == NULL ||
	    jsonv_hex(j, "salt", salt, USERKEY_SALT_LEN, "prelogin", err, sizeof(err)) != 0 ||
	    jsonv_int(j, "kdf_ops", 1, (int64_t)KDF_OPS_MAX, &ops, "prelogin", err, sizeof(err)) != 0 ||
	    jsonv_int(j, "kdf_mem", 1, (int64_t)KDF_MEM_MAX, &mem, "prelogin", err, sizeof(err)) != 0) {
		fprintf(stderr, "vigil account: bad prelogin answer (HTTP %ld)\n", status);
		goto out;
	}
	if (server_limits(a->kdf_fast, ops, mem, lim) != 0)
		goto out;
	r = 0;
out:
	json_text_free(body);
	json_decref(req);
	json_decref(j);
	buf_free(&ans);
	return r;
}

/* Write the cookie to path, created 0600 (an existing file is replaced). 0 or -1. */
static int
save_session(const char *path, const char *cookie)
{
	char line[SETCOOKIE_MAX + 2];
	int n = snprintf(line, sizeof(line), "%s\n", cookie);
	int r;

	if (n < 0 || n >= (int)sizeof(line))
		return -1;
	r = file_write_atomic(path, line, (size_t)n, 0600);
	sodium_memzero(line, sizeof(line));
	return r;
}

static int
do_login(const struct acct_args *a)
{
	struct userkey_bundle kb;
	struct userkey_limits lim;
	struct httpc *h = NULL;
	struct buf ans;
	uint8_t salt[USERKEY_SALT_LEN], auth[USERKEY_KEY_LEN], wrap[USERKEY_KEY_LEN];
	uint8_t box[32], sign[32];
	char pw[PW_BUF], auth_h[65], err[160], why[128];
	const char *uid = NULL, *wr_h = NULL;
	char *body = NULL;
	json_t *req = NULL, *j = NULL;
	size_t pwlen = 0;
	long status = 0;
	int e, rc = EXIT_RUNTIME;

	memset(&kb, 0, sizeof(kb));
	buf_init(&ans, ANSWER_MAX);
	if (a->server == NULL || a->username == NULL || a->session == NULL) {
		fprintf(stderr, "%s", USAGE);
		rc = EXIT_USAGE;
		goto out;
	}
	if ((e = httpc_new(&h, a->server, NULL)) != 0) {
		fprintf(stderr, "vigil account: %s\n", httpc_strerror(e));
		goto out;
	}
	if (prelogin(h, a, salt, &lim) != 0 || read_password(pw, &pwlen, 0) != 0)
		goto out;
	if (userkey_derive(pw, pwlen, salt, &lim, auth, wrap) != 0) {
		fprintf(stderr, "vigil account: key derivation failed\n");
		goto out;
	}
	hex_encode(auth, sizeof(auth), auth_h);
	req = a->totp != NULL ?
	    json_pack("{s:s,s:s,s:s}", "username", a->username, "auth_key", auth_h, "totp", a->totp) :
	    json_pack("{s:s,s:s}", "username", a->username, "auth_key", auth_h);
	if (req == NULL || (body = json_dumps(req, JSON_COMPACT)) == NULL)
		goto out;
	if ((e = httpc_post_json(h, "/api/v1/auth/login", body, ANSWER_MAX, &ans, &status)) != 0) {
		fprintf(stderr, "vigil account: %s\n", httpc_strerror(e));
		goto out;
	}
	if (status != 200) {
		fprintf(stderr, "vigil account: login refused (HTTP %ld: %s)\n", status,
		    answer_error(&ans, why, sizeof(why)));
		goto out;
	}
	if ((j = json_loadb((const char *)ans.data, ans.len, 0, NULL)) == NULL ||
	    jsonv_str(j, "user_id", USERKEY_ID_LEN, &uid, "login", err, sizeof(err)) != 0 ||
	    jsonv_str(j, "wrapped", 1024, &wr_h, "login", err, sizeof(err)) != 0 ||
	    jsonv_hex(j, "box_pk", box, sizeof(box), "login", err, sizeof(err)) != 0 ||
	    jsonv_hex(j, "sign_pk", sign, sizeof(sign), "login", err, sizeof(err)) != 0) {
		fprintf(stderr, "vigil account: malformed login answer\n");
		goto out;
	}
	if (open_bundle(wrap, uid, wr_h, box, sign, &kb) != 0) {
		fprintf(stderr, "vigil account: the server's key bundle does not open or does not "
		    "match this account's public keys; not trusting it\n");
		goto out;
	}
	if (httpc_session_cookie(h)[0] == '\0' || save_session(a->session, httpc_session_cookie(h)) != 0) {
		fprintf(stderr, "vigil account: no session cookie, or cannot write %s\n", a->session);
		goto out;
	}
	printf("logged in user_id=%s keys=ok session=%s\n", uid, a->session);
	rc = 0;
out:
	json_text_free(body);
	json_decref(req);
	json_decref(j);
	httpc_free(h);
	buf_free(&ans);
	userkey_bundle_wipe(&kb);
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(auth, sizeof(auth));
	sodium_memzero(wrap, sizeof(wrap));
	sodium_memzero(auth_h, sizeof(auth_h));
	return rc;
}

/* Step 1 of a recovery: the recovery key's auth half gets the recovery-wrapped bundle,
 * which must open with its wrap half, be bound to the user id and carry the public keys
 * the server names. *totp_required from the answer. 0 or -1 (message printed). */
static int
recover_keys(struct httpc *h, const struct acct_args *a, const char *rauth_h,
    const uint8_t rwrap[USERKEY_KEY_LEN], char uid_out[USERKEY_ID_BUF],
    struct userkey_bundle *kb, int *totp_required)
{
	struct buf ans;
	uint8_t box[32], sign[32];
	const char *uid = NULL, *wr_h = NULL;
	char *body = NULL, err[160], why[128];
	json_t *req = NULL, *j = NULL, *t;
	long status = 0;
	int e, r = -1;

	buf_init(&ans, ANSWER_MAX);
	if ((req = json_pack("{s:s,s:s}", "username", a->username, "recovery_auth", rauth_h)) == NULL ||
	    (body = json_dumps(req, JSON_COMPACT)) == NULL)
		goto out;
	if ((e = httpc_post_json(h, "/api/v1/auth/recover/keys", body, ANSWER_MAX, &ans, &status)) != 0) {
		fprintf(stderr, "vigil account: %s\n", httpc_strerror(e));
		goto out;
	}
	if (status != 200) {
		fprintf(stderr, "vigil account: recovery refused (HTTP %ld: %s): a wrong username or "
		    "recovery key, or too many attempts\n", status, answer_error(&ans, why, sizeof(why)));
		goto out;
	}
	if ((j = json_loadb((const char *)ans.data, ans.len, 0, NULL)) == NULL ||
	    jsonv_str(j, "user_id", USERKEY_ID_LEN, &uid, "recover", err, sizeof(err)) != 0 ||
	    strlen(uid) != USERKEY_ID_LEN ||
	    jsonv_str(j, "recovery_wrapped", 1024, &wr_h, "recover", err, sizeof(err)) != 0 ||
	    jsonv_hex(j, "box_pk", box, sizeof(box), "recover", err, sizeof(err)) != 0 ||
	    jsonv_hex(j, "sign_pk", sign, sizeof(sign), "recover", err, sizeof(err)) != 0 ||
	    !json_is_boolean(t = json_object_get(j, "totp_required"))) {
		fprintf(stderr, "vigil account: malformed recovery answer\n");
		goto out;
	}
	if (open_bundle(rwrap, uid, wr_h, box, sign, kb) != 0) {
		fprintf(stderr, "vigil account: the server's recovery bundle does not open with this "
		    "recovery key or does not match the account's public keys; not trusting it\n");
		goto out;
	}
	memcpy(uid_out, uid, USERKEY_ID_BUF);
	*totp_required = json_is_true(t);
	r = 0;
out:
	json_text_free(body);
	json_decref(req);
	json_decref(j);
	buf_free(&ans);
	return r;
}

static int
do_recover(const struct acct_args *a)
{
	struct passpolicy *pol = NULL;
	struct userkey_bundle kb;
	struct httpc *h = NULL;
	struct buf ans;
	uint8_t rk[USERKEY_RECOVERY_LEN], rauth[USERKEY_KEY_LEN], rwrap[USERKEY_KEY_LEN];
	char rstr[PW_BUF], uid[USERKEY_ID_BUF], why[128], rauth_h[65];
	char *body = NULL;
	json_t *req = NULL;
	size_t rlen = 0;
	long status = 0;
	int e, totp_required = 0, rc = EXIT_RUNTIME;

	memset(&kb, 0, sizeof(kb));
	buf_init(&ans, ANSWER_MAX);
	if (a->server == NULL || a->username == NULL) {
		fprintf(stderr, "%s", USAGE);
		rc = EXIT_USAGE;
		goto out;
	}
	if (open_policy(a->list, &pol) != 0) {
		fprintf(stderr, "vigil account: cannot read the common-password list "
		    "(data/common-passwords.txt, or give --password-list FILE)\n");
		goto out;
	}
	if (read_secret("VIGIL_RECOVERY_KEY", "Recovery key: ", rstr, &rlen, 0) != 0)
		goto out;
	if ((e = userkey_recovery_parse(rstr, rk)) != 0) {
		fprintf(stderr, "vigil account: %s\n", e == USERKEY_ERR_CHECKSUM ?
		    "the recovery key is mistyped (its check digits do not match)" :
		    "that is not a recovery key (14 groups of 4 letters and digits)");
		rc = EXIT_USAGE;
		goto out;
	}
	userkey_recovery_keys(rk, rauth, rwrap);
	hex_encode(rauth, sizeof(rauth), rauth_h);
	if ((e = httpc_new(&h, a->server, NULL)) != 0) {
		fprintf(stderr, "vigil account: %s\n", httpc_strerror(e));
		goto out;
	}
	if (recover_keys(h, a, rauth_h, rwrap, uid, &kb, &totp_required) != 0)
		goto out;
	if (totp_required && a->totp == NULL) {
		fprintf(stderr, "vigil account: this account has a second factor: give --totp CODE "
		    "(the recovery key stands in for the password only)\n");
		rc = EXIT_USAGE;
		goto out;
	}
	if ((req = json_pack("{s:s,s:s}", "username", a->username, "recovery_auth", rauth_h)) == NULL ||
	    (a->totp != NULL && json_object_set_new(req, "totp", json_string(a->totp)) != 0))
		goto out;
	if ((e = new_password_into(req, "VIGIL_PASSWORD", pol, a->kdf_fast, uid, &kb)) != 0) {
		rc = e;
		goto out;
	}
	if ((body = json_dumps(req, JSON_COMPACT)) == NULL)
		goto out;
	if ((e = httpc_post_json(h, "/api/v1/auth/recover", body, ANSWER_MAX, &ans, &status)) != 0) {
		fprintf(stderr, "vigil account: %s\n", httpc_strerror(e));
		goto out;
	}
	if (status != 200) {
		fprintf(stderr, "vigil account: the new password was refused (HTTP %ld: %s)\n", status,
		    answer_error(&ans, why, sizeof(why)));
		goto out;
	}
	printf("password changed user_id=%s: every session of the account is signed out; "
	    "sign in with vigil account login\n", uid);
	rc = 0;
out:
	json_text_free(body);
	json_decref(req);
	httpc_free(h);
	buf_free(&ans);
	passpolicy_close(pol);
	userkey_bundle_wipe(&kb);
	sodium_memzero(rstr, sizeof(rstr));
	sodium_memzero(rk, sizeof(rk));
	sodium_memzero(rauth, sizeof(rauth));
	sodium_memzero(rwrap, sizeof(rwrap));
	sodium_memzero(rauth_h, sizeof(rauth_h));
	return rc;
}

/* The session's key bundle (GET /api/v1/auth/keys) opened with the current password:
 * *kb, the user id and the current auth key (the server checks it before the change). The
 * server's Argon2id cost below this client's floor is refused. 0 or -1 (message printed). */
static int
open_current_keys(struct apic *a, int kdf_fast, char uid_out[USERKEY_ID_BUF],
    uint8_t old_auth[USERKEY_KEY_LEN], struct userkey_bundle *kb)
{
	struct userkey_limits lim;
	uint8_t salt[USERKEY_SALT_LEN], wrap[USERKEY_KEY_LEN], box[32], sign[32];
	const char *uid = NULL, *wr_h = NULL;
	char pw[PW_BUF], err[160], why[128];
	json_t *ans = NULL;
	int64_t ops, mem;
	size_t pwlen = 0;
	long status = 0;
	int e, r = -1;

	memset(wrap, 0, sizeof(wrap));
	if ((e = apic_json(a, "GET", "/api/v1/auth/keys", NULL, &ans, &status)) != 0) {
		fprintf(stderr, "vigil account: %s\n", apic_strerror(e));
		goto out;
	}
	if (status != 200) {
		fprintf(stderr, "vigil account: the server refused the session (HTTP %ld: %s): sign in "
		    "again with vigil account login\n", status, apic_answer_error(ans, why, sizeof(why)));
		goto out;
	}
	if (jsonv_str(ans, "user_id", USERKEY_ID_LEN, &uid, "keys", err, sizeof(err)) != 0 ||
	    strlen(uid) != USERKEY_ID_LEN ||
	    jsonv_hex(ans, "salt", salt, sizeof(salt), "keys", err, sizeof(err)) != 0 ||
	    jsonv_int(ans, "kdf_ops", 1, (int64_t)KDF_OPS_MAX, &ops, "keys", err, sizeof(err)) != 0 ||
	    jsonv_int(ans, "kdf_mem", 1, (int64_t)KDF_MEM_MAX, &mem, "keys", err, sizeof(err)) != 0 ||
	    jsonv_str(ans, "wrapped", 1024, &wr_h, "keys", err, sizeof(err)) != 0 ||
	    jsonv_hex(ans, "box_pk", box, sizeof(box), "keys", err, sizeof(err)) != 0 ||
	    jsonv_hex(ans, "sign_pk", sign, sizeof(sign), "keys", err, sizeof(err)) != 0) {
		fprintf(stderr, "vigil account: malformed keys answer\n");
		goto out;
	}
	if (server_limits(kdf_fast, ops, mem, &lim) != 0)
		goto out;
	if (read_secret("VIGIL_PASSWORD", "Current password: ", pw, &pwlen, 0) != 0)
		goto out;
	if (userkey_derive(pw, pwlen, salt, &lim, old_auth, wrap) != 0) {
		fprintf(stderr, "vigil account: key derivation failed\n");
		goto out;
	}
	if (open_bundle(wrap, uid, wr_h, box, sign, kb) != 0) {
		fprintf(stderr, "vigil account: the current password does not open your keys\n");
		goto out;
	}
	memcpy(uid_out, uid, USERKEY_ID_BUF);
	r = 0;
out:
	json_decref(ans);
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(wrap, sizeof(wrap));
	if (r != 0)
		sodium_memzero(old_auth, USERKEY_KEY_LEN);
	return r;
}

static int
do_password(const struct acct_args *a)
{
	struct passpolicy *pol = NULL;
	struct userkey_bundle kb;
	struct apic *api = NULL;
	uint8_t old_auth[USERKEY_KEY_LEN];
	char cookie[APIC_COOKIE_MAX], uid[USERKEY_ID_BUF], why[128], old_h[65];
	json_t *req = NULL, *ans = NULL;
	long status = 0;
	int e, rc = EXIT_RUNTIME;

	memset(&kb, 0, sizeof(kb));
	memset(old_auth, 0, sizeof(old_auth));
	memset(cookie, 0, sizeof(cookie));
	memset(old_h, 0, sizeof(old_h));
	if (a->server == NULL || a->session == NULL) {
		fprintf(stderr, "%s", USAGE);
		rc = EXIT_USAGE;
		goto out;
	}
	if (open_policy(a->list, &pol) != 0) {
		fprintf(stderr, "vigil account: cannot read the common-password list "
		    "(data/common-passwords.txt, or give --password-list FILE)\n");
		goto out;
	}
	if (apic_read_session(a->session, cookie) != 0) {
		fprintf(stderr, "vigil account: cannot read the session in %s (vigil account login "
		    "writes it)\n", a->session);
		rc = EXIT_USAGE;
		goto out;
	}
	if ((e = apic_new(&api, a->server, cookie, NULL)) != 0) {
		fprintf(stderr, "vigil account: %s\n", apic_strerror(e));
		goto out;
	}
	if (open_current_keys(api, a->kdf_fast, uid, old_auth, &kb) != 0)
		goto out;
	hex_encode(old_auth, sizeof(old_auth), old_h);
	if ((req = json_pack("{s:s}", "old_auth_key", old_h)) == NULL)
		goto out;
	if ((e = new_password_into(req, "VIGIL_NEW_PASSWORD", pol, a->kdf_fast, uid, &kb)) != 0) {
		rc = e;
		goto out;
	}
	if ((e = apic_json(api, "POST", "/api/v1/auth/password", req, &ans, &status)) != 0) {
		fprintf(stderr, "vigil account: %s\n", apic_strerror(e));
		goto out;
	}
	if (status != 200) {
		fprintf(stderr, "vigil account: the change was refused (HTTP %ld: %s)\n", status,
		    apic_answer_error(ans, why, sizeof(why)));
		goto out;
	}
	printf("password changed user_id=%s: every session of the account is signed out; sign in "
	    "with vigil account login\n", uid);
	rc = 0;
out:
	json_decref(req);
	json_decref(ans);
	apic_free(api);
	passpolicy_close(pol);
	userkey_bundle_wipe(&kb);
	sodium_memzero(cookie, sizeof(cookie));
	sodium_memzero(old_auth, sizeof(old_auth));
	sodium_memzero(old_h, sizeof(old_h));
	return rc;
}

int
cmd_account(int argc, char **argv)
{
	struct acct_args a;
	int r;

	if (argc < 2 || (strcmp(argv[1], "register") != 0 && strcmp(argv[1], "login") != 0 &&
	    strcmp(argv[1], "recover") != 0 && strcmp(argv[1], "totp") != 0 &&
	    strcmp(argv[1], "password") != 0)) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			fputs(USAGE, stdout);
			return 0;
		}
		fputs(USAGE, stderr);
		return EXIT_USAGE;
	}
	if ((r = parse_args(argc - 1, argv + 1, &a)) != 0)
		return r > 0 ? 0 : EXIT_USAGE;
	if (strcmp(argv[1], "recover") == 0)
		return do_recover(&a);
	if (strcmp(argv[1], "totp") == 0)
		return account_totp(a.server, a.session);
	if (strcmp(argv[1], "password") == 0)
		return do_password(&a);
	return strcmp(argv[1], "register") == 0 ? do_register(&a) : do_login(&a);
}
