// adminops.js - the cryptography of the administration view, in this browser only: the audit log verifier (a port of src/common/auditlog.c) and signed statements (src/common/statement.h layout, byte for byte).
import { STMT, parseStatement } from './statements.js';

const enc = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function toHex(b) {
	let s = '';
	for (const x of b)
		s += x.toString(16).padStart(2, '0');
	return s;
}

export function fromHex(h, n) {
	if (typeof h !== 'string' || h.length % 2 !== 0 || !/^[0-9a-f]*$/.test(h) || (n !== undefined && h.length !== 2 * n))
		throw new Error('malformed hex');
	const out = new Uint8Array(h.length / 2);
	for (let i = 0; i < out.length; i++)
		out[i] = parseInt(h.substr(2 * i, 2), 16);
	return out;
}

const eqBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/* ---- the audit log (docs/design/audit.md, src/common/auditlog.h) ---- */

const CKPT_DOMAIN = 'vigil-audit-ckpt-v1';
const LINE_MAX = 8192, ORG_MAX = 64, SEQ_MAX = 9007199254740991;
const CAPS = { org: 64, actor: 128, actor_kind: 128, action: 48, target: 256, address: 64, request_id: 64 };
const ENTRY_STR = ['org', 'actor', 'actor_kind', 'action', 'target', 'address', 'request_id'];
const ACTOR_KINDS = ['user', 'gateway', 'operator', 'support', 'system', 'anonymous'];
const HASH_HEX = /^[0-9a-f]{64}$/;

class Tampered extends Error {
	constructor(problem, msg) {
		super(msg);
		this.problem = problem; // malformed | changed | missing | inserted | reordered | truncated | bad_signature
	}
}

// True when auditlog_neutralize() would leave s unchanged: no character that could forge
// a line or reorder text, and at most cap bytes.
function neutral(s, cap) {
	for (const ch of s) {
		const c = ch.codePointAt(0);
		if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f) || c === 0x2028 || c === 0x2029 ||
		    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || (c >= 0xd800 && c <= 0xdfff))
			return false;
	}
	return enc.encode(s).length <= cap;
}

