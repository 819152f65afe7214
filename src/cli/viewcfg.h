/* viewcfg.h - where a viewer command gets its server, token and keys: demo.json or explicit flags. */
#ifndef VIGIL_CLI_VIEWCFG_H
#define VIGIL_CLI_VIEWCFG_H

#include <stddef.h>
#include "cli/keysfile.h"

#define VIEWCFG_URL_MAX 1024
#define VIEWCFG_TOKEN_MAX 256
#define VIEWCFG_DEMO_MAX (1024u * 1024u)

struct viewcfg {
	char server[VIEWCFG_URL_MAX];
	char token[VIEWCFG_TOKEN_MAX];   /* secret: wiped by viewcfg_clear */
	struct keysfile *keys;
};

/* Fill v either from demo (a demo.json path) or from server + token_file + keys; giving
 * both, or neither, is an error. 0, or -1 with a reason in err. */
int viewcfg_load(struct viewcfg *v, const char *demo, const char *server,
    const char *token_file, const char *keys, char *err, size_t errlen);
/* Parse demo.json bytes (server, admin_token, keys_file); what names it in errors. */
int viewcfg_parse_demo(const char *json, size_t len, const char *what, char *server,
    size_t serverlen, char *token, size_t tokenlen, char *keys, size_t keyslen, char *err,
    size_t errlen);
/* Read a token file: one line of 1..VIEWCFG_TOKEN_MAX-1 printable characters. 0 or -1. */
int viewcfg_read_token(const char *path, char *token, size_t n, char *err, size_t errlen);
/* Free the keys and wipe the token. */
void viewcfg_clear(struct viewcfg *v);

#endif
