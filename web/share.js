// share.js - creates share links for a clip: segment keys re-wrapped under a random key that only the link's #fragment carries.
import * as api from './api.js';
import * as keys from './keys.js';
import { afterGap, decodeGap, decodeSegEnd, decodeSegHeader, openSegmentKey, toHex, verifyGap, verifySegmentEnds,
	LIVE_ONLY } from './segment.js';
import { localInput, parseLocal } from './export.js';
import { kdfTestFloor } from './login.js';
import { MANIFEST_MAX, openProofHash } from './shareview.js';

const HEAD_BYTES = 5 + 208;        // u32 len | u8 type | SEG_HEADER payload
const TAIL_BYTES = 5 + 120;        // u32 len | u8 type | SEG_END payload (a link's last record)
const GAP_BYTES = 5 + 212;         // u32 len | u8 type | GAP payload (a gap link is that one record)
const MAX_RANGE_US = 86400e6;      // the server's limit on a share's range
const MAX_EXPIRY_US = 30 * 86400e6;
// The most plaintext a sealed manifest of MANIFEST_MAX bytes holds (nonce 24, MAC 16).
export const MANIFEST_PLAIN_MAX = MANIFEST_MAX - 24 - 16;
// Bytes of JSON each listed link adds to a manifest, besides its seq's digits:
// {"seq":N,"key":"<64 hex>"}, and {"seq":N,"rec":"<424 hex>"} for a gap; and the least
// the rest of the manifest takes.
const SEG_ENTRY = 82, GAP_ENTRY = 442, MANIFEST_BASE = 256;
export const STREAM_NAME = { 0: 'main', 1: 'sub' };

export class ShareError extends Error {}

// A gap inside the range (camera offline, spool evicted): its signed record, verified under
// the gateway that signed the segment before it and checked against the chain so far; it
// goes into the manifest for the recipient's chain.
async function gapLink(na, cam, stream, seq, gateway, expect, signal) {
	const b = await api.segmentBytes(cam.id, stream, seq, signal);
	const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
	if (b.length !== GAP_BYTES || dv.getUint32(0) !== 212 || b[4] !== 4)
		throw new ShareError(`link ${seq} is not the gap the server listed`);
	let g;
	try {
		g = decodeGap(b.slice(5));
		if (g.camera !== cam.id || g.stream !== stream || g.seq !== seq)
			throw new ShareError(`link ${seq} is not the one asked for`);
		if (!na.memcmp(g.gateway, gateway))
			throw new ShareError(`link ${seq} is signed by another gateway than the segments around it`);
		verifyGap(na, g);
	} catch (e) {
		throw e instanceof ShareError ? e : new ShareError(`link ${seq}: ${e.message}`);
	}
	if (expect !== null && !na.memcmp(g.prevHash, expect.hash))
		throw new ShareError(`link ${seq} does not continue the link before it: the server's list is not the recording`);
	return { g, rec: toHex(g.raw) };
}

// The least a manifest of these links takes (the server's list decides how many there are).
function manifestFloor(links) {
	return links.reduce((n, l) => n + (l.kind === 'gap' ? GAP_ENTRY : SEG_ENTRY) + String(l.seq).length, MANIFEST_BASE);
}

// nSegs: how many segments (null: not counted); bytes: the manifest's size, or its floor.
function tooLarge(nSegs, bytes) {
	const kib = (n) => Math.ceil(n / 1024);
	const fit = Math.floor((MANIFEST_PLAIN_MAX - MANIFEST_BASE) / (SEG_ENTRY + 6) / 100) * 100;
	return new ShareError(`This range is too long for one link: ${nSegs !== null ? `its ${nSegs} segments` : 'its keys'} need ` +
		`${kib(bytes)} KiB and a link holds ${kib(MANIFEST_MAX)} KiB (about ${fit} segments). Share a shorter range.`);
}

