/* passpolicy.c - password length, encoding and common-password checks over a sorted in-memory list. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/passpolicy.h"
#include "common/util.h"

struct passpolicy {
	char *blob;      /* the file, lines NUL-terminated in place */
	char **words;    /* sorted, distinct */
	size_t n;
};

long
passpolicy_utf8_count(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	long n = 0;

	while (i < len) {
		unsigned c = p[i];
		uint32_t cp;
		size_t k, j;

		if (c == 0)
			return -1;
		if (c < 0x80) {
			i++, n++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3, cp = c & 0x07;
		else
			return -1;
		if (len - i <= k)
			return -1;
		for (j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
		i += k + 1, n++;
	}
	return n;
}

static int
word_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
fold(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
}

int
passpolicy_open(const char *path, struct passpolicy **out)
{
	struct passpolicy *p = NULL;
	struct buf b;
	size_t i, lines = 0, start, w;
	int r = PASSPOLICY_ERR_IO;

	*out = NULL;
	buf_init(&b, PASSPOLICY_LIST_MAX);
	if (file_read(path, &b, PASSPOLICY_LIST_MAX) != 0 || buf_put_u8(&b, '\n') != 0)
		goto out;
	for (i = 0; i < b.len; i++)
		if (b.data[i] == '\n')
			lines++;
	if ((p = calloc(1, sizeof(*p))) == NULL || (p->blob = malloc(b.len)) == NULL ||
	    (p->words = calloc(lines, sizeof(char *))) == NULL)
		goto out;
	memcpy(p->blob, b.data, b.len);
	for (i = 0, start = 0; i < b.len; i++) {
		size_t end;

		if (p->blob[i] != '\n')
			continue;
		end = i;
		if (end > start && p->blob[end - 1] == '\r')
			end--;
		p->blob[end] = '\0';
		p->blob[i] = '\0';
		if (end > start && p->blob[start] != '#' &&
		    memchr(p->blob + start, '\0', end - start) == NULL) {
			fold(p->blob + start, end - start);
			p->words[p->n++] = p->blob + start;
		}
		start = i + 1;
	}
	qsort(p->words, p->n, sizeof(char *), word_cmp);
	for (i = 0, w = 0; i < p->n; i++)
		if (w == 0 || strcmp(p->words[w - 1], p->words[i]) != 0)
			p->words[w++] = p->words[i];
	p->n = w;
	*out = p;
	p = NULL;
	r = 0;
out:
	buf_free(&b);
	passpolicy_close(p);
	return r;
}

void
passpolicy_close(struct passpolicy *p)
{
	if (p == NULL)
		return;
	free(p->words);
	free(p->blob);
	free(p);
}

size_t
passpolicy_count(const struct passpolicy *p)
{
	return p == NULL ? 0 : p->n;
}

int
passpolicy_check(const struct passpolicy *p, const char *pw, size_t len)
{
	char low[PASSPOLICY_MAX_BYTES + 1];
	const char *key = low;
	long n;
	int r;

	if (pw == NULL)
		return PASSPOLICY_ERR_UTF8;
	if (len > PASSPOLICY_MAX_BYTES)
		return PASSPOLICY_ERR_LONG;
	if ((n = passpolicy_utf8_count(pw, len)) < 0)
		return PASSPOLICY_ERR_UTF8;
	if (n < PASSPOLICY_MIN_CHARS)
		return PASSPOLICY_ERR_SHORT;
	if (p == NULL || p->n == 0)
		return 0;
	memcpy(low, pw, len);
	low[len] = '\0';
	fold(low, len);
	r = bsearch(&key, p->words, p->n, sizeof(char *), word_cmp) != NULL ?
	    PASSPOLICY_ERR_COMMON : 0;
	sodium_memzero(low, sizeof(low));
	return r;
}

const char *
passpolicy_strerror(int err)
{
	switch (err) {
	case 0:
		return "password accepted";
	case PASSPOLICY_ERR_IO:
		return "the common-password list could not be read";
	case PASSPOLICY_ERR_UTF8:
		return "password is not valid UTF-8 text";
	case PASSPOLICY_ERR_SHORT:
		return "password must be at least 12 characters long";
	case PASSPOLICY_ERR_LONG:
		return "password must be at most 1024 bytes long";
	case PASSPOLICY_ERR_COMMON:
		return "password is too common; choose a longer or less predictable one";
	default:
		return "password refused";
	}
}
