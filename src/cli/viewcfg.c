/* viewcfg.c - loading a viewer's server URL, bearer token and keys from demo.json or flags. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>
#include "cli/jsonv.h"
#include "cli/viewcfg.h"
#include "common/util.h"

/* A bearer token as sent on the wire: printable ASCII without spaces. */
static int
token_ok(const char *t, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (t[i] <= ' ' || t[i] > '~')
			return 0;
	return 1;
}

static int
url_ok(const char *u)
{
	return strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0;
}

int
viewcfg_read_token(const char *path, char *token, size_t n, char *err, size_t errlen)
{
	struct buf b;
	size_t len;
	int ret = -1;

	buf_init(&b, 4096);
	if (file_read(path, &b, 4096) != 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	len = b.len;
	while (len > 0 && (b.data[len - 1] == '\n' || b.data[len - 1] == '\r' ||
	    b.data[len - 1] == ' '))
		len--;
	if (len == 0 || len >= n || !token_ok((const char *)b.data, len)) {
		snprintf(err, errlen, "%s: want one line with a token of 1..%zu printable "
		    "characters", path, n - 1);
		goto out;
	}
	memcpy(token, b.data, len);
	token[len] = '\0';
	ret = 0;
out:
	buf_free(&b);
	return ret;
}

int
viewcfg_parse_demo(const char *json, size_t len, const char *what, char *server,
    size_t serverlen, char *token, size_t tokenlen, char *keys, size_t keyslen, char *err,
    size_t errlen)
{
	json_t *root;
	json_error_t je;
	const char *s, *t, *k;
	int ret = -1;

	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		snprintf(err, errlen, "%s: not valid JSON (line %d: %s)", what, je.line, je.text);
		return -1;
	}
	if (jsonv_str(root, "server", serverlen - 1, &s, what, err, errlen) != 0 ||
	    jsonv_str(root, "admin_token", tokenlen - 1, &t, what, err, errlen) != 0 ||
	    jsonv_str(root, "keys_file", keyslen - 1, &k, what, err, errlen) != 0)
		goto out;
	if (!url_ok(s)) {
		snprintf(err, errlen, "%s.server: want an http:// or https:// URL", what);
		goto out;
	}
	if (!token_ok(t, strlen(t))) {
		snprintf(err, errlen, "%s.admin_token: not a printable token", what);
		goto out;
	}
	snprintf(server, serverlen, "%s", s);
	snprintf(token, tokenlen, "%s", t);
	snprintf(keys, keyslen, "%s", k);
	ret = 0;
out:
	json_decref(root);
	return ret;
}

int
viewcfg_load(struct viewcfg *v, const char *demo, const char *server,
    const char *token_file, const char *keys, char *err, size_t errlen)
{
	char keyspath[4096];
	struct buf b;
	int ret = -1;

	memset(v, 0, sizeof(*v));
	buf_init(&b, VIEWCFG_DEMO_MAX);
	if (demo != NULL && (server != NULL || token_file != NULL || keys != NULL)) {
		snprintf(err, errlen, "give either --demo or --server/--token-file/--keys, not both");
		goto out;
	}
	if (demo != NULL) {
		if (file_read(demo, &b, VIEWCFG_DEMO_MAX) != 0) {
			snprintf(err, errlen, "%s: cannot read: %s", demo, strerror(errno));
			goto out;
		}
		if (viewcfg_parse_demo((const char *)b.data, b.len, demo, v->server,
		    sizeof(v->server), v->token, sizeof(v->token), keyspath, sizeof(keyspath),
		    err, errlen) != 0)
			goto out;
	} else {
		if (server == NULL || token_file == NULL || keys == NULL) {
			snprintf(err, errlen, "give --demo FILE, or all of --server URL "
			    "--token-file FILE --keys FILE");
			goto out;
		}
		if (!url_ok(server) || strlen(server) >= sizeof(v->server)) {
			snprintf(err, errlen, "--server: want an http:// or https:// URL");
			goto out;
		}
		snprintf(v->server, sizeof(v->server), "%s", server);
		if (viewcfg_read_token(token_file, v->token, sizeof(v->token), err, errlen) != 0)
			goto out;
		if (strlen(keys) >= sizeof(keyspath)) {
			snprintf(err, errlen, "--keys: path too long");
			goto out;
		}
		snprintf(keyspath, sizeof(keyspath), "%s", keys);
	}
	if (keysfile_load(keyspath, &v->keys, err, errlen) != 0)
		goto out;
	ret = 0;
out:
	buf_free(&b);
	if (ret != 0)
		viewcfg_clear(v);
	return ret;
}

void
viewcfg_clear(struct viewcfg *v)
{
	keysfile_free(v->keys);
	v->keys = NULL;
	sodium_memzero(v->token, sizeof(v->token));
}
