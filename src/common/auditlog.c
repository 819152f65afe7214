/* auditlog.c - audit log lines: neutralizing echoed input, canonical entries, signed checkpoints, verification. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/auditlog.h"
#include "common/util.h"

#define CKPT_DOMAIN "vigil-audit-ckpt-v1"
#define HEX_HASH_LEN (2 * AUDITLOG_HASH_LEN)

/* ---- neutralizing ---- */

/* Decode one strict UTF-8 sequence at p[0..n). Returns its length and the code point in
 * *cp, or 0 when p[0] does not start a valid sequence. */
static size_t
utf8_decode(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint8_t b = p[0], lo = 0x80, hi = 0xBF;
	size_t len, i;
	uint32_t c;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xC2 && b <= 0xDF) {
		len = 2;
		c = b & 0x1F;
	} else if (b >= 0xE0 && b <= 0xEF) {
		len = 3;
		c = b & 0x0F;
		if (b == 0xE0)
			lo = 0xA0;
		else if (b == 0xED)
			hi = 0x9F;	/* no surrogates */
	} else if (b >= 0xF0 && b <= 0xF4) {
		len = 4;
		c = b & 0x07;
		if (b == 0xF0)
			lo = 0x90;
		else if (b == 0xF4)
			hi = 0x8F;	/* nothing past U+10FFFF */
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		uint8_t cb = p[i];

		if (i == 1 ? (cb < lo || cb > hi) : (cb < 0x80 || cb > 0xBF))
			return 0;
		c = (c << 6) | (cb & 0x3F);
	}
	*cp = c;
	return len;
}

/* Characters that could forge a line, hide text or reorder it on a terminal. */
static int
cp_forbidden(uint32_t c)
{
	return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == 0x2028 ||
	    c == 0x2029 || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

size_t
auditlog_neutralize(const char *in, size_t n, size_t cap, char *out)
{
	static const char repl[] = "\xEF\xBF\xBD";	/* U+FFFD */
	static const char cut[] = "\xE2\x80\xA6";	/* U+2026 */
	const uint8_t *p = (const uint8_t *)in;
	size_t i = 0, o = 0, mark = 0, clen;
	uint32_t cp;
	const char *src;

	while (i < n) {
		clen = utf8_decode(p + i, n - i, &cp);
		if (clen == 0 || cp_forbidden(cp)) {
			src = repl;
			clen = clen == 0 ? 1 : clen;
			i += clen;
			clen = 3;
		} else {
			src = (const char *)p + i;
			i += clen;
		}
		if (o + clen > cap) {
			/* Cut at the last boundary that leaves room for the mark. */
			o = mark;
			memcpy(out + o, cut, 3);
			o += 3;
			break;
		}
		memcpy(out + o, src, clen);
		o += clen;
		if (o + 3 <= cap)
			mark = o;
	}
	out[o] = '\0';
	return o;
}

int
auditlog_org_valid(const char *org)
{
	size_t i, n;

	if (org == NULL)
		return -1;
	n = strlen(org);
	if (n == 0 || n > AUDITLOG_ORG_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		char c = org[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '.' || c == ':' || c == '-'))
			return -1;
	}
	return 0;
}

static int
action_valid(const char *a)
{
	size_t i, n;

	if (a == NULL)
		return -1;
	n = strlen(a);
	if (n == 0 || n > AUDITLOG_ACTION_MAX || a[0] < 'a' || a[0] > 'z')
		return -1;
	for (i = 0; i < n; i++)
		if (!((a[i] >= 'a' && a[i] <= 'z') || (a[i] >= '0' && a[i] <= '9') ||
		    a[i] == '_' || a[i] == '.'))
			return -1;
	return 0;
}

static int
detail_key_valid(const char *k)
{
	size_t i, n = strlen(k);

	if (n == 0 || n > AUDITLOG_DETAIL_KEY_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return -1;
	return 0;
}

static int
actor_kind_valid(const char *k)
{
	static const char *const kinds[] = {
		AUDITLOG_ACTOR_USER, AUDITLOG_ACTOR_GATEWAY, AUDITLOG_ACTOR_OPERATOR,
		AUDITLOG_ACTOR_SUPPORT, AUDITLOG_ACTOR_SYSTEM, AUDITLOG_ACTOR_ANONYMOUS,
	};
	size_t i;

	if (k == NULL)
		return -1;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(k, kinds[i]) == 0)
			return 0;
	return -1;
}

