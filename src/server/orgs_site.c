/* orgs_site.c - an org's sites, cameras, gateways and support grants. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/util.h"
#include "server/orgs.h"
#include "server/orgs_int.h"

int
orgs_site_add(struct orgs *o, const char *org, const char *site, const char *name)
{
	sqlite3_stmt *st = NULL;
	int r = ORGS_E_IO;

	pthread_mutex_lock(&o->mu);
	if (orgs_prep(o, "INSERT INTO org_sites(org, id, name) VALUES(?,?,?)", &st) == 0) {
		orgs_bind_text(st, 1, org);
		orgs_bind_text(st, 2, site);
		orgs_bind_text(st, 3, name);
		r = orgs_step_write(st);
	}
	pthread_mutex_unlock(&o->mu);
	return r;
}

json_t *
orgs_sites_json(struct orgs *o, const char *org)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array(), *e, *j = NULL;

	pthread_mutex_lock(&o->mu);
	if (arr == NULL || orgs_prep(o, "SELECT id, name FROM org_sites WHERE org=? ORDER BY id",
	    &st) != 0)
		goto out;
	orgs_bind_text(st, 1, org);
	while (sqlite3_step(st) == SQLITE_ROW) {
		e = json_pack("{s:s,s:s}", "id", (const char *)sqlite3_column_text(st, 0), "name",
		    (const char *)sqlite3_column_text(st, 1));
		if (e == NULL || json_array_append_new(arr, e) != 0)
			goto out;
	}
	j = json_pack("{s:O}", "sites", arr);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	json_decref(arr);
	return j;
}

int
orgs_camera_add(struct orgs *o, const char *org, const char *cam, const char *name,
    const char *site, const char *gw)
{
	sqlite3_stmt *st = NULL;
	int r, a, b;

	pthread_mutex_lock(&o->mu);
	a = orgs_exists2(o, "SELECT 1 FROM org_sites WHERE org=? AND id=?", org, site);
	b = orgs_exists2(o, "SELECT 1 FROM org_gateways WHERE org=? AND id=?", org, gw);
	if (a < 0 || b < 0) {
		r = ORGS_E_IO;
		goto out;
	}
	if (!a || !b) {
		r = ORGS_E_NOTFOUND;
		goto out;
	}
	if ((r = orgs_prep(o, "INSERT INTO org_cameras(id, org, name, site, gateway, epoch)"
	    " VALUES(?,?,?,?,?,0)", &st)) != 0)
		goto out;
	orgs_bind_text(st, 1, cam);
	orgs_bind_text(st, 2, org);
	orgs_bind_text(st, 3, name);
	orgs_bind_text(st, 4, site);
	orgs_bind_text(st, 5, gw);
	r = orgs_step_write(st);
out:
	pthread_mutex_unlock(&o->mu);
	return r;
}

int
orgs_camera_remove(struct orgs *o, const char *org, const char *cam, struct orgs_camera_row *saved)
{
	sqlite3_stmt *st = NULL;
	int r;

	memset(saved, 0, sizeof(*saved));
	pthread_mutex_lock(&o->mu);
	if ((r = orgs_prep(o, "SELECT name, site, gateway, epoch FROM org_cameras WHERE id=? AND"
	    " org=?", &st)) != 0)
		goto out;
	orgs_bind_text(st, 1, cam);
	orgs_bind_text(st, 2, org);
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = ORGS_E_NOTFOUND;
		goto out;
	}
	orgs_col_text(st, 0, saved->name, sizeof(saved->name));
	orgs_col_text(st, 1, saved->site, sizeof(saved->site));
	orgs_col_text(st, 2, saved->gateway, sizeof(saved->gateway));
	saved->epoch = sqlite3_column_int64(st, 3);
	sqlite3_finalize(st);
	st = NULL;
	if ((r = orgs_prep(o, "DELETE FROM org_cameras WHERE id=? AND org=?", &st)) != 0)
		goto out;
	orgs_bind_text(st, 1, cam);
	orgs_bind_text(st, 2, org);
	r = orgs_step_write(st);
	st = NULL;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	return r;
}

int
orgs_camera_restore(struct orgs *o, const char *org, const char *cam,
    const struct orgs_camera_row *saved)
{
	sqlite3_stmt *st = NULL;
	int r;

	pthread_mutex_lock(&o->mu);
	if ((r = orgs_prep(o, "INSERT INTO org_cameras(id, org, name, site, gateway, epoch)"
	    " VALUES(?,?,?,?,?,?)", &st)) == 0) {
		orgs_bind_text(st, 1, cam);
		orgs_bind_text(st, 2, org);
		orgs_bind_text(st, 3, saved->name);
		orgs_bind_text(st, 4, saved->site);
		orgs_bind_text(st, 5, saved->gateway);
		sqlite3_bind_int64(st, 6, saved->epoch);
		r = orgs_step_write(st);
	}
	pthread_mutex_unlock(&o->mu);
	return r;
}

/* Is camera (id, site) in m's scope? m NULL or not a scoped viewer: yes. */
static int
in_scope(const struct orgs_member *m, const char *cam, const char *site)
{
	uint8_t c[STMT_ID_LEN], s[STMT_ID_LEN];
	size_t i;

	if (m == NULL || m->role != STMT_ROLE_VIEWER || m->nscope == 0)
		return 1;
	if (hex_decode(cam, c, sizeof(c)) != 0)
		return 0;
	if (hex_decode(site, s, sizeof(s)) != 0)
		memset(s, 0, sizeof(s));
	for (i = 0; i < m->nscope; i++)
		if (memcmp(m->scope[i], c, STMT_ID_LEN) == 0 || memcmp(m->scope[i], s, STMT_ID_LEN) == 0)
			return 1;
	return 0;
}