// The manifest (docs/design/console.md, "Shares") of [fromUs, toUs) of (cam, stream): each
// segment's header is fetched (a Range of its first record), its sealed key opened with the
// epoch key this tab holds. All segments must be signed by one gateway this tab trusts, and
// from the first segment to the last every link must continue the one before (the server
// lists the links: a list that leaves one out, or swaps one, is refused); the signed gaps in
// between go into the manifest so that the recipient checks the same chain. Resolves to the
// plaintext bytes (the caller wipes them).
export async function buildManifest(na, cam, stream, fromUs, toUs, signal) {
	const list = await api.segments(cam.id, stream, fromUs, toUs);
	const listed = (Array.isArray(list.segments) ? list.segments : [])
		.filter((l) => (l.kind === 'segment' || l.kind === 'gap') && Number.isSafeInteger(l.seq) && l.seq >= 0 &&
			l.start_us < toUs && l.end_us > fromUs)
		.sort((a, b) => a.seq - b.seq);
	// From the first segment to the last: gaps at the edges are outside the clip.
	const first = listed.findIndex((l) => l.kind === 'segment');
	const last = listed.length - 1 - [...listed].reverse().findIndex((l) => l.kind === 'segment');
	if (first < 0)
		throw new ShareError('Nothing was recorded in this range.');
	const links = listed.slice(first, last + 1);
	// The server's list decides the manifest's size: a range whose keys cannot fit in a link
	// is refused before a single header is fetched (and the manifest is measured again
	// before it is sealed).
	const floor = manifestFloor(links);
	if (floor > MANIFEST_PLAIN_MAX)
		throw tooLarge(links.filter((l) => l.kind === 'segment').length, floor);
	const pins = keys.pinnedGateways(cam.id);
	const segs = [], gaps = [];
	let gateway = null, expect = null;
	for (const l of links) {
		if (expect !== null && l.seq !== expect.seq)
			throw new ShareError(`link ${expect.seq} is missing from the server's list of this range (it listed ${l.seq} next)`);
		if (l.kind === 'gap') {
			const { g, rec } = await gapLink(na, cam, stream, l.seq, gateway, expect, signal);
			gaps.push({ seq: g.seq, rec });
			expect = afterGap(na, g);
			continue;
		}
		const b = await api.segmentHead(cam.id, stream, l.seq, HEAD_BYTES, signal);
		const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
		if (b.length !== HEAD_BYTES || dv.getUint32(0) !== 208 || b[4] !== 1)
			throw new ShareError(`segment ${l.seq} does not start with a segment header`);
		const h = decodeSegHeader(b.slice(5));
		if (h.camera !== cam.id || h.stream !== stream || h.seq !== l.seq)
			throw new ShareError(`segment ${l.seq} is not the one asked for`);
		// Live-only video (never recorded) is not the archive's: a server that kept one and
		// lists it must not get its key into a link.
		if ((h.flags & LIVE_ONLY) !== 0)
			throw new ShareError(`segment ${l.seq} is live-only video, never recorded: not shared`);
		if (!pins.some((k) => na.memcmp(k, h.gateway)))
			throw new ShareError(`segment ${l.seq} is signed by a gateway this organization does not trust`);
		if (gateway !== null && !na.memcmp(gateway, h.gateway))
			throw new ShareError('the range spans two gateways: share each part separately');
		// The server's listing chose this segment; its own signed times must agree before
		// its key goes into the manifest (else a server could slip in keys outside the range).
		const t = await api.segmentTail(cam.id, stream, l.seq, TAIL_BYTES, signal);
		const tv = new DataView(t.buffer, t.byteOffset, t.byteLength);
		if (t.length !== TAIL_BYTES || tv.getUint32(0) !== 120 || t[4] !== 3)
			throw new ShareError(`segment ${l.seq} does not end with a segment end`);
		let end;
		try {
			end = decodeSegEnd(t.slice(5));
			verifySegmentEnds(na, h, end);
		} catch (e) {
			throw new ShareError(`segment ${l.seq}: ${e.message}`);
		}
		if (!(h.startUs < toUs && end.endUs > fromUs))
			throw new ShareError(`segment ${l.seq} was not recorded in this range (the server listed it wrongly)`);
		if (expect !== null && !na.memcmp(h.prevHash, expect.hash))
			throw new ShareError(`segment ${l.seq} does not continue the link before it: the server's list is not the recording`);
		expect = { seq: h.seq + 1, hash: na.crypto_generichash(32, end.sig, null) };
		gateway = h.gateway;
		const k = openSegmentKey(na, h, (c, e) => keys.epochKey(c, e));
		segs.push({ seq: h.seq, key: toHex(k) });
		k.fill(0);
	}
	// v2: the links from the first segment to the last form one chain, gaps included; the
	// name goes without the console's "not signed" mark, name_signed says it (the recipient's
	// page marks it again: a name cut to 64 characters must not lose the mark).
	let name = String(cam.name || '');
	if (cam.nameSigned !== true && name.endsWith(keys.UNSIGNED_NAME))
		name = name.slice(0, -keys.UNSIGNED_NAME.length);
	const doc = {
		v: 2, camera: cam.id, camera_name: name.slice(0, 64), name_signed: cam.nameSigned === true,
		stream: STREAM_NAME[stream], from_us: fromUs, to_us: toUs, gateway_pk: toHex(gateway), segments: segs, gaps,
	};
	const plain = new TextEncoder().encode(JSON.stringify(doc));
	if (plain.length > MANIFEST_PLAIN_MAX) {
		plain.fill(0);
		throw tooLarge(segs.length, plain.length);
	}
	return plain;
}

