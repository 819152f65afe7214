// shareview.js - the page a share link (/s/ID#K) opens: plays only the shared clip, with no account.
import * as api from './api.js';
import { sodium } from './sodium.js';
import { SegmentReader, SegmentError, readLink, toHex, CHUNK } from './segment.js';
import { ClipCut } from './export.js';
import { PlayerError, canPlay, mimeFor } from './mse.js';

const STREAM_NUM = { main: 0, sub: 1 };
// The largest sealed manifest a link holds: the server's SHARES_MANIFEST_MAX. share.js
// refuses to seal more; a server that answers with more is refused before it is decoded.
export const MANIFEST_MAX = 512 * 1024;
// The most segments an open lists (the server's SHARE_SEGMENTS_MAX).
const LISTED_MAX = 100000;
// The open proof (docs/design/shares.md, "Open proof"): BLAKE2b-256 keyed with K over this
// context. It is not K and opens nothing; the sharer's page sends only its hash when it
// creates the link, the recipient's page the proof itself when it opens it, so the link's
// id alone (in every proxy log) spends no view.
export const OPEN_PROOF_CONTEXT = 'vigil share open v1';

const el = (tag, props, ...kids) => {
	const e = document.createElement(tag);
	Object.assign(e, props || {});
	e.append(...kids);
	return e;
};
const waitEvent = (t, name) => new Promise((r) => t.addEventListener(name, r, { once: true }));
const when = (us) => new Date(us / 1000).toLocaleString();
const clock = (us) => new Date(us / 1000).toLocaleTimeString();

function hexBytes(s, n) {
	if (typeof s !== 'string' || s.length % 2 !== 0 || (n !== undefined && s.length !== 2 * n) || !/^[0-9a-f]*$/.test(s))
		throw new Error('malformed hex');
	const out = new Uint8Array(s.length / 2);
	for (let i = 0; i < out.length; i++)
		out[i] = parseInt(s.substr(2 * i, 2), 16);
	return out;
}

// The share id of a /s/ID path, or null.
export function shareIdOf(pathname) {
	const m = /^\/s\/([0-9a-f]{32})$/.exec(pathname);
	return m ? m[1] : null;
}

