// api.js - the documented HTTP API (docs/api/http.md), nothing else: JSON calls, errors, the live stream.

// Interim (until organizations and key grants are wired, issue 3): the footage routes take the
// demo's admin bearer token. Only a test or an operator's demo injects it; it stays in memory.
let footageToken = null;

export function setFootageToken(tok) {
	footageToken = typeof tok === 'string' && /^[0-9a-f]{16,128}$/.test(tok) ? tok : null;
}

export function haveFootageAccess() {
	return footageToken !== null;
}

export class ApiError extends Error {
	constructor(status, message, body) {
		super(message);
		this.status = status;
		this.body = body || {};
	}
}

// Parses a JSON body; a body that is not JSON yields {}.
async function jsonOf(resp) {
	try {
		const v = await resp.json();
		return v !== null && typeof v === 'object' ? v : {};
	} catch (e) {
		return {};
	}
}

function footageHeaders() {
	return footageToken !== null ? { Authorization: 'Bearer ' + footageToken } : {};
}

// One JSON call. Resolves to the body of a 2xx answer; rejects with ApiError otherwise.
// credentials 'omit' leaves the session cookie out (a share's recipient is nobody's account).
export async function call(method, path, body, extraHeaders, credentials = 'same-origin') {
	const init = {
		method,
		credentials,
		cache: 'no-store',
		headers: Object.assign({}, extraHeaders || {}),
	};
	if (body !== undefined) {
		init.headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body);
	}
	let resp;
	try {
		resp = await fetch(path, init);
	} catch (e) {
		throw new ApiError(0, 'the server cannot be reached');
	}
	const j = await jsonOf(resp);
	if (!resp.ok)
		throw new ApiError(resp.status, typeof j.error === 'string' ? j.error : 'HTTP ' + resp.status, j);
	return j;
}

export const prelogin = (username) => call('POST', '/api/v1/auth/prelogin', { username });
export const login = (body) => call('POST', '/api/v1/auth/login', body);
export const logout = () => call('POST', '/api/v1/auth/logout');
export const me = () => call('GET', '/api/v1/auth/me');

// Interim camera list (admin token); later GET /api/v1/orgs/{org}/cameras.
export const cameras = () => call('GET', '/api/v1/cameras', undefined, footageHeaders());

// Opens a camera's endless live record stream; resolves to a ReadableStream reader.
export async function liveStream(cameraId, stream, signal) {
	if (!/^[0-9a-f]{32}$/.test(cameraId) || !Number.isInteger(stream))
		throw new ApiError(400, 'bad camera');
	let resp;
	try {
		resp = await fetch(`/api/v1/cameras/${cameraId}/streams/${stream}/live`, {
			credentials: 'same-origin', cache: 'no-store', headers: footageHeaders(), signal,
		});
	} catch (e) {
		if (e.name === 'AbortError')
			throw e;
		throw new ApiError(0, 'the server cannot be reached');
	}
	if (!resp.ok) {
		const j = await jsonOf(resp);
		throw new ApiError(resp.status, typeof j.error === 'string' ? j.error : 'HTTP ' + resp.status, j);
	}
	return resp.body.getReader();
}

// Opens the grid's one live connection for [{id, stream}] (1..64): a reader of mux
// messages (GET /api/v1/live, session only; livefeed.js LiveMux parses them).
export async function liveMux(pairs, signal) {
	if (!Array.isArray(pairs) || pairs.length < 1 || pairs.length > 64 ||
		pairs.some((p) => !/^[0-9a-f]{32}$/.test(p.id) || !Number.isInteger(p.stream) || p.stream < 0 || p.stream > 255))
		throw new ApiError(400, 'bad camera list');
	let resp;
	try {
		resp = await fetch('/api/v1/live?cameras=' + pairs.map((p) => `${p.id}:${p.stream}`).join(','), {
			credentials: 'same-origin', cache: 'no-store', signal,
		});
	} catch (e) {
		if (e.name === 'AbortError')
			throw e;
		throw new ApiError(0, 'the server cannot be reached');
	}
	if (!resp.ok) {
		const j = await jsonOf(resp);
		throw new ApiError(resp.status, typeof j.error === 'string' ? j.error : 'HTTP ' + resp.status, j);
	}
	return resp.body.getReader();
}

// Organizations (docs/api/http.md, "Organizations, keys and enrollment").
const orgPath = (org) => {
	if (typeof org !== 'string' || !/^[0-9a-f]{64}$/.test(org))
		throw new ApiError(400, 'bad organization id');
	return `/api/v1/orgs/${org}`;
};
export const orgs = () => call('GET', '/api/v1/orgs');
export const org = (id) => call('GET', orgPath(id));
export const orgKeys = (id) => call('GET', orgPath(id) + '/keys');
export const orgCameras = (id) => call('GET', orgPath(id) + '/cameras');
export const orgSites = (id) => call('GET', orgPath(id) + '/sites');

// Recorded footage of one camera stream (docs/api/http.md, "Footage"); times in µs.
function camPath(cameraId, stream) {
	if (typeof cameraId !== 'string' || !/^[0-9a-f]{32}$/.test(cameraId) || !Number.isInteger(stream) || stream < 0 || stream > 255)
		throw new ApiError(400, 'bad camera');
	return `/api/v1/cameras/${cameraId}/streams/${stream}`;
}
const us = (x) => String(Math.max(0, Math.floor(x)));
// res: spans closer together than this (µs, a pixel of the caller's timeline) come as one.
export const timeline = (id, s, from, to, res = 0) =>
	call('GET', `${camPath(id, s)}/timeline?from=${us(from)}&to=${us(to)}&res=${us(res)}`, undefined, footageHeaders());
