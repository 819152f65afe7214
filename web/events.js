// events.js - a camera's motion events for the timeline: listed by the server, each payload opened in the page with the camera's epoch key (docs/design/motion.md).
import * as api from './api.js';
import * as keys from './keys.js';

const PAYLOAD_MAX = 30 * 1024;

function hexBytes(h) {
	if (typeof h !== 'string' || h.length % 2 !== 0 || h.length > 2 * PAYLOAD_MAX || !/^[0-9a-f]*$/.test(h))
		return null;
	const out = new Uint8Array(h.length / 2);
	for (let i = 0; i < out.length; i++)
		out[i] = parseInt(h.substr(2 * i, 2), 16);
	return out;
}

const MAGIC = [0x56, 0x45, 0x56, 0x32]; // "VEV2"
const SIG_DOMAIN = new TextEncoder().encode('vigil/event/v2');
const HEAD = 4 + 32 + 64;               // magic | gateway public key | signature

// Opens one sealed payload: "VEV2" | gateway Ed25519 key | signature | u32 BE length |
// metadata JSON | JPEG (src/gateway/events.h). Anyone holding the epoch public key (the
// server too) can seal a payload, so it counts only when a gateway this viewer trusts
// (pins: the org root's gateway.cert keys) signed it. Returns { meta, jpeg }, or
// { unverified: true } when it opens but no trusted gateway signed it, or null when it
// does not open with my key or is malformed.
export function openPayload(na, cameraId, ev, pins = keys.pinnedGateways(cameraId)) {
	const k = keys.epochKey(cameraId, ev.epoch);
	const sealed = hexBytes(ev.payload);
	if (k === null || sealed === null || sealed.length < na.crypto_box_SEALBYTES + HEAD + 4)
		return null;
	let plain;
	try {
		plain = na.crypto_box_seal_open(sealed, k.pk, k.sk);
	} catch (e) {
		return null;
	}
	const gw = plain.subarray(4, 36), sig = plain.subarray(36, HEAD), body = plain.subarray(HEAD);
	const msg = new Uint8Array(SIG_DOMAIN.length + body.length);
	msg.set(SIG_DOMAIN);
	msg.set(body, SIG_DOMAIN.length);
	if (!MAGIC.every((b, i) => plain[i] === b) || !pins.some((p) => na.memcmp(p, gw))
		|| !na.crypto_sign_verify_detached(sig, msg, gw))
		return { unverified: true };
	const n = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(0, false);
	if (n > body.length - 4)
		return null;
	let meta;
	try {
		meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(4, 4 + n)));
	} catch (e) {
		return null;
	}
	if (meta === null || typeof meta !== 'object' || meta.camera !== cameraId || meta.id !== ev.id)
		return null;
	return { meta, jpeg: body.length > 4 + n ? body.slice(4 + n) : null };
}

// Events overlapping [fromUs, toUs): [{ id, startUs, endUs (0 = open), opened (opened and
// signed by a trusted gateway), unverified (opened, but not so signed: nothing of it is
// shown), score, zones, peakUs, jpeg (the thumbnail's bytes or null) }].
// An event whose payload does not open is still drawn (as a range), marked opened: false.
export async function listEvents(na, cameraId, fromUs, toUs) {
	const r = await api.events(cameraId, fromUs, toUs);
	const out = [];
	for (const ev of Array.isArray(r.events) ? r.events : []) {
		if (ev === null || typeof ev !== 'object' || !Number.isSafeInteger(ev.start_us) || !Number.isSafeInteger(ev.end_us)
			|| !Number.isInteger(ev.epoch) || typeof ev.id !== 'string')
			continue;
		const o = openPayload(na, cameraId, ev);
		const p = o !== null && !o.unverified ? o : null;
		// A verified event's times are the gateway's, signed; the listing's are the server's.
		const signed = (v) => p !== null && Number.isSafeInteger(v) && v >= 0;
		out.push({
			id: ev.id, startUs: signed(p && p.meta.start_us) ? p.meta.start_us : ev.start_us,
			endUs: signed(p && p.meta.end_us) ? p.meta.end_us : ev.end_us,
			opened: p !== null, unverified: o !== null && o.unverified === true,
			score: p && typeof p.meta.peak_score === 'number' ? p.meta.peak_score : null,
			zones: p && Array.isArray(p.meta.zones) ? p.meta.zones.filter((z) => typeof z === 'string').slice(0, 8) : [],
			peakUs: p && Number.isSafeInteger(p.meta.peak_us) ? p.meta.peak_us : null,
			jpeg: p ? p.jpeg : null,
		});
	}
	return out;
}