json_t *
orgs_cameras_json(struct orgs *o, const char *org, const struct orgs_member *m)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array(), *e, *j = NULL;
	const char *id, *site;

	pthread_mutex_lock(&o->mu);
	if (arr == NULL || orgs_prep(o, "SELECT id, name, site, gateway, epoch FROM org_cameras"
	    " WHERE org=? ORDER BY id", &st) != 0)
		goto out;
	orgs_bind_text(st, 1, org);
	while (sqlite3_step(st) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(st, 0);
		site = (const char *)sqlite3_column_text(st, 2);
		if (id == NULL || site == NULL || !in_scope(m, id, site))
			continue;
		e = json_pack("{s:s,s:s,s:s,s:s,s:I}", "id", id, "name",
		    (const char *)sqlite3_column_text(st, 1), "site", site, "gateway",
		    (const char *)sqlite3_column_text(st, 3), "epoch",
		    (json_int_t)sqlite3_column_int64(st, 4));
		if (e == NULL || json_array_append_new(arr, e) != 0)
			goto out;
	}
	j = json_pack("{s:O}", "cameras", arr);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	json_decref(arr);
	return j;
}

json_t *
orgs_gateways_json(struct orgs *o, const char *org)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array(), *e, *j = NULL;

	pthread_mutex_lock(&o->mu);
	if (arr == NULL || orgs_prep(o, "SELECT id, site, enrolled_us, last_seen_us FROM"
	    " org_gateways WHERE org=? ORDER BY id", &st) != 0)
		goto out;
	orgs_bind_text(st, 1, org);
	while (sqlite3_step(st) == SQLITE_ROW) {
		e = json_pack("{s:s,s:s?,s:I,s:I}", "id", (const char *)sqlite3_column_text(st, 0),
		    "site", (const char *)sqlite3_column_text(st, 1), "enrolled_us",
		    (json_int_t)sqlite3_column_int64(st, 2), "last_seen_us",
		    (json_int_t)sqlite3_column_int64(st, 3));
		if (e == NULL || json_array_append_new(arr, e) != 0)
			goto out;
	}
	j = json_pack("{s:O}", "gateways", arr);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	json_decref(arr);
	return j;
}

int
orgs_gateway_org(struct orgs *o, const char *gw, int64_t now, char org_out[ORGS_ID_BUF])
{
	sqlite3_stmt *st = NULL;
	int r = ORGS_E_NOTFOUND;

	org_out[0] = '\0';
	pthread_mutex_lock(&o->mu);
	if (orgs_prep(o, "SELECT org FROM org_gateways WHERE id=?", &st) == 0) {
		orgs_bind_text(st, 1, gw);
		if (sqlite3_step(st) == SQLITE_ROW) {
			orgs_col_text(st, 0, org_out, ORGS_ID_BUF);
			r = org_out[0] != '\0' ? 0 : ORGS_E_IO;
		}
	}
	sqlite3_finalize(st);
	if (r == 0 && now > 0 &&
	    orgs_prep(o, "UPDATE org_gateways SET last_seen_us=? WHERE id=?", &st) == 0) {
		sqlite3_bind_int64(st, 1, now);
		orgs_bind_text(st, 2, gw);
		(void)orgs_step_write(st);
	}
	pthread_mutex_unlock(&o->mu);
	return r;
}

/* One text column of a registered camera's row (sql selects it by id). */
static int
camera_field(struct orgs *o, const char *sql, const char *cam, char out[ORGS_ID_BUF])
{
	sqlite3_stmt *st = NULL;
	int r = ORGS_E_IO, rc;

	out[0] = '\0';
	pthread_mutex_lock(&o->mu);
	if (orgs_prep(o, sql, &st) == 0) {
		orgs_bind_text(st, 1, cam);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			orgs_col_text(st, 0, out, ORGS_ID_BUF);
			r = 0;
		} else if (rc == SQLITE_DONE) {
			r = ORGS_E_NOTFOUND;
		}
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	return r;
}