// nonce(24) || crypto_secretbox_easy(plain, nonce, K) under a fresh K. Resolves to
// { sealedHex, k }; the caller keeps K only for the link and wipes it. A manifest larger
// than a link holds is refused (ShareError) before anything is sealed.
export function sealManifest(na, plain) {
	if (plain.length > MANIFEST_PLAIN_MAX)
		throw tooLarge(null, plain.length);
	const k = na.randombytes_buf(32);
	const nonce = na.randombytes_buf(na.crypto_secretbox_NONCEBYTES);
	const ct = na.crypto_secretbox_easy(plain, nonce, k);
	const sealed = new Uint8Array(nonce.length + ct.length);
	sealed.set(nonce, 0);
	sealed.set(ct, nonce.length);
	return { sealedHex: toHex(sealed), k };
}

// The link a recipient opens: the key travels only in the #fragment, which browsers never send.
export function shareLink(na, url, k) {
	return location.origin + url + '#' + na.to_base64(k, na.base64_variants.URLSAFE_NO_PADDING);
}

function hexBytes(s) {
	if (typeof s !== 'string' || s.length % 2 !== 0 || !/^[0-9a-f]*$/.test(s))
		throw new Error('the server sent malformed data');
	const out = new Uint8Array(s.length / 2);
	for (let i = 0; i < out.length; i++)
		out[i] = parseInt(s.substr(2 * i, 2), 16);
	return out;
}

// A fresh password proof for step-up routes: Argon2id in the sign-in worker script, the auth
// key to POST /auth/step-up; the wrap key is wiped at once.
let worker = null;
function deriveAuth(password, salt, ops, mem) {
	if (worker === null)
		worker = new Worker('/kdf-worker.js', { type: 'module', name: 'vigil-kdf-stepup' });
	const id = Math.floor(Math.random() * 2 ** 31);
	return new Promise((resolve, reject) => {
		const onMsg = (ev) => {
			if (!ev.data || ev.data.id !== id)
				return;
			worker.removeEventListener('message', onMsg);
			if (ev.data.error) {
				reject(new Error(ev.data.error));
				return;
			}
			ev.data.wrap.fill(0);
			resolve(ev.data.auth);
		};
		worker.addEventListener('message', onMsg);
		worker.postMessage({ id, password, salt, ops, mem, testFloor: kdfTestFloor() });
	});
}

