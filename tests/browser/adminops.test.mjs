// adminops.test.mjs - the console's admin cryptography (web/adminops.js, in node) against bytes the C library made from fixed keys (tests/tools/stmt_vectors): statements byte for byte, enrollment MACs, the audit log verifier; and the console's camera list (orgs.js) against a server that swaps camera names.
// Usage: node adminops.test.mjs WEBDIR VECTORS.json   (prints PASS/FAIL lines)
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [webDir, vecFile] = process.argv.slice(2);
const imp = (f) => import(pathToFileURL(`${webDir}/${f}`).href);
const ops = await imp('adminops.js');
const { parseStatement, verifyStatement, trustNew, signedCameraNames, STMT } = await imp('statements.js');
const na = (await imp('vendor/libsodium-wrappers.js')).default;
await na.ready;
const v = JSON.parse(readFileSync(vecFile, 'utf8'));
const hex = (h) => Uint8Array.from((h.match(/../g) || []).map((x) => parseInt(x, 16)));
const toHex = ops.toHex;
const NOW = 1700000000000000;

let failures = 0;
const pass = (n) => console.log(`PASS ${n}`);
const fail = (n, why) => { failures++; console.log(`FAIL ${n}: ${String(why).replace(/\n/g, ' ')}`); };
function t(name, fn) {
	try {
		const r = fn();
		r === true ? pass(name) : fail(name, String(r));
	} catch (e) {
		fail(name, e.stack);
	}
}

const kp = na.crypto_sign_seed_keypair(hex(v.root_seed));
const signer = { pk: kp.publicKey, sk: kp.privateKey, orgId: na.crypto_generichash(32, kp.publicKey, null) };
const trust = trustNew(na, kp.publicKey);

// signStatement over the C tool's target, seq, time and body gives the C bytes exactly.
for (const name of ['member_add', 'member_role', 'member_remove', 'camera_epoch', 'camera_epoch_site', 'camera_epoch_name', 'gateway_cert']) {
	const x = v[name];
	t(`sign_${name}_byte_identical`, () => {
		const mine = ops.signStatement(na, signer, x.type, hex(x.target), x.seq, NOW, 0, hex(x.body));
		return toHex(mine) === x.bytes || `js ${toHex(mine).slice(0, 80)}… c ${x.bytes.slice(0, 80)}…`;
	});
}

// The body encoders give the C bodies for the same fields.
const c = (a, b) => toHex(a) === b || `js ${toHex(a)} c ${b}`;
const m = parseStatement(na, hex(v.member_add.bytes)).u;
const scope = [hex(v.member_add.body).subarray(83, 99), hex(v.member_add.body).subarray(99, 115)];
t('member_body_layout', () => c(ops.memberBody(m.userId, m.signPk, m.boxPk, ops.ROLE.viewer, scope), v.member_add.body));
t('member_role_body_layout', () => c(ops.memberBody(m.userId, m.signPk, m.boxPk, ops.ROLE.admin, []), v.member_role.body));
t('member_remove_body_layout', () => c(ops.memberBody(m.userId, m.signPk, m.boxPk, ops.ROLE.none, []), v.member_remove.body));
const e = parseStatement(na, hex(v.camera_epoch.bytes)).u;
t('epoch_body_layout', () => c(ops.epochBody(e.cameraId, e.epoch, e.epochPk), v.camera_epoch.body));
const es = parseStatement(na, hex(v.camera_epoch_site.bytes)).u;
t('epoch_site_parsed', () => (e.siteId === null && es.siteId !== null && toHex(es.siteId) === v.camera_epoch_site.body.slice(104) &&
	v.camera_epoch_site.body.length === 136) || `${e.siteId} ${es.siteId && toHex(es.siteId)}`);