/* ---- canonical JSON writing ---- */

static int
put_s(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

/* A JSON string of already neutral (or validated) text: only " and \ need escaping. */
static int
put_jstr(struct buf *b, const char *s, size_t n)
{
	size_t i, start = 0;

	if (buf_put_u8(b, '"') != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\') {
			if (buf_put(b, s + start, i - start) != 0 || buf_put_u8(b, '\\') != 0)
				return -1;
			start = i;
		}
	}
	if (buf_put(b, s + start, n - start) != 0)
		return -1;
	return buf_put_u8(b, '"');
}

/* Neutralize raw text with the given cap and write it as a JSON string. */
static int
put_neutral(struct buf *b, const char *s, size_t n, size_t cap)
{
	char tmp[AUDITLOG_DETAIL_STR_MAX + 1];	/* the largest cap */
	size_t len;

	if (cap > AUDITLOG_DETAIL_STR_MAX)
		return -1;
	len = auditlog_neutralize(s != NULL ? s : "", s != NULL ? n : 0, cap, tmp);
	return put_jstr(b, tmp, len);
}

static int
put_field_str(struct buf *b, const char *name, const char *s, size_t cap)
{
	if (put_s(b, ",\"") != 0 || put_s(b, name) != 0 || put_s(b, "\":") != 0)
		return -1;
	return put_neutral(b, s, s != NULL ? strlen(s) : 0, cap);
}

static int
put_field_int(struct buf *b, const char *name, int64_t v, int first)
{
	char num[32];

	snprintf(num, sizeof(num), "%" PRId64, v);
	if (put_s(b, first ? "\"" : ",\"") != 0 || put_s(b, name) != 0 || put_s(b, "\":") != 0)
		return -1;
	return put_s(b, num);
}

