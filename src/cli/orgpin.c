/* orgpin.c - pinned org roots and seen-seq marks in small 0600 JSON files, and invitation secret files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include <sodium.h>
#include "cli/orgpin.h"
#include "common/util.h"

#define INVITE_MAX (64u * 1024u)

/* Free a json_dumps() result with jansson's allocator (it may be the wiping one). */
static void
text_free(char *s)
{
	json_malloc_t m;
	json_free_t f;

	if (s == NULL)
		return;
	json_get_alloc_funcs(&m, &f);
	f(s);
}

int
orgpin_dir(const char *given, char *out, size_t outsz)
{
	const char *home;
	int n;

	if (given != NULL)
		n = snprintf(out, outsz, "%s", given);
	else if ((home = getenv("HOME")) != NULL && home[0] == '/')
		n = snprintf(out, outsz, "%s/.config/vigil", home);
	else
		return -1;
	return n > 0 && (size_t)n < outsz ? 0 : -1;
}

static int
pin_path(const char *dir, const uint8_t org_id[STMT_ORG_ID_LEN], char *out, size_t outsz)
{
	char hex[2 * STMT_ORG_ID_LEN + 1];
	int n;

	hex_encode(org_id, STMT_ORG_ID_LEN, hex);
	n = snprintf(out, outsz, "%s/orgs/%s.pin", dir, hex);
	return n > 0 && (size_t)n < outsz ? 0 : -1;
}

void
orgpin_init(struct orgpin *p, const uint8_t root_pk[STMT_KEY_LEN])
{
	memset(p, 0, sizeof(*p));
	memcpy(p->root_pk, root_pk, STMT_KEY_LEN);
	statement_org_id(root_pk, p->org_id);
	p->dirty = 1;
}

int
orgpin_parse(const char *json, size_t len, const uint8_t org_id[STMT_ORG_ID_LEN],
    struct orgpin *p)
{
	json_t *j = NULL, *seen, *v;
	const char *rk, *key;
	uint8_t root[STMT_KEY_LEN], oid[STMT_ORG_ID_LEN];
	int r = -1;

	memset(p, 0, sizeof(*p));
	if ((j = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(j))
		goto out;
	rk = json_string_value(json_object_get(j, "root_pk"));
	if (rk == NULL || strlen(rk) != 2 * STMT_KEY_LEN || hex_decode(rk, root, sizeof(root)) != 0)
		goto out;
	statement_org_id(root, oid);
	if (sodium_memcmp(oid, org_id, sizeof(oid)) != 0)
		goto out;
	orgpin_init(p, root);
	p->dirty = 0;
	seen = json_object_get(j, "seen");
	if (seen != NULL && !json_is_object(seen))
		goto out;
	json_object_foreach(seen, key, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 || strlen(key) >= sizeof(p->seen[0].key) ||
		    p->nseen >= ORGPIN_SEEN_MAX)
			goto out;
		memcpy(p->seen[p->nseen].key, key, strlen(key) + 1);
		p->seen[p->nseen].val = (uint64_t)json_integer_value(v);
		p->nseen++;
	}
	r = 0;
out:
	json_decref(j);
	if (r != 0)
		memset(p, 0, sizeof(*p));
	return r;
}

int
orgpin_load(const char *dir, const uint8_t org_id[STMT_ORG_ID_LEN], struct orgpin *p)
{
	char path[ORGPIN_PATH_MAX];
	struct buf b;
	int r = -1;

	memset(p, 0, sizeof(*p));
	buf_init(&b, ORGPIN_FILE_MAX);
	if (pin_path(dir, org_id, path, sizeof(path)) != 0)
		goto out;
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		r = 1;
		goto out;
	}
	if (file_read(path, &b, ORGPIN_FILE_MAX) != 0)
		goto out;
	r = orgpin_parse((const char *)b.data, b.len, org_id, p);
out:
	buf_free(&b);
	return r;
}