t('epoch_site_body_layout', () => c(ops.epochBody(es.cameraId, es.epoch, es.epochPk, es.siteId), v.camera_epoch_site.body));
t('epoch_create_names_site', () => {
	const site = na.randombytes_buf(16);
	const ep = ops.epochCreate(na, signer, na.randombytes_buf(16), 1, site);
	const u = verifyStatement(na, ep.stmt, trust, STMT.CAMERA_EPOCH, Date.now() * 1000).u;
	return (u.siteId !== null && toHex(u.siteId) === toHex(site)) || 'the signed epoch does not name the site';
});
// The third layout: the sited body, then name_len u8 and the camera's name (UTF-8).
const en = parseStatement(na, hex(v.camera_epoch_name.bytes)).u;
const NAME = 'Front door \u2014 caf\u00e9';
t('epoch_name_parsed', () => (en.name === NAME && e.name === null && es.name === null && toHex(en.siteId) === toHex(es.siteId) &&
	v.camera_epoch_name.body.length === 2 * (69 + 20)) || `${en.name} ${e.name} ${es.name}`);
t('epoch_name_body_layout', () => c(ops.epochBody(en.cameraId, en.epoch, en.epochPk, en.siteId, NAME), v.camera_epoch_name.body));
t('epoch_create_names_camera', () => {
	const ep = ops.epochCreate(na, signer, na.randombytes_buf(16), 1, na.randombytes_buf(16), 'Gate');
	const u = verifyStatement(na, ep.stmt, trust, STMT.CAMERA_EPOCH, Date.now() * 1000).u;
	return u.name === 'Gate' || `named ${u.name}`;
});
// `vigil camera sign` gives a camera made before names were signed its next epoch with a site
// and a name, and with --name renames it in the epoch after: the console shows the name of the
// newest epoch that carries one, in whatever order the server lists them.
t('signed_names_newest_epoch', () => {
	const cam = na.randombytes_buf(16), site = na.randombytes_buf(16), id = toHex(cam);
	const e1 = ops.epochCreate(na, signer, cam, 1).stmt;
	const e2 = ops.epochCreate(na, signer, cam, 2, site, 'gate').stmt;
	const e3 = ops.epochCreate(na, signer, cam, 3, site, 'North gate').stmt;
	const e4 = ops.epochCreate(na, signer, cam, 4, site).stmt;
	const now = Date.now() * 1000, got = [];
	for (const order of [[e1], [e1, e2], [e3, e1, e2], [e2, e3, e1], [e4, e2, e3, e1]])
		got.push(signedCameraNames(na, trust, order, now).get(id) || null);
	const want = [null, 'gate', 'North gate', 'North gate', 'North gate'];
	return JSON.stringify(got) === JSON.stringify(want) || JSON.stringify(got);
});
// A name of 0 or 65 bytes, with a control byte, not UTF-8, or without a site: the encoder
// refuses it, and so does the parser when the bytes are signed anyway.
t('epoch_bad_names_refused', () => {
	const site = na.randombytes_buf(16), bad = [];
	for (const n of ['', 'a'.repeat(65), 'Front\u0001door', 'Front\u007f', 'caf\u00e9'.repeat(13)])
		try {
			ops.epochBody(en.cameraId, 1, en.epochPk, site, n);
			bad.push(`encoded ${JSON.stringify(n)}`);
		} catch (err) {
			// refused
		}
	try {
		ops.epochBody(en.cameraId, 1, en.epochPk, null, 'Gate');
		bad.push('encoded a name without a site');
	} catch (err) {
		// refused
	}
	const body = hex(v.camera_epoch_name.body);
	const raw = (len, bytes) => {
		const b = new Uint8Array(69 + bytes.length);
		b.set(body.subarray(0, 68));
		b[68] = len;
		b.set(bytes, 69);
		return b;
	};
	const enc = new TextEncoder();
	for (const [what, b] of [['len 0', raw(0, [])], ['65 bytes', raw(65, enc.encode('a'.repeat(65)))], ['control', raw(5, enc.encode('Ga\nte'))],
		['0x7f', raw(2, [0x41, 0x7f])], ['not utf-8', raw(2, [0xc3, 0x28])], ['overlong', raw(2, [0xc0, 0xaf])],
		['surrogate', raw(3, [0xed, 0xa0, 0x80])], ['trailing byte', raw(3, enc.encode('Gate'))], ['truncated', raw(5, enc.encode('Gate'))]]) {
		try {
			ops.signStatement(na, signer, STMT.CAMERA_EPOCH, hex(v.camera_epoch_name.target), 1, NOW, 0, b);
			bad.push(`signed ${what}`);
		} catch (err) {
			if (err.code !== 'format')
				bad.push(`${what}: ${err.message}`);
		}
	}
	return bad.length === 0 || bad.join('; ');
});
t('epoch_name_byte_flipped_fails_signature', () => {
	const b = hex(v.camera_epoch_name.bytes);
	b[128 + 69] ^= 1; // 'F' -> 'G': still a valid name
	try {
		verifyStatement(na, b, trust, STMT.CAMERA_EPOCH, NOW + 1);
		return 'accepted';
	} catch (err) {
		return err.code === 'signature' || err.code;
	}
});