// K from the #fragment (base64url, no padding, 32 bytes), or null.
export function keyOfFragment(na, hash) {
	const s = String(hash || '').replace(/^#/, '');
	if (!/^[A-Za-z0-9_-]{43}$/.test(s))
		return null;
	try {
		const k = na.from_base64(s, na.base64_variants.URLSAFE_NO_PADDING);
		return k.length === 32 ? k : null;
	} catch (e) {
		return null;
	}
}

// The open proof of link key k (32 bytes; the caller wipes it).
export function openProof(na, k) {
	return na.crypto_generichash(32, na.from_string(OPEN_PROOF_CONTEXT), k);
}

// What the server stores of it: BLAKE2b-256 of the proof.
export function openProofHash(na, k) {
	const p = openProof(na, k);
	try {
		return na.crypto_generichash(32, p, null);
	} finally {
		p.fill(0);
	}
}

// Opens a sealed manifest (hex: nonce(24) || secretbox) with K and checks its shape.
// Throws Error('badkey') when it does not open, Error('badmanifest') when it is malformed,
// Error('toolarge') when it is larger than any link holds (MANIFEST_MAX): the size is the
// server's to choose, so it is checked before a byte is decoded.
export function openManifest(na, hex, k) {
	if (typeof hex !== 'string')
		throw new Error('badmanifest');
	if (hex.length > 2 * MANIFEST_MAX)
		throw new Error('toolarge');
	let sealed;
	try {
		sealed = hexBytes(hex);
	} catch (e) {
		throw new Error('badmanifest');
	}
	if (sealed.length < 24 + 16)
		throw new Error('badmanifest');
	let plain;
	try {
		plain = na.crypto_secretbox_open_easy(sealed.subarray(24), sealed.subarray(0, 24), k);
	} catch (e) {
		throw new Error('badkey');
	}
	let m;
	try {
		m = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain));
	} catch (e) {
		throw new Error('badmanifest');
	} finally {
		plain.fill(0);
	}
	const ok = m !== null && typeof m === 'object' && (m.v === 1 || m.v === 2) && typeof m.camera === 'string' && /^[0-9a-f]{32}$/.test(m.camera) &&
		STREAM_NUM[m.stream] !== undefined && Number.isSafeInteger(m.from_us) && Number.isSafeInteger(m.to_us) && m.to_us > m.from_us &&
		typeof m.gateway_pk === 'string' && /^[0-9a-f]{64}$/.test(m.gateway_pk) && Array.isArray(m.segments) && m.segments.length > 0 &&
		m.segments.every((s) => s !== null && typeof s === 'object' && Number.isSafeInteger(s.seq) && s.seq >= 0 &&
			typeof s.key === 'string' && /^[0-9a-f]{64}$/.test(s.key)) &&
		// v2: the signed gaps between the first segment and the last (share.js).
		(m.v === 1 || (Array.isArray(m.gaps) && m.gaps.length <= m.segments.length && m.gaps.every((g) => g !== null &&
			typeof g === 'object' && Number.isSafeInteger(g.seq) && g.seq >= 0 && typeof g.rec === 'string' &&
			/^[0-9a-f]{424}$/.test(g.rec))));
	if (!ok)
		throw new Error('badmanifest');
	const segKeys = new Map();
	for (const s of m.segments)
		segKeys.set(s.seq, hexBytes(s.key, 32));
	const gaps = new Map();
	for (const g of m.v === 2 ? m.gaps : [])
		gaps.set(g.seq, hexBytes(g.rec, 212));
	if ([...gaps.keys()].some((q) => segKeys.has(q)))
		throw new Error('badmanifest');
	return {
		// A v2 manifest says whether the org signed the name; the page marks one it did not.
		camera: m.camera, cameraName: (typeof m.camera_name === 'string' ? m.camera_name.slice(0, 64) : '') +
			(m.v === 2 && m.name_signed !== true ? ' (name not signed)' : ''),
		stream: STREAM_NUM[m.stream], streamName: m.stream, fromUs: m.from_us, toUs: m.to_us,
		gateway: hexBytes(m.gateway_pk, 32), segKeys, seqs: [...segKeys.keys()].sort((a, b) => a - b),
		// v2: every link after the first must continue the one before; a v1 link (made before
		// the sharer's console checked the chain) is played with a note that it was not.
		chain: m.v === 2, gaps, links: [...segKeys.keys(), ...gaps.keys()].sort((a, b) => a - b),
	};
}

const MESSAGES = {
	notfound: ['This link does not exist', 'Check that you copied the whole link.'],
	badlink: ['This link is incomplete', 'The part after # (the key of the clip) is missing or damaged. Ask for the link again and copy all of it.'],
	badkey: ['This link does not open its clip', 'The key in the link is wrong: the link was mangled or mixed up with another one.'],
	badmanifest: ['This link is damaged', 'The clip description did not decode.'],
	toolarge: ['This link is damaged', `The server sent a clip description larger than a link can hold (${MANIFEST_MAX / 1024} KiB): it was not opened.`],
	mismatch: ['This clip cannot be trusted', 'The server\'s answer does not match what the link describes.'],
	throttled: ['Too many attempts', 'Wait a minute and reload the page.'],
};

// The share page: no sign-in, only the clip the link names.
export class ShareView {
	constructor(root) {
		this.root = root;
		this.na = null;
		this.k = null;
		this.m = null;
		this.frames = 0;       // frames decrypted
		this.placed = [];      // [{ t, wallUs }] media time -> wall clock
		this.abort = new AbortController();
		this.title = el('h1', { id: 'share-cam', textContent: 'Shared clip' });
		this.range = el('p', { id: 'share-range', className: 'muted' });
		this.video = el('video', { id: 'share-video', muted: true, playsInline: true });
		this.video.setAttribute('aria-label', 'shared clip');
		this.overlay = el('div', { id: 'share-overlay', className: 'overlay' });
		this.play = el('button', { id: 'share-play', type: 'button', textContent: 'Pause', title: 'Play or pause (Space)', disabled: true });
		this.scrub = el('input', { id: 'share-scrub', type: 'range', min: 0, max: 1, step: 'any', value: 0, disabled: true });
		this.scrub.setAttribute('aria-label', 'position in the clip');
		this.clock = el('span', { id: 'share-clock', className: 'clock' });
		this.info = el('p', { id: 'share-info', className: 'muted' });
		this.foot = el('p', { id: 'share-foot', className: 'muted foot' });
		this.msg = el('div', { id: 'share-msg', className: 'card share-msg', hidden: true });
		root.append(
			el('div', { className: 'cam-head' }, this.title, this.clock),
			this.range,
			el('div', { className: 'screen cam-screen' }, this.video, this.overlay),
			el('div', { className: 'controls' }, this.play, this.scrub),
			this.info, this.foot, this.msg,
			el('p', { className: 'keys', textContent: 'Keys: Space play/pause · ← → 5 s. The clip is decrypted and verified in this browser; its key never leaves it.' }));
		this.play.addEventListener('click', () => this.toggle());
		this.scrub.addEventListener('input', () => this.seekWall(Number(this.scrub.value)));
		document.addEventListener('keydown', (e) => this.key(e));
		window.addEventListener('pagehide', () => this.wipe());
		if (typeof this.video.requestVideoFrameCallback === 'function') {
			const cb = (now, md) => {
				this.presented = (this.presented || 0) + 1;
				const w = this.wallAt(md.mediaTime);
				if (w !== null)
					this.shownUs = w;
				this.video.requestVideoFrameCallback(cb);
			};
			this.video.requestVideoFrameCallback(cb);
		}
		setInterval(() => this.tick(), 200);
	}

