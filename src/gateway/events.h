/* events.h - motion events to the server: payload sealed to the camera's epoch key, posted with the gateway's session, queued and retried. */
#ifndef VIGIL_GATEWAY_EVENTS_H
#define VIGIL_GATEWAY_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"
#include "common/segment.h"

#define EVENT_ID_BYTES 16
/* At most this many events wait for the server; beyond it the oldest is dropped. */
#define EVENTS_QUEUE_MAX 256
/* Largest plaintext payload (metadata + JPEG) and sealed payload the server takes. */
#define EVENTS_PLAIN_MAX (30u * 1024u - 48u)
#define EVENTS_META_MAX 2048
#define EVENTS_RETRY_MIN_MS 500
#define EVENTS_RETRY_MAX_MS 30000

/* What the server may see of an event, plus the sealed rest. */
struct events_meta {
	uint8_t id[EVENT_ID_BYTES];
	uint8_t camera_id[CAMERA_ID_LEN];
	int64_t start_us;
	int64_t end_us;       /* 0 while open */
	int64_t peak_us;
	uint32_t peak_score;  /* per-mille */
	uint32_t epoch;
};

/* The signed payload's first bytes, and what its signature covers before the body. */
#define EVENTS_MAGIC "VEV2"
#define EVENTS_SIG_DOMAIN "vigil/event/v2"
/* magic, gateway public key, signature */
#define EVENTS_HEAD_LEN (4u + GATEWAY_ID_LEN + SIG_LEN)

/* Build the sealed payload: plaintext = "VEV2" | gateway Ed25519 public key (32) |
 * signature (64) | body, body = u32 BE length of the metadata JSON | JSON
 * {"v":2,"id","camera","start_us","end_us","peak_us","peak_score","epoch","zones":[..]} |
 * JPEG (may be empty); the signature is the gateway's (sk) over EVENTS_SIG_DOMAIN | body.
 * Sealed with crypto_box_seal to epoch_pk: anyone holding the epoch public key (the
 * server) could seal a payload, so only the signature says a gateway made it. zones:
 * nzones names. out is reset first. 0 or -1 (too large, sealing failed). */
int events_seal(const struct events_meta *m, const char *const *zones, size_t nzones,
    const uint8_t *jpeg, size_t jpeg_len, const uint8_t epoch_pk[EPOCH_PK_LEN],
    const uint8_t sk[GATEWAY_SK_LEN], struct buf *out);
/* The viewer's side: open a sealed payload with the epoch keypair and check its signature
 * against the public key it names, copied to gateway_pk (the caller checks it is a gateway
 * it trusts). json (NUL-terminated) and jpeg receive copies (jpeg may end up empty). 0 or
 * -1 (wrong key, unsigned or badly signed, malformed). */
int events_unseal(const uint8_t *sealed, size_t n, const uint8_t epoch_pk[EPOCH_PK_LEN],
    const uint8_t epoch_sk[EPOCH_PK_LEN], uint8_t gateway_pk[GATEWAY_ID_LEN], struct buf *json,
    struct buf *jpeg);

struct events_sender;

/* Start the sending thread for server_url (copied) authenticating with sk (copied,
 * wiped on stop). The first sender started becomes events_default(). NULL on error. */
struct events_sender *events_start(const char *server_url, const uint8_t sk[GATEWAY_SK_LEN]);
/* The process's sender, or NULL when none runs (then events are only logged). */
struct events_sender *events_default(void);
/* Queue an event (or a newer version of a queued one: same id replaces it) for posting.
 * Copies sealed. 0 or -1 (no memory). */
int events_submit(struct events_sender *s, const struct events_meta *m, const uint8_t *sealed,
    size_t n);
/* Events waiting to be posted. */
size_t events_pending(struct events_sender *s);
/* Stop (tries queued events once more for up to 2 s), join, free. NULL-safe. */
void events_stop(struct events_sender *s);

#endif