int
orgpin_save(const char *dir, const struct orgpin *p)
{
	char path[ORGPIN_PATH_MAX], sub[ORGPIN_PATH_MAX], hex[2 * STMT_KEY_LEN + 1];
	json_t *j = NULL, *seen = NULL;
	char *text = NULL;
	size_t i;
	int r = -1;

	if (pin_path(dir, p->org_id, path, sizeof(path)) != 0 ||
	    snprintf(sub, sizeof(sub), "%s/orgs", dir) >= (int)sizeof(sub) || mkdir_p(sub, 0700) != 0)
		goto out;
	hex_encode(p->root_pk, STMT_KEY_LEN, hex);
	if ((seen = json_object()) == NULL)
		goto out;
	for (i = 0; i < p->nseen; i++)
		if (json_object_set_new(seen, p->seen[i].key, json_integer((json_int_t)p->seen[i].val)) != 0)
			goto out;
	if ((j = json_pack("{s:s,s:O}", "root_pk", hex, "seen", seen)) == NULL ||
	    (text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		goto out;
	r = file_write_atomic(path, text, strlen(text), 0600);
out:
	text_free(text);
	json_decref(seen);
	json_decref(j);
	return r;
}

uint64_t
orgpin_seen(const struct orgpin *p, const char *key)
{
	size_t i;

	for (i = 0; i < p->nseen; i++)
		if (strcmp(p->seen[i].key, key) == 0)
			return p->seen[i].val;
	return 0;
}

int
orgpin_see(struct orgpin *p, const char *key, uint64_t val)
{
	size_t i;

	if (strlen(key) >= sizeof(p->seen[0].key))
		return -1;
	for (i = 0; i < p->nseen; i++)
		if (strcmp(p->seen[i].key, key) == 0) {
			if (val > p->seen[i].val) {
				p->seen[i].val = val;
				p->dirty = 1;
			}
			return 0;
		}
	if (p->nseen >= ORGPIN_SEEN_MAX)
		return -1;
	memcpy(p->seen[p->nseen].key, key, strlen(key) + 1);
	p->seen[p->nseen].val = val;
	p->nseen++;
	p->dirty = 1;
	return 0;
}

static int
invite_path(const char *dir, const char *id_hex, char *out, size_t outsz)
{
	size_t i;
	int n;

	if (strlen(id_hex) != 32)
		return -1;
	for (i = 0; i < 32; i++)
		if (!((id_hex[i] >= '0' && id_hex[i] <= '9') || (id_hex[i] >= 'a' && id_hex[i] <= 'f')))
			return -1;
	n = snprintf(out, outsz, "%s/invites/%s.json", dir, id_hex);
	return n > 0 && (size_t)n < outsz ? 0 : -1;
}

int
orgpin_invite_save(const char *dir, const char *id_hex, const char *json)
{
	char path[ORGPIN_PATH_MAX], sub[ORGPIN_PATH_MAX];

	if (invite_path(dir, id_hex, path, sizeof(path)) != 0 ||
	    snprintf(sub, sizeof(sub), "%s/invites", dir) >= (int)sizeof(sub) || mkdir_p(sub, 0700) != 0)
		return -1;
	return file_write_atomic(path, json, strlen(json), 0600);
}

int
orgpin_invite_load(const char *dir, const char *id_hex, struct buf *b)
{
	char path[ORGPIN_PATH_MAX];

	if (invite_path(dir, id_hex, path, sizeof(path)) != 0)
		return -1;
	return file_read(path, b, INVITE_MAX);
}

int
orgpin_invite_wipe(const char *dir, const char *id_hex)
{
	char path[ORGPIN_PATH_MAX];
	uint8_t zero[512];
	off_t size, done = 0;
	int fd, r = -1;

	if (invite_path(dir, id_hex, path, sizeof(path)) != 0)
		return -1;
	memset(zero, 0, sizeof(zero));
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -1;
	size = lseek(fd, 0, SEEK_END);
	if (size < 0 || lseek(fd, 0, SEEK_SET) != 0)
		goto out;
	while (done < size) {
		size_t n = (size - done) > (off_t)sizeof(zero) ? sizeof(zero) : (size_t)(size - done);
		ssize_t w = write(fd, zero, n);

		if (w <= 0)
			goto out;
		done += w;
	}
	if (fsync(fd) != 0)
		goto out;
	r = 0;
out:
	close(fd);
	if (unlink(path) != 0)
		r = -1;
	return r;
}