	setState(state, text) {
		document.body.dataset.share = state;
		this.overlay.textContent = text || '';
		this.overlay.hidden = !text;
	}

	// A page with only a message (no clip): the link does not work.
	stopWith(code, title, detail) {
		this.setState(code);
		this.abort.abort();
		this.msg.replaceChildren(el('h2', { textContent: title }), el('p', { textContent: detail || '' }));
		this.msg.hidden = false;
		this.video.hidden = true;
		this.play.disabled = true;
		this.scrub.disabled = true;
		this.wipe();
	}

	wipe() {
		if (this.k !== null)
			this.k.fill(0);
		this.k = null;
		if (this.m !== null)
			for (const v of this.m.segKeys.values())
				v.fill(0);
	}

	async run() {
		this.na = await sodium();
		const na = this.na;
		const id = shareIdOf(location.pathname);
		if (id === null)
			return this.stopWith('notfound', ...MESSAGES.notfound);
		// No key, no view: the link is checked before the server counts a view.
		this.k = keyOfFragment(na, location.hash);
		if (this.k === null)
			return this.stopWith('badlink', ...MESSAGES.badlink);
		this.setState('loading', 'Opening the link…');
		// The proof of K, not K: without it the server counts no view (403).
		const proof = openProof(na, this.k);
		let o;
		try {
			o = await api.openShare(id, toHex(proof));
		} catch (e) {
			if (e.status === 404)
				return this.stopWith('notfound', ...MESSAGES.notfound);
			if (e.status === 403)
				return this.stopWith('badkey', ...MESSAGES.badkey);
			if (e.status === 410)
				return this.stopWith('expired', /revoked/.test(e.message) ? 'This link has been revoked'
					: /limit/.test(e.message) ? 'This link has reached its view limit' : 'This link has expired',
					'Ask the person who shared it for a new one.');
			if (e.status === 429)
				return this.stopWith('throttled', ...MESSAGES.throttled);
			return this.stopWith('error', 'The clip cannot be opened', e.message);
		} finally {
			proof.fill(0);
		}
		try {
			this.m = openManifest(na, o.manifest, this.k);
		} catch (e) {
			const code = e.message === 'badkey' || e.message === 'toolarge' ? e.message : 'badmanifest';
			return this.stopWith(code, ...MESSAGES[code]);
		}
		const m = this.m;
		if (o.camera !== m.camera || o.stream !== m.streamName || o.from_us !== m.fromUs || o.to_us !== m.toUs ||
			typeof o.token !== 'string' || !/^[0-9a-f]{64}$/.test(o.token) ||
			(Array.isArray(o.segments) && o.segments.length > LISTED_MAX))
			return this.stopWith('mismatch', ...MESSAGES.mismatch);
		this.id = id;
		this.token = o.token;
		this.expiresUs = o.expires_us;
		document.title = `${m.cameraName || 'Camera'} — shared clip`;
		this.title.textContent = m.cameraName || 'Camera ' + m.camera.slice(0, 8);
		this.range.textContent = `${when(m.fromUs)} – ${clock(m.toUs)} (${Math.round((m.toUs - m.fromUs) / 1e6)} s, ${m.streamName === 'main' ? 'main stream' : 'substream'})`;
		this.info.textContent = `View ${o.views} of ${o.max_views} · this link expires ${when(o.expires_us)}`;
		this.info.dataset.views = String(o.views);
		this.info.dataset.maxViews = String(o.max_views);
		this.scrub.min = String(m.fromUs);
		this.scrub.max = String(m.toUs);
		this.scrub.value = String(m.fromUs);
		this.scrub.dataset.from = String(m.fromUs);
		this.scrub.dataset.to = String(m.toUs);
		// Only the seqs the manifest names, whatever else the server lists.
		const listed = new Map((Array.isArray(o.segments) ? o.segments : []).filter((s) => Number.isSafeInteger(s.seq)).map((s) => [s.seq, s]));
		let total = 0;
		for (const s of m.seqs)
			total += listed.has(s) && Number.isSafeInteger(listed.get(s).bytes) ? listed.get(s).bytes : 0;
		this.total = total;
		try {
			await this.load();
		} catch (e) {
			this.fail(e);
		}
		return undefined;
	}