export async function stepUpWithPassword(password) {
	const k = await api.call('GET', '/api/v1/auth/keys');
	const auth = await deriveAuth(password, hexBytes(k.salt), k.kdf_ops, k.kdf_mem);
	try {
		await api.stepUp({ auth_key: toHex(auth) });
	} catch (e) {
		if (e.status === 401)
			throw new Error('Wrong password.');
		throw e;
	} finally {
		auth.fill(0);
	}
}

const el = (tag, props, ...kids) => {
	const e = document.createElement(tag);
	Object.assign(e, props || {});
	e.append(...kids);
	return e;
};

const EXPIRY = [['3600', '1 hour'], ['86400', '24 hours'], ['604800', '7 days'], ['custom', 'Custom…']];
const UNITS = [['1', 'seconds'], ['60', 'minutes'], ['3600', 'hours'], ['86400', 'days']];
const when = (us) => new Date(us / 1000).toLocaleString();

// The player's "Share" dialog: range, expiry, view limit, the link with a copy button, and
// this camera's links with revoke.
export class ShareDialog {
	constructor() {
		this.busy = false;
		this.pending = null; // a sealed manifest waiting for step-up: { body, k }
		this.from = el('input', { id: 'share-from', type: 'datetime-local', step: 1 });
		this.to = el('input', { id: 'share-to', type: 'datetime-local', step: 1 });
		this.expiry = el('select', { id: 'share-expiry' }, ...EXPIRY.map(([v, t]) => el('option', { value: v, textContent: t })));
		this.customN = el('input', { id: 'share-custom-n', type: 'number', min: 1, value: 2 });
		this.customUnit = el('select', { id: 'share-custom-unit' }, ...UNITS.map(([v, t]) => el('option', { value: v, textContent: t, selected: v === '3600' })));
		this.custom = el('span', { className: 'share-custom', hidden: true }, this.customN, this.customUnit);
		this.views = el('input', { id: 'share-views', type: 'number', min: 1, max: 1000, value: 10 });
		this.go = el('button', { id: 'share-go', type: 'submit', textContent: 'Create link' });
		this.closeBtn = el('button', { id: 'share-close', type: 'button', textContent: 'Close', className: 'ghost' });
		this.status = el('p', { id: 'share-status', className: 'status' });
		this.status.setAttribute('role', 'status');
		this.link = el('input', { id: 'share-link', readOnly: true, spellcheck: false });
		this.copy = el('button', { id: 'share-copy', type: 'button', textContent: 'Copy' });
		this.result = el('div', { id: 'share-result', className: 'share-result', hidden: true }, this.link, this.copy);
		this.pw = el('input', { id: 'share-password', type: 'password', autocomplete: 'current-password' });
		this.pwGo = el('button', { id: 'share-password-go', type: 'button', textContent: 'Confirm' });
		this.stepBox = el('div', { id: 'share-stepup', className: 'share-stepup', hidden: true },
			el('label', { htmlFor: 'share-password', textContent: 'Sharing needs a recent sign-in. Your password (it stays on this device):' }),
			this.pw, this.pwGo);
		this.list = el('ul', { id: 'share-list', className: 'share-list' });
		this.listNote = el('p', { className: 'muted' });
		const form = el('form', { className: 'dlg-form' },
			el('h2', { textContent: 'Share a clip' }),
			el('p', { className: 'muted', textContent: 'Anyone with the link can watch this clip, and only it, until it expires. Its key is in the part after #, which never reaches the server.' }),
			el('label', { htmlFor: 'share-from', textContent: 'From' }), this.from,
			el('label', { htmlFor: 'share-to', textContent: 'To' }), this.to,
			el('label', { htmlFor: 'share-expiry', textContent: 'Expires after' }), el('span', {}, this.expiry, ' ', this.custom),
			el('label', { htmlFor: 'share-views', textContent: 'View limit' }), this.views,
			this.stepBox, this.status, this.result,
			el('div', { className: 'dlg-buttons' }, this.go, this.closeBtn),
			el('h3', { textContent: 'Links to this camera' }), this.listNote, this.list);
		this.dlg = el('dialog', { id: 'share-dialog', className: 'dlg' }, form);
		form.addEventListener('submit', (e) => {
			e.preventDefault();
			this.create();
		});
		this.expiry.addEventListener('change', () => {
			this.custom.hidden = this.expiry.value !== 'custom';
		});
		this.pwGo.addEventListener('click', () => this.confirmStepUp());
		this.pw.addEventListener('keydown', (e) => {
			if (e.key === 'Enter') {
				e.preventDefault();
				this.confirmStepUp();
			}
		});
		this.copy.addEventListener('click', () => this.copyLink());
		this.closeBtn.addEventListener('click', () => this.dlg.close());
		this.dlg.addEventListener('close', () => this.forget());
		document.body.append(this.dlg);
	}

