// orgs.js - the signed-in user's organizations: pin each org root on first use, open my camera-key grants, list the cameras I may see.
import * as api from './api.js';
import { sodium } from './sodium.js';
import * as keys from './keys.js';
import { openOrgKeys } from './statements.js';

const PIN_PREFIX = 'vigil.orgpin.';

function hexToBytes(h) {
	const out = new Uint8Array(h.length / 2);
	for (let i = 0; i < out.length; i++)
		out[i] = parseInt(h.substr(2 * i, 2), 16);
	return out;
}

// The org root public key this browser pinned for org (public data, so localStorage is
// fine), pinning root_pk on first use. A different key later is refused, never re-pinned.
function pinRoot(org, rootPkHex) {
	let pinned = null;
	try {
		pinned = localStorage.getItem(PIN_PREFIX + org);
	} catch (e) {
		// storage disabled: trust on every use, as a fresh browser would
	}
	if (pinned !== null && pinned !== rootPkHex)
		throw new Error('This organization\'s root key is not the one this browser pinned. ' +
			'Nothing was unlocked; ask an admin of your organization.');
	if (pinned === null) {
		try {
			localStorage.setItem(PIN_PREFIX + org, rootPkHex);
		} catch (e) {
			// as above
		}
	}
	return hexToBytes(rootPkHex);
}

// Opens org's keys into keys.js and lists its cameras for the grid.
// The organization's cameras as the server lists them: [{ id, stream, streams, streamLabel,
// name, nameSigned, hasKey, recorded, site }], stream being the one the grid plays (the
// substream once it has recorded). The name is the one the org signed (keys.signedName) when
// any of the camera's camera.epoch statements carries one, whatever the server calls it;
// else the server's, marked keys.UNSIGNED_NAME (nameSigned false). Called again while the
// grid shows, to notice a stream that started later.
export async function orgCameras(orgId) {
	const list = (await api.orgCameras(orgId)).cameras;
	const cams = [];
	for (const c of Array.isArray(list) ? list : []) {
		if (typeof c.id !== 'string' || !/^[0-9a-f]{32}$/.test(c.id))
			continue;
		const streams = Array.isArray(c.streams) ? c.streams.map((s) => s.stream).filter(Number.isInteger) : [];
		const stream = streams.includes(1) ? 1 : 0;
		const signed = keys.signedName(c.id);
		cams.push({
			id: c.id,
			stream,
			streams,
			streamLabel: stream === 1 ? 'substream' : 'main stream',
			name: signed !== null ? signed
				: (typeof c.name === 'string' && c.name ? c.name.slice(0, 64) : 'camera ' + c.id.slice(0, 8)) + keys.UNSIGNED_NAME,
			nameSigned: signed !== null,
			hasKey: keys.hasCamera(c.id),
			recorded: streams.length > 0,
			// The server's word, for grouping the grid by site only (keys and signers follow
			// the signed camera.epoch site, keys.js).
			site: typeof c.site === 'string' && /^[0-9a-f]{32}$/.test(c.site) ? c.site : null,
		});
	}
	return cams;
}

// Resolves to { name, role, cams: [{ id, stream, streamLabel, name, nameSigned, hasKey }],
// refused }.
export async function openOrg(orgId) {
	const na = await sodium();
	const user = keys.currentUser();
	if (user === null)
		throw new Error('Your keys are locked in this tab: sign out and sign in again to unlock them.');
	const info = await api.org(orgId);
	if (typeof info.root_pk !== 'string' || !/^[0-9a-f]{64}$/.test(info.root_pk))
		throw new Error('the server sent a malformed organization');
	const root = pinRoot(orgId, info.root_pk);
	let opened = { keys: [], refused: [] };
	if (['owner', 'admin', 'viewer'].includes(info.role)) {
		const doc = await api.orgKeys(orgId);
		const me = { userId: hexToBytes(user.userId), boxPk: user.boxPk, boxSk: user.boxSk };
		opened = openOrgKeys(na, doc, root, me, Date.now() * 1000);
	}
	keys.clearCameraKeys();
	keys.addEpochKeys(opened.keys);
	keys.setGateways(opened.gateways || [], opened.gatewaySites || []);
	keys.setSignedNames(opened.cameraNames);
	const cams = await orgCameras(orgId);
	let sites = [];
	try {
		const r = await api.orgSites(orgId);
		sites = (Array.isArray(r.sites) ? r.sites : []).filter((x) => x && typeof x.id === 'string' && typeof x.name === 'string')
			.map((x) => ({ id: x.id, name: x.name.slice(0, 64) }));
	} catch (e) {
		// names only: the grid shows sites by id without them
	}
	return { name: typeof info.name === 'string' ? info.name : '', role: info.role, cams, refused: opened.refused, sites };
}