export const segments = (id, s, from, to) =>
	call('GET', `${camPath(id, s)}/segments?from=${us(from)}&to=${us(to)}`, undefined, footageHeaders());
export const events = (id, from, to) => {
	camPath(id, 0);
	return call('GET', `/api/v1/cameras/${id}/events?from=${us(from)}&to=${us(to)}`, undefined, footageHeaders());
};

// One link's records (a whole segment or a gap) as bytes.
export async function segmentBytes(cameraId, stream, seq, signal) {
	if (!Number.isSafeInteger(seq) || seq < 0)
		throw new ApiError(400, 'bad sequence number');
	let resp;
	try {
		resp = await fetch(`${camPath(cameraId, stream)}/segments/${seq}`, {
			credentials: 'same-origin', cache: 'no-store', headers: footageHeaders(), signal,
		});
	} catch (e) {
		if (e.name === 'AbortError')
			throw e;
		throw new ApiError(0, 'the server cannot be reached');
	}
	if (!resp.ok) {
		const j = await jsonOf(resp);
		throw new ApiError(resp.status, typeof j.error === 'string' ? j.error : 'HTTP ' + resp.status, j);
	}
	return new Uint8Array(await resp.arrayBuffer());
}

// The first n bytes of a link (Range), e.g. a segment's header record to open its key.
export async function segmentHead(cameraId, stream, seq, n, signal) {
	if (!Number.isSafeInteger(seq) || seq < 0 || !Number.isInteger(n) || n < 1)
		throw new ApiError(400, 'bad sequence number');
	let resp;
	try {
		resp = await fetch(`${camPath(cameraId, stream)}/segments/${seq}`, {
			credentials: 'same-origin', cache: 'no-store', signal,
			headers: Object.assign({ Range: `bytes=0-${n - 1}` }, footageHeaders()),
		});
	} catch (e) {
		if (e.name === 'AbortError')
			throw e;
		throw new ApiError(0, 'the server cannot be reached');
	}
	if (!resp.ok) {
		const j = await jsonOf(resp);
		throw new ApiError(resp.status, typeof j.error === 'string' ? j.error : 'HTTP ' + resp.status, j);
	}
	return new Uint8Array(await resp.arrayBuffer()).subarray(0, n);
}

// The last n bytes of a link (a suffix Range), e.g. a segment's signed end record.
export async function segmentTail(cameraId, stream, seq, n, signal) {
	if (!Number.isSafeInteger(seq) || seq < 0 || !Number.isInteger(n) || n < 1)
		throw new ApiError(400, 'bad sequence number');
	let resp;
	try {
		resp = await fetch(`${camPath(cameraId, stream)}/segments/${seq}`, {
			credentials: 'same-origin', cache: 'no-store', signal,
			headers: Object.assign({ Range: `bytes=-${n}` }, footageHeaders()),
		});
	} catch (e) {
		if (e.name === 'AbortError')
			throw e;
		throw new ApiError(0, 'the server cannot be reached');
	}
	if (!resp.ok) {
		const j = await jsonOf(resp);
		throw new ApiError(resp.status, typeof j.error === 'string' ? j.error : 'HTTP ' + resp.status, j);
	}
	const b = new Uint8Array(await resp.arrayBuffer());
	return b.subarray(Math.max(0, b.length - n));
}

// Share links (docs/api/http.md, "Shares"): the sharer's routes, then the recipient's public ones.
const shareId = (id) => {
	if (typeof id !== 'string' || !/^[0-9a-f]{32}$/.test(id))
		throw new ApiError(404, 'no such share');
	return id;
};
export const stepUp = (body) => call('POST', '/api/v1/auth/step-up', body);
export const createShare = (org, body) => call('POST', orgPath(org) + '/shares', body);
export const listShares = (org) => call('GET', orgPath(org) + '/shares');
export const revokeShare = (org, id) => call('DELETE', `${orgPath(org)}/shares/${shareId(id)}`);
// Without the cookie: a signed-in recipient's view is not tied to their account.
// proof: the open proof of the link's key (64 hex, shareview.js openProof), never the key.
export const openShare = (id, proof) => {
	if (typeof proof !== 'string' || !/^[0-9a-f]{64}$/.test(proof))
		throw new ApiError(400, 'bad open proof');
	return call('POST', `/api/v1/shares/${shareId(id)}/open`, { proof }, undefined, 'omit');
};

// One segment of a share, with the token its open answer gave (no cookie is needed).
export async function shareSegmentBytes(id, seq, token, signal) {
	if (!Number.isSafeInteger(seq) || seq < 0 || typeof token !== 'string' || !/^[0-9a-f]{64}$/.test(token))
		throw new ApiError(400, 'bad sequence number');
	let resp;
	try {
		resp = await fetch(`/api/v1/shares/${shareId(id)}/segments/${seq}`, {
			credentials: 'omit', cache: 'no-store', headers: { Authorization: 'Share ' + token }, signal,
		});
	} catch (e) {
		if (e.name === 'AbortError')
			throw e;
		throw new ApiError(0, 'the server cannot be reached');
	}
	if (!resp.ok) {
		const j = await jsonOf(resp);
		throw new ApiError(resp.status, typeof j.error === 'string' ? j.error : 'HTTP ' + resp.status, j);
	}
	return new Uint8Array(await resp.arrayBuffer());
}
