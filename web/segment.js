// segment.js - chain links in the browser: decodes segment headers/ends/gaps, opens the sealed segment key, decrypts chunks, checks ct_hash, the signature and the chain.
import { REC, RecordParser } from './records.js';

const SEG_DOMAIN = new TextEncoder().encode('vigil-segment-v1');
const SEG_HDR_DOMAIN = new TextEncoder().encode('vigil-seghdr-v1');
const GAP_DOMAIN = (() => {
	const d = new Uint8Array(16);
	d.set(new TextEncoder().encode('vigil-gap-v1'));
	return d;
})();
export const CHUNK = { INIT: 1, MEDIA: 2, END: 3 };
export const KEYFRAME = 1;
// Init chunk flag (segment.h CHUNK_INIT_HDRSIG): between wall_us and the codec, the gateway's
// Ed25519 signature over "vigil-seghdr-v1" || SEG_HEADER. The server can seal a segment key of
// its own (it holds the camera's epoch public key); this signature, checked before the first
// frame, tells a live viewer the key is the gateway's.
export const INIT_HDRSIG = 2;
const TRUNCATED = 1;
// Recording pauses after this segment: the camera records on motion only and nothing moves.
const PAUSED = 2;
// SEG_HEADER flag: a live-only segment, shown live while a motion-only camera is paused and
// never stored. It forks off the chain (its seq and prev_hash are the next stored link's).
export const LIVE_ONLY = 1;
// A live view's two bounds on what the server relays (it holds the public keys needed to seal
// a segment key of its own, so a live frame is only the gateway's once its segment's signature
// verifies): frames keep coming with no link verified for longer than this (or 3 times the
// longest segment verified so far) is a forgery in progress; a frame or signed pause stamped
// further than LIVE_CLOCK_MAX_US from this computer's clock is not live (an old recording
// replayed, or a clock that is wrong).
export const LIVE_UNVERIFIED_US = 30e6;
const LIVE_LONGEST_CAP_US = 120e6;
export const LIVE_CLOCK_MAX_US = 300e6;

export class SegmentError extends Error {
	constructor(code, msg) {
		super(msg);
		this.code = code; // 'format' | 'key' | 'gateway' | 'signature' | 'hash' | 'decrypt' | 'chain' | 'camera' | 'stale'
	}
}

export function toHex(b) {
	let s = '';
	for (const x of b)
		s += x.toString(16).padStart(2, '0');
	return s;
}

function dv(p) {
	return new DataView(p.buffer, p.byteOffset, p.byteLength);
}

// Microseconds as a Number (exact to 2^53, i.e. until the year 2255).
function i64(v, off) {
	return Number(v.getBigInt64(off, false));
}

export function decodeSegHeader(p) {
	if (p.length !== 208 || p[0] !== 1 || p[2] !== 0 || (p[3] & ~LIVE_ONLY) !== 0)
		throw new SegmentError('format', 'bad segment header');
	const v = dv(p);
	return {
		stream: p[1], flags: v.getUint16(2), camera: toHex(p.subarray(4, 20)),
		seq: i64(v, 20), startUs: i64(v, 28), epoch: v.getUint32(36),
		sealedKey: p.subarray(40, 120), ssHeader: p.subarray(120, 144),
		prevHash: p.subarray(144, 176), gateway: p.subarray(176, 208), raw: p,
	};
}

export function decodeSegEnd(p) {
	if (p.length !== 120 || p[21] !== 0 || p[22] !== 0 || p[23] !== 0)
		throw new SegmentError('format', 'bad segment end');
	const v = dv(p);
	return {
		seq: i64(v, 0), endUs: i64(v, 8), nchunks: v.getUint32(16), flags: p[20],
		ctHash: p.subarray(24, 56), sig: p.subarray(56, 120), raw: p,
	};
}

