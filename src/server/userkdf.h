/* userkdf.h - each user's client-side Argon2id cost, returned by prelogin so the client derives the same keys. */
#ifndef VIGIL_SERVER_USERKDF_H
#define VIGIL_SERVER_USERKDF_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

/*
 * The client chooses the cost at registration and password change; the server keeps it
 * beside the salt (docs/design/accounts.md, Caveats: "the limits are not stored per user
 * yet"). Unknown usernames get the instance default, so a user who kept the default is
 * indistinguishable from no user at all.
 */
#define USERKDF_OPS_MAX 16ULL
#define USERKDF_MEM_MAX ((size_t)1 << 30)     /* 1 GiB */

#define USERKDF_ERR_IO (-1)
#define USERKDF_ERR_NOTFOUND (-2)

struct userkdf_params {
	unsigned long long ops;
	size_t mem;
};

struct userkdf;

/* Create the table in db (owned by the caller). 0 or USERKDF_ERR_IO. */
int userkdf_open(sqlite3 *db, struct userkdf **out);
void userkdf_close(struct userkdf *k);

/* 1 when p is within [floor, USERKDF_*_MAX], else 0. */
int userkdf_acceptable(const struct userkdf_params *p, const struct userkdf_params *floor);
/* Store (insert or replace) the cost of user id. 0 or USERKDF_ERR_IO. */
int userkdf_set(struct userkdf *k, const char *id, const struct userkdf_params *p);
/* The cost of user id: 0, USERKDF_ERR_NOTFOUND or USERKDF_ERR_IO. */
int userkdf_get(struct userkdf *k, const char *id, struct userkdf_params *p);

#endif
