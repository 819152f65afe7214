/* index_retention.c - reads a camera's own retention setting from the SQLite index (the organization's retention view, h_orgretention.c). */
#include <pthread.h>
#include <sqlite3.h>
#include "common/util.h"
#include "server/index.h"
#include "server/index_int.h"

int
index_camera_retention(struct index *ix, const uint8_t cam[CAMERA_ID_LEN], int64_t *max_age_s)
{
	char hex[2 * CAMERA_ID_LEN + 1];
	sqlite3_stmt *st = NULL;
	int r, rc;

	*max_age_s = 0;
	hex_encode(cam, CAMERA_ID_LEN, hex);
	pthread_mutex_lock(&ix->mu);
	if (sqlite3_prepare_v2(ix->db, "SELECT max_age_s FROM cameras WHERE id = ?", -1, &st,
	    NULL) != SQLITE_OK) {
		log_err("index", "op=prepare err=\"%s\"", sqlite3_errmsg(ix->db));
		r = INDEX_E_IO;
		goto out;
	}
	sqlite3_bind_text(st, 1, hex, 2 * CAMERA_ID_LEN, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = INDEX_E_NOTFOUND;
	} else if (rc != SQLITE_ROW) {
		log_err("index", "op=camera_retention err=\"%s\"", sqlite3_errmsg(ix->db));
		r = INDEX_E_IO;
	} else if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
		r = 0;
	} else {
		*max_age_s = sqlite3_column_int64(st, 0);
		r = 1;
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ix->mu);
	return r;
}
