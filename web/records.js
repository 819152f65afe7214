// records.js - the record framing (docs/design/records.md): an incremental, bounded parser of untrusted bytes.

export const REC = { SEG_HEADER: 1, CHUNK: 2, SEG_END: 3, GAP: 4, KEEPALIVE: 5 };
export const RECORD_MAX_PAYLOAD = 8 * 1024 * 1024;
const FIXED = { 1: 208, 3: 120, 4: 212, 5: 0 };

export class RecordError extends Error {}

// Feed it bytes as they arrive (feed), take whole records out (next). It never holds more
// than one record plus one network read; after an error it stays failed.
export class RecordParser {
	constructor(maxPayload = RECORD_MAX_PAYLOAD) {
		this.max = Math.min(maxPayload, RECORD_MAX_PAYLOAD);
		this.buf = new Uint8Array(64 * 1024);
		this.start = 0;
		this.end = 0;
		this.failed = null;
	}

	feed(bytes) {
		if (this.failed)
			throw this.failed;
		const n = bytes.length;
		if (this.end + n > this.buf.length) {
			const live = this.end - this.start;
			let cap = this.buf.length;
			while (cap < live + n)
				cap *= 2;
			const nb = cap === this.buf.length ? this.buf : new Uint8Array(cap);
			if (nb === this.buf)
				this.buf.copyWithin(0, this.start, this.end);
			else
				nb.set(this.buf.subarray(this.start, this.end), 0);
			this.buf = nb;
			this.start = 0;
			this.end = live;
		}
		this.buf.set(bytes, this.end);
		this.end += n;
	}

	// The next whole record { type, payload } (payload is a copy), or null for "need more".
	next() {
		if (this.failed)
			throw this.failed;
		const avail = this.end - this.start;
		if (avail < 5)
			return null;
		const b = this.buf, p = this.start;
		const len = ((b[p] << 24) >>> 0) + (b[p + 1] << 16) + (b[p + 2] << 8) + b[p + 3];
		const type = b[p + 4];
		if (type < 1 || type > 5)
			return this.fail('unknown record type ' + type);
		if (len > this.max)
			return this.fail('record too large');
		if (FIXED[type] !== undefined && len !== FIXED[type])
			return this.fail('record of the wrong size for its type');
		if (type === REC.CHUNK && len < 17)
			return this.fail('chunk too short');
		if (avail < 5 + len)
			return null;
		const payload = b.slice(p + 5, p + 5 + len);
		this.start += 5 + len;
		if (this.start === this.end)
			this.start = this.end = 0;
		return { type, payload };
	}

	pending() {
		return this.end - this.start;
	}

	fail(msg) {
		this.failed = new RecordError(msg);
		throw this.failed;
	}
}