int
orgs_camera_gateway(struct orgs *o, const char *cam, char gw_out[ORGS_ID_BUF])
{
	return camera_field(o, "SELECT gateway FROM org_cameras WHERE id=?", cam, gw_out);
}

int
orgs_gateway_cameras(struct orgs *o, const char *gw, uint8_t (*out)[16], size_t max)
{
	sqlite3_stmt *st = NULL;
	char hex[ORGS_ID_BUF];
	int r = ORGS_E_IO, rc, n = 0;

	pthread_mutex_lock(&o->mu);
	if (orgs_prep(o, "SELECT id FROM org_cameras WHERE gateway=? ORDER BY id", &st) != 0)
		goto out;
	orgs_bind_text(st, 1, gw);
	while ((size_t)n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		orgs_col_text(st, 0, hex, sizeof(hex));
		if (hex_decode(hex, out[n], 16) == 0)
			n++;
	}
	r = n;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	return r;
}

int
orgs_camera_org(struct orgs *o, const char *cam, char org_out[ORGS_ID_BUF])
{
	return camera_field(o, "SELECT org FROM org_cameras WHERE id=?", cam, org_out);
}

int
orgs_support_grant(struct orgs *o, const char *org, const char *user_id, int64_t expires_us,
    const char *by)
{
	sqlite3_stmt *st = NULL;
	int r;

	pthread_mutex_lock(&o->mu);
	/* Support is for outsiders: a member already has a role of their own. */
	if ((r = orgs_exists2(o, "SELECT 1 FROM org_members WHERE org=? AND user_id=? AND role!=0", org,
	    user_id)) != 0) {
		r = r == 1 ? ORGS_E_EXISTS : ORGS_E_IO;
		goto out;
	}
	if ((r = orgs_prep(o, "INSERT OR REPLACE INTO org_support(org, user_id, expires_us,"
	    " granted_by) VALUES(?,?,?,?)", &st)) != 0)
		goto out;
	orgs_bind_text(st, 1, org);
	orgs_bind_text(st, 2, user_id);
	sqlite3_bind_int64(st, 3, expires_us);
	orgs_bind_text(st, 4, by);
	r = orgs_step_write(st);
out:
	pthread_mutex_unlock(&o->mu);
	return r;
}

int
orgs_support_revoke(struct orgs *o, const char *org, const char *user_id)
{
	sqlite3_stmt *st = NULL;
	int r;

	pthread_mutex_lock(&o->mu);
	if ((r = orgs_prep(o, "DELETE FROM org_support WHERE org=? AND user_id=?", &st)) == 0) {
		orgs_bind_text(st, 1, org);
		orgs_bind_text(st, 2, user_id);
		if ((r = orgs_step_write(st)) == 0 && sqlite3_changes(o->db) == 0)
			r = ORGS_E_NOTFOUND;
	}
	pthread_mutex_unlock(&o->mu);
	return r;
}

int
orgs_support_end_all(struct orgs *o, int64_t now, orgs_user_fn cb, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int r, n = 0;

	pthread_mutex_lock(&o->mu);
	if ((r = orgs_prep(o, "SELECT org, user_id FROM org_support WHERE expires_us>?"
	    " ORDER BY org, user_id", &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, now);
	while (sqlite3_step(st) == SQLITE_ROW) {
		cb(ctx, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1));
		n++;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((r = orgs_prep(o, "DELETE FROM org_support", &st)) == 0) {
		r = orgs_step_write(st);        /* finalizes st */
		st = NULL;
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	return r == 0 ? n : r;
}

json_t *
orgs_support_json(struct orgs *o, const char *org, int64_t now)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array(), *e, *j = NULL;

	pthread_mutex_lock(&o->mu);
	if (arr == NULL || orgs_prep(o, "SELECT user_id, expires_us, granted_by FROM org_support"
	    " WHERE org=? AND expires_us>? ORDER BY expires_us", &st) != 0)
		goto out;
	orgs_bind_text(st, 1, org);
	sqlite3_bind_int64(st, 2, now);
	while (sqlite3_step(st) == SQLITE_ROW) {
		e = json_pack("{s:s,s:I,s:s}", "user_id", (const char *)sqlite3_column_text(st, 0),
		    "expires_us", (json_int_t)sqlite3_column_int64(st, 1), "granted_by",
		    (const char *)sqlite3_column_text(st, 2));
		if (e == NULL || json_array_append_new(arr, e) != 0)
			goto out;
	}
	j = json_pack("{s:O}", "grants", arr);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	json_decref(arr);
	return j;
}
