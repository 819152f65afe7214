// export.js - exports a recorded range of one camera as an .mp4 decrypted in this browser, with progress and an estimate.
import * as api from './api.js';
import * as keys from './keys.js';
import { SegmentReader, SegmentError, readLink, CHUNK, KEYFRAME } from './segment.js';

export class ExportError extends Error {}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// A datetime-local value (local time, to the second) for wall time us.
export function localInput(us) {
	const d = new Date(Math.floor(us / 1000));
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// µs since the epoch of a datetime-local value, or null.
export function parseLocal(value) {
	const ms = Date.parse(value);
	return value && !Number.isNaN(ms) ? ms * 1000 : null;
}

// The signed reasons of gap links (src/common/segment.h enum gap_reason), as the CLI's
// export report names them.
const GAP_REASONS = {
	1: 'camera offline', 2: 'gateway restart', 3: 'deleted on site before upload (spool full)',
	4: 'upload refused', 5: 'no motion (the camera records on motion only)',
};
export const gapReasonText = (r) => GAP_REASONS[r] || `unknown reason ${r}`;

// Adds a verified gap link's [fromUs, toUs) to gaps, merged with the last one when the
// link right before it was that gap (follows), with the same reason, starting where it
// ended (a pause is signed every 30 s): the file's holes, as
// [{ reason, fromUs, toUs, links }].
export function noteGap(gaps, info, follows) {
	const last = follows && gaps.length > 0 ? gaps[gaps.length - 1] : null;
	if (last !== null && last.reason === info.reason && info.fromUs >= last.fromUs && info.fromUs - last.toUs <= 1e6) {
		last.toUs = Math.max(last.toUs, info.toUs);
		last.links++;
	} else {
		gaps.push({ reason: info.reason, fromUs: info.fromUs, toUs: info.toUs, links: 1 });
	}
}

// "camera offline 12:00:03–12:01:10; no motion (…) 12:05:00–12:40:12 (70 signed gaps)",
// at most max of them, then how many more.
export function gapsText(gaps, max = 4) {
	// Signed times are the gateway's: one a Date cannot hold is shown as it is.
	const t = (us) => Number.isFinite(us) && Math.abs(us) <= 8.64e18
		? new Date(us / 1000).toISOString().replace('T', ' ').slice(0, 19) : `${us} µs`;
	const shown = gaps.slice(0, max).map((g) => `${gapReasonText(g.reason)} ${t(g.fromUs)}–${t(g.toUs)} UTC` +
		(g.links > 1 ? ` (${g.links} signed gaps)` : ''));
	return shown.join('; ') + (gaps.length > max ? `; and ${gaps.length - max} more` : '');
}

// "CAMERA_2026-11-28T10-00-00Z_60s.mp4": safe on every file system.
export function exportName(camName, fromUs, toUs) {
	const cam = String(camName || 'camera').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 48) || 'camera';
	const at = new Date(Math.floor(fromUs / 1000)).toISOString().slice(0, 19).replace(/:/g, '-') + 'Z';
	return `${cam}_${at}_${Math.round((toUs - fromUs) / 1e6)}s.mp4`;
}

// The boxes (type, start, end) inside [from, to) of b; stops at a malformed size.
function boxes(b, from, to) {
	const out = [];
	const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
	let o = from;
	while (o + 8 <= to) {
		let size = v.getUint32(o), head = 8;
		if (size === 1 && o + 16 <= to) {
			size = Number(v.getBigUint64(o + 8));
			head = 16;
		}
		if (size < head || o + size > to)
			break;
		out.push({ type: String.fromCharCode(b[o + 4], b[o + 5], b[o + 6], b[o + 7]), start: o, head, end: o + size });
		o += size;
	}
	return out;
}

// The tfdt box (baseMediaDecodeTime) of a moof+mdat fragment: { off, v1 } or null.
function findTfdt(frag) {
	for (const moof of boxes(frag, 0, frag.length).filter((x) => x.type === 'moof'))
		for (const traf of boxes(frag, moof.start + moof.head, moof.end).filter((x) => x.type === 'traf'))
			for (const t of boxes(frag, traf.start + traf.head, traf.end))
				if (t.type === 'tfdt' && t.end - t.start >= t.head + 8) {
					const v1 = frag[t.start + t.head] === 1;
					return t.end - t.start >= t.head + (v1 ? 12 : 8) ? { off: t.start + t.head, v1 } : null;
				}
	return null;
}