const g = parseStatement(na, hex(v.gateway_cert.bytes)).u;
t('gateway_cert_body_layout', () => c(ops.gatewayCertBody(g.gatewayPk, g.siteId), v.gateway_cert.body));
t('target_of_id', () => c(ops.targetOfId(m.userId), v.member_add.target));

// A grant and an epoch the page makes verify and open with statements.js (the viewer's path).
t('epoch_and_grant_open', () => {
	const cam = na.randombytes_buf(16);
	const who = na.crypto_box_keypair(), uid = na.randombytes_buf(16);
	const ep = ops.epochCreate(na, signer, cam, 1);
	const gr = ops.grantStatement(na, signer, cam, 1, ep.pk, ep.sk, uid, who.publicKey);
	verifyStatement(na, ep.stmt, trust, STMT.CAMERA_EPOCH, Date.now() * 1000);
	const s = verifyStatement(na, gr, trust, STMT.GRANT, Date.now() * 1000);
	const sk = na.crypto_box_seal_open(s.u.sealedSk, who.publicKey, who.privateKey);
	return toHex(sk) === toHex(ep.sk) || 'the granted key is not the epoch key';
});
t('grant_refuses_wrong_secret', () => {
	const ep = ops.epochCreate(na, signer, na.randombytes_buf(16), 1);
	try {
		ops.grantStatement(na, signer, na.randombytes_buf(16), 1, ep.pk, na.randombytes_buf(32), na.randombytes_buf(16), ep.pk);
		return 'accepted a secret that is not the epoch key';
	} catch (err) {
		return true;
	}
});

// Enrollment: the invitation's verifier and the safety number match C; the C request checks
// out, and any changed byte of it is refused.
const inv = ops.invitationFrom(na, ops.ENROLL.GATEWAY, kp.publicKey, hex(v.invite_id), hex(v.invite_secret));
t('safety_number_matches_c', () => inv.fingerprint === v.fingerprint || `${inv.fingerprint} vs ${v.fingerprint}`);
t('invite_verifier_matches_c', () => c(inv.verifier, v.invite_verifier));
t('invite_code_roundtrip', () => {
	const raw = na.from_base64(inv.code, na.base64_variants.URLSAFE_NO_PADDING);
	return (inv.code.length === 64 && toHex(raw) === v.invite_id + v.invite_secret) || inv.code;
});
const req = hex(v.enroll_request);
t('enroll_request_accepted', () => {
	const r = ops.checkEnrollRequest(na, inv, req);
	return toHex(r.signPk) === toHex(g.gatewayPk) || 'wrong gateway key';
});
t('enroll_request_any_change_refused', () => {
	let accepted = 0;
	for (let i = 0; i < req.length; i++) {
		const bad = req.slice();
		bad[i] ^= 0x01;
		try {
			ops.checkEnrollRequest(na, inv, bad);
			accepted++;
		} catch (err) {
			// refused, as it must be
		}
	}
	// The token (bytes 82..113) is for the server; the MAC does not cover it.
	return accepted === 32 || `${accepted} changed requests accepted`;
});
t('enroll_other_fingerprint_refused', () => {
	const other = Object.assign({}, inv, { fingerprint: '00000-00000-00000-00000-00000-00000-00000-00000' });
	try {
		ops.checkEnrollRequest(na, other, req);
		return 'accepted';
	} catch (err) {
		return true;
	}
});
t('gateway_cert_from_request_verifies', () => {
	const cert = ops.gatewayCert(na, signer, g.gatewayPk, g.siteId);
	const s = verifyStatement(na, cert, trust, STMT.GATEWAY_CERT, Date.now() * 1000);
	return toHex(s.u.gatewayPk) === toHex(g.gatewayPk) || 'wrong key';
});