export function decodeGap(p) {
	if (p.length !== 212 || p[0] !== 1)
		throw new SegmentError('format', 'bad gap');
	const v = dv(p);
	const g = {
		stream: p[1], reason: v.getUint16(2), camera: toHex(p.subarray(4, 20)),
		seq: i64(v, 20), lastSeq: i64(v, 28), fromUs: i64(v, 36), toUs: i64(v, 44),
		prevHash: p.subarray(52, 84), lastHash: p.subarray(84, 116),
		gateway: p.subarray(116, 148), sig: p.subarray(148, 212), raw: p,
	};
	if (g.lastSeq < g.seq)
		throw new SegmentError('format', 'bad gap');
	return g;
}

// Whether gap g's signature verifies under the gateway key it names (the caller checks that
// key is one it trusts); throws a SegmentError when not.
export function verifyGap(na, g) {
	if (!na.crypto_sign_verify_detached(g.sig, concat(GAP_DOMAIN, g.raw.subarray(0, 148)), g.gateway))
		throw new SegmentError('signature', 'the gap signature does not verify');
}

// The { seq, hash } a link after gap g must continue: an eviction gap (segments dropped from
// the gateway's spool) names the last dropped link's hash, any other the gap's own.
export function afterGap(na, g) {
	const evicted = g.lastSeq !== g.seq || g.lastHash.some((x) => x !== 0);
	return { seq: g.lastSeq + 1, hash: evicted ? g.lastHash.slice() : na.crypto_generichash(32, g.sig, null) };
}

// Chunk plaintext: kind u8 | flags u8 | wall_us i64 | body (init: codec_len u8 | codec | ftyp+moov).
export function parseChunkPlain(m) {
	if (m.length < 10)
		throw new SegmentError('format', 'chunk plaintext too short');
	const c = { kind: m[0], flags: m[1], wallUs: i64(dv(m), 2), codec: null, body: null, hdrSig: null };
	if (c.kind === CHUNK.INIT) {
		if ((c.flags & ~INIT_HDRSIG) !== 0)
			throw new SegmentError('format', 'bad init chunk');
		let o = 10;
		if ((c.flags & INIT_HDRSIG) !== 0) {
			if (m.length < o + 64)
				throw new SegmentError('format', 'bad init chunk');
			c.hdrSig = m.subarray(o, o + 64);
			o += 64;
		}
		const n = m.length > o ? m[o] : -1;
		if (n < 0 || n >= 64 || o + 1 + n > m.length)
			throw new SegmentError('format', 'bad init chunk');
		c.codec = new TextDecoder().decode(m.subarray(o + 1, o + 1 + n));
		if (!/^[A-Za-z0-9.\-]*$/.test(c.codec))
			throw new SegmentError('format', 'bad codec string');
		c.body = m.subarray(o + 1 + n);
	} else if (c.kind === CHUNK.MEDIA) {
		c.body = m.subarray(10);
	} else if (c.kind === CHUNK.END) {
		if (m.length !== 10)
			throw new SegmentError('format', 'bad end chunk');
	} else {
		throw new SegmentError('format', 'unknown chunk kind');
	}
	return c;
}

function concat(...parts) {
	let n = 0;
	for (const p of parts)
		n += p.length;
	const out = new Uint8Array(n);
	let o = 0;
	for (const p of parts) {
		out.set(p, o);
		o += p.length;
	}
	return out;
}

// The secretstream key of a segment (header h): its sealed key opened with the camera epoch
// key keyFor(camera, epoch) names. A fresh Uint8Array(32) the caller wipes; throws
// SegmentError('key') when the viewer holds no key or it does not open.
// Checks that the gateway h.gateway signed header h with end e (the SEG_END payload, as
// decodeSegEnd gives it) without the chunks in between: the signature covers the header,
// the end's seq, end time, chunk count, flags and ct_hash. Used before a key leaves this
// tab (share manifests), so that a segment's signed seq and times, not the server's
// listing, decide what goes in. Throws a SegmentError.
export function verifySegmentEnds(na, h, e) {
	if (e.seq !== h.seq)
		throw new SegmentError('format', 'the segment end does not match its header');
	if (!na.crypto_sign_verify_detached(e.sig, concat(SEG_DOMAIN, h.raw, e.raw.subarray(0, 56)), h.gateway))
		throw new SegmentError('signature', 'the segment signature does not verify');
}

