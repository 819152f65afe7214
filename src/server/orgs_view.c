/* orgs_view.c - the JSON views of organizations: a user's orgs, one org, its keys for a member, its member list. */
#include <stdlib.h>
#include <string.h>
#include "common/util.h"
#include "server/accounts.h"
#include "server/orgs.h"
#include "server/orgs_int.h"

json_t *
orgs_list_json(struct orgs *o, const char *user_id, int64_t now)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array(), *e;
	char org[ORGS_ID_BUF];

	if (arr == NULL)
		return NULL;
	pthread_mutex_lock(&o->mu);
	if (orgs_prep(o, "SELECT m.org, o.name, m.role, 0 FROM org_members m JOIN orgs o"
	    " ON o.id=m.org WHERE m.user_id=? AND m.role!=0 UNION ALL"
	    " SELECT s.org, o.name, 5, s.expires_us FROM org_support s JOIN orgs o ON o.id=s.org"
	    " WHERE s.user_id=? AND s.expires_us>? AND NOT EXISTS (SELECT 1 FROM org_members m2"
	    " WHERE m2.org=s.org AND m2.user_id=s.user_id AND m2.role!=0)", &st) != 0)
		goto fail;
	orgs_bind_text(st, 1, user_id);
	orgs_bind_text(st, 2, user_id);
	sqlite3_bind_int64(st, 3, now);
	while (sqlite3_step(st) == SQLITE_ROW) {
		orgs_col_text(st, 0, org, sizeof(org));
		e = json_pack("{s:s,s:s,s:s}", "org", org, "name",
		    (const char *)sqlite3_column_text(st, 1),
		    "role", orgs_role_name((uint8_t)sqlite3_column_int(st, 2)));
		if (e != NULL && sqlite3_column_int(st, 2) == STMT_ROLE_SUPPORT)
			json_object_set_new(e, "expires_us", json_integer(sqlite3_column_int64(st, 3)));
		if (e == NULL || json_array_append_new(arr, e) != 0)
			goto fail;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	return json_pack("{s:o}", "orgs", arr);
fail:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	json_decref(arr);
	return NULL;
}

json_t *
orgs_info_json(struct orgs *o, const char *org, uint8_t role)
{
	sqlite3_stmt *st = NULL;
	json_t *j = NULL;
	char pk[2 * STMT_KEY_LEN + 1];

	pthread_mutex_lock(&o->mu);
	if (orgs_prep(o, "SELECT name, root_pk FROM orgs WHERE id=?", &st) == 0) {
		orgs_bind_text(st, 1, org);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 1) == STMT_KEY_LEN) {
			hex_encode(sqlite3_column_blob(st, 1), STMT_KEY_LEN, pk);
			j = json_pack("{s:s,s:s,s:s,s:s}", "org", org, "name",
			    (const char *)sqlite3_column_text(st, 0), "role", orgs_role_name(role),
			    "root_pk", pk);
		}
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	return j;
}

