/* server.h - the server context shared by the HTTP layer, handlers and background threads. */
#ifndef VIGIL_SERVER_SERVER_H
#define VIGIL_SERVER_SERVER_H

#include <stdint.h>
#include "server/retention.h"

struct index;
struct store;
struct relay;
struct auth;
struct blobpool;
struct syncer;
struct identity;
struct webhook;
struct shares;

struct server {
	struct index *ix;
	struct store *st;
	struct relay *rl;
	struct auth *au;
	struct blobpool *bp;
	struct syncer *sy;     /* group commit of ingested links */
	int64_t retention_s;   /* default maximum age of links; 0 keeps them */
	uint64_t quota_bytes;  /* 0: no quota */
	int64_t quota_grace_s; /* an org quota below its usage applies this long after it is set */
	struct identity *idn;  /* accounts, sessions, throttle, audit (identity.h) */
	const char *data_dir;  /* --data (metrics: free space) */
	struct webhook *wh;    /* organizations' webhook outbox (webhook.h) */
	struct shares *sh;     /* share links (shares.h) */
	int test_operator_footage; /* tests on loopback: the admin token reads footage routes */
	char metrics_allow[64]; /* --metrics-allow: a peer address that may read /metrics ("" none) */
	struct events_cycle ev_cycle; /* retention.c's events expiry, between passes */
};

#endif