static int
put_field_hex(struct buf *b, const char *name, const uint8_t *p, size_t n)
{
	char hex[2 * 64 + 1];

	if (n > 64)
		return -1;
	hex_encode(p, n, hex);
	if (put_s(b, ",\"") != 0 || put_s(b, name) != 0 || put_s(b, "\":\"") != 0 ||
	    put_s(b, hex) != 0)
		return -1;
	return buf_put_u8(b, '"');
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* detail: keys sorted bytewise, string values neutralized, integers as they are. */
static int
put_detail(struct buf *b, const json_t *detail)
{
	const char *keys[AUDITLOG_DETAIL_KEYS];
	const char *k;
	json_t *val;
	size_t n = 0, i;

	if (put_s(b, ",\"detail\":{") != 0)
		return AUDITLOG_E_NOMEM;
	if (detail != NULL) {
		if (!json_is_object(detail) || json_object_size(detail) > AUDITLOG_DETAIL_KEYS)
			return AUDITLOG_E_INVAL;
		json_object_foreach((json_t *)detail, k, val) {
			if (n >= AUDITLOG_DETAIL_KEYS || detail_key_valid(k) != 0 ||
			    !(json_is_string(val) || json_is_integer(val)))
				return AUDITLOG_E_INVAL;
			keys[n++] = k;
		}
		qsort(keys, n, sizeof(keys[0]), cmp_str);
		for (i = 0; i < n; i++) {
			val = json_object_get(detail, keys[i]);
			if ((i > 0 && buf_put_u8(b, ',') != 0) || put_jstr(b, keys[i], strlen(keys[i])) != 0 ||
			    buf_put_u8(b, ':') != 0)
				return AUDITLOG_E_NOMEM;
			if (json_is_string(val)) {
				if (put_neutral(b, json_string_value(val), json_string_length(val),
				    AUDITLOG_DETAIL_STR_MAX) != 0)
					return AUDITLOG_E_NOMEM;
			} else {
				char num[32];

				snprintf(num, sizeof(num), "%" PRId64, (int64_t)json_integer_value(val));
				if (put_s(b, num) != 0)
					return AUDITLOG_E_NOMEM;
			}
		}
	}
	return buf_put_u8(b, '}') == 0 ? 0 : AUDITLOG_E_NOMEM;
}

int
auditlog_entry_format(const char *org, uint64_t seq, int64_t time_us,
    const struct auditlog_event *ev, const uint8_t prev[AUDITLOG_HASH_LEN],
    struct buf *line, uint8_t hash_out[AUDITLOG_HASH_LEN])
{
	int rc;

	buf_reset(line);
	if (auditlog_org_valid(org) != 0 || seq == 0 || seq > (uint64_t)AUDITLOG_SEQ_MAX ||
	    time_us < 0 || ev == NULL || actor_kind_valid(ev->actor_kind) != 0 ||
	    action_valid(ev->action) != 0)
		return AUDITLOG_E_INVAL;
	if (put_s(line, "{\"kind\":\"entry\",") != 0 ||
	    put_field_int(line, "seq", (int64_t)seq, 1) != 0 ||
	    put_field_int(line, "time_us", time_us, 0) != 0 ||
	    put_field_str(line, "org", org, AUDITLOG_ORG_MAX) != 0 ||
	    put_field_str(line, "actor", ev->actor, AUDITLOG_ACTOR_MAX) != 0 ||
	    put_field_str(line, "actor_kind", ev->actor_kind, AUDITLOG_ACTOR_MAX) != 0 ||
	    put_field_str(line, "action", ev->action, AUDITLOG_ACTION_MAX) != 0 ||
	    put_field_str(line, "target", ev->target, AUDITLOG_TARGET_MAX) != 0 ||
	    put_field_str(line, "address", ev->address, AUDITLOG_ADDRESS_MAX) != 0 ||
	    put_field_str(line, "request_id", ev->request_id, AUDITLOG_REQUEST_ID_MAX) != 0)
		return AUDITLOG_E_NOMEM;
	rc = put_detail(line, ev->detail);
	if (rc != 0)
		return rc;
	if (put_field_hex(line, "prev", prev, AUDITLOG_HASH_LEN) != 0 || buf_put_u8(line, '}') != 0)
		return AUDITLOG_E_NOMEM;
	/* The hash covers the object of every other field, closing brace included. */
	crypto_generichash(hash_out, AUDITLOG_HASH_LEN, line->data, line->len, NULL, 0);
	line->len--;
	if (put_field_hex(line, "hash", hash_out, AUDITLOG_HASH_LEN) != 0 || buf_put_u8(line, '}') != 0)
		return AUDITLOG_E_NOMEM;
	return 0;
}

/* The signed message of a checkpoint. */
static size_t
ckpt_message(const char *org, uint64_t seq, const uint8_t hash[AUDITLOG_HASH_LEN], int64_t time_us,
    uint8_t *m)
{
	size_t dl = sizeof(CKPT_DOMAIN) - 1, ol = strlen(org), o = 0;

	memcpy(m, CKPT_DOMAIN, dl);
	o += dl;
	m[o++] = (uint8_t)ol;
	memcpy(m + o, org, ol);
	o += ol;
	be_put64(m + o, seq);
	o += 8;
	memcpy(m + o, hash, AUDITLOG_HASH_LEN);
	o += AUDITLOG_HASH_LEN;
	be_put64(m + o, (uint64_t)time_us);
	return o + 8;
}

#define CKPT_MSG_MAX (sizeof(CKPT_DOMAIN) + 1 + AUDITLOG_ORG_MAX + 8 + AUDITLOG_HASH_LEN + 8)

static int
ckpt_write(struct buf *line, const char *org, uint64_t seq, const uint8_t hash[AUDITLOG_HASH_LEN],
    int64_t time_us, const uint8_t pk[32], const uint8_t sig[64])
{
	buf_reset(line);
	if (put_s(line, "{\"kind\":\"checkpoint\"") != 0 ||
	    put_field_str(line, "org", org, AUDITLOG_ORG_MAX) != 0 ||
	    put_field_int(line, "seq", (int64_t)seq, 0) != 0 ||
	    put_field_hex(line, "hash", hash, AUDITLOG_HASH_LEN) != 0 ||
	    put_field_int(line, "time_us", time_us, 0) != 0 ||
	    put_field_hex(line, "key", pk, 32) != 0 ||
	    put_field_hex(line, "sig", sig, 64) != 0 || buf_put_u8(line, '}') != 0)
		return AUDITLOG_E_NOMEM;
	return 0;
}

int
auditlog_checkpoint_format(const char *org, uint64_t seq, const uint8_t hash[AUDITLOG_HASH_LEN],
    int64_t time_us, const uint8_t sk[64], struct buf *line)
{
	uint8_t m[CKPT_MSG_MAX], sig[64], pk[32];
	size_t mlen;

	buf_reset(line);
	if (auditlog_org_valid(org) != 0 || seq > (uint64_t)AUDITLOG_SEQ_MAX || time_us < 0)
		return AUDITLOG_E_INVAL;
	mlen = ckpt_message(org, seq, hash, time_us, m);
	crypto_sign_detached(sig, NULL, m, mlen, sk);
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	return ckpt_write(line, org, seq, hash, time_us, pk, sig);
}

/* ---- verification ---- */

struct rec {
	uint64_t seq, line;
	uint8_t hash[AUDITLOG_HASH_LEN], prev[AUDITLOG_HASH_LEN];
};

struct ckpt {
	uint64_t seq, line;
	size_t after;		/* entries before it in the file */
	int64_t time_us;
	uint8_t hash[AUDITLOG_HASH_LEN];
};

struct auditlog_verifier {
	uint8_t pk[32];
	struct buf pending;	/* the current, incomplete line */
	struct buf scratch;	/* canonical re-serialization */
	int overlong;		/* pending overflowed: the line is too long */
	struct rec *recs;
	size_t nrec, caprec;
	struct ckpt *cks;
	size_t nck, capck;
	uint64_t lineno;
	int last_is_ckpt;
	int have_org;
	char org[AUDITLOG_ORG_MAX + 1];
	enum auditlog_problem problem;
	char msg[256];
};

static int
fail(struct auditlog_verifier *v, enum auditlog_problem p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct auditlog_verifier *v, enum auditlog_problem p, const char *fmt, ...)
{
	va_list ap;

	if (v->problem == AUDITLOG_P_NONE) {
		v->problem = p;
		va_start(ap, fmt);
		vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
		va_end(ap);
	}
	return AUDITLOG_E_TAMPERED;
}

int
auditlog_verifier_new(struct auditlog_verifier **vp, const uint8_t server_pk[32])
{
	struct auditlog_verifier *v;

	*vp = NULL;
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return AUDITLOG_E_NOMEM;
	memcpy(v->pk, server_pk, 32);
	buf_init(&v->pending, AUDITLOG_LINE_MAX);
	buf_init(&v->scratch, 2 * AUDITLOG_LINE_MAX);
	*vp = v;
	return 0;
}

void
auditlog_verifier_free(struct auditlog_verifier *v)
{
	if (v == NULL)
		return;
	buf_free(&v->pending);
	buf_free(&v->scratch);
	free(v->recs);
	free(v->cks);
	free(v);
}

static int
get_u64(json_t *o, const char *k, uint64_t min, uint64_t *out)
{
	json_t *j = json_object_get(o, k);
	json_int_t x;

	if (!json_is_integer(j))
		return -1;
	x = json_integer_value(j);
	if (x < 0 || (uint64_t)x < min || x > AUDITLOG_SEQ_MAX)
		return -1;
	*out = (uint64_t)x;
	return 0;
}

static int
get_time(json_t *o, int64_t *out)
{
	json_t *j = json_object_get(o, "time_us");

	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return -1;
	*out = (int64_t)json_integer_value(j);
	return 0;
}

static const char *
get_str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int
get_hex(json_t *o, const char *k, uint8_t *out, size_t n)
{
	const char *s = get_str(o, k);

	if (s == NULL || strlen(s) != 2 * n)
		return -1;
	return hex_decode(s, out, n);
}

static int
check_org(struct auditlog_verifier *v, const char *org)
{
	if (auditlog_org_valid(org) != 0)
		return fail(v, AUDITLOG_P_MALFORMED, "line %" PRIu64 ": bad org id", v->lineno);
	if (!v->have_org) {
		snprintf(v->org, sizeof(v->org), "%s", org);
		v->have_org = 1;
	} else if (strcmp(v->org, org) != 0) {
		return fail(v, AUDITLOG_P_INSERTED, "inserted entry (line %" PRIu64 " belongs to org %s, "
		    "not %s)", v->lineno, org, v->org);
	}
	return 0;
}

static int
verify_entry(struct auditlog_verifier *v, json_t *o, const uint8_t *line, size_t len)
{
	struct auditlog_event ev = { 0 };
	struct rec r;
	uint8_t hash[AUDITLOG_HASH_LEN];
	const char *org;
	int64_t t;
	size_t hpos;
	int rc;

	memset(&r, 0, sizeof(r));
	r.line = v->lineno;
	org = get_str(o, "org");
	ev.actor = get_str(o, "actor");
	ev.actor_kind = get_str(o, "actor_kind");
	ev.action = get_str(o, "action");
	ev.target = get_str(o, "target");
	ev.address = get_str(o, "address");
	ev.request_id = get_str(o, "request_id");
	ev.detail = json_object_get(o, "detail");
	if (get_u64(o, "seq", 1, &r.seq) != 0 || get_time(o, &t) != 0 || org == NULL ||
	    ev.actor == NULL || ev.actor_kind == NULL || ev.action == NULL || ev.target == NULL ||
	    ev.address == NULL || ev.request_id == NULL || !json_is_object(ev.detail) ||
	    get_hex(o, "prev", r.prev, AUDITLOG_HASH_LEN) != 0 ||
	    get_hex(o, "hash", r.hash, AUDITLOG_HASH_LEN) != 0)
		return fail(v, AUDITLOG_P_MALFORMED, "line %" PRIu64 ": entry with a missing or "
		    "mistyped field", v->lineno);
	rc = check_org(v, org);
	if (rc != 0)
		return rc;
	rc = auditlog_entry_format(org, r.seq, t, &ev, r.prev, &v->scratch, hash);
	if (rc == AUDITLOG_E_NOMEM)
		return rc;
	if (rc != 0)
		return fail(v, AUDITLOG_P_MALFORMED, "line %" PRIu64 ": entry seq %" PRIu64
		    " has an invalid field", v->lineno, r.seq);
	/* Everything before ,"hash" must be byte-identical to the canonical form. */
	hpos = v->scratch.len - (sizeof(",\"hash\":\"\"}") - 1) - HEX_HASH_LEN;
	if (len != v->scratch.len || memcmp(line, v->scratch.data, hpos) != 0)
		return fail(v, AUDITLOG_P_CHANGED, "entry seq %" PRIu64 " changed (line %" PRIu64
		    " is not in canonical form)", r.seq, v->lineno);
	if (sodium_memcmp(hash, r.hash, AUDITLOG_HASH_LEN) != 0)
		return fail(v, AUDITLOG_P_CHANGED, "entry seq %" PRIu64 " changed", r.seq);
	if (memcmp(line + hpos, v->scratch.data + hpos, len - hpos) != 0)
		return fail(v, AUDITLOG_P_CHANGED, "entry seq %" PRIu64 " changed (line %" PRIu64
		    " is not in canonical form)", r.seq, v->lineno);
	if (v->nrec == v->caprec) {
		size_t nc = v->caprec ? 2 * v->caprec : 256;
		struct rec *nr = realloc(v->recs, nc * sizeof(*nr));

		if (nr == NULL)
			return AUDITLOG_E_NOMEM;
		v->recs = nr;
		v->caprec = nc;
	}
	v->recs[v->nrec++] = r;
	v->last_is_ckpt = 0;
	return 0;
}

static int
verify_ckpt(struct auditlog_verifier *v, json_t *o, const uint8_t *line, size_t len)
{
	uint8_t m[CKPT_MSG_MAX], pk[32], sig[64];
	char khex[17];
	struct ckpt c;
	const char *org;
	size_t mlen;
	int rc;

	memset(&c, 0, sizeof(c));
	c.line = v->lineno;
	c.after = v->nrec;
	org = get_str(o, "org");
	if (org == NULL || get_u64(o, "seq", 0, &c.seq) != 0 || get_time(o, &c.time_us) != 0 ||
	    get_hex(o, "hash", c.hash, AUDITLOG_HASH_LEN) != 0 || get_hex(o, "key", pk, 32) != 0 ||
	    get_hex(o, "sig", sig, 64) != 0)
		return fail(v, AUDITLOG_P_MALFORMED, "line %" PRIu64 ": checkpoint with a missing or "
		    "mistyped field", v->lineno);
	rc = check_org(v, org);
	if (rc != 0)
		return rc;
	rc = ckpt_write(&v->scratch, org, c.seq, c.hash, c.time_us, pk, sig);
	if (rc != 0)
		return rc;
	if (len != v->scratch.len || memcmp(line, v->scratch.data, len) != 0)
		return fail(v, AUDITLOG_P_MALFORMED, "line %" PRIu64 ": checkpoint not in canonical "
		    "form", v->lineno);
	if (sodium_memcmp(pk, v->pk, 32) != 0) {
		hex_encode(pk, 8, khex);
		return fail(v, AUDITLOG_P_BAD_SIGNATURE, "bad checkpoint signature (line %" PRIu64
		    ": signed by key %s..., not the given server key)", v->lineno, khex);
	}
	mlen = ckpt_message(org, c.seq, c.hash, c.time_us, m);
	if (crypto_sign_verify_detached(sig, m, mlen, v->pk) != 0)
		return fail(v, AUDITLOG_P_BAD_SIGNATURE, "bad checkpoint signature (line %" PRIu64 ")",
		    v->lineno);
	if (v->nck == v->capck) {
		size_t nc = v->capck ? 2 * v->capck : 16;
		struct ckpt *nk = realloc(v->cks, nc * sizeof(*nk));

		if (nk == NULL)
			return AUDITLOG_E_NOMEM;
		v->cks = nk;
		v->capck = nc;
	}
	v->cks[v->nck++] = c;
	v->last_is_ckpt = 1;
	return 0;
}

/* One complete line (without its newline). */
static int
verify_line(struct auditlog_verifier *v, const uint8_t *line, size_t len, int incomplete)
{
	json_error_t err;
	json_t *o;
	const char *kind;
	int rc;

	v->lineno++;
	o = json_loadb((const char *)line, len, JSON_REJECT_DUPLICATES, &err);
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		/* Never echo the line: it may carry terminal escapes. */
		if (incomplete)
			return fail(v, AUDITLOG_P_TRUNCATED, "tail truncated after seq %" PRIu64
			    " (line %" PRIu64 " is cut off)", v->nrec ? v->recs[v->nrec - 1].seq : 0,
			    v->lineno);
		return fail(v, AUDITLOG_P_MALFORMED, "line %" PRIu64 ": not a JSON object",
		    v->lineno);
	}
	kind = get_str(o, "kind");
	if (kind != NULL && strcmp(kind, "entry") == 0)
		rc = verify_entry(v, o, line, len);
	else if (kind != NULL && strcmp(kind, "checkpoint") == 0)
		rc = verify_ckpt(v, o, line, len);
	else
		rc = fail(v, AUDITLOG_P_MALFORMED, "line %" PRIu64 ": unknown kind", v->lineno);
	json_decref(o);
	return rc;
}