	// Opens for cam ({ id, name, org }) on stream, around centerUs (the playhead; null: live).
	open(na, cam, stream, centerUs) {
		this.na = na;
		this.cam = cam;
		this.stream = stream;
		const now = Date.now() * 1000;
		const mid = centerUs !== null ? centerUs : now;
		const end = Math.min(now, mid + 30e6);
		this.from.value = localInput(end - 60e6);
		this.to.value = localInput(end);
		this.expiry.value = '86400';
		this.custom.hidden = true;
		this.forget();
		this.setStatus(cam.org ? '' : 'Sharing needs an organization: this camera is not in one.', !cam.org);
		this.go.disabled = !cam.org;
		this.dlg.dataset.state = 'idle';
		if (!this.dlg.open)
			this.dlg.showModal();
		this.refreshList();
	}

	setStatus(text, isError) {
		this.status.textContent = text;
		this.status.classList.toggle('error', !!isError);
	}

	// Drops the link, K and any manifest waiting for step-up.
	forget() {
		if (this.pending !== null)
			this.pending.k.fill(0);
		this.pending = null;
		this.link.value = '';
		this.result.hidden = true;
		this.stepBox.hidden = true;
		this.pw.value = '';
	}

	expirySeconds() {
		if (this.expiry.value !== 'custom')
			return Number(this.expiry.value);
		return Number(this.customN.value) * Number(this.customUnit.value);
	}

	async create() {
		if (this.busy)
			return;
		const na = this.na;
		const fromUs = parseLocal(this.from.value), toUs = parseLocal(this.to.value);
		const now = Date.now() * 1000;
		const expS = this.expirySeconds(), views = Number(this.views.value);
		if (fromUs === null || toUs === null || toUs <= fromUs)
			return this.setStatus('Choose a start and an end after it.', true);
		if (toUs - fromUs > MAX_RANGE_US)
			return this.setStatus('A link can share at most 24 hours.', true);
		if (!Number.isFinite(expS) || expS < 1 || expS * 1e6 > MAX_EXPIRY_US)
			return this.setStatus('The expiry must be between 1 second and 30 days.', true);
		if (!Number.isInteger(views) || views < 1 || views > 1000)
			return this.setStatus('The view limit must be 1 to 1000.', true);
		this.busy = true;
		this.go.disabled = true;
		this.forget();
		this.dlg.dataset.state = 'running';
		let plain = null;
		try {
			this.setStatus('Opening the segment keys of this range…');
			plain = await buildManifest(na, this.cam, this.stream, Math.floor(fromUs), Math.floor(toUs));
			const { sealedHex, k } = sealManifest(na, plain);
			this.pending = {
				k,
				body: {
					camera: this.cam.id, stream: STREAM_NAME[this.stream], from_us: Math.floor(fromUs), to_us: Math.floor(toUs),
					expires_us: Math.floor(Date.now() * 1000 + expS * 1e6), max_views: views, manifest: sealedHex,
					// Only the hash of the open proof: the proof (and K) stay in the link.
					open_proof_hash: toHex(openProofHash(na, k)),
				},
				expS,
			};
			await this.post();
		} catch (e) {
			this.failed(e);
		} finally {
			if (plain !== null)
				plain.fill(0);
			this.busy = false;
			this.go.disabled = false;
		}
		return undefined;
	}

