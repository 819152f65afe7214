// statements.js - signed org statements in the browser (src/common/statement.h layout): parsing, verification against the pinned org root and its certified admins, opening camera-key grants, and the camera names the org signed.

export const STMT = { ORG_ROOT: 1, ADMIN_CERT: 2, MEMBER_ADD: 3, MEMBER_REMOVE: 4, MEMBER_ROLE: 5,
	CAMERA_EPOCH: 6, GRANT: 7, GATEWAY_CERT: 8, GATEWAY_CONFIG: 9, GATEWAY_COMMAND: 10 };
const HEADER = 128, SIG = 64, BODY_MAX = 192 * 1024, SEALED_SK = 80;
const CONTEXT = new TextEncoder().encode('vigil-stmt-v1');

export class StatementError extends Error {
	constructor(code, msg) {
		super(msg);
		this.code = code; // 'format' | 'version' | 'org' | 'type' | 'issuer' | 'uncertified' | 'signature' | 'expired' | 'target' | 'mismatch' | 'sealed' | 'replay'
	}
}

const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const hexOf = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
// A camera's signed name: well-formed UTF-8 only (as statement.c's utf8_ok), kept as is.
const utf8Name = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// The name at the end of a named camera.epoch body, as statement_parse(): 1..64 bytes of
// UTF-8 without control bytes (< 0x20, 0x7f). Throws 'format' otherwise.
function cameraName(n) {
	if (n.length === 0 || n.length > 64 || n.some((c) => c < 0x20 || c === 0x7f))
		throw new StatementError('format', 'malformed statement');
	try {
		return utf8Name.decode(n);
	} catch (e) {
		throw new StatementError('format', 'malformed statement');
	}
}

function targetOfId(id) {
	const t = new Uint8Array(32);
	t.set(id);
	return t;
}

// Parse only: layout, version, body layout and target consistency, as statement_parse().
export function parseStatement(na, p) {
	if (!(p instanceof Uint8Array) || p.length < HEADER + SIG || p.length > HEADER + BODY_MAX + SIG)
		throw new StatementError('format', 'malformed statement');
	if (p[0] !== 1)
		throw new StatementError('version', 'unknown statement version');
	const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
	const s = {
		type: p[1], orgId: p.subarray(4, 36), issuer: p.subarray(36, 68), target: p.subarray(68, 100),
		seq: v.getBigUint64(100), issuedAt: Number(v.getBigInt64(108)), expiresAt: Number(v.getBigInt64(116)),
		raw: p, u: {},
	};
	const blen = v.getUint32(124);
	if (v.getUint16(2) !== 0 || s.type < 1 || s.type > 10 || blen > BODY_MAX ||
	    p.length !== HEADER + blen + SIG || s.issuedAt < 0 || s.expiresAt < 0 ||
	    (s.expiresAt !== 0 && s.expiresAt < s.issuedAt))
		throw new StatementError('format', 'malformed statement');
	const b = p.subarray(HEADER, HEADER + blen);
	s.body = b;
	s.sig = p.subarray(HEADER + blen);
	const bv = new DataView(b.buffer, b.byteOffset, b.byteLength);
	let want;
	switch (s.type) {
	case STMT.ORG_ROOT: {
		const n = b.length > 0 ? b[0] : 0;
		if (n === 0 || n > 64 || b.length !== 1 + n || b.subarray(1).some((c) => c < 0x20 || c === 0x7f))
			throw new StatementError('format', 'malformed statement');
		s.u.name = new TextDecoder().decode(b.subarray(1));
		if (!eq(na.crypto_generichash(32, s.issuer, null), s.orgId))
			throw new StatementError('format', 'malformed statement');
		want = s.orgId;
		break;
	}
	case STMT.ADMIN_CERT:
		if (b.length !== 16 + 32 + 32 + 1 || b[80] > 1)
			throw new StatementError('format', 'malformed statement');
		s.u = { userId: b.subarray(0, 16), signPk: b.subarray(16, 48), boxPk: b.subarray(48, 80), active: b[80] };
		want = s.u.signPk;
		break;
	case STMT.MEMBER_ADD:
	case STMT.MEMBER_REMOVE:
	case STMT.MEMBER_ROLE: {
		if (b.length < 83)
			throw new StatementError('format', 'malformed statement');
		const role = b[80], nscope = bv.getUint16(81);
		if (role > 5 || nscope > 64 || b.length !== 83 + 16 * nscope ||
		    (s.type === STMT.MEMBER_REMOVE) !== (role === 0))
			throw new StatementError('format', 'malformed statement');
		s.u = { userId: b.subarray(0, 16), signPk: b.subarray(16, 48), boxPk: b.subarray(48, 80), role, nscope };
		want = targetOfId(s.u.userId);
		break;
	}
	case STMT.CAMERA_EPOCH:
		// 52 bytes; 68 naming the camera's site; or 68 + name_len u8 + name naming the camera
		// too (statement.h): siteId and name null when absent.
		if (b.length !== 16 + 4 + 32 && b.length < 16 + 4 + 32 + 16)
			throw new StatementError('format', 'malformed statement');
		if (b.length > 68 && b.length !== 69 + b[68])
			throw new StatementError('format', 'malformed statement');
		s.u = { cameraId: b.subarray(0, 16), epoch: bv.getUint32(16), epochPk: b.subarray(20, 52),
			siteId: b.length >= 68 ? b.subarray(52, 68) : null, name: b.length > 68 ? cameraName(b.subarray(69)) : null };
		want = targetOfId(s.u.cameraId);
		break;
	case STMT.GRANT:
		if (b.length !== 16 + 4 + 32 + 16 + 32 + SEALED_SK)
			throw new StatementError('format', 'malformed statement');
		s.u = { cameraId: b.subarray(0, 16), epoch: bv.getUint32(16), epochPk: b.subarray(20, 52),
			granteeId: b.subarray(52, 68), granteeBoxPk: b.subarray(68, 100), sealedSk: b.subarray(100, 180) };
		want = targetOfId(s.u.granteeId);
		break;
	case STMT.GATEWAY_CERT:
		if (b.length !== 32 + 16)
			throw new StatementError('format', 'malformed statement');
		s.u = { gatewayPk: b.subarray(0, 32), siteId: b.subarray(32, 48) };
		want = s.u.gatewayPk;
		break;
	default: // gateway.config / gateway.command: sealed for the gateway
		if (b.length <= 48)
			throw new StatementError('format', 'malformed statement');
		return s;
	}
	if (!eq(want, s.target))
		throw new StatementError('format', 'malformed statement');
	return s;
}