	// Fetches, verifies and appends every segment of the manifest in order.
	async load() {
		const m = this.m, na = this.na;
		const reader = new SegmentReader(na, {
			camera: m.camera, stream: m.stream, pins: [m.gateway],
			keyFor: () => null,
			segKey: (h) => (m.segKeys.has(h.seq) ? m.segKeys.get(h.seq).slice() : null),
		});
		const cut = new ClipCut(m.fromUs, m.toUs);
		this.ms = new MediaSource();
		const opened = waitEvent(this.ms, 'sourceopen');
		this.video.src = URL.createObjectURL(this.ms);
		await opened;
		let got = 0, init = null, segs = 0, links = 0;
		for (const seq of m.links) {
			if (m.gaps.has(seq)) {
				// A signed gap the sharer verified: it carries the chain across.
				const rec = new Uint8Array(5 + 212);
				new DataView(rec.buffer).setUint32(0, 212);
				rec[4] = 4;
				rec.set(m.gaps.get(seq), 5);
				const g = readLink(reader, rec, seq);
				if (g.incomplete || (links > 0 && !g.info.chained))
					throw new SegmentError('chain', `the clip's link ${seq} does not continue the one before it`);
				links++;
				continue;
			}
			let bytes;
			try {
				bytes = await api.shareSegmentBytes(this.id, seq, this.token, this.abort.signal);
			} catch (e) {
				if (e.status === 404 && Date.now() * 1000 >= this.expiresUs)
					return this.stopWith('expired', 'This link has expired', 'Ask the person who shared it for a new one.');
				throw e;
			}
			got += bytes.length;
			const r = readLink(reader, bytes);
			if (r.incomplete)
				throw new SegmentError('format', `segment ${seq} is incomplete`);
			if (r.info.seq !== seq)
				throw new SegmentError('camera', 'the server sent another segment than the one asked for');
			if (m.chain && links > 0 && !r.info.chained)
				throw new SegmentError('chain', `segment ${seq} does not continue the link before it: a link of the clip is missing or swapped`);
			links++;
			segs++;
			let run = [], past = false;
			for (const c of r.chunks) {
				if (c.kind === CHUNK.INIT) {
					if (init === null) {
						await this.initSource(c);
						init = c;
					}
					continue;
				}
				const kept = cut.push(c);
				if (kept === null) {
					past = true;
					break;
				}
				run.push(...kept);
			}
			this.frames += r.chunks.length;
			await this.appendRun(run);
			this.foot.textContent = `${segs} of ${m.seqs.length} segments verified · ${this.frames} frames decrypted` +
				(this.total > 0 ? ` · ${(got / 1048576).toFixed(1)} of ${(this.total / 1048576).toFixed(1)} MB` : '') +
				(m.chain ? (m.gaps.size > 0 ? ` · ${m.gaps.size} signed gap${m.gaps.size === 1 ? '' : 's'} (not recorded)` : '')
					: ' · an older link: that no segment is missing between them was not checked');
			if (this.placed.length > 0 && this.play.disabled) {
				this.play.disabled = false;
				this.scrub.disabled = false;
				this.video.currentTime = this.placed[0].t + 0.001;
				this.video.play().catch(() => {});
				this.setState('playing');
			}
			if (past)
				break;
		}
		if (this.placed.length === 0)
			return this.stopWith('error', 'Nothing to play', 'No frame of this clip was recorded.');
		if (this.ms.readyState === 'open')
			this.ms.endOfStream();
		document.body.dataset.loaded = '1';
		return undefined;
	}