// The gateway's fragments carry the stream's running decode time (it continues across
// segments), so a clip would start hours "in"; players and ffprobe count that in its
// duration. Shifts a copy of frag so that decode time `base` becomes 0. Returns
// { bytes, time } (time: the fragment's original decode time, BigInt), or null.
export function rebaseFragment(frag, base) {
	const t = findTfdt(frag);
	if (t === null)
		return null;
	const out = frag.slice();
	const v = new DataView(out.buffer);
	const p = t.off + 4;
	const time = t.v1 ? v.getBigUint64(p) : BigInt(v.getUint32(p));
	const b = base === null ? time : base;
	const nt = time >= b ? time - b : 0n;
	if (t.v1)
		v.setBigUint64(p, nt);
	else
		v.setUint32(p, Number(nt));
	return { bytes: out, time };
}

function sameBytes(a, b) {
	if (a.length !== b.length)
		return false;
	for (let i = 0; i < a.length; i++)
		if (a[i] !== b[i])
			return false;
	return true;
}

// Cuts a run of media chunks (in order) to a clip [fromUs, toUs): from the last keyframe at
// or before fromUs (decoding needs it; so a clip starts up to one GOP early) to the last
// frame before toUs. push(chunk) returns the chunks to keep now, or null once past the end.
export class ClipCut {
	constructor(fromUs, toUs) {
		this.from = fromUs;
		this.to = toUs;
		this.started = false;
		this.pre = [];
	}

	push(c) {
		if (c.wallUs >= this.to)
			return null;
		const key = (c.flags & KEYFRAME) !== 0;
		if (this.started)
			return [c];
		if (c.wallUs <= this.from) {
			if (key)
				this.pre = [c];
			else if (this.pre.length > 0)
				this.pre.push(c);
			return [];
		}
		if (this.pre.length === 0 && !key)
			return []; // decodable only from a keyframe
		this.started = true;
		const out = this.pre;
		this.pre = [];
		out.push(c);
		return out;
	}
}

