/* buf.h - bounded byte buffers and a reading cursor, the only way Vigil touches untrusted bytes. */
#ifndef VIGIL_BUF_H
#define VIGIL_BUF_H

#include <stddef.h>
#include <stdint.h>

/* A growable buffer that never grows past its named maximum. */
struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max;
};

/* Initialise an empty buffer that may grow to at most max bytes. */
void buf_init(struct buf *b, size_t max);
/* Free the storage (wiped first) and reset; NULL-safe. Growing wipes the old block too. */
void buf_free(struct buf *b);
/* Drop the contents, keep the storage. */
void buf_reset(struct buf *b);
/* Make room for n more bytes. 0, or -1 when that would pass max or memory is short. */
int buf_reserve(struct buf *b, size_t n);
/* Append; 0 or -1 (max reached, nothing appended). */
int buf_put(struct buf *b, const void *p, size_t n);
int buf_put_u8(struct buf *b, uint8_t v);
int buf_put_u16(struct buf *b, uint16_t v);
int buf_put_u32(struct buf *b, uint32_t v);
int buf_put_u64(struct buf *b, uint64_t v);
/* Remove the first n bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);

/* A read cursor over borrowed bytes. Every get fails (returns -1) once the cursor has
 * run short, and it stays failed: callers may read a whole structure and check once. */
struct cur {
	const uint8_t *p;
	size_t left;
	int bad;
};

void cur_init(struct cur *c, const void *p, size_t n);
int cur_get(struct cur *c, void *out, size_t n);
int cur_get_u8(struct cur *c, uint8_t *v);
int cur_get_u16(struct cur *c, uint16_t *v);
int cur_get_u32(struct cur *c, uint32_t *v);
int cur_get_u64(struct cur *c, uint64_t *v);
/* Point *p at the next n bytes without copying. */
int cur_ref(struct cur *c, const uint8_t **p, size_t n);
/* 0 when the cursor never ran short, -1 otherwise. */
int cur_ok(const struct cur *c);

/* Big-endian helpers for fixed layouts. */
void be_put32(uint8_t *p, uint32_t v);
void be_put64(uint8_t *p, uint64_t v);
uint32_t be_get32(const uint8_t *p);
uint64_t be_get64(const uint8_t *p);

#endif
