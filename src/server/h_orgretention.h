/* h_orgretention.h - an organization's retention view and per-camera maximum age, for its owners and admins (docs/design/storage.md, "Retention"). */
#ifndef VIGIL_SERVER_H_ORGRETENTION_H
#define VIGIL_SERVER_H_ORGRETENTION_H

#include <stddef.h>
#include <stdint.h>

struct req;

/* Shortest and longest maximum age an organization may set; 0 means "keep until the
 * instance's storage quota" (retention.c never expires such a camera by age). */
#define ORGRETENTION_MIN_S 3600LL
#define ORGRETENTION_MAX_S (3653LL * 86400)    /* ten years, leap days included */

/* Parse a PUT body, exactly {"max_age_s":n} with n 0 or in [ORGRETENTION_MIN_S,
 * ORGRETENTION_MAX_S] (n bytes of untrusted input at p). 0 and *max_age_s, or -1. */
int orgretention_body_parse(const uint8_t *p, size_t n, int64_t *max_age_s);

/* GET /api/v1/orgs/{org}/retention: every camera of the org with its maximum age, bytes
 * and segments stored and oldest and newest recorded time. */
int h_org_retention_list(struct req *rq);
/* PUT /api/v1/orgs/{org}/cameras/{id}/retention: sets one camera's maximum age; a camera
 * of another organization answers exactly like a missing one (404). Audited
 * settings.retention with the old and new values. */
int h_org_retention_put(struct req *rq);

#endif