export function openSegmentKey(na, h, keyFor) {
	const k = keyFor(h.camera, h.epoch);
	if (k === null)
		throw new SegmentError('key', `no key for epoch ${h.epoch} of this camera`);
	try {
		return na.crypto_box_seal_open(h.sealedKey, k.pk, k.sk);
	} catch (e) {
		throw new SegmentError('key', 'the segment key does not open with this camera key');
	}
}

// Feeds one whole link's bytes (GET …/segments/{seq}) through reader, a reader of stored
// links (not live). Resolves to { kind, info, chunks } once the link verified (every chunk but
// the end chunk, in order), or { incomplete: true } for a link not closed yet (the reader's
// chain state is kept, so the same link can be read again later). The answer must be that one
// link and nothing else: a record before its header or after its end, or a link of another
// seq than seq (when given), is the server's doing and throws, like every verification
// failure, a SegmentError. A stored link is whole, so chunks of a header cut short by
// another never reach the caller (SegmentReader refuses the cut when not live).
export function readLink(reader, bytes, seq) {
	const saved = { onChunk: reader.onChunk, onLink: reader.onLink, next: reader.next };
	const chunks = [];
	let done = null;
	reader.onChunk = (c) => chunks.push(c);
	reader.onLink = (info) => {
		done = info;
	};
	try {
		const parser = new RecordParser();
		parser.feed(bytes);
		let rec;
		while ((rec = parser.next()) !== null) {
			if (done !== null && rec.type !== REC.KEEPALIVE)
				throw new SegmentError('format', 'more than one link in the answer for one link');
			reader.record(rec);
		}
		if (done === null || parser.pending() !== 0) {
			reader.cur = null;
			reader.next = saved.next;
			return { incomplete: true };
		}
		if (seq !== undefined && done.seq !== seq)
			throw new SegmentError('chain', `asked for link ${seq}, the answer is link ${done.seq}`);
	} finally {
		reader.onChunk = saved.onChunk;
		reader.onLink = saved.onLink;
	}
	return { kind: done.kind, info: done, chunks };
}

// Reads one (camera, stream)'s records in order, verifying as it decrypts.
//   na: libsodium; keyFor(camera, epoch) -> { pk, sk } | null; pins: the trusted gateway public
//   keys (a link signed by any other key is refused; an empty list trusts none)
//   onChunk(chunk, header): each decrypted chunk as it arrives (before the segment's signature
//   is checked: live view shows frames at once; a later failure stops the stream)
//   onLink(info): a link verified ({ kind: 'segment'|'gap', seq, chained })
//   segKey(header): optional, instead of keyFor: the segment's secretstream key itself (a copy
//   the reader wipes), or null; a share link's manifest carries these (share.js, shareview.js)
//   live: a live view, which accepts live-only segments (onLink's liveOnly) and a new link
//   cutting an open one short (the relay skipped ahead), and bounds unverified and stale
//   video (LIVE_UNVERIFIED_US, LIVE_CLOCK_MAX_US); any other reader reads stored links,
//   whole, and refuses those
//   now: the clock for those bounds (µs since the epoch; tests pass their own)
export class SegmentReader {
	constructor(na, { camera, stream, keyFor, pins, onChunk, onLink, segKey, live, now }) {
		this.na = na;
		this.camera = camera;
		this.stream = stream;
		this.keyFor = keyFor;
		this.pins = pins || [];
		this.onChunk = onChunk || (() => {});
		this.onLink = onLink || (() => {});
		this.segKey = segKey || null;
		this.live = live === true;
		this.now = now || (() => Date.now() * 1000);
		this.unverifiedSince = null; // live: when a chunk was first handed out since the last verified link
		this.longestUs = 0;          // live: the longest segment verified so far
		this.liveSeq = -1;           // live: the highest seq whose header signature verified
		this.cur = null;       // the open segment
		this.next = null;      // { seq, hash } the next link must continue, once known
		this.stats = { segments: 0, gaps: 0, chunks: 0, restarts: 0 };
	}

