/* orgs_quota.c - each organization's storage quota (set by the instance operator) and the operator's view of organizations: opaque ids and counts, never names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/util.h"
#include "server/orgs.h"
#include "server/orgs_int.h"

int
orgs_quota_set(struct orgs *o, const char *org, uint64_t bytes, int64_t now,
    int64_t effective_us, struct orgs_quota *old)
{
	sqlite3_stmt *st = NULL;
	int64_t in_force;
	int r;

	memset(old, 0, sizeof(*old));
	if (bytes > (uint64_t)INT64_MAX)
		return ORGS_E_INVAL;
	pthread_mutex_lock(&o->mu);
	/* One row, with the current quota when there is one: none means no such org. */
	/* The row (none: no such org) with the quota set before and the one in force now,
	 * which stays in force while a new one waits its grace period. */
	if ((r = orgs_prep(o, "SELECT COALESCE(q.bytes, 0), COALESCE(q.effective_us, 0),"
	    " COALESCE(CASE WHEN q.effective_us <= ?2 THEN q.bytes ELSE q.old_bytes END, 0)"
	    " FROM orgs o LEFT JOIN org_quotas q ON q.org=o.id WHERE o.id=?1", &st)) != 0)
		goto out;
	orgs_bind_text(st, 1, org);
	sqlite3_bind_int64(st, 2, now);
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = ORGS_E_NOTFOUND;
		goto out;
	}
	snprintf(old->org, sizeof(old->org), "%s", org);
	old->bytes = (uint64_t)sqlite3_column_int64(st, 0);
	old->effective_us = sqlite3_column_int64(st, 1);
	in_force = sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	st = NULL;
	if ((r = orgs_prep(o, bytes == 0 ? "DELETE FROM org_quotas WHERE org=?" :
	    "INSERT INTO org_quotas(org, bytes, effective_us, old_bytes) VALUES(?, ?, ?, ?)"
	    " ON CONFLICT(org) DO UPDATE SET bytes=excluded.bytes,"
	    " effective_us=excluded.effective_us, old_bytes=excluded.old_bytes", &st)) != 0)
		goto out;
	orgs_bind_text(st, 1, org);
	if (bytes != 0) {
		sqlite3_bind_int64(st, 2, (int64_t)bytes);
		sqlite3_bind_int64(st, 3, effective_us);
		sqlite3_bind_int64(st, 4, effective_us > now ? in_force : 0);
	}
	r = orgs_step_write(st);
	st = NULL;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	return r;
}

int
orgs_quota_get(struct orgs *o, const char *org, struct orgs_quota *q)
{
	sqlite3_stmt *st = NULL;
	int r;

	memset(q, 0, sizeof(*q));
	snprintf(q->org, sizeof(q->org), "%s", org);
	pthread_mutex_lock(&o->mu);
	if ((r = orgs_prep(o, "SELECT bytes, effective_us FROM org_quotas WHERE org=?", &st)) == 0) {
		orgs_bind_text(st, 1, org);
		if (sqlite3_step(st) == SQLITE_ROW) {
			q->bytes = (uint64_t)sqlite3_column_int64(st, 0);
			q->effective_us = sqlite3_column_int64(st, 1);
		}
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	return r;
}

int
orgs_quota_list(struct orgs *o, int64_t now, struct orgs_quota **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct orgs_quota *q = NULL, *t;
	size_t cap = 0;
	int r, rc;

	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&o->mu);
	if ((r = orgs_prep(o, "SELECT org, CASE WHEN effective_us <= ?1 THEN bytes ELSE old_bytes"
	    " END, effective_us FROM org_quotas WHERE (CASE WHEN effective_us <= ?1 THEN bytes ELSE"
	    " old_bytes END) > 0 ORDER BY org", &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			if ((t = realloc(q, cap * sizeof(*q))) == NULL) {
				r = ORGS_E_IO;
				goto out;
			}
			q = t;
		}
		orgs_col_text(st, 0, q[*n].org, sizeof(q[*n].org));
		q[*n].bytes = (uint64_t)sqlite3_column_int64(st, 1);
		q[*n].effective_us = sqlite3_column_int64(st, 2);
		(*n)++;
	}
	if (rc != SQLITE_DONE)
		r = ORGS_E_IO;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	if (r != 0) {
		free(q);
		q = NULL;
		*n = 0;
	}
	*out = q;
	return r;
}

int
orgs_camera_ids(struct orgs *o, const char *org, uint8_t (**ids)[STMT_ID_LEN], size_t *n)
{
	sqlite3_stmt *st = NULL;
	uint8_t (*a)[STMT_ID_LEN] = NULL, (*t)[STMT_ID_LEN];
	size_t cap = 0;
	const char *hex;
	int r, rc;

	*ids = NULL;
	*n = 0;
	pthread_mutex_lock(&o->mu);
	if ((r = orgs_prep(o, "SELECT id FROM org_cameras WHERE org=? ORDER BY id", &st)) != 0)
		goto out;
	orgs_bind_text(st, 1, org);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		hex = (const char *)sqlite3_column_text(st, 0);
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			if ((t = realloc(a, cap * sizeof(*a))) == NULL) {
				r = ORGS_E_IO;
				goto out;
			}
			a = t;
		}
		/* Ids are checked as 32 hex when registered; anything else is skipped. */
		if (hex != NULL && strlen(hex) == 2 * STMT_ID_LEN &&
		    hex_decode(hex, a[*n], STMT_ID_LEN) == 0)
			(*n)++;
	}
	if (rc != SQLITE_DONE)
		r = ORGS_E_IO;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	if (r != 0) {
		free(a);
		a = NULL;
		*n = 0;
	}
	*ids = a;
	return r;
}

json_t *
orgs_operator_json(struct orgs *o)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array(), *e, *j = NULL;

	pthread_mutex_lock(&o->mu);
	if (arr == NULL || orgs_prep(o, "SELECT o.id, o.created_us,"
	    " (SELECT COUNT(*) FROM org_members m WHERE m.org=o.id AND m.role!=0),"
	    " (SELECT COUNT(*) FROM org_sites s WHERE s.org=o.id),"
	    " (SELECT COUNT(*) FROM org_cameras c WHERE c.org=o.id),"
	    " (SELECT COUNT(*) FROM org_gateways g WHERE g.org=o.id),"
	    " COALESCE((SELECT bytes FROM org_quotas q WHERE q.org=o.id), 0),"
	    " COALESCE((SELECT effective_us FROM org_quotas q WHERE q.org=o.id), 0)"
	    " FROM orgs o ORDER BY o.created_us, o.id", &st) != 0)
		goto out;
	while (sqlite3_step(st) == SQLITE_ROW) {
		e = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
		    "id", (const char *)sqlite3_column_text(st, 0),
		    "created_us", (json_int_t)sqlite3_column_int64(st, 1),
		    "members", (json_int_t)sqlite3_column_int64(st, 2),
		    "sites", (json_int_t)sqlite3_column_int64(st, 3),
		    "cameras", (json_int_t)sqlite3_column_int64(st, 4),
		    "gateways", (json_int_t)sqlite3_column_int64(st, 5),
		    "quota_bytes", (json_int_t)sqlite3_column_int64(st, 6),
		    "quota_effective_us", (json_int_t)sqlite3_column_int64(st, 7));
		if (e == NULL || json_array_append_new(arr, e) != 0)
			goto out;
	}
	j = json_pack("{s:O}", "orgs", arr);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	json_decref(arr);
	return j;
}