// The keys a verifier trusts: the pinned root and the admins it certified.
export function trustNew(na, rootPk) {
	return { rootPk, orgId: na.crypto_generichash(32, rootPk, null), admins: [] };
}

function trusted(t, pk) {
	return eq(t.rootPk, pk) || t.admins.some((a) => a.active && eq(a.pk, pk));
}

function sigOk(na, s) {
	const st = na.crypto_sign_init();
	na.crypto_sign_update(st, CONTEXT);
	na.crypto_sign_update(st, s.raw.subarray(0, s.raw.length - SIG));
	const ok = na.crypto_sign_final_verify(st, s.sig, s.issuer);
	// The wrappers' final_verify does not free its 208-byte state (final_create does).
	if (na.libsodium && typeof na.libsodium._free === 'function')
		na.libsodium._free(st);
	return ok;
}

// As statement_verify(): parse, same org, expected type, trusted issuer (root only for
// org.root and admin.cert), signature (Ed25519ph over "vigil-stmt-v1" || bytes), expiry.
export function verifyStatement(na, bytes, t, expectType, nowUs) {
	const s = parseStatement(na, bytes);
	if (!eq(s.orgId, t.orgId))
		throw new StatementError('org', 'statement of another organization');
	if (expectType !== 0 && s.type !== expectType)
		throw new StatementError('type', 'not the expected statement type');
	if (!trusted(t, s.issuer))
		throw new StatementError('issuer', 'signed by a key that is neither the org root nor a certified admin');
	if ((s.type === STMT.ORG_ROOT || s.type === STMT.ADMIN_CERT) && !eq(t.rootPk, s.issuer))
		throw new StatementError('uncertified', 'needs the org root itself');
	if (!sigOk(na, s))
		throw new StatementError('signature', 'the statement signature does not verify');
	if (s.expiresAt !== 0 && nowUs >= s.expiresAt)
		throw new StatementError('expired', 'the statement has expired');
	return s;
}

// As statement_trust_add(): an admin.cert signed by the root certifies (or revokes) an admin.
export function trustAdd(na, t, bytes, nowUs) {
	let s;
	try {
		s = verifyStatement(na, bytes, t, STMT.ADMIN_CERT, nowUs);
	} catch (e) {
		if (e.code === 'issuer')
			throw new StatementError('uncertified', 'admin certificate not signed by the org root');
		throw e;
	}
	if (eq(t.rootPk, s.u.signPk))
		throw new StatementError('format', 'the root cannot be its own admin');
	const a = t.admins.find((x) => eq(x.pk, s.u.signPk));
	if (a && s.seq <= a.seq)
		throw new StatementError('replay', 'an older admin certificate');
	if (a) {
		a.active = s.u.active === 1;
		a.seq = s.seq;
	} else {
		if (t.admins.length >= 64)
			throw new StatementError('format', 'too many admins');
		t.admins.push({ pk: s.u.signPk.slice(), active: s.u.active === 1, seq: s.seq });
	}
}