	async post() {
		const p = this.pending;
		// The expiry counts from now, not from when the manifest was built (or a step-up asked).
		p.body.expires_us = Math.floor(Date.now() * 1000 + p.expS * 1e6);
		let r;
		try {
			r = await api.createShare(this.cam.org, p.body);
		} catch (e) {
			if (e.status === 403 && /step-up/i.test(e.message)) {
				this.stepBox.hidden = false;
				this.pw.focus();
				this.setStatus('Confirm your password to create the link.');
				this.dlg.dataset.state = 'stepup';
				return;
			}
			throw e;
		}
		if (typeof r.url !== 'string' || !/^\/s\/[0-9a-f]{32}$/.test(r.url))
			throw new Error('the server answered with a malformed link');
		this.link.value = shareLink(this.na, r.url, p.k);
		p.k.fill(0);
		this.pending = null;
		this.result.hidden = false;
		this.stepBox.hidden = true;
		this.setStatus(`Link created: ${r.max_views} views, until ${when(r.expires_us)}. Anyone with it can watch this clip.`);
		this.dlg.dataset.state = 'done';
		this.dlg.dataset.shareId = r.url.slice(3);
		this.link.select();
		this.refreshList();
	}

	async confirmStepUp() {
		if (this.pending === null || this.busy)
			return;
		this.busy = true;
		this.pwGo.disabled = true;
		try {
			this.setStatus('Checking your password…');
			await stepUpWithPassword(this.pw.value);
			this.pw.value = '';
			this.stepBox.hidden = true;
			await this.post();
		} catch (e) {
			this.failed(e);
		} finally {
			this.busy = false;
			this.pwGo.disabled = false;
		}
	}

	failed(e) {
		this.dlg.dataset.state = 'error';
		if (e.status === 404)
			this.setStatus('No permission to share this camera.', true);
		else
			this.setStatus(e.message || String(e), true);
	}

	async copyLink() {
		try {
			await navigator.clipboard.writeText(this.link.value);
			this.setStatus('Link copied.');
		} catch (e) {
			this.link.select();
			this.setStatus('Press Ctrl+C to copy the selected link.');
		}
	}

	async refreshList() {
		const cam = this.cam;
		this.list.replaceChildren();
		this.listNote.textContent = '';
		if (!cam.org)
			return;
		let r;
		try {
			r = await api.listShares(cam.org);
		} catch (e) {
			this.listNote.textContent = e.status === 403 ? 'Only owners and admins see the list of links.' : 'Links cannot be listed: ' + e.message;
			return;
		}
		if (cam !== this.cam)
			return;
		const mine = (Array.isArray(r.shares) ? r.shares : []).filter((s) => s.camera === cam.id && typeof s.id === 'string');
		this.listNote.textContent = mine.length === 0 ? 'No links to this camera yet.' : '';
		const now = Date.now() * 1000;
		for (const s of mine) {
			const state = s.revoked ? 'revoked' : s.expires_us <= now ? 'expired' : s.views >= s.max_views ? 'used up' : 'active';
			const li = el('li', { className: 'share-item' },
				el('span', { textContent: `${when(s.from_us)} – ${new Date(s.to_us / 1000).toLocaleTimeString()} · ${s.views} of ${s.max_views} views · ${state === 'active' ? 'until ' + when(s.expires_us) : state}` }));
			li.dataset.id = s.id;
			li.dataset.state = state;
			if (state === 'active') {
				const b = el('button', { type: 'button', className: 'ghost', textContent: 'Revoke' });
				b.addEventListener('click', async () => {
					b.disabled = true;
					try {
						await api.revokeShare(cam.org, s.id);
						this.refreshList();
					} catch (e) {
						b.disabled = false;
						this.setStatus('Revoke failed: ' + e.message, true);
					}
				});
				li.append(' ', b);
			}
			this.list.append(li);
		}
	}
}
