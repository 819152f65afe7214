/* buf.c - bounded byte buffers and a reading cursor. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/buf.h"

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	if (b->data != NULL) {
		sodium_memzero(b->data, b->cap);
		free(b->data);
	}
	b->data = NULL;
	b->len = b->cap = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
}

int
buf_reserve(struct buf *b, size_t n)
{
	size_t need, ncap;
	uint8_t *p;

	if (n > b->max || b->len > b->max - n)
		return -1;
	need = b->len + n;
	if (need <= b->cap)
		return 0;
	ncap = b->cap < 256 ? 256 : b->cap;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if (ncap > b->max)
		ncap = b->max;
	/* Not realloc: a block it moves would leave its old copy in freed memory, and a buf
	 * may hold keys or plaintext video (buf_free wipes for the same reason). */
	if ((p = malloc(ncap)) == NULL)
		return -1;
	if (b->data != NULL) {
		memcpy(p, b->data, b->len);
		sodium_memzero(b->data, b->cap);
		free(b->data);
	}
	b->data = p;
	b->cap = ncap;
	return 0;
}

int
buf_put(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (buf_reserve(b, n) != 0)
		return -1;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int
buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_put(b, &v, 1);
}

int
buf_put_u16(struct buf *b, uint16_t v)
{
	uint8_t p[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return buf_put(b, p, 2);
}

int
buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t p[4];

	be_put32(p, v);
	return buf_put(b, p, 4);
}

int
buf_put_u64(struct buf *b, uint64_t v)
{
	uint8_t p[8];

	be_put64(p, v);
	return buf_put(b, p, 8);
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

void
cur_init(struct cur *c, const void *p, size_t n)
{
	c->p = p;
	c->left = n;
	c->bad = 0;
}

int
cur_ref(struct cur *c, const uint8_t **p, size_t n)
{
	if (c->bad || n > c->left) {
		c->bad = 1;
		*p = NULL;
		return -1;
	}
	*p = c->p;
	c->p += n;
	c->left -= n;
	return 0;
}

int
cur_get(struct cur *c, void *out, size_t n)
{
	const uint8_t *p;

	if (cur_ref(c, &p, n) != 0) {
		memset(out, 0, n);
		return -1;
	}
	if (n > 0)
		memcpy(out, p, n);
	return 0;
}

int
cur_get_u8(struct cur *c, uint8_t *v)
{
	return cur_get(c, v, 1);
}

int
cur_get_u16(struct cur *c, uint16_t *v)
{
	uint8_t p[2];
	int r = cur_get(c, p, 2);

	*v = (uint16_t)((p[0] << 8) | p[1]);
	return r;
}

int
cur_get_u32(struct cur *c, uint32_t *v)
{
	uint8_t p[4];
	int r = cur_get(c, p, 4);

	*v = be_get32(p);
	return r;
}

int
cur_get_u64(struct cur *c, uint64_t *v)
{
	uint8_t p[8];
	int r = cur_get(c, p, 8);

	*v = be_get64(p);
	return r;
}

int
cur_ok(const struct cur *c)
{
	return c->bad ? -1 : 0;
}

void
be_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void
be_put64(uint8_t *p, uint64_t v)
{
	be_put32(p, (uint32_t)(v >> 32));
	be_put32(p + 4, (uint32_t)v);
}

uint32_t
be_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

uint64_t
be_get64(const uint8_t *p)
{
	return ((uint64_t)be_get32(p) << 32) | be_get32(p + 4);
}