// As orgkeys_grant_open(): the grant and its camera.epoch verify, the grant is to me, names
// the same camera, epoch and public key, and opens to the secret half of that key.
export function grantOpen(na, t, epochBytes, grantBytes, me, nowUs) {
	const e = verifyStatement(na, epochBytes, t, STMT.CAMERA_EPOCH, nowUs).u;
	const g = verifyStatement(na, grantBytes, t, STMT.GRANT, nowUs).u;
	if (!eq(g.granteeId, me.userId) || !eq(g.granteeBoxPk, me.boxPk))
		throw new StatementError('target', 'the grant is for someone else');
	if (!eq(g.cameraId, e.cameraId) || g.epoch !== e.epoch || !eq(g.epochPk, e.epochPk))
		throw new StatementError('mismatch', 'the grant and the camera key disagree');
	let sk;
	try {
		sk = na.crypto_box_seal_open(g.sealedSk, me.boxPk, me.boxSk);
	} catch (err) {
		throw new StatementError('sealed', 'the granted key does not open');
	}
	if (!eq(na.crypto_scalarmult_base(sk), e.epochPk)) {
		sk.fill(0);
		throw new StatementError('sealed', 'the granted key is not the camera key');
	}
	return { cameraId: e.cameraId.slice(), epoch: e.epoch, pk: e.epochPk.slice(), sk, siteId: e.siteId ? e.siteId.slice() : null };
}

// The camera names the org signed: for each camera, the name in its newest verified
// camera.epoch statement that carries one (statements that do not verify name nothing; a
// camera whose epochs carry none is absent). epochs: statement bytes. Returns
// Map(camera id hex -> name).
export function signedCameraNames(na, t, epochs, nowUs) {
	const best = new Map();
	for (const b of epochs) {
		let u;
		try {
			u = verifyStatement(na, b, t, STMT.CAMERA_EPOCH, nowUs).u;
		} catch (e) {
			continue;
		}
		const id = hexOf(u.cameraId), cur = best.get(id);
		if (u.name !== null && (cur === undefined || u.epoch > cur.epoch))
			best.set(id, { epoch: u.epoch, name: u.name });
	}
	return new Map([...best].map(([id, x]) => [id, x.name]));
}

const fromHex = (h) => {
	if (typeof h !== 'string' || h.length % 2 !== 0 || !/^[0-9a-f]*$/.test(h))
		throw new StatementError('format', 'malformed hex');
	const out = new Uint8Array(h.length / 2);
	for (let i = 0; i < out.length; i++)
		out[i] = parseInt(h.substr(2 * i, 2), 16);
	return out;
};

// Opens everything GET /api/v1/orgs/{org}/keys gave me, trusting only rootPk (pinned by the
// caller). Returns { name, keys: [{ cameraId, epoch, pk, sk }], refused: [{ index, code }],
// gateways, gatewaySites, cameraNames (signedCameraNames: what to call each camera instead
// of the server's list) }: one bad grant does not hide the others, but nothing unverified is
// ever returned.
export function openOrgKeys(na, doc, rootPk, me, nowUs) {
	if (doc === null || typeof doc !== 'object')
		throw new StatementError('format', 'malformed keys answer');
	const t = trustNew(na, rootPk);
	const root = verifyStatement(na, fromHex(doc.org_root), t, STMT.ORG_ROOT, nowUs);
	for (const c of Array.isArray(doc.admin_certs) ? doc.admin_certs : [])
		trustAdd(na, t, fromHex(c), nowUs);
	const epochs = [];
	for (const h of Array.isArray(doc.epochs) ? doc.epochs : []) {
		// A malformed epoch statement only costs the grants that need it (refused below).
		try {
			const b = fromHex(h);
			const s = parseStatement(na, b);
			if (s.type === STMT.CAMERA_EPOCH)
				epochs.push({ bytes: b, cameraId: s.u.cameraId, epoch: s.u.epoch });
		} catch (err) {
			// skipped
		}
	}
	const cameraNames = signedCameraNames(na, t, epochs.map((e) => e.bytes), nowUs);
	const keys = [], refused = [];
	(Array.isArray(doc.grants) ? doc.grants : []).forEach((h, index) => {
		try {
			const g = parseStatement(na, fromHex(h));
			if (g.type !== STMT.GRANT)
				throw new StatementError('type', 'not a grant');
			const e = epochs.find((x) => eq(x.cameraId, g.u.cameraId) && x.epoch === g.u.epoch);
			if (!e)
				throw new StatementError('mismatch', 'no camera key statement for this grant');
			keys.push(grantOpen(na, t, e.bytes, g.raw, me, nowUs));
		} catch (err) {
			refused.push({ index, code: err.code || 'format' });
		}
	});
	// The gateways the org root certified: the only signers whose footage is accepted (a
	// cert that does not verify is left out, so its footage is refused).
	const gateways = [], gatewaySites = [];
	for (const h of Array.isArray(doc.gateway_certs) ? doc.gateway_certs : []) {
		try {
			const u = verifyStatement(na, fromHex(h), t, STMT.GATEWAY_CERT, nowUs).u;
			gateways.push(u.gatewayPk);
			gatewaySites.push(u.siteId);
		} catch (err) {
			// skipped
		}
	}
	return { name: root.u.name, keys, refused, gateways, gatewaySites, cameraNames };
}
