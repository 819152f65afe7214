/* demoorg.h - `vigil demo --org`: provisions the demo through the real org flows (owner account with TOTP, org, site, enrolled gateway, signed cameras). */
#ifndef VIGIL_CLI_DEMOORG_H
#define VIGIL_CLI_DEMOORG_H

#include <limits.h>
#include <stddef.h>

struct demoorg {
	char dir[PATH_MAX];        /* base/org: everything of this mode */
	char session[PATH_MAX];    /* owner's session cookie file */
	char pins[PATH_MAX];       /* pin-dir */
	char pwfile[PATH_MAX];     /* the owner's generated password (0600) */
	char gwdir[PATH_MAX];      /* the enrolled gateway: gateway.json, key, org.pin */
	char org[65];
	char safety[48];
	char gateway[65];
	char totp[64];             /* the owner's TOTP secret (base32), for demo.json */
	char password[64];         /* the owner's generated password, for demo.json */
};

/* Under base/org (which must not exist yet): make the owner account (random password,
 * exported as $VIGIL_PASSWORD for the children), log in, enable TOTP, create the org, a
 * site, enroll a gateway with vigil-gateway enroll, and add cam1..camN at
 * rtsp://127.0.0.1:PORT/camI/main (and /sub when with_sub). self: this vigil binary.
 * Prints progress to stderr. 0 or -1. */
int demoorg_setup(struct demoorg *o, const char *self, const char *bin_dir, const char *base,
    const char *server_url, const char *admin_token, const char *rtsp_port, unsigned ncam,
    int with_sub);

/* Waits until the server lists at least ncam of the org's cameras with stream (0 main, 1
 * substream) recorded, polling with the owner's session every 250 ms for up to timeout_ms,
 * so that a console opened on the printed URL plays what it will keep playing. 0, or -1 on
 * timeout or error. */
int demoorg_wait_recording(const struct demoorg *o, const char *url, unsigned ncam, int stream,
    int timeout_ms);

#endif
