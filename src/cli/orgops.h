/* orgops.h - the admin client's multi-step operations: camera listing, granting epoch keys to members, camera key rotation, signed gateway config edits, invitations. */
#ifndef VIGIL_CLI_ORGOPS_H
#define VIGIL_CLI_ORGOPS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "cli/orgclient.h"
#include "common/enroll.h"

#define ORGOPS_NAME_MAX STMT_NAME_MAX

/* A camera as the server lists it (the gateway is server data: only a hint for
 * orgops_recorders, which reads the signed configurations). The site is the one its
 * signed camera.epoch statements name (site_known), never the server's: scope decisions
 * rest on it. The name is the one they sign (name_signed) whatever the server calls it;
 * only for a camera whose statements name none (made before names were signed) is it the
 * server's. */
struct orgops_camera {
	uint8_t id[STMT_ID_LEN];
	uint8_t site[STMT_ID_LEN];
	int site_known;
	uint8_t server_site[STMT_ID_LEN];   /* what the server claims: only to take keys away */
	uint8_t gateway[STMT_KEY_LEN];
	char name[ORGOPS_NAME_MAX + 1];
	int name_signed;
};

/* In a JSON camera list as GET /orgs/{org}/cameras answers (an array of objects with an
 * "id"), replace each "name" by the signed one when the camera has one, and set
 * "name_signed" to "yes" or "no". 0 or -1 (out of memory). */
int orgops_signed_names(const struct orgc *oc, json_t *cams);

/* GET /orgs/{org}/cameras. *out (free) and *n. 0 or -1 (printed). */
int orgops_cameras(struct orgc *oc, struct orgops_camera **out, size_t *n);

/* Grants, appended as separate statements to out[*nout..] (cap entries), of every epoch
 * of every camera the member's signed scope covers, sealed from my own opened grants.
 * only_cam: restrict to one camera (NULL: all). 0 or -1 (printed). */
int orgops_grant_all(struct orgc *oc, const struct stmt_member *m,
    const struct orgops_camera *cams, size_t ncams, const uint8_t *only_cam,
    struct buf *out, size_t cap, size_t *nout);

/* At most this many gateways' signed configurations may record one camera. */
#define ORGOPS_RECORDERS_MAX 8

/* One gateway the org root certified, with its signed configuration as the org signed it
 * (the admin copy: orgops_gwconfig_read). */
struct orgops_gwconf {
	uint8_t gateway[STMT_KEY_LEN];
	uint8_t site[STMT_ID_LEN];          /* the site its gateway.cert names */
	json_t *doc;                        /* its config JSON ({"cameras":[]} when none yet) */
	uint64_t seq;                       /* the config's seq (0: none yet) */
};

/* The org's certified gateways and their signed configurations: which gateway records a
 * camera is read here, never from the server's camera list. */
struct orgops_gwmap {
	struct orgops_gwconf *g;
	size_t n;
};

/* Read the signed configuration of every gateway the org root certified (each once, in
 * certificate order). Needs the root (orgops_gwconfig_read). A configuration that does not
 * open, or is older than one this client saw, fails the whole: that gateway may record any
 * camera. 0 or -1 (printed); free with orgops_gwmap_free. */
int orgops_gwmap_load(struct orgc *oc, struct orgops_gwmap *gm);
/* Release what orgops_gwmap_load holds. NULL-safe, idempotent. */
void orgops_gwmap_free(struct orgops_gwmap *gm);

/* The gateways whose signed configurations record camera cam: the server-named hint first
 * when its configuration does (hint NULL: none, or a gateway the root never certified: only
 * a hint), then every other in certificate order. Their indices into gm->g go to out[*n]
 * (cap entries). 0 (*n may be 0: no gateway records the camera under a signed
 * configuration), or -1 when more than cap do (printed). */
int orgops_recorders(const struct orgops_gwmap *gm, const uint8_t cam[STMT_ID_LEN],
    const uint8_t *hint, size_t *out, size_t cap, size_t *n);