	async initSource(c) {
		if (!canPlay(c.codec))
			throw new PlayerError('codec', `this browser cannot play ${c.codec}; export it instead`);
		this.sb = this.ms.addSourceBuffer(mimeFor(c.codec));
		this.sb.mode = 'sequence';
		this.sb.appendBuffer(c.body);
		await waitEvent(this.sb, 'updateend');
	}

	// Appends frames in one call; their media times are spread evenly over what they filled.
	async appendRun(run) {
		if (run.length === 0)
			return;
		let n = 0;
		for (const c of run)
			n += c.body.length;
		const bytes = new Uint8Array(n);
		let o = 0;
		for (const c of run) {
			bytes.set(c.body, o);
			o += c.body.length;
		}
		const b0 = this.sb.buffered;
		const t0 = b0.length ? b0.end(b0.length - 1) : 0;
		this.sb.appendBuffer(bytes);
		await waitEvent(this.sb, 'updateend');
		const b1 = this.sb.buffered;
		const t1 = b1.length ? b1.end(b1.length - 1) : t0;
		const d = (t1 - t0) / run.length;
		run.forEach((c, i) => this.placed.push({ t: t0 + i * d, wallUs: c.wallUs }));
	}

	wallAt(t) {
		const p = this.placed;
		if (p.length === 0 || t < p[0].t - 0.01)
			return null;
		let lo = 0, hi = p.length - 1;
		while (lo < hi) {
			const mid = (lo + hi + 1) >> 1;
			if (p[mid].t <= t + 0.002)
				lo = mid;
			else
				hi = mid - 1;
		}
		return p[lo].wallUs;
	}

	// Moves the playhead to the frame shown at wall time us (within what is loaded).
	seekWall(us) {
		const p = this.placed;
		if (p.length === 0)
			return;
		let t = p[0].t;
		for (const x of p) {
			if (x.wallUs > us)
				break;
			t = x.t;
		}
		this.video.currentTime = t + 0.001;
	}

	toggle() {
		if (this.play.disabled)
			return;
		if (this.video.paused)
			this.video.play().catch(() => {});
		else
			this.video.pause();
	}

	key(e) {
		if (e.ctrlKey || e.metaKey || e.altKey || (e.target && /^(INPUT|BUTTON|SELECT)$/.test(e.target.tagName) && e.key === ' '))
			return;
		if (e.key === ' ')
			this.toggle();
		else if (e.key === 'ArrowLeft' || e.key === 'ArrowRight')
			this.video.currentTime = Math.max(0, this.video.currentTime + (e.key === 'ArrowLeft' ? -5 : 5));
		else
			return;
		e.preventDefault();
	}

	tick() {
		const v = this.video;
		const q = v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : null;
		document.body.dataset.presented = String(q ? q.totalVideoFrames : 0);
		document.body.dataset.decrypted = String(this.frames);
		this.play.textContent = v.paused ? 'Play' : 'Pause';
		const w = v.paused ? this.wallAt(v.currentTime) : this.shownUs;
		if (w !== null && w !== undefined) {
			this.clock.textContent = clock(w);
			document.body.dataset.wallUs = String(w);
			if (document.activeElement !== this.scrub)
				this.scrub.value = String(w);
		}
	}

	fail(e) {
		if (e && e.name === 'AbortError')
			return;
		if (e instanceof SegmentError) {
			if (e.code === 'key' || e.code === 'decrypt')
				this.stopWith('badkey', 'This link does not open its clip', 'A segment did not decrypt with the key in the link: ' + e.message);
			else
				this.stopWith('tamper', 'Verification failed', 'This footage was altered or is not from the camera\'s gateway: ' + e.message);
		} else if (e instanceof PlayerError) {
			this.stopWith('codec', 'This browser cannot play the clip', e.message);
		} else if (e && e.status === 404) {
			this.stopWith('expired', 'This link no longer works', 'It expired or was revoked while you watched.');
		} else {
			this.stopWith('error', 'The clip cannot be played', e && e.message ? e.message : String(e));
		}
	}
}

// Entry point from app.js when the page is /s/ID.
export async function startShareView() {
	const root = el('main', { id: 'view-share', className: 'camera share' });
	document.body.append(root);
	document.body.dataset.view = 'share';
	const v = new ShareView(root);
	await v.run();
}