// Decrypts [fromUs, toUs) of (cam, stream) into one fragmented MP4: the first segment's init,
// then every frame from the last keyframe at or before fromUs to the last frame before toUs
// (so the file covers the range, starting up to one GOP early), decode times shifted to
// start at 0. Every link is verified
// (signature, ct_hash, pinned gateway, chain) before its frames are kept. Stops at the first
// init change (codec or resolution) or a segment still being recorded, and says so in
// `stopped`. onProgress({ done, total }) in bytes. Resolves to
// { blob, frames, firstUs, lastUs, stopped, gaps } (gaps: the signed holes inside the
// range, noteGap's form); rejects with ExportError, SegmentError, ApiError or an AbortError.
export async function exportRange(na, cam, stream, fromUs, toUs, signal, onProgress) {
	if (!(toUs > fromUs))
		throw new ExportError('The end must be after the start.');
	const list = await api.segments(cam.id, stream, fromUs, toUs);
	const links = (Array.isArray(list.segments) ? list.segments : [])
		.filter((l) => Number.isSafeInteger(l.seq) && (l.kind === 'segment' || l.kind === 'gap'))
		.sort((a, b) => a.seq - b.seq);
	if (!links.some((l) => l.kind === 'segment'))
		throw new ExportError('Nothing was recorded in this range.');
	const total = links.reduce((n, l) => n + (Number.isSafeInteger(l.length) ? l.length : 0), 0);
	const reader = new SegmentReader(na, {
		camera: cam.id, stream, keyFor: (c, e) => keys.epochKey(c, e), pins: keys.pinnedGateways(cam.id),
	});
	const parts = [];
	const cut = new ClipCut(fromUs, toUs);
	let base = null; // the first kept frame's decode time: the file starts at 0
	let init = null, done = 0, frames = 0, firstUs = null, lastUs = null, stopped = null;
	const gaps = [];
	let afterGap = false; // the link before was a gap of the range
	let linked = 0, prevSeq = null; // links verified so far, and the last one's seq
	onProgress({ done, total });
	outer:
	for (const l of links) {
		let bytes;
		try {
			bytes = await api.segmentBytes(cam.id, stream, l.seq, signal);
		} catch (e) {
			if (e.status === 404 || e.status === 416) {
				stopped = 'the rest of this range is not stored yet';
				break;
			}
			throw e;
		}
		done += bytes.length;
		onProgress({ done, total: Math.max(total, done) });
		const r = readLink(reader, bytes, l.seq);
		if (r.incomplete) {
			stopped = 'the rest of this range is still being recorded';
			break;
		}
		// Every link after the first continues the one before (its seq and the hash of its
		// signature): a link the server left out, replayed or reordered breaks the export
		// rather than leaving a silent hole or a foreign clip in the file.
		if (linked > 0 && !r.info.chained)
			throw new SegmentError('chain', `link ${l.seq} does not continue link ${prevSeq}: a recording is missing or out of order`);
		linked++;
		prevSeq = l.seq;
		if (r.kind === 'gap' && r.info.toUs > fromUs && r.info.fromUs < toUs)
			noteGap(gaps, r.info, afterGap);
		afterGap = r.kind === 'gap';
		if (r.kind !== 'segment')
			continue;
		for (const c of r.chunks) {
			if (c.kind === CHUNK.INIT) {
				if (init === null) {
					init = c.body.slice();
				} else if (!sameBytes(init, c.body)) {
					stopped = `the stream changed (codec or resolution) at ${new Date(c.wallUs / 1000).toISOString()}: export the rest separately`;
					break outer;
				}
				continue;
			}
			const kept = cut.push(c);
			if (kept === null)
				break outer;
			for (const k of kept) {
				const rb = rebaseFragment(k.body, base);
				if (rb === null)
					throw new ExportError('a frame without a decode time: this stream cannot be exported here');
				if (base === null)
					base = rb.time;
				parts.push(rb.bytes);
				frames++;
				if (firstUs === null)
					firstUs = k.wallUs;
				lastUs = k.wallUs;
			}
		}
	}
	if (init === null || frames === 0)
		throw new ExportError(stopped !== null ? 'Nothing could be exported: ' + stopped + '.' : 'No frame was recorded in this range.');
	return { blob: new Blob([init, ...parts], { type: 'video/mp4' }), frames, firstUs, lastUs, stopped, gaps };
}

const el = (tag, props, ...kids) => {
	const e = document.createElement(tag);
	Object.assign(e, props || {});
	e.append(...kids);
	return e;
};

const mb = (n) => (n / 1048576).toFixed(1) + ' MB';

// The export dialog of the player: a range (defaults: the minute before the playhead),
// progress with bytes and an estimate of the time left, cancel, and the download.
export class ExportDialog {
	constructor() {
		this.abort = null;
		this.url = null;
		this.from = el('input', { id: 'export-from', type: 'datetime-local', step: 1 });
		this.to = el('input', { id: 'export-to', type: 'datetime-local', step: 1 });
		this.go = el('button', { id: 'export-go', type: 'submit', textContent: 'Export' });
		this.cancel = el('button', { id: 'export-cancel', type: 'button', textContent: 'Cancel', className: 'ghost' });
		this.bar = el('progress', { id: 'export-progress', max: 1, value: 0 });
		this.status = el('p', { id: 'export-status', className: 'status' });
		this.status.setAttribute('role', 'status');
		this.link = el('a', { id: 'export-link', hidden: true });
		const form = el('form', { className: 'dlg-form' },
			el('h2', { textContent: 'Export a clip' }),
			el('p', { className: 'muted', textContent: 'The clip is decrypted and verified in this browser, then saved as an .mp4; the server never sees it in the clear.' }),
			el('label', { htmlFor: 'export-from', textContent: 'From' }), this.from,
			el('label', { htmlFor: 'export-to', textContent: 'To' }), this.to,
			this.bar, this.status, this.link,
			el('div', { className: 'dlg-buttons' }, this.go, this.cancel));
		this.dlg = el('dialog', { id: 'export-dialog', className: 'dlg' }, form);
		form.addEventListener('submit', (e) => {
			e.preventDefault();
			this.run();
		});
		this.cancel.addEventListener('click', () => this.close());
		this.dlg.addEventListener('close', () => this.close());
		document.body.append(this.dlg);
	}