/* One camera a batch rotated to a new epoch, for its gateways' next signed configs. */
struct orgops_rotated {
	uint8_t camera[STMT_ID_LEN];
	/* The gateways whose signed configurations record it (orgops_recorders); none: no
	 * gateway records it, nothing to send. */
	uint8_t gateways[ORGOPS_RECORDERS_MAX][STMT_KEY_LEN];
	size_t ngateways;
	uint32_t epoch;
	uint8_t pk[STMT_KEY_LEN];
};

/* The cameras one batch rotated: c holds cap entries (the caller's), n are used. */
struct orgops_rotation {
	struct orgops_rotated *c;
	size_t n, cap;
};

/* Start the next epoch of camera cam, recorded by the gateways gm->g[rec[0..nrec-1]]
 * (orgops_recorders; nrec 0: by none) (orgkeys_rotate): a camera.epoch naming site (NULL:
 * none) and name (NULL: none; a name needs a site), granted to every member of ms[nm] but
 * skip (NULL: none) whose signed scope covers the camera at that site. The statements go to
 * st[*ns..] (cap buffers in all; *ns advanced), the new epoch and its gateways to rot.
 * Nothing is posted: the caller posts the batch, then calls orgops_rotation_push. Member
 * removal and `camera sign` both rotate through here. 0 or -1 (printed). */
int orgops_rotate(struct orgc *oc, const uint8_t cam[STMT_ID_LEN],
    const struct orgops_gwmap *gm, const size_t *rec, size_t nrec, const uint8_t *site,
    const char *name, const struct orgc_member *ms, size_t nm, const struct orgc_member *skip,
    struct buf *st, size_t cap, size_t *ns, struct orgops_rotation *rot);

/* Once the batch is posted: each gateway of a rotated camera gets one new signed config in
 * which its rotated cameras record under their new epochs, and for each camera it records
 * "rotated camera=ID gateway=GW config_seq=N" is printed ("gateway=none" for a camera no
 * gateway records). A camera missing from a configuration it was found in before (the
 * configuration changed meanwhile) is named on stderr and fails the call after the other
 * gateways got theirs: that gateway may still record it under the old epoch. 0 or -1. */
int orgops_rotation_push(struct orgc *oc, struct orgops_rotation *rot);

/* The gateway's current config JSON from the stored admin copy (needs the root), checked
 * as orgverify_copy_open does; {"cameras":[]} when none was ever set. A seq below the
 * highest this client saw for the gateway (the pin's "g:<gateway>": a config withheld or
 * rolled back by the server) is refused. *doc (decref) and *seq (the stored seq). 0 or -1
 * (printed). */
int orgops_gwconfig_read(struct orgc *oc, const uint8_t gateway[STMT_KEY_LEN], json_t **doc,
    uint64_t *seq);

/* Edit a gateway's signed config: fetch the stored admin copy (needs the root), call
 * edit(doc, ctx) on the JSON object ({"cameras":[]} when none yet), then sign a new
 * gateway.config with seq = stored + 1 sealed to the gateway and PUT it with a fresh
 * admin copy. 0 or -1 (printed). */
int orgops_gwconfig_edit(struct orgc *oc, const uint8_t gateway[STMT_KEY_LEN],
    int (*edit)(json_t *doc, void *ctx), void *ctx);

/* Create an invitation (kind ENROLL_GATEWAY or ENROLL_USER) with the extra fields of
 * extra (site, role, scope; saved locally with the secret), POST it, save the secret to
 * the pin-dir and print the invitation id and the enroll command. 0 or -1. */
int orgops_invite(struct orgc *oc, uint8_t kind, const uint8_t *site, json_t *extra);

/* Load a pending invitation (invites/<id>.json, for this org) and wait up to wait_s
 * seconds for the newcomer's request. inv, *saved (the saved JSON; decref), req (the
 * request bytes, ENROLL_REQUEST_LEN) and user_id (kind user) filled. 0 or -1. */
int orgops_invite_wait(struct orgc *oc, const char *id_hex, int wait_s,
    struct enroll_invite *inv, json_t **saved, uint8_t req[ENROLL_REQUEST_LEN],
    uint8_t user_id[STMT_ID_LEN]);

#endif