// A JSON string as put_jstr() writes it: only " and \ escaped.
const jstr = (s) => '"' + s.replace(/[\\"]/g, (c) => '\\' + c) + '"';
const isInt = (x) => Number.isSafeInteger(x);
const orgValid = (o) => typeof o === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(o);

// The canonical entry line (auditlog_entry_format) for a parsed entry, without the hash
// field: '{...,"prev":"..."}'. Returns null when a field is not acceptable.
function entryCanonical(o) {
	if (!isInt(o.seq) || o.seq < 1 || o.seq > SEQ_MAX || !isInt(o.time_us) || o.time_us < 0 ||
	    !orgValid(o.org) || !ACTOR_KINDS.includes(o.actor_kind) ||
	    typeof o.action !== 'string' || !/^[a-z][a-z0-9_.]{0,47}$/.test(o.action))
		return null;
	let s = `{"kind":"entry","seq":${o.seq},"time_us":${o.time_us}`;
	for (const k of ENTRY_STR) {
		if (typeof o[k] !== 'string' || !neutral(o[k], CAPS[k]))
			return null;
		s += `,"${k}":${jstr(o[k])}`;
	}
	const d = o.detail;
	if (d === null || typeof d !== 'object' || Array.isArray(d))
		return null;
	const keys = Object.keys(d);
	if (keys.length > 16)
		return null;
	// strcmp order: the keys are ASCII, so code unit order is byte order.
	keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
	const parts = [];
	for (const k of keys) {
		const v = d[k];
		if (!/^[a-z0-9_]{1,32}$/.test(k))
			return null;
		if (typeof v === 'string') {
			if (!neutral(v, 256))
				return null;
			parts.push(`${jstr(k)}:${jstr(v)}`);
		} else if (isInt(v)) {
			parts.push(`${jstr(k)}:${v}`);
		} else {
			return null;
		}
	}
	if (typeof o.prev !== 'string' || !HASH_HEX.test(o.prev))
		return null;
	return s + `,"detail":{${parts.join(',')}},"prev":"${o.prev}"}`;
}

function ckptMessage(org, seq, hash, timeUs) {
	const d = enc.encode(CKPT_DOMAIN), ob = enc.encode(org);
	const m = new Uint8Array(d.length + 1 + ob.length + 8 + 32 + 8);
	const v = new DataView(m.buffer);
	let o = 0;
	m.set(d, o); o += d.length;
	m[o++] = ob.length;
	m.set(ob, o); o += ob.length;
	v.setBigUint64(o, BigInt(seq)); o += 8;
	m.set(hash, o); o += 32;
	v.setBigInt64(o, BigInt(timeUs));
	return m;
}

// Verifies a downloaded org audit log (JSON Lines bytes) against the server's Ed25519 audit
// key, as `vigil audit verify` does. Never throws on bad input. Resolves to
// { ok, problem, msg, entries, checkpoints, firstSeq, headSeq, headTimeUs, org, rows }
// where rows are the entries parsed (up to the first problem), for display.
export function verifyAuditLog(na, bytes, serverPk) {
	const st = { recs: [], cks: [], lineno: 0, lastIsCkpt: false, org: null, rows: [] };
	const report = (problem, msg) => ({
		ok: problem === null, problem, msg: problem === null ? 'ok' : msg,
		entries: st.recs.length, checkpoints: st.cks.length,
		firstSeq: st.recs.length ? st.recs[0].seq : 0, headSeq: st.recs.length ? st.recs[st.recs.length - 1].seq : 0,
		headTimeUs: st.cks.length ? st.cks[st.cks.length - 1].timeUs : 0, org: st.org || '', rows: st.rows,
	});
	try {
		let start = 0;
		while (start < bytes.length) {
			let nl = bytes.indexOf(10, start);
			const incomplete = nl < 0;
			if (incomplete)
				nl = bytes.length;
			const line = bytes.subarray(start, nl);
			start = nl + 1;
			st.lineno++;
			if (line.length > LINE_MAX)
				throw new Tampered('malformed', `line ${st.lineno}: longer than ${LINE_MAX} bytes`);
			verifyLine(na, st, line, incomplete, serverPk);
		}
		verifyStructure(st);
		return report(null);
	} catch (e) {
		if (e instanceof Tampered)
			return report(e.problem, e.msg || e.message);
		return report('malformed', 'the log could not be read: ' + e.message);
	}
}

function checkOrg(st, org) {
	if (!orgValid(org))
		throw new Tampered('malformed', `line ${st.lineno}: bad org id`);
	if (st.org === null)
		st.org = org;
	else if (st.org !== org)
		throw new Tampered('inserted', `inserted entry (line ${st.lineno} belongs to org ${org}, not ${st.org})`);
}

function verifyLine(na, st, line, incomplete, serverPk) {
	let o;
	try {
		o = JSON.parse(utf8.decode(line));
	} catch (e) {
		o = null;
	}
	if (o === null || typeof o !== 'object' || Array.isArray(o)) {
		if (incomplete) {
			const last = st.recs.length ? st.recs[st.recs.length - 1].seq : 0;
			throw new Tampered('truncated', `tail truncated after seq ${last} (line ${st.lineno} is cut off)`);
		}
		throw new Tampered('malformed', `line ${st.lineno}: not a JSON object`);
	}
	if (o.kind === 'entry')
		return verifyEntry(na, st, o, line);
	if (o.kind === 'checkpoint')
		return verifyCkpt(na, st, o, line, serverPk);
	throw new Tampered('malformed', `line ${st.lineno}: unknown kind`);
}

function verifyEntry(na, st, o, line) {
	const strOk = ENTRY_STR.every((k) => typeof o[k] === 'string');
	if (!isInt(o.seq) || o.seq < 1 || o.seq > SEQ_MAX || !isInt(o.time_us) || o.time_us < 0 || !strOk ||
	    o.detail === null || typeof o.detail !== 'object' || Array.isArray(o.detail) ||
	    typeof o.prev !== 'string' || !HASH_HEX.test(o.prev) || typeof o.hash !== 'string' || !HASH_HEX.test(o.hash))
		throw new Tampered('malformed', `line ${st.lineno}: entry with a missing or mistyped field`);
	checkOrg(st, o.org);
	const canon = entryCanonical(o);
	if (canon === null)
		throw new Tampered('malformed', `line ${st.lineno}: entry seq ${o.seq} has an invalid field`);
	const cb = enc.encode(canon);
	const hpos = cb.length - 1; // the canonical line is canon minus '}' + ',"hash":"..."}'
	const want = enc.encode(canon.slice(0, -1) + `,"hash":"${o.hash}"}`);
	if (line.length !== want.length || !eqBytes(line.subarray(0, hpos), cb.subarray(0, hpos)))
		throw new Tampered('changed', `entry seq ${o.seq} changed (line ${st.lineno} is not in canonical form)`);
	const hash = na.crypto_generichash(32, cb, null);
	if (toHex(hash) !== o.hash)
		throw new Tampered('changed', `entry seq ${o.seq} changed`);
	if (!eqBytes(line, want))
		throw new Tampered('changed', `entry seq ${o.seq} changed (line ${st.lineno} is not in canonical form)`);
	st.recs.push({ seq: o.seq, line: st.lineno, hash: o.hash, prev: o.prev });
	st.rows.push(o);
	st.lastIsCkpt = false;
}

function verifyCkpt(na, st, o, line, serverPk) {
	if (typeof o.org !== 'string' || !isInt(o.seq) || o.seq < 0 || o.seq > SEQ_MAX || !isInt(o.time_us) || o.time_us < 0 ||
	    typeof o.hash !== 'string' || !HASH_HEX.test(o.hash) || typeof o.key !== 'string' || !HASH_HEX.test(o.key) ||
	    typeof o.sig !== 'string' || !/^[0-9a-f]{128}$/.test(o.sig))
		throw new Tampered('malformed', `line ${st.lineno}: checkpoint with a missing or mistyped field`);
	checkOrg(st, o.org);
	const canon = `{"kind":"checkpoint","org":${jstr(o.org)},"seq":${o.seq},"hash":"${o.hash}","time_us":${o.time_us},"key":"${o.key}","sig":"${o.sig}"}`;
	if (!eqBytes(line, enc.encode(canon)))
		throw new Tampered('malformed', `line ${st.lineno}: checkpoint not in canonical form`);
	if (o.key !== toHex(serverPk))
		throw new Tampered('bad_signature', `bad checkpoint signature (line ${st.lineno}: signed by key ${o.key.slice(0, 16)}..., not the server key)`);
	const m = ckptMessage(o.org, o.seq, fromHex(o.hash), o.time_us);
	if (!na.crypto_sign_verify_detached(fromHex(o.sig), m, serverPk))
		throw new Tampered('bad_signature', `bad checkpoint signature (line ${st.lineno})`);
	st.cks.push({ seq: o.seq, line: st.lineno, after: st.recs.length, timeUs: o.time_us, hash: o.hash });
	st.lastIsCkpt = true;
}

// verify_structure(): the whole-file checks, likeliest cause first.
function verifyStructure(st) {
	const zero = '0'.repeat(64), r = st.recs, cks = st.cks;
	if (r.length === 0 && cks.length === 0)
		throw new Tampered('truncated', 'tail truncated: no entries and no final checkpoint');
	if (!st.lastIsCkpt)
		throw new Tampered('truncated', `tail truncated after seq ${r[r.length - 1].seq}`);
	const fin = cks[cks.length - 1];
	if (r.length === 0) {
		if (fin.seq !== 0 || fin.hash !== zero)
			throw new Tampered('missing', `entry missing after seq ${fin.seq > 0 ? fin.seq - 1 : 0} (the final checkpoint covers seq ${fin.seq})`);
		return;
	}
	const bySeq = r.map((x, i) => ({ seq: x.seq, i })).sort((a, b) => a.seq - b.seq || a.i - b.i);
	for (let i = 1; i < bySeq.length; i++)
		if (bySeq[i].seq === bySeq[i - 1].seq)
			throw new Tampered('inserted', `inserted entry (seq ${bySeq[i].seq} appears twice, lines ${r[bySeq[i - 1].i].line} and ${r[bySeq[i].i].line})`);
	for (const x of r)
		if (x.seq > fin.seq)
			throw new Tampered('inserted', `inserted entry (seq ${x.seq} at line ${x.line} is past the final checkpoint at seq ${fin.seq})`);
	for (let i = 1; i < r.length; i++)
		if (r[i].seq < r[i - 1].seq)
			throw new Tampered('reordered', `reordered (seq ${r[i].seq} at line ${r[i].line} follows seq ${r[i - 1].seq})`);
	for (let i = 1; i < r.length; i++)
		if (r[i].seq !== r[i - 1].seq + 1)
			throw new Tampered('missing', `entry missing after seq ${r[i - 1].seq}`);
	if (fin.seq > r[r.length - 1].seq)
		throw new Tampered('missing', `entry missing after seq ${r[r.length - 1].seq} (the final checkpoint covers seq ${fin.seq})`);
	if (r[0].seq === 1 && r[0].prev !== zero)
		throw new Tampered('changed', 'entry seq 1 changed (its prev is not zero)');
	for (let i = 1; i < r.length; i++)
		if (r[i].prev !== r[i - 1].hash)
			throw new Tampered('changed', `entry seq ${r[i - 1].seq} changed (entry seq ${r[i].seq} does not link to it)`);
	let good = r[0].seq - 1;
	for (let i = 0; i < cks.length; i++) {
		const c = cks[i];
		if (i > 0 && c.seq < cks[i - 1].seq)
			throw new Tampered('reordered', `reordered (checkpoint at line ${c.line} covers seq ${c.seq}, before the previous one)`);
		if (c.seq + 1 < r[0].seq)
			continue;
		if (c.seq + 1 === r[0].seq) {
			if (c.hash !== r[0].prev)
				throw new Tampered('changed', `entry seq ${r[0].seq} changed (its prev disagrees with the signed checkpoint at line ${c.line})`);
			continue;
		}
		const j = c.seq - r[0].seq;
		if (j >= c.after)
			throw new Tampered('reordered', `reordered (checkpoint at line ${c.line} precedes entry seq ${c.seq})`);
		if (c.hash !== r[j].hash)
			throw new Tampered('changed', `entry seq ${c.seq} changed (the signed checkpoint at line ${c.line} disagrees; the change lies in seq ${good + 1}..${c.seq})`);
		good = c.seq;
	}
}

/* ---- signed statements (src/common/statement.h) ---- */

export const ROLE = { none: 0, owner: 1, admin: 2, viewer: 3, auditor: 4, support: 5 };
export const ROLE_NAME = ['none', 'owner', 'admin', 'viewer', 'auditor', 'support'];
const CONTEXT = enc.encode('vigil-stmt-v1');
const HEADER = 128;

// A 32-byte target from a 16-byte id (zero-padded), as statement_target_id().
export function targetOfId(id) {
	const t = new Uint8Array(32);
	t.set(id);
	return t;
}

// Signs a statement as statement_sign(): header || body, Ed25519ph over "vigil-stmt-v1" ||
// those bytes by signer { pk (32), sk (64), orgId (32) }. The result is parsed back with
// statements.js so that nothing a verifier would call malformed leaves this browser.
export function signStatement(na, signer, type, target, seq, issuedAt, expiresAt, body) {
	if (!(target instanceof Uint8Array) || target.length !== 32 || !(body instanceof Uint8Array))
		throw new Error('statement: bad target or body');
	const out = new Uint8Array(HEADER + body.length + 64);
	const v = new DataView(out.buffer);
	out[0] = 1;
	out[1] = type;
	out.set(signer.orgId, 4);
	out.set(signer.pk, 36);
	out.set(target, 68);
	v.setBigUint64(100, BigInt(seq));
	v.setBigInt64(108, BigInt(issuedAt));
	v.setBigInt64(116, BigInt(expiresAt));
	v.setUint32(124, body.length);
	out.set(body, HEADER);
	const st = na.crypto_sign_init();
	na.crypto_sign_update(st, CONTEXT);
	na.crypto_sign_update(st, out.subarray(0, HEADER + body.length));
	out.set(na.crypto_sign_final_create(st, signer.sk), HEADER + body.length);
	parseStatement(na, out);
	return out;
}

// member.add / member.role / member.remove body: user_id[16] sign_pk[32] box_pk[32] role u8
// nscope u16 scope[nscope][16].
export function memberBody(userId, signPk, boxPk, role, scope) {
	const b = new Uint8Array(83 + 16 * scope.length);
	b.set(userId, 0);
	b.set(signPk, 16);
	b.set(boxPk, 48);
	b[80] = role;
	new DataView(b.buffer).setUint16(81, scope.length);
	scope.forEach((s, i) => b.set(s, 83 + 16 * i));
	return b;
}

// camera.epoch body: camera_id[16] epoch u32 epoch_pk[32] [site_id[16] [name_len u8 name]].
// name (a string, or null): the camera's signed name, 1..64 bytes of UTF-8 without control
// characters; it needs a site.
export function epochBody(cameraId, epoch, epochPk, siteId, name) {
	const nb = name === undefined || name === null ? null : enc.encode(name);
	if (nb !== null && (!siteId || nb.length === 0 || nb.length > 64 || nb.some((c) => c < 0x20 || c === 0x7f)))
		throw new Error('A camera name is 1 to 64 bytes of text without control characters, and needs a site.');
	const b = new Uint8Array(nb !== null ? 69 + nb.length : siteId ? 68 : 52);
	b.set(cameraId, 0);
	new DataView(b.buffer).setUint32(16, epoch);
	b.set(epochPk, 20);
	if (siteId)
		b.set(siteId, 52);
	if (nb !== null) {
		b[68] = nb.length;
		b.set(nb, 69);
	}
	return b;
}

// grant body: camera_id[16] epoch u32 epoch_pk[32] grantee_id[16] grantee_box_pk[32]
// sealed_sk[80] (crypto_box_seal of the epoch secret key to the grantee).
export function grantBody(na, cameraId, epoch, epochPk, epochSk, granteeId, granteeBoxPk) {
	const b = new Uint8Array(180);
	b.set(cameraId, 0);
	new DataView(b.buffer).setUint32(16, epoch);
	b.set(epochPk, 20);
	b.set(granteeId, 52);
	b.set(granteeBoxPk, 68);
	b.set(na.crypto_box_seal(epochSk, granteeBoxPk), 100);
	return b;
}

// gateway.cert body: gateway_pk[32] site_id[16].
export function gatewayCertBody(gatewayPk, siteId) {
	const b = new Uint8Array(48);
	b.set(gatewayPk, 0);
	b.set(siteId, 32);
	return b;
}

// The org root signer, opened from GET /orgs/{org}/keys' sealed_root (crypto_box_seal of the
// 64-byte root secret key to my box key); checked against the pinned root public key.
// The caller wipes signer.sk (forgetSigner) when done.
export function openRootSigner(na, sealedRootHex, rootPk, me) {
	const sealed = fromHex(sealedRootHex);
	if (sealed.length !== 48 + 64)
		throw new Error('the sealed org root key is malformed');
	let sk;
	try {
		sk = na.crypto_box_seal_open(sealed, me.boxPk, me.boxSk);
	} catch (e) {
		throw new Error('the org root key is not sealed to you');
	}
	if (!eqBytes(sk.subarray(32), rootPk)) {
		sk.fill(0);
		throw new Error('the sealed org root key is not this organization\'s');
	}
	return { pk: rootPk.slice(), sk, orgId: na.crypto_generichash(32, rootPk, null) };
}

export function forgetSigner(s) {
	if (s && s.sk instanceof Uint8Array)
		s.sk.fill(0);
}

export { STMT };

// The org's safety number as statement_fingerprint() writes it: 8 groups of 5 digits, each
// a big-endian u32 of the org id (BLAKE2b-256 of the root key) mod 100000.
export function safetyNumber(na, rootPk) {
	const id = na.crypto_generichash(32, rootPk, null);
	const v = new DataView(id.buffer, id.byteOffset, id.byteLength);
	const groups = [];
	for (let g = 0; g < 8; g++)
		groups.push(String(v.getUint32(4 * g) % 100000).padStart(5, '0'));
	return groups.join('-');
}

/* ---- enrollment (src/common/enroll.c): one-time secret made here, the server sees a hash ---- */

export const ENROLL = { GATEWAY: 1, USER: 2 };
const ENROLL_REQUEST_LEN = 2 + 16 + 32 + 32 + 32 + 32;
const MAC_CONTEXT = enc.encode('vigil-enroll-v1');

let lastSeq = 0;
// A statement seq as orgc_seq(): the wall clock in µs, strictly increasing in this tab.
export function nextSeq() {
	let t = Date.now() * 1000;
	if (t <= lastSeq)
		t = lastSeq + 1;
	lastSeq = t;
	return t;
}

// MAC over context || kind || id || fingerprint || sign_pk || box_pk, keyed by subkey 1.
function enrollMac(na, secret, kind, id, fp, signPk, boxPk) {
	const key = na.crypto_kdf_derive_from_key(32, 1, 'vgenroll', secret);
	const st = na.crypto_generichash_init(key, 32);
	na.crypto_generichash_update(st, MAC_CONTEXT);
	na.crypto_generichash_update(st, Uint8Array.of(kind));
	na.crypto_generichash_update(st, id);
	na.crypto_generichash_update(st, enc.encode(fp));
	na.crypto_generichash_update(st, signPk);
	na.crypto_generichash_update(st, boxPk);
	const mac = na.crypto_generichash_final(st, 32);
	key.fill(0);
	return mac;
}

// enroll_invite_new(): { kind, id, secret, code (base64url of id || secret), fingerprint,
// verifier (BLAKE2b of the server token, subkey 2) }. Holds the secret: wipeInvitation().
export function newInvitation(na, kind, rootPk) {
	return invitationFrom(na, kind, rootPk, na.randombytes_buf(16), na.randombytes_buf(32));
}

// The invitation for a given id and secret (newInvitation draws them; tests fix them).
export function invitationFrom(na, kind, rootPk, id, secret) {
	const raw = new Uint8Array(48);
	raw.set(id);
	raw.set(secret, 16);
	const code = na.to_base64(raw, na.base64_variants.URLSAFE_NO_PADDING);
	raw.fill(0);
	const token = na.crypto_kdf_derive_from_key(32, 2, 'vgenroll', secret);
	const verifier = na.crypto_generichash(32, token, null);
	token.fill(0);
	return { kind, id, secret, code, fingerprint: safetyNumber(na, rootPk), verifier };
}

export function wipeInvitation(inv) {
	if (inv && inv.secret instanceof Uint8Array)
		inv.secret.fill(0);
	if (inv)
		inv.code = '';
}

// The line the newcomer runs (enroll_command; the gateway also needs its --dir).
export function enrollCommand(inv, serverUrl) {
	if (/[\s'"\x00-\x20\x7f]/.test(serverUrl) || serverUrl === '')
		throw new Error('the server URL cannot be put in a command');
	return inv.kind === ENROLL.GATEWAY
		? `vigil-gateway enroll --server ${serverUrl} --code ${inv.code} --org ${inv.fingerprint} --dir /var/lib/vigil-gateway`
		: `vigil join --server ${serverUrl} --code ${inv.code} --org-fingerprint ${inv.fingerprint} --session SESSION_FILE`;
}

// request_check(): parse the relayed request and check its MAC under the secret (a server
// that swapped a key is caught here); a gateway's box key must derive from its sign key.
export function checkEnrollRequest(na, inv, req) {
	if (!(req instanceof Uint8Array) || req.length !== ENROLL_REQUEST_LEN || req[0] !== 1 ||
	    (req[1] !== ENROLL.GATEWAY && req[1] !== ENROLL.USER))
		throw new Error('the enrollment request is malformed');
	const r = { kind: req[1], id: req.subarray(2, 18), signPk: req.subarray(18, 50), boxPk: req.subarray(50, 82),
		mac: req.subarray(114, 146) };
	if (r.kind !== inv.kind || !na.memcmp(r.id, inv.id))
		throw new Error('the request is not for this invitation');
	const mac = enrollMac(na, inv.secret, r.kind, r.id, inv.fingerprint, r.signPk, r.boxPk);
	if (!na.memcmp(mac, r.mac))
		throw new Error('the request\'s keys were changed on the way (MAC mismatch): not accepted');
	if (r.kind === ENROLL.GATEWAY) {
		let x;
		try {
			x = na.crypto_sign_ed25519_pk_to_curve25519(r.signPk);
		} catch (e) {
			x = new Uint8Array(32);
		}
		if (!eqBytes(x, r.boxPk))
			throw new Error('the gateway\'s keys do not belong together');
	}
	return { kind: r.kind, signPk: r.signPk.slice(), boxPk: r.boxPk.slice() };
}

// enroll_accept_gateway(): the gateway.cert for the checked key and the invitation's site.
export function gatewayCert(na, signer, gatewayPk, siteId) {
	return signStatement(na, signer, STMT.GATEWAY_CERT, gatewayPk, nextSeq(), Date.now() * 1000, 0,
		gatewayCertBody(gatewayPk, siteId));
}

/* ---- cameras (src/common/orgkeys.c, src/cli/orgverify.c, `vigil camera add`) ---- */

// orgkeys_epoch_create_named(): a fresh X25519 epoch keypair and its camera.epoch statement.
// The caller wipes sk.
// siteId (16 bytes, or null for none): the camera's site, signed, so that admins' clients
// take it from here rather than from the server's camera list. name (string, or null for
// none; needs a site): the camera's name, signed, so that viewers show it rather than the
// server's.
export function epochCreate(na, signer, cameraId, epoch, siteId, name) {
	const body = epochBody(cameraId, epoch, new Uint8Array(32), siteId || null, name === undefined ? null : name);
	const kp = na.crypto_box_keypair();
	body.set(kp.publicKey, 20);
	const stmt = signStatement(na, signer, STMT.CAMERA_EPOCH, targetOfId(cameraId), nextSeq(), Date.now() * 1000, 0, body);
	return { pk: kp.publicKey, sk: kp.privateKey, stmt };
}

// orgkeys_grant(): the epoch secret sealed to the grantee, signed (target the grantee id).
export function grantStatement(na, signer, cameraId, epoch, epochPk, epochSk, granteeId, granteeBoxPk) {
	if (!eqBytes(na.crypto_scalarmult_base(epochSk), epochPk))
		throw new Error('grant: the epoch secret is not the camera key');
	return signStatement(na, signer, STMT.GRANT, targetOfId(granteeId), nextSeq(), Date.now() * 1000, 0,
		grantBody(na, cameraId, epoch, epochPk, epochSk, granteeId, granteeBoxPk));
}

// orgkeys_gateway_sealed(): a gateway.config / gateway.command whose body is the JSON sealed
// to the X25519 key of the gateway's Ed25519 id (the server never reads it).
export function gatewaySealed(na, signer, type, gatewayPk, seq, json) {
	const plain = enc.encode(json);
	const xpk = na.crypto_sign_ed25519_pk_to_curve25519(gatewayPk);
	const sealed = na.crypto_box_seal(plain, xpk);
	plain.fill(0);
	return signStatement(na, signer, type, gatewayPk, seq, Date.now() * 1000, 0, sealed);
}

const COPY_DOMAIN = enc.encode('vigil-admin-copy-v1');
function copySignState(na, gatewayPk, seq, json) {
	const st = na.crypto_sign_init();
	const s8 = new Uint8Array(8);
	new DataView(s8.buffer).setBigUint64(0, BigInt(seq));
	na.crypto_sign_update(st, COPY_DOMAIN);
	na.crypto_sign_update(st, gatewayPk);
	na.crypto_sign_update(st, s8);
	na.crypto_sign_update(st, json);
	return st;
}

// orgverify_copy_seal(): the admins' readable copy of a gateway config, sealed to the org
// root's X25519 key: signer pk || Ed25519ph("vigil-admin-copy-v1" || gateway || seq || json) || json.
export function adminCopySeal(na, signer, rootPk, gatewayPk, seq, jsonText) {
	const json = enc.encode(jsonText);
	const plain = new Uint8Array(96 + json.length);
	plain.set(signer.pk, 0);
	plain.set(na.crypto_sign_final_create(copySignState(na, gatewayPk, seq, json), signer.sk), 32);
	plain.set(json, 96);
	const out = na.crypto_box_seal(plain, na.crypto_sign_ed25519_pk_to_curve25519(rootPk));
	plain.fill(0);
	json.fill(0);
	return out;
}

// orgverify_copy_open(): opens the stored admin copy with the root secret key; its signer
// must be trusted (root or certified admin) and its signature cover this gateway and seq.
export function adminCopyOpen(na, trusted, rootSk, gatewayPk, seq, sealed) {
	if (sealed.length < 48 + 96 || sealed.length > 48 + 96 + 256 * 1024)
		throw new Error('the stored gateway configuration is malformed');
	const xsk = na.crypto_sign_ed25519_sk_to_curve25519(rootSk);
	const xpk = na.crypto_sign_ed25519_pk_to_curve25519(rootSk.subarray(32));
	let plain;
	try {
		plain = na.crypto_box_seal_open(sealed, xpk, xsk);
	} catch (e) {
		throw new Error('the stored gateway configuration does not open with the org root');
	} finally {
		xsk.fill(0);
	}
	try {
		const pk = plain.subarray(0, 32), json = plain.subarray(96);
		if (!trusted(pk) || json.includes(0))
			throw new Error('the stored gateway configuration was not written by an admin');
		const st = copySignState(na, gatewayPk, seq, json);
		const ok = na.crypto_sign_final_verify(st, plain.subarray(32, 96), pk);
		if (na.libsodium && typeof na.libsodium._free === 'function')
			na.libsodium._free(st);
		if (!ok)
			throw new Error('the stored gateway configuration\'s signature does not verify');
		return utf8.decode(json);
	} finally {
		plain.fill(0);
	}
}

// orgverify_scope_covers(): owners and admins see every camera; a viewer its scope (empty:
// all); nobody else.
export function scopeCovers(role, scope, cameraIdHex, siteIdHex) {
	if (role === ROLE.owner || role === ROLE.admin)
		return true;
	if (role !== ROLE.viewer)
		return false;
	return scope.length === 0 || scope.some((s) => s === cameraIdHex || s === siteIdHex);
}

/* ---- which gateways record a camera (a rotation's gateways, `orgops_recorders`) ---- */

// 1 when a gateway configuration, as the org signed it (the admin copy's JSON), records the
// camera: an entry of its "cameras" with that id.
export function configRecords(doc, cameraIdHex) {
	const want = String(cameraIdHex).toLowerCase();
	return doc !== null && typeof doc === 'object' && Array.isArray(doc.cameras) &&
		doc.cameras.some((c) => c !== null && typeof c === 'object' && typeof c.id === 'string' && c.id.toLowerCase() === want);
}

// As orgops_recorders(): the gateways whose signed configuration records the camera.
// configs maps a gateway (hex) to its configuration JSON and holds only the gateways the
// org root certified. The server-named gateway comes first if its configuration records
// the camera (the server's word decides the order, never the set), then the others in the
// map's order; [] when no configuration records it. A server naming another gateway (or
// one it made up) thus never takes the new epoch away from the gateway that records.
export function recordersOf(cameraIdHex, configs, serverNamed) {
	const out = [];
	if (configs.has(serverNamed) && configRecords(configs.get(serverNamed), cameraIdHex))
		out.push(serverNamed);
	for (const [gw, doc] of configs)
		if (gw !== serverNamed && configRecords(doc, cameraIdHex))
			out.push(gw);
	return out;
}

// One gateway's rotation edit (rotation_json() in the CLI): in doc, each camera of rotated
// ({ id, gateways, epoch, pk }) that the configuration records gets its new epoch and
// public key; the others stay as they are. Returns the ids of the cameras planned for this
// gateway (rotated[i].gateways includes gw) that the configuration no longer records: their
// new epoch reaches no gateway there, which the caller must report as a failure.
export function rotationEdit(doc, rotated, gw) {
	const found = new Set();
	for (const cam of Array.isArray(doc.cameras) ? doc.cameras : []) {
		if (cam === null || typeof cam !== 'object' || typeof cam.id !== 'string')
			continue;
		const r = rotated.find((x) => x.id === cam.id.toLowerCase());
		if (r) {
			cam.epoch = r.epoch;
			cam.epoch_public_key = r.pk;
			found.add(r.id);
		}
	}
	return rotated.filter((r) => r.gateways.includes(gw) && !found.has(r.id)).map((r) => r.id);
}

/* ---- members (`vigil member accept|remove`) ---- */

// admin.cert: the root certifies (active 1) or revokes (0) an admin's sign key; body
// user_id[16] sign_pk[32] box_pk[32] active u8, target the sign key.
export function adminCert(na, rootSigner, userId, signPk, boxPk, active) {
	const b = new Uint8Array(81);
	b.set(userId, 0);
	b.set(signPk, 16);
	b.set(boxPk, 48);
	b[80] = active ? 1 : 0;
	return signStatement(na, rootSigner, STMT.ADMIN_CERT, signPk, nextSeq(), Date.now() * 1000, 0, b);
}

// member.add / member.role / member.remove for a user's keys, role and scope (16-byte ids).
export function memberStatement(na, signer, type, userId, signPk, boxPk, role, scope) {
	return signStatement(na, signer, type, targetOfId(userId), nextSeq(), Date.now() * 1000, 0,
		memberBody(userId, signPk, boxPk, role, scope));
}