	checkLink(camera, stream, gateway, seq, prevHash) {
		if (camera !== this.camera || stream !== this.stream)
			throw new SegmentError('camera', 'a link of another camera or stream');
		if (!this.pins.some((k) => this.na.memcmp(k, gateway)))
			throw new SegmentError('gateway', 'signed by a gateway this viewer does not trust');
		if (this.next === null || seq !== this.next.seq)
			return false; // first link, or the relay skipped ahead: a new starting point
		if (!this.na.memcmp(prevHash, this.next.hash))
			throw new SegmentError('chain', 'the link does not continue the chain');
		return true;
	}

	record(rec) {
		const na = this.na;
		switch (rec.type) {
		case REC.KEEPALIVE:
			return;
		case REC.SEG_HEADER: {
			if (this.cur !== null)
				this.abandon();
			const h = decodeSegHeader(rec.payload);
			if ((h.flags & LIVE_ONLY) !== 0 && !this.live)
				throw new SegmentError('chain', 'a live-only segment (shown live, never recorded) among stored links');
			const chained = this.checkLink(h.camera, h.stream, h.gateway, h.seq, h.prevHash);
			let key;
			if (this.segKey !== null) {
				key = this.segKey(h);
				if (!(key instanceof Uint8Array) || key.length !== 32)
					throw new SegmentError('key', `no key for segment ${h.seq}`);
			} else {
				key = openSegmentKey(na, h, this.keyFor);
			}
			const st = na.crypto_secretstream_xchacha20poly1305_init_pull(h.ssHeader, key);
			key.fill(0);
			this.cur = { h, st, hash: na.crypto_generichash_init(null, 32), n: 0, final: false, chained };
			return;
		}
		case REC.CHUNK: {
			const s = this.cur;
			if (s === null) {
				if (!this.live)
					throw new SegmentError('format', 'a chunk outside a segment');
				return; // a live view joined mid-segment: wait for the next header
			}
			if (s.final)
				throw new SegmentError('format', 'a chunk after the final chunk');
			const ct = rec.payload;
			const len = new Uint8Array(4);
			new DataView(len.buffer).setUint32(0, ct.length);
			na.crypto_generichash_update(s.hash, len);
			na.crypto_generichash_update(s.hash, ct);
			let r;
			try {
				r = na.crypto_secretstream_xchacha20poly1305_pull(s.st, ct, null);
			} catch (e) {
				r = false;
			}
			if (!r || !r.message)
				throw new SegmentError('decrypt', 'a chunk failed authentication');
			s.n++;
			const c = parseChunkPlain(r.message);
			if (s.n === 1 && c.kind !== CHUNK.INIT)
				throw new SegmentError('format', 'the first chunk is not the init chunk');
			if (c.hdrSig !== null && !na.crypto_sign_verify_detached(c.hdrSig, concat(SEG_HDR_DOMAIN, s.h.raw), s.h.gateway))
				throw new SegmentError('signature', 'the segment header signature does not verify');
			// Live, a frame is shown before its segment's end is signed: only after the gateway's
			// signature on the header proved the segment key is the gateway's.
			if (this.live && s.n === 1 && c.hdrSig === null)
				throw new SegmentError('signature', 'a live segment without its gateway header signature (the segment key may be the server\'s)');
			// Seqs only grow (a live-only segment shares its seq with the stored link after it):
			// a recent segment played again is not live.
			if (this.live && s.n === 1) {
				if (s.h.seq < this.liveSeq)
					throw new SegmentError('stale', `live video went back from segment ${this.liveSeq} to ${s.h.seq}: an earlier recording replayed, not live`);
				this.liveSeq = s.h.seq;
			}
			if (r.tag === na.crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
				if (c.kind !== CHUNK.END)
					throw new SegmentError('format', 'final tag on a non-end chunk');
				s.final = true;
			}
			this.stats.chunks++;
			if (c.kind !== CHUNK.END) {
				if (this.live)
					this.liveGuard(c.kind === CHUNK.MEDIA ? c.wallUs : null);
				this.onChunk(c, s.h);
			}
			return;
		}
		case REC.SEG_END: {
			const s = this.cur;
			if (s === null) {
				if (!this.live)
					throw new SegmentError('format', 'a segment end outside a segment');
				return;
			}
			this.cur = null;
			const e = decodeSegEnd(rec.payload);
			if (e.seq !== s.h.seq || e.nchunks !== s.n)
				throw new SegmentError('format', 'the segment end does not match its chunks');
			if (!s.final && !(e.flags & TRUNCATED))
				throw new SegmentError('format', 'the segment ended without its final chunk');
			const ct = na.crypto_generichash_final(s.hash, 32);
			if (!na.memcmp(ct, e.ctHash))
				throw new SegmentError('hash', 'chunks do not match the signed hash');
			const msg = concat(SEG_DOMAIN, s.h.raw, e.raw.subarray(0, 56));
			if (!na.crypto_sign_verify_detached(e.sig, msg, s.h.gateway))
				throw new SegmentError('signature', 'the segment signature does not verify');
			const liveOnly = (s.h.flags & LIVE_ONLY) !== 0;
			if (this.live) {
				this.unverifiedSince = null;
				this.longestUs = Math.min(LIVE_LONGEST_CAP_US, Math.max(this.longestUs, e.endUs - s.h.startUs));
			}
			// A live-only segment forks off the chain: the next stored link continues from
			// where this one started.
			if (!liveOnly)
				this.next = { seq: s.h.seq + 1, hash: na.crypto_generichash(32, e.sig, null) };
			this.stats.segments++;
			if (!s.chained)
				this.stats.restarts++;
			this.onLink({ kind: 'segment', seq: s.h.seq, chained: s.chained, startUs: s.h.startUs, endUs: e.endUs,
				paused: (e.flags & PAUSED) !== 0, liveOnly });
			return;
		}
		case REC.GAP: {
			if (this.cur !== null)
				this.abandon();
			const g = decodeGap(rec.payload);
			const chained = this.checkLink(g.camera, g.stream, g.gateway, g.seq, g.prevHash);
			verifyGap(na, g);
			if (this.live) {
				this.liveStale(g.toUs, 'a signed pause');
				this.unverifiedSince = null;
			}
			this.next = afterGap(na, g);
			this.stats.gaps++;
			this.onLink({ kind: 'gap', seq: g.seq, chained, reason: g.reason, fromUs: g.fromUs, toUs: g.toUs });
			return;
		}
		default:
			throw new SegmentError('format', 'unknown record type');
		}
	}