/* Append every raw statement of org, type (and subject when not NULL) to arr. */
static int
stmts_into(struct orgs *o, const char *org, int type, const char *subject, json_t *arr)
{
	sqlite3_stmt *st = NULL;
	json_t *h;
	int r = -1;

	if (orgs_prep(o, subject != NULL ?
	    "SELECT raw FROM org_stmts WHERE org=? AND type=? AND subject=? ORDER BY n" :
	    "SELECT raw FROM org_stmts WHERE org=? AND type=? ORDER BY n", &st) != 0)
		return -1;
	orgs_bind_text(st, 1, org);
	sqlite3_bind_int(st, 2, type);
	if (subject != NULL)
		orgs_bind_text(st, 3, subject);
	while (sqlite3_step(st) == SQLITE_ROW)
		if ((h = orgs_col_hex(st, 0)) == NULL || json_array_append_new(arr, h) != 0)
			goto out;
	r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

json_t *
orgs_keys_json(struct orgs *o, const char *org, const char *user_id, int with_sealed)
{
	sqlite3_stmt *st = NULL;
	json_t *j = NULL, *root = NULL, *sealed = NULL, *h;
	json_t *certs = json_array(), *epochs = json_array(), *grants = json_array();
	json_t *gws = json_array();

	pthread_mutex_lock(&o->mu);
	if (certs == NULL || epochs == NULL || grants == NULL || gws == NULL ||
	    orgs_prep(o, "SELECT root_stmt FROM orgs WHERE id=?", &st) != 0)
		goto out;
	orgs_bind_text(st, 1, org);
	if (sqlite3_step(st) != SQLITE_ROW || (root = orgs_col_hex(st, 0)) == NULL)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	if (stmts_into(o, org, STMT_ADMIN_CERT, NULL, certs) != 0 ||
	    stmts_into(o, org, STMT_CAMERA_EPOCH, NULL, epochs) != 0 ||
	    stmts_into(o, org, STMT_GRANT, user_id, grants) != 0)
		goto out;
	sealed = json_null();
	if (with_sealed) {
		if (orgs_prep(o, "SELECT sealed FROM org_sealed WHERE org=? AND user_id=?", &st) != 0)
			goto out;
		orgs_bind_text(st, 1, org);
		orgs_bind_text(st, 2, user_id);
		if (sqlite3_step(st) == SQLITE_ROW) {
			json_decref(sealed);
			if ((sealed = orgs_col_hex(st, 0)) == NULL)
				goto out;
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	/* The gateways the org root certified: the only keys whose footage viewers accept. */
	if (orgs_prep(o, "SELECT cert FROM org_gateways WHERE org=? ORDER BY enrolled_us", &st) != 0)
		goto out;
	orgs_bind_text(st, 1, org);
	while (sqlite3_step(st) == SQLITE_ROW)
		if ((h = orgs_col_hex(st, 0)) == NULL || json_array_append_new(gws, h) != 0)
			goto out;
	j = json_pack("{s:O,s:O,s:O,s:O,s:O,s:O}", "org_root", root, "admin_certs", certs, "epochs",
	    epochs, "grants", grants, "sealed_root", sealed, "gateway_certs", gws);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	json_decref(root);
	json_decref(sealed);
	json_decref(certs);
	json_decref(epochs);
	json_decref(grants);
	json_decref(gws);
	return j;
}

/* Scope blob to an array of hex ids. */
static json_t *
scope_json(const uint8_t *p, int n)
{
	json_t *arr = json_array();
	char h[ORGS_SID_BUF];
	int i;

	for (i = 0; arr != NULL && p != NULL && i + STMT_ID_LEN <= n; i += STMT_ID_LEN) {
		hex_encode(p + i, STMT_ID_LEN, h);
		json_array_append_new(arr, json_string(h));
	}
	return arr;
}

json_t *
orgs_members_json(struct orgs *o, const char *org, int64_t now)
{
	struct accounts_user *u = malloc(sizeof(struct accounts_user));
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array(), *e, *j = NULL;
	char uid[ORGS_SID_BUF];

	pthread_mutex_lock(&o->mu);
	if (u == NULL || arr == NULL || orgs_prep(o, "SELECT user_id, role, scope, sign_pk, box_pk,"
	    " stmt, 0 FROM org_members WHERE org=? AND role!=0 UNION ALL SELECT user_id, 5, NULL,"
	    " NULL, NULL, NULL, expires_us FROM org_support WHERE org=? AND expires_us>?", &st) != 0)
		goto out;
	orgs_bind_text(st, 1, org);
	orgs_bind_text(st, 2, org);
	sqlite3_bind_int64(st, 3, now);
	while (sqlite3_step(st) == SQLITE_ROW) {
		orgs_col_text(st, 0, uid, sizeof(uid));
		e = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o}", "user_id", uid, "username",
		    accounts_get(o->acc, uid, u) == 0 ? u->username : "",
		    "role", orgs_role_name((uint8_t)sqlite3_column_int(st, 1)),
		    "scope", scope_json(sqlite3_column_blob(st, 2), sqlite3_column_bytes(st, 2)),
		    "sign_pk", orgs_col_hex(st, 3), "box_pk", orgs_col_hex(st, 4),
		    "stmt", orgs_col_hex(st, 5));
		if (e != NULL && sqlite3_column_int(st, 1) == STMT_ROLE_SUPPORT)
			json_object_set_new(e, "expires_us", json_integer(sqlite3_column_int64(st, 6)));
		if (e == NULL || json_array_append_new(arr, e) != 0)
			goto out;
	}
	j = json_pack("{s:O}", "members", arr);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&o->mu);
	json_decref(arr);
	free(u);
	return j;
}
