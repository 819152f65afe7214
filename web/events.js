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

// Opens one sealed payload: u32 BE length | metadata JSON | JPEG. Resolves to
// { meta, jpeg } or null when it does not open with my key or is malformed.
export function openPayload(na, cameraId, ev) {
	const k = keys.epochKey(cameraId, ev.epoch);
	const sealed = hexBytes(ev.payload);
	if (k === null || sealed === null || sealed.length < na.crypto_box_SEALBYTES + 4)
		return null;
	let plain;
	try {
		plain = na.crypto_box_seal_open(sealed, k.pk, k.sk);
	} catch (e) {
		return null;
	}
	const n = new DataView(plain.buffer, plain.byteOffset, plain.byteLength).getUint32(0, false);
	if (n > plain.length - 4)
		return null;
	let meta;
	try {
		meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain.subarray(4, 4 + n)));
	} catch (e) {
		return null;
	}
	if (meta === null || typeof meta !== 'object' || meta.camera !== cameraId || meta.id !== ev.id)
		return null;
	return { meta, jpeg: plain.length > 4 + n ? plain.slice(4 + n) : null };
}

// Events overlapping [fromUs, toUs): [{ id, startUs, endUs (0 = open), opened, score, zones,
// peakUs, jpeg (the thumbnail's bytes or null) }].
// An event whose payload does not open is still drawn (as a range), marked opened: false.
export async function listEvents(na, cameraId, fromUs, toUs) {
	const r = await api.events(cameraId, fromUs, toUs);
	const out = [];
	for (const ev of Array.isArray(r.events) ? r.events : []) {
		if (ev === null || typeof ev !== 'object' || !Number.isSafeInteger(ev.start_us) || !Number.isSafeInteger(ev.end_us)
			|| !Number.isInteger(ev.epoch) || typeof ev.id !== 'string')
			continue;
		const p = openPayload(na, cameraId, ev);
		out.push({
			id: ev.id, startUs: ev.start_us, endUs: ev.end_us, opened: p !== null,
			score: p && typeof p.meta.peak_score === 'number' ? p.meta.peak_score : null,
			zones: p && Array.isArray(p.meta.zones) ? p.meta.zones.filter((z) => typeof z === 'string').slice(0, 8) : [],
			peakUs: p && Number.isSafeInteger(p.meta.peak_us) ? p.meta.peak_us : null,
			jpeg: p ? p.jpeg : null,
		});
	}
	return out;
}