	// Live: refuses a frame stamped far from this computer's clock (wallUs, null for an init
	// chunk) and video that has gone unverified too long.
	liveGuard(wallUs) {
		const now = this.now();
		if (wallUs !== null)
			this.liveStale(wallUs, 'live video');
		if (this.unverifiedSince === null) {
			this.unverifiedSince = now;
		} else if (now - this.unverifiedSince > Math.max(LIVE_UNVERIFIED_US, 3 * this.longestUs)) {
			throw new SegmentError('signature', `no segment of this live stream has verified for ${Math.round((now - this.unverifiedSince) / 1e6)} s, so its frames may not be the gateway's (forged video, or a relay that never delivers a whole segment): stopped`);
		}
	}

	liveStale(wallUs, what) {
		const d = wallUs - this.now();
		if (Math.abs(d) > LIVE_CLOCK_MAX_US) {
			const min = Math.round(Math.abs(d) / 60e6);
			throw new SegmentError('stale', `${what} stamped ${new Date(wallUs / 1000).toISOString().replace('T', ' ').slice(0, 19)} UTC, ${min} min ${d < 0 ? 'before' : 'after'} this computer's clock: not live (an old recording replayed, or a wrong clock)`);
		}
	}

	// A new link while one is open. Live, the relay skipped us to a new segment: the open one
	// can never be verified. Stored links are whole, so anything else is a splice: the chunks
	// already handed out must not be kept (readLink, archive.js and export.js collect them
	// until the link verifies), and the reader refuses.
	abandon() {
		if (!this.live)
			throw new SegmentError('format', 'a segment cut short by another link');
		this.cur = null;
		this.next = null;
	}
}
