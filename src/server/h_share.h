/* h_share.h - the share-link routes (create, list, revoke; a recipient's open and segment fetch) and the parsers of the create and open bodies. */
#ifndef VIGIL_SERVER_H_SHARE_H
#define VIGIL_SERVER_H_SHARE_H

#include <stddef.h>
#include <stdint.h>
#include "server/shares.h"

/* Largest create body: a 1 MiB hex manifest and room for the other fields. */
#define SHARE_BODY_MAX (2u * SHARES_MANIFEST_MAX + 4096u)
/* Largest open body: {"proof":"<64 hex>"} with room for whitespace. A public route, so
 * its budget is small. */
#define SHARE_OPEN_BODY_MAX 256u

/* A parsed POST /api/v1/orgs/{org}/shares body. */
struct share_body {
	char camera[33];                /* lowercase hex */
	uint8_t stream;
	int64_t from_us, to_us, expires_us, max_views;
	uint8_t *manifest;              /* decoded sealed manifest, malloc'd */
	size_t manifest_len;
	int has_proof_hash;             /* 0: the body had no open_proof_hash */
	uint8_t open_proof_hash[SHARES_PROOF_LEN];
};

/* Parse n untrusted bytes as the create body: one flat JSON object (no nesting, no
 * duplicate keys, at most SHARE_BODY_MAX bytes) with camera (32 hex), stream ("main" or
 * "sub"), integer from_us, to_us, expires_us, max_views, manifest (non-empty hex, at
 * most SHARES_MANIFEST_MAX bytes decoded) and open_proof_hash (64 hex; when absent,
 * has_proof_hash is 0 and the handler refuses the body). Only the shape is checked here;
 * the limits on values are shares_check_new's. 0 and *b (free with share_body_free), or
 * -1 with *b empty. */
int share_body_parse(const uint8_t *p, size_t n, struct share_body *b);
/* Free what share_body_parse allocated; NULL-safe. */
void share_body_free(struct share_body *b);

/* Parse n untrusted bytes as the open body: empty (no proof: *has 0), or one JSON object
 * of at most SHARE_OPEN_BODY_MAX bytes whose only key is proof (64 hex) into proof (*has
 * 1). 0, or -1 (proof wiped, *has 0). */
int share_open_body_parse(const uint8_t *p, size_t n, uint8_t proof[SHARES_PROOF_LEN], int *has);

/* The token of an "Authorization: Share <64 hex>" header into token. 0 or -1. */
int share_auth_token(const char *authz, uint8_t token[SHARES_TOKEN_LEN]);

struct req;

int h_share_create(struct req *rq);     /* POST /api/v1/orgs/{org}/shares (BODY_STREAM) */
int h_shares_list(struct req *rq);      /* GET /api/v1/orgs/{org}/shares */
int h_share_revoke(struct req *rq);     /* DELETE /api/v1/orgs/{org}/shares/{id} */
int h_share_open(struct req *rq);       /* POST /api/v1/shares/{id}/open (public, BODY_JSON) */
int h_share_segment(struct req *rq);    /* GET /api/v1/shares/{id}/segments/{seq} (public) */

#endif