// Sealed gateway config and admin copy: the gateway's X25519 key opens the first, the root the second.
t('gateway_config_sealed_and_copy', () => {
	const gw = na.crypto_sign_keypair();
	const json = JSON.stringify({ cameras: [{ name: 'x', streams: [{ index: 0, url: 'rtsp://u:p@h/s' }] }] });
	const st = ops.gatewaySealed(na, signer, STMT.GATEWAY_CONFIG, gw.publicKey, 5, json);
	const s = parseStatement(na, st);
	const plain = na.crypto_box_seal_open(s.body, na.crypto_sign_ed25519_pk_to_curve25519(gw.publicKey), na.crypto_sign_ed25519_sk_to_curve25519(gw.privateKey));
	const copy = ops.adminCopySeal(na, signer, kp.publicKey, gw.publicKey, 5, json);
	const back = ops.adminCopyOpen(na, (pk) => toHex(pk) === toHex(kp.publicKey), kp.privateKey, gw.publicKey, 5, copy);
	let wrongSeq = false;
	try {
		ops.adminCopyOpen(na, (pk) => toHex(pk) === toHex(kp.publicKey), kp.privateKey, gw.publicKey, 6, copy);
	} catch (err) {
		wrongSeq = true;
	}
	return (new TextDecoder().decode(plain) === json && back === json && wrongSeq) || 'mismatch';
});