	// Opens for cam ({ id, name }) on stream; centerUs: the playhead (null: live).
	open(na, cam, stream, centerUs) {
		this.na = na;
		this.cam = cam;
		this.stream = stream;
		const now = Date.now() * 1000;
		const end = Math.min(now, centerUs !== null ? centerUs + 30e6 : now);
		this.from.value = localInput(end - 60e6);
		this.to.value = localInput(end);
		this.bar.value = 0;
		this.setStatus('');
		this.link.hidden = true;
		this.go.disabled = false;
		this.cancel.textContent = 'Close';
		this.dlg.dataset.state = 'idle';
		if (!this.dlg.open)
			this.dlg.showModal();
	}

	setStatus(text, isError) {
		this.status.textContent = text;
		this.status.classList.toggle('error', !!isError);
	}

	async run() {
		const fromUs = parseLocal(this.from.value), toUs = parseLocal(this.to.value);
		if (fromUs === null || toUs === null || toUs <= fromUs) {
			this.setStatus('Choose a start and an end after it.', true);
			return;
		}
		if (toUs > Date.now() * 1000 + 1e6) {
			this.setStatus('The end is in the future.', true);
			return;
		}
		this.abort = new AbortController();
		this.go.disabled = true;
		this.cancel.textContent = 'Cancel';
		this.link.hidden = true;
		this.dlg.dataset.state = 'running';
		const t0 = performance.now();
		try {
			const r = await exportRange(this.na, this.cam, this.stream, fromUs, toUs, this.abort.signal, ({ done, total }) => {
				this.bar.max = Math.max(1, total);
				this.bar.value = done;
				const s = (performance.now() - t0) / 1000;
				const left = done > 0 && s > 0.5 ? Math.ceil(s * (total - done) / done) : null;
				this.setStatus(`${mb(done)} of ${mb(total)}` + (left !== null ? ` · about ${left} s left` : ''));
			});
			this.save(r.blob, exportName(this.cam.name, fromUs, toUs));
			const secs = ((r.lastUs - r.firstUs) / 1e6).toFixed(1);
			this.setStatus(`Saved ${r.frames} frames (${secs} s, ${mb(r.blob.size)}), every segment verified.` +
				(r.gaps.length > 0 ? ` Not in the file, as signed by the gateway: ${gapsText(r.gaps)}.` : '') +
				(r.stopped !== null ? ` Stopped early: ${r.stopped}.` : ''), r.stopped !== null);
			this.dlg.dataset.state = 'done';
			this.dlg.dataset.frames = String(r.frames);
			this.dlg.dataset.gaps = String(r.gaps.length);
		} catch (e) {
			if (e.name === 'AbortError') {
				this.setStatus('Cancelled.');
				this.dlg.dataset.state = 'cancelled';
			} else {
				this.setStatus(e.message || String(e), true);
				this.dlg.dataset.state = 'error';
			}
		} finally {
			this.abort = null;
			this.go.disabled = false;
			this.cancel.textContent = 'Close';
		}
	}

	save(blob, name) {
		if (this.url !== null)
			URL.revokeObjectURL(this.url);
		this.url = URL.createObjectURL(blob);
		this.link.href = this.url;
		this.link.download = name;
		this.link.textContent = 'Save ' + name + ' again';
		this.link.hidden = false;
		this.link.click();
	}

	// Drops the last export's decrypted file: its blob URL revoked, the "save again" link gone,
	// a running export cancelled (leaving the camera, signing out).
	forget() {
		if (this.abort !== null)
			this.abort.abort();
		if (this.url !== null)
			URL.revokeObjectURL(this.url);
		this.url = null;
		this.link.removeAttribute('href');
		this.link.hidden = true;
		if (this.dlg.open)
			this.dlg.close();
	}

	// Cancels a running export, or closes the dialog.
	close() {
		if (this.abort !== null) {
			this.abort.abort();
			return;
		}
		if (this.dlg.open)
			this.dlg.close();
	}
}