int
auditlog_verifier_feed(struct auditlog_verifier *v, const void *p, size_t n)
{
	const uint8_t *s = p, *nl;
	size_t take;
	int rc;

	while (n > 0 && v->problem == AUDITLOG_P_NONE) {
		nl = memchr(s, '\n', n);
		take = nl != NULL ? (size_t)(nl - s) : n;
		if (!v->overlong && buf_put(&v->pending, s, take) != 0)
			v->overlong = 1;
		s += take;
		n -= take;
		if (nl == NULL)
			break;
		s++;
		n--;
		if (v->overlong) {
			v->lineno++;
			return fail(v, AUDITLOG_P_MALFORMED, "line %" PRIu64 ": longer than %d bytes",
			    v->lineno, AUDITLOG_LINE_MAX);
		}
		rc = verify_line(v, v->pending.data, v->pending.len, 0);
		buf_reset(&v->pending);
		if (rc != 0)
			return rc;
	}
	return v->problem == AUDITLOG_P_NONE ? 0 : AUDITLOG_E_TAMPERED;
}

struct seqpos {
	uint64_t seq;
	size_t i;
};

static int
cmp_seqpos(const void *a, const void *b)
{
	const struct seqpos *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->i < y->i ? -1 : (x->i > y->i);
}

/* The whole-file checks, in an order that names the likeliest cause first. */
static int
verify_structure(struct auditlog_verifier *v)
{
	static const uint8_t zero[AUDITLOG_HASH_LEN];
	struct seqpos *sp = NULL;
	const struct ckpt *fin;
	uint64_t good;
	size_t i, j;
	int rc = 0;

	if (v->nrec == 0 && v->nck == 0)
		return fail(v, AUDITLOG_P_TRUNCATED, "tail truncated: no entries and no final checkpoint");
	if (!v->last_is_ckpt)
		return fail(v, AUDITLOG_P_TRUNCATED, "tail truncated after seq %" PRIu64,
		    v->recs[v->nrec - 1].seq);
	fin = &v->cks[v->nck - 1];
	if (v->nrec == 0) {
		if (fin->seq != 0 || sodium_memcmp(fin->hash, zero, AUDITLOG_HASH_LEN) != 0)
			return fail(v, AUDITLOG_P_MISSING, "entry missing after seq %" PRIu64
			    " (the final checkpoint covers seq %" PRIu64 ")",
			    fin->seq > 0 ? fin->seq - 1 : 0, fin->seq);
		return 0;
	}
	/* Duplicates. */
	sp = calloc(v->nrec, sizeof(*sp));
	if (sp == NULL)
		return AUDITLOG_E_NOMEM;
	for (i = 0; i < v->nrec; i++) {
		sp[i].seq = v->recs[i].seq;
		sp[i].i = i;
	}
	qsort(sp, v->nrec, sizeof(*sp), cmp_seqpos);
	for (i = 1; i < v->nrec; i++)
		if (sp[i].seq == sp[i - 1].seq) {
			rc = fail(v, AUDITLOG_P_INSERTED, "inserted entry (seq %" PRIu64 " appears twice, "
			    "lines %" PRIu64 " and %" PRIu64 ")", sp[i].seq, v->recs[sp[i - 1].i].line,
			    v->recs[sp[i].i].line);
			goto out;
		}
	/* Entries the final checkpoint does not cover. */
	for (i = 0; i < v->nrec; i++)
		if (v->recs[i].seq > fin->seq) {
			rc = fail(v, AUDITLOG_P_INSERTED, "inserted entry (seq %" PRIu64 " at line %" PRIu64
			    " is past the final checkpoint at seq %" PRIu64 ")", v->recs[i].seq,
			    v->recs[i].line, fin->seq);
			goto out;
		}
	/* Order, then continuity. */
	for (i = 1; i < v->nrec; i++)
		if (v->recs[i].seq < v->recs[i - 1].seq) {
			rc = fail(v, AUDITLOG_P_REORDERED, "reordered (seq %" PRIu64 " at line %" PRIu64
			    " follows seq %" PRIu64 ")", v->recs[i].seq, v->recs[i].line,
			    v->recs[i - 1].seq);
			goto out;
		}
	for (i = 1; i < v->nrec; i++)
		if (v->recs[i].seq != v->recs[i - 1].seq + 1) {
			rc = fail(v, AUDITLOG_P_MISSING, "entry missing after seq %" PRIu64,
			    v->recs[i - 1].seq);
			goto out;
		}
	if (fin->seq > v->recs[v->nrec - 1].seq) {
		rc = fail(v, AUDITLOG_P_MISSING, "entry missing after seq %" PRIu64
		    " (the final checkpoint covers seq %" PRIu64 ")", v->recs[v->nrec - 1].seq, fin->seq);
		goto out;
	}
	/* Links. */
	if (v->recs[0].seq == 1 && sodium_memcmp(v->recs[0].prev, zero, AUDITLOG_HASH_LEN) != 0) {
		rc = fail(v, AUDITLOG_P_CHANGED, "entry seq 1 changed (its prev is not zero)");
		goto out;
	}
	for (i = 1; i < v->nrec; i++)
		if (sodium_memcmp(v->recs[i].prev, v->recs[i - 1].hash, AUDITLOG_HASH_LEN) != 0) {
			rc = fail(v, AUDITLOG_P_CHANGED, "entry seq %" PRIu64 " changed (entry seq %"
			    PRIu64 " does not link to it)", v->recs[i - 1].seq, v->recs[i].seq);
			goto out;
		}
	/* Checkpoints against the entries they cover. */
	good = v->recs[0].seq - 1;
	for (i = 0; i < v->nck; i++) {
		const struct ckpt *c = &v->cks[i];

		if (i > 0 && c->seq < v->cks[i - 1].seq) {
			rc = fail(v, AUDITLOG_P_REORDERED, "reordered (checkpoint at line %" PRIu64
			    " covers seq %" PRIu64 ", before the previous one)", c->line, c->seq);
			goto out;
		}
		if (c->seq + 1 < v->recs[0].seq)
			continue;	/* older than this file: nothing here to check it against */
		if (c->seq + 1 == v->recs[0].seq) {
			if (sodium_memcmp(c->hash, v->recs[0].prev, AUDITLOG_HASH_LEN) != 0) {
				rc = fail(v, AUDITLOG_P_CHANGED, "entry seq %" PRIu64 " changed (its prev "
				    "disagrees with the signed checkpoint at line %" PRIu64 ")",
				    v->recs[0].seq, c->line);
				goto out;
			}
			continue;
		}
		j = (size_t)(c->seq - v->recs[0].seq);
		if (j >= c->after) {
			rc = fail(v, AUDITLOG_P_REORDERED, "reordered (checkpoint at line %" PRIu64
			    " precedes entry seq %" PRIu64 ")", c->line, c->seq);
			goto out;
		}
		if (sodium_memcmp(c->hash, v->recs[j].hash, AUDITLOG_HASH_LEN) != 0) {
			rc = fail(v, AUDITLOG_P_CHANGED, "entry seq %" PRIu64 " changed (the signed "
			    "checkpoint at line %" PRIu64 " disagrees; the change lies in seq %" PRIu64
			    "..%" PRIu64 ")", c->seq, c->line, good + 1, c->seq);
			goto out;
		}
		good = c->seq;
	}
out:
	free(sp);
	return rc;
}