// The audit log the C library wrote verifies; each kind of tampering is named.
const log = hex(v.audit_log), akey = hex(v.audit_key);
const text = new TextDecoder().decode(log);
const lines = text.split('\n');
const run = (s) => ops.verifyAuditLog(na, new TextEncoder().encode(s), akey);
t('audit_c_log_verifies', () => {
	const r = ops.verifyAuditLog(na, log, akey);
	return (r.ok && r.entries === 3 && r.checkpoints === 1 && r.headTimeUs === NOW + 10) || JSON.stringify(r);
});
const expect = (name, s, re) => t(name, () => {
	const r = run(s);
	return (!r.ok && re.test(r.msg)) || JSON.stringify({ ok: r.ok, msg: r.msg });
});
expect('audit_changed_detail', text.replace('"count":3', '"count":4'), /^entry seq 1 changed$/);
expect('audit_noncanonical', text.replace('"count":3', '"count": 3'), /entry seq 1 changed \(line 1 is not in canonical form\)/);
expect('audit_missing', [lines[0], lines[2], lines[3], ''].join('\n'), /entry missing after seq 1/);
expect('audit_reordered', [lines[1], lines[0], lines[2], lines[3], ''].join('\n'), /reordered/);
expect('audit_inserted', [lines[0], lines[0], lines[1], lines[2], lines[3], ''].join('\n'), /inserted entry \(seq 1 appears twice/);
expect('audit_truncated', [lines[0], lines[1], lines[2], ''].join('\n'), /tail truncated after seq 3/);
expect('audit_cut_line', text.slice(0, text.length - 20), /tail truncated after seq 3 \(line 4 is cut off\)/);
expect('audit_bad_signature', text.replace(/"sig":"(.)/, (m0, ch) => `"sig":"${ch === '0' ? '1' : '0'}`), /bad checkpoint signature \(line 4\)/);
t('audit_other_key', () => {
	const r = ops.verifyAuditLog(na, log, na.crypto_sign_keypair().publicKey);
	return (!r.ok && /not the server key/.test(r.msg)) || r.msg;
});
expect('audit_not_json', 'garbage\n', /line 1: not a JSON object/);
t('audit_random_bytes_never_throw', () => {
	for (let i = 0; i < 300; i++) {
		const b = log.slice();
		const n = 1 + (i % 5);
		for (let k = 0; k < n; k++)
			b[Math.floor(Math.random() * b.length)] = Math.floor(Math.random() * 256);
		const r = ops.verifyAuditLog(na, b, akey);
		if (r.ok && toHex(b) !== toHex(log))
			return `a mutated log verified (round ${i})`;
	}
	return true;
});

// End to end through the console's own reader (orgs.js openOrg: keys.js, statements.js, the
// camera list): the server swaps two cameras' names in its list; the viewer still sees each
// under the name the org signed. Statements made here (byte-identical to C's, above); the
// server's answers stubbed at fetch.
{
	const name = 'server_swapped_names_not_shown';
	try {
		const keys = await imp('keys.js');
		const orgs = await imp('orgs.js');
		const who = na.crypto_box_keypair(), uid = na.randombytes_buf(16), site = na.randombytes_buf(16);
		const camF = na.randombytes_buf(16), camB = na.randombytes_buf(16), camOld = na.randombytes_buf(16);
		const orgHex = toHex(signer.orgId);
		const rootBody = Uint8Array.from([4, ...new TextEncoder().encode('Acme')]);
		const orgRoot = ops.signStatement(na, signer, STMT.ORG_ROOT, signer.orgId, 0, NOW, 0, rootBody);
		const epochs = [], grants = [];
		const add = (cam, n, siteId, nm) => {
			const ep = ops.epochCreate(na, signer, cam, n, siteId, nm);
			epochs.push(toHex(ep.stmt));
			grants.push(toHex(ops.grantStatement(na, signer, cam, n, ep.pk, ep.sk, uid, who.publicKey)));
		};
		add(camF, 1, site, 'Front door');
		add(camF, 2, site, null);              // sited, unnamed: the newest named epoch is 1
		add(camB, 1, site, 'Back office');
		add(camB, 2, site, 'Back office 2');   // the newest named epoch wins
		add(camOld, 1, null, null);            // made before names were signed
		const doc = { org_root: toHex(orgRoot), admin_certs: [], epochs, grants, sealed_root: null, gateway_certs: [] };
		const list = { cameras: [
			{ id: toHex(camF), name: 'Back office 2', streams: [{ stream: 0 }] },
			{ id: toHex(camB), name: 'Front door', streams: [{ stream: 0 }] },
			{ id: toHex(camOld), name: 'Old cam', streams: [{ stream: 0 }] },
		] };
		const answers = { '': { org: orgHex, name: 'Acme', role: 'viewer', root_pk: toHex(signer.pk) }, '/keys': doc, '/cameras': list, '/sites': { sites: [] } };
		globalThis.fetch = async (path) => {
			const tail = String(path).startsWith(`/api/v1/orgs/${orgHex}`) ? String(path).slice(`/api/v1/orgs/${orgHex}`.length) : null;
			const body = tail !== null ? answers[tail] : undefined;
			return { ok: body !== undefined, status: body !== undefined ? 200 : 404, json: async () => body || { error: 'not found' } };
		};
		keys.setUser({ userId: toHex(uid), boxPk: who.publicKey, boxSk: who.privateKey });
		const r = await orgs.openOrg(orgHex);
		const got = Object.fromEntries(r.cams.map((x) => [x.id, [x.name, x.nameSigned, x.hasKey]]));
		const want = { [toHex(camF)]: ['Front door', true, true], [toHex(camB)]: ['Back office 2', true, true],
			[toHex(camOld)]: ['Old cam (name not signed)', false, true] };
		const again = Object.fromEntries((await orgs.orgCameras(orgHex)).map((x) => [x.id, x.name]));
		JSON.stringify(got) === JSON.stringify(want) && r.refused.length === 0 && again[toHex(camF)] === 'Front door'
			? pass(name) : fail(name, JSON.stringify({ got, want, refused: r.refused, again }));
		keys.wipeAll();
	} catch (err) {
		fail(name, err.stack);
	}
}

// A rotation's gateways (recordersOf, as orgops_recorders): found in the signed configurations
// of the certified gateways, whatever gateway the server names. The old console sent the new
// epoch to the server-named gateway, so a server naming another had the real one go on
// sealing to the removed member's epoch.
{
	const [gA, gB, gC, lie] = ['a', 'b', 'c', '9'].map((x) => x.repeat(64));
	const [c1, c2, c3, c4] = ['1', '2', '3', '4'].map((x) => x.repeat(32));
	const cfg = (...ids) => ({ cameras: ids.map((id, i) => ({ name: 'cam' + i, id, epoch: 1, epoch_public_key: '00'.repeat(32), streams: [] })) });
	const configs = new Map([[gA, cfg(c1, c3)], [gB, cfg(c2, c3.toUpperCase())], [gC, { cameras: [] }]]);
	const eq = (a, b) => JSON.stringify(a) === JSON.stringify(b) || `got ${JSON.stringify(a)} want ${JSON.stringify(b)}`;
	t('recorders_server_names_other_gateway', () => eq(ops.recordersOf(c1, configs, gB), [gA]));
	t('recorders_server_named_records_it', () => eq(ops.recordersOf(c1, configs, gA), [gA]));
	t('recorders_uncertified_named', () => eq(ops.recordersOf(c2, configs, lie), [gB]));
	t('recorders_both_server_named_first', () => eq(ops.recordersOf(c3, configs, gB), [gB, gA]) === true && eq(ops.recordersOf(c3, configs, gA), [gA, gB]));
	t('recorders_none', () => eq(ops.recordersOf(c4, configs, gA), []));
	t('recorders_malformed_config_records_nothing', () => eq(ops.recordersOf(c1, new Map([[gA, null], [gB, { cameras: 'x' }], [gC, { cameras: [null, { id: 5 }] }]]), gA), []));
	// The edit: rotated cameras the config records get their epoch; one planned for this
	// gateway that its config (read again) no longer records is reported, never silently.
	const rot = [{ id: c1, gateways: [gA], epoch: 2, pk: 'ab'.repeat(32) }, { id: c3, gateways: [gA, gB], epoch: 5, pk: 'cd'.repeat(32) },
		{ id: c2, gateways: [gB], epoch: 3, pk: 'ef'.repeat(32) }];
	t('rotation_edit_sets_epochs', () => {
		const doc = cfg(c1, c3, c4);
		const missing = ops.rotationEdit(doc, rot, gA);
		return eq([missing, doc.cameras.map((x) => [x.epoch, x.epoch_public_key.slice(0, 2)])], [[], [[2, 'ab'], [5, 'cd'], [1, '00']]]);
	});
	t('rotation_edit_reports_missing', () => {
		const doc = cfg(c3);   // c1 left gateway A's configuration since it was planned
		return eq(ops.rotationEdit(doc, rot, gA), [c1]) === true && eq(ops.rotationEdit(cfg(c1, c3), rot, gB), [c2]);
	});
}

console.log(`${failures === 0 ? 'all' : failures + ' failed of the'} adminops checks`);
process.exit(failures === 0 ? 0 : 1);
