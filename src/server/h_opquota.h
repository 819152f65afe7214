/* h_opquota.h - the instance operator's organization routes: every organization by opaque id with its counts, storage used and quota, and setting an organization's storage quota. */
#ifndef VIGIL_SERVER_H_OPQUOTA_H
#define VIGIL_SERVER_H_OPQUOTA_H

#include <stddef.h>
#include <stdint.h>

struct req;

/* Parse a PUT body, exactly {"quota_bytes":n} with 0 <= n <= INT64_MAX (0: no quota), from
 * n bytes of untrusted input at p. 0 and *bytes, or -1 (*bytes 0). */
int opquota_body_parse(const uint8_t *p, size_t n, uint64_t *bytes);

/* GET /api/v1/operator/orgs: {orgs:[{id, created_us, members, sites, cameras, gateways,
 * quota_bytes, bytes_used}], instance_quota_bytes, bytes_used}. */
int h_operator_orgs(struct req *rq);
/* PUT /api/v1/operator/orgs/{org}/quota: sets or (0) removes the org's storage quota; the
 * retention pass then deletes the org's oldest footage while it holds more. Audited in the
 * instance log (org.quota) and in the org's own log (settings.quota), so the customer sees
 * it. */
int h_operator_quota_put(struct req *rq);

#endif