int
auditlog_verifier_finish(struct auditlog_verifier *v, struct auditlog_report *r)
{
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (v->problem == AUDITLOG_P_NONE && (v->pending.len > 0 || v->overlong)) {
		if (v->overlong)
			rc = fail(v, AUDITLOG_P_MALFORMED, "line %" PRIu64 ": longer than %d bytes",
			    v->lineno + 1, AUDITLOG_LINE_MAX);
		else
			rc = verify_line(v, v->pending.data, v->pending.len, 1);
		buf_reset(&v->pending);
	}
	if (v->problem == AUDITLOG_P_NONE && rc == 0)
		rc = verify_structure(v);
	if (rc == AUDITLOG_E_NOMEM)
		return rc;
	r->problem = v->problem;
	snprintf(r->msg, sizeof(r->msg), "%s", v->problem != AUDITLOG_P_NONE ? v->msg : "ok");
	r->entries = v->nrec;
	r->checkpoints = v->nck;
	if (v->nrec > 0) {
		r->first_seq = v->recs[0].seq;
		r->head_seq = v->recs[v->nrec - 1].seq;
	}
	if (v->nck > 0)
		r->head_time_us = v->cks[v->nck - 1].time_us;
	snprintf(r->org, sizeof(r->org), "%s", v->org);
	return v->problem == AUDITLOG_P_NONE ? 0 : AUDITLOG_E_TAMPERED;
}
