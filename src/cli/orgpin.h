/* orgpin.h - the CLI's local trust store: per-org pinned roots with anti-rollback high-water marks, and pending invitation secrets. */
#ifndef VIGIL_CLI_ORGPIN_H
#define VIGIL_CLI_ORGPIN_H

#include <stddef.h>
#include <stdint.h>
#include "common/statement.h"

#define ORGPIN_PATH_MAX 1024
#define ORGPIN_FILE_MAX (1024u * 1024u)
#define ORGPIN_SEEN_MAX 4096

/* One org's pin: the root key (org id = BLAKE2b(root)) and the highest seq (or epoch)
 * this client has seen per "kind:target" key, so a server replaying an older statement
 * or withholding a newer one is noticed. */
struct orgpin {
	uint8_t root_pk[STMT_KEY_LEN];
	uint8_t org_id[STMT_ORG_ID_LEN];
	size_t nseen;
	struct {
		char key[80];        /* e.g. "m:<user hex>", "e:<camera hex>" */
		uint64_t val;
	} seen[ORGPIN_SEEN_MAX];
	int dirty;
};

/* The pin-dir: dir given, else $HOME/.config/vigil. 0 or -1. */
int orgpin_dir(const char *given, char *out, size_t outsz);

/* Load dir/orgs/<org hex>.pin into *p (zeroed first). 0, 1 when there is no pin yet, or
 * -1 (unreadable or damaged: the caller must refuse, never re-pin). */
int orgpin_load(const char *dir, const uint8_t org_id[STMT_ORG_ID_LEN], struct orgpin *p);
/* Parse pin bytes for org_id. 0 or -1. */
int orgpin_parse(const char *json, size_t len, const uint8_t org_id[STMT_ORG_ID_LEN],
    struct orgpin *p);
/* Write the pin (mode 0600, directories 0700). 0 or -1. */
int orgpin_save(const char *dir, const struct orgpin *p);
/* A fresh pin for root_pk. */
void orgpin_init(struct orgpin *p, const uint8_t root_pk[STMT_KEY_LEN]);

/* The high-water mark of key (0 when unseen). */
uint64_t orgpin_seen(const struct orgpin *p, const char *key);
/* Raise the mark to val (no change when val is lower). 0, or -1 when full. */
int orgpin_see(struct orgpin *p, const char *key, uint64_t val);

/* Pending invitation secrets: dir/invites/<id hex>.json, 0600. The JSON is the caller's. */
int orgpin_invite_save(const char *dir, const char *id_hex, const char *json);
/* Read it into b (appends, at most 64 KiB). 0 or -1. */
int orgpin_invite_load(const char *dir, const char *id_hex, struct buf *b);
/* Overwrite with zeros, then remove. 0 or -1. */
int orgpin_invite_wipe(const char *dir, const char *id_hex);

#endif
