// keys.js - the keys this tab holds, in memory only: the user's unwrapped keypairs and camera epoch keys, and the camera names the org signed; wiped on sign-out.
import { sodium } from './sodium.js';
import { toHex } from './segment.js';

let user = null;          // { userId, boxPk, boxSk, signPk, signSk }
const cameras = new Map(); // camera id hex -> { name, epochs: Map(epoch -> { pk, sk }), sites: Map(epoch -> site hex | null) }
let gateways = [];         // pinned gateway Ed25519 public keys (Uint8Array)
let gatewaySites = [];     // gatewaySites[i]: the site hex gateways[i]'s certificate names, or null (interim keys)
let signedNames = new Map(); // camera id hex -> the name its newest named camera.epoch signs

// Appended to a camera name the org did not sign (the server's word): shown wherever the
// name is, so that a viewer can tell it could have been swapped.
export const UNSIGNED_NAME = ' (name not signed)';

export function setUser(u) {
	wipeUser();
	user = u;
}

export function currentUser() {
	return user;
}

function hexBytes(s, n) {
	if (typeof s !== 'string' || s.length !== 2 * n || !/^[0-9a-f]+$/.test(s))
		throw new Error('bad key material');
	const out = new Uint8Array(n);
	for (let i = 0; i < n; i++)
		out[i] = parseInt(s.substr(2 * i, 2), 16);
	return out;
}

// Loads viewer keys in the shape of `vigil provision`'s keys.json (interim, until
// GET /api/v1/orgs/{org}/keys): { gateways: [hex64], cameras: [{ name, id, epochs:
// [{ epoch, public_key, secret_key }] }] }. Every key pair is checked. Returns the count.
export async function loadViewerKeys(doc) {
	const na = await sodium();
	if (doc === null || typeof doc !== 'object' || !Array.isArray(doc.cameras))
		throw new Error('keys: want an object with a cameras array');
	const gws = Array.isArray(doc.gateways) ? doc.gateways.map((g) => hexBytes(g, 32)) : [];
	const next = new Map();
	for (const c of doc.cameras) {
		if (c === null || typeof c !== 'object' || !Array.isArray(c.epochs))
			throw new Error('keys: bad camera entry');
		const id = String(c.id);
		hexBytes(id, 16);
		const epochs = new Map();
		for (const e of c.epochs) {
			const pk = hexBytes(e.public_key, 32), sk = hexBytes(e.secret_key, 32);
			if (!Number.isInteger(e.epoch) || e.epoch < 0 || e.epoch > 0xffffffff)
				throw new Error('keys: bad epoch');
			if (na.memcmp(na.crypto_scalarmult_base(sk), pk) !== true)
				throw new Error('keys: an epoch secret key does not match its public key');
			epochs.set(e.epoch, { pk, sk });
		}
		next.set(id, { name: typeof c.name === 'string' ? c.name.slice(0, 64) : '', epochs, sites: new Map() });
	}
	wipeCameras();
	for (const [k, v] of next)
		cameras.set(k, v);
	gateways = gws;
	gatewaySites = gws.map(() => null);
	return cameras.size;
}

// Adds epoch keys opened from verified grants (statements.js openOrgKeys): { cameraId
// (bytes), epoch, pk, sk, siteId (bytes, or null: the signed camera.epoch names no site) }.
// The key objects are kept (and wiped on sign-out), not copied.
export function addEpochKeys(list) {
	for (const k of list) {
		const hex = toHex(k.cameraId);
		if (!cameras.has(hex))
			cameras.set(hex, { name: '', epochs: new Map(), sites: new Map() });
		const c = cameras.get(hex);
		const old = c.epochs.get(k.epoch);
		if (old)
			old.sk.fill(0);
		c.epochs.set(k.epoch, { pk: k.pk, sk: k.sk });
		c.sites.set(k.epoch, k.siteId instanceof Uint8Array ? toHex(k.siteId) : null);
	}
}

// Drops every camera key (switching organizations).
export function clearCameraKeys() {
	wipeCameras();
	gateways = [];
	gatewaySites = [];
	signedNames = new Map();
}

// The camera names from verified camera.epoch statements (statements.js signedCameraNames:
// Map(camera id hex -> name)), replacing any held before.
export function setSignedNames(names) {
	signedNames = names instanceof Map ? new Map(names) : new Map();
}

// The name the org signed for cameraId, or null: none of its statements carries one.
export function signedName(cameraId) {
	const n = signedNames.get(cameraId);
	return typeof n === 'string' ? n : null;
}

// { pk, sk } for (camera, epoch), or null: the viewer holds no key for it.
export function epochKey(cameraId, epoch) {
	const c = cameras.get(cameraId);
	return c ? (c.epochs.get(epoch) || null) : null;
}

export function hasCamera(cameraId) {
	return cameras.has(cameraId);
}

export function cameraName(cameraId) {
	const c = cameras.get(cameraId);
	return c && c.name ? c.name : null;
}

// The gateway keys whose signatures are trusted for cameraId's footage: the gateways
// certified for a site the camera's signed camera.epoch statements name (a gateway stolen
// from one site cannot sign another site's cameras). Every pinned gateway when the camera is
// unknown, when one of its epochs names no site (statements older than sites), or for the
// interim keys.json (no sites at all); with no cameraId, every pinned gateway.
export function pinnedGateways(cameraId) {
	const c = cameraId === undefined ? undefined : cameras.get(cameraId);
	if (c === undefined || c.sites.size === 0 || [...c.sites.values()].some((x) => x === null))
		return gateways;
	const sites = new Set(c.sites.values());
	return gateways.filter((g, i) => gatewaySites[i] !== null && sites.has(gatewaySites[i]));
}

// The gateway public keys (Uint8Array(32)) whose signatures are trusted: the org root's
// gateway.cert statements, verified by statements.js; sites[i] (Uint8Array(16)) is the site
// list[i]'s certificate names (null or absent: none known).
export function setGateways(list, sites) {
	gateways = list.slice();
	gatewaySites = list.map((g, i) => (Array.isArray(sites) && sites[i] instanceof Uint8Array ? toHex(sites[i]) : null));
}

function wipeUser() {
	if (user === null)
		return;
	for (const k of ['boxSk', 'signSk'])
		if (user[k] instanceof Uint8Array)
			user[k].fill(0);
	user = null;
}

function wipeCameras() {
	for (const c of cameras.values())
		for (const e of c.epochs.values())
			e.sk.fill(0);
	cameras.clear();
}

// Sign-out: every secret this tab held is overwritten and dropped.
export function wipeAll() {
	wipeUser();
	wipeCameras();
	gateways = [];
	gatewaySites = [];
	signedNames = new Map();
}
