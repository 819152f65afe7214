// statements.test.mjs - the console's statement verifier and grant opener (web/statements.js, in node) against org key material signed by the C library (tests/tools/orgfixture).
// Usage: node statements.test.mjs WEBDIR FIXTUREDIR   (prints PASS/FAIL lines)
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [webDir, fx] = process.argv.slice(2);
const imp = (f) => import(pathToFileURL(`${webDir}/${f}`).href);
const { openOrgKeys, grantOpen, trustNew, trustAdd, StatementError } = await imp('statements.js');
const na = (await imp('vendor/libsodium-wrappers.js')).default;
await na.ready;
const d = JSON.parse(readFileSync(`${fx}/org.json`, 'utf8'));
const hex = (h) => Uint8Array.from(h.match(/../g).map((x) => parseInt(x, 16)));
const toHex = (b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
const me = { userId: hex(d.user_id), boxPk: hex(d.box_pk), boxSk: hex(d.box_sk) };
const root = hex(d.root_pk);
const NOW = 1700000000000000 + 1e6;

let failures = 0;
const pass = (n) => console.log(`PASS ${n}`);
const fail = (n, why) => { failures++; console.log(`FAIL ${n}: ${why}`); };
function t(name, fn) {
	try {
		const r = fn();
		r === true ? pass(name) : fail(name, String(r));
	} catch (e) {
		fail(name, e.stack);
	}
}
function code(fn) {
	try {
		fn();
		return 'none';
	} catch (e) {
		return e instanceof StatementError ? e.code : 'foreign:' + e.name + ':' + e.message;
	}
}

t('opens_all_my_grants', () => {
	const r = openOrgKeys(na, d.keys, root, me, NOW);
	if (r.name !== 'Acme Warehouses' || r.refused.length !== 0 || r.keys.length !== 3)
		return JSON.stringify({ name: r.name, refused: r.refused, n: r.keys.length });
	for (const x of d.expect) {
		const k = r.keys.find((y) => toHex(y.cameraId) === x.camera && y.epoch === x.epoch);
		if (!k || toHex(k.pk) !== x.pk || toHex(k.sk) !== x.sk)
			return 'wrong key for ' + x.camera + '/' + x.epoch;
	}
	return true;
});
// The camera names the org signed: A's from its newest named epoch (its first names none),
// B's; without the admin's certificate, A's statements verify no longer and name nothing.
const names = (doc) => JSON.stringify([...openOrgKeys(na, doc, root, me, NOW).cameraNames].sort());
t('signed_camera_names', () => names(d.keys) === JSON.stringify(Object.entries(d.names).sort()) || names(d.keys));
t('unverified_epoch_names_nothing', () => {
	const got = names(Object.assign({}, d.keys, { admin_certs: [] }));
	const want = JSON.stringify(Object.entries(d.names).filter(([id]) => id !== d.expect[0].camera));
	return got === want || got;
});
t('name_byte_flipped_names_nothing', () => {
	// A's named epoch with one byte of its name changed (still a valid name): the signature
	// fails, so A keeps no name (and its epoch-2 grant is refused), B keeps its own.
	const b = hex(d.keys.epochs[1]);
	const at = 128 + 69;
	b[at] ^= 1;
	const r = openOrgKeys(na, Object.assign({}, d.keys, { epochs: [d.keys.epochs[0], toHex(b), d.keys.epochs[2]] }), root, me, NOW);
	return (!r.cameraNames.has(d.expect[0].camera) && r.cameraNames.get(d.expect[2].camera) === 'Gate' &&
		r.refused.length === 1 && r.refused[0].code === 'signature') || JSON.stringify([[...r.cameraNames], r.refused]);
});
t('other_root_refused', () => code(() => openOrgKeys(na, d.keys, na.crypto_sign_keypair().publicKey, me, NOW)) === 'org');
t('grant_to_someone_else_refused', () => {
	const r = openOrgKeys(na, Object.assign({}, d.keys, { grants: [d.other_grant] }), root, me, NOW);
	return r.keys.length === 0 && r.refused[0].code === 'target' ? true : JSON.stringify(r.refused);
});
t('uncertified_signer_refused', () => {
	const r = openOrgKeys(na, Object.assign({}, d.keys, { grants: [d.rogue_grant] }), root, me, NOW);
	return r.keys.length === 0 && r.refused[0].code === 'issuer' ? true : JSON.stringify(r.refused);
});
t('admin_grants_need_admin_cert', () => {
	const r = openOrgKeys(na, Object.assign({}, d.keys, { admin_certs: [] }), root, me, NOW);
	// Camera A's epochs and grants were signed by the admin; B's by the root.
	return r.keys.length === 1 && r.refused.length === 2 ? true : JSON.stringify(r.refused);
});
t('admin_cert_replay_refused', () => {
	const tr = trustNew(na, root);
	trustAdd(na, tr, hex(d.keys.admin_certs[0]), NOW);
	return code(() => trustAdd(na, tr, hex(d.keys.admin_certs[0]), NOW)) === 'replay';
});
t('wrong_box_key_refused', () => {
	const other = na.crypto_box_keypair();
	const r = openOrgKeys(na, d.keys, root, { userId: me.userId, boxPk: me.boxPk, boxSk: other.privateKey }, NOW);
	return r.keys.length === 0 && r.refused.every((x) => x.code === 'sealed') ? true : JSON.stringify(r.refused);
});
t('grant_with_other_epoch_statement_mismatch', () => {
	const tr = trustNew(na, root);
	trustAdd(na, tr, hex(d.keys.admin_certs[0]), NOW);
	return code(() => grantOpen(na, tr, hex(d.keys.epochs[1]), hex(d.keys.grants[0]), me, NOW)) === 'mismatch';
});
t('every_bitflip_in_a_grant_refused', () => {
	const g = hex(d.keys.grants[2]);
	const foreign = [];
	let accepted = 0;
	for (let i = 0; i < g.length; i++) {
		const b = g.slice();
		b[i] ^= 1 << (i % 8);
		const r = code(() => {
			const out = openOrgKeys(na, Object.assign({}, d.keys, { grants: [toHex(b)] }), root, me, NOW);
			if (out.keys.length > 0)
				throw new Error('accepted');
			if (out.refused.some((x) => !['format', 'version', 'org', 'type', 'issuer', 'signature', 'expired', 'target', 'mismatch', 'sealed', 'uncertified'].includes(x.code)))
				throw new Error('odd code ' + JSON.stringify(out.refused));
		});
		if (r !== 'none')
			r.includes('accepted') ? accepted++ : foreign.push(i + ':' + r);
	}
	return accepted === 0 && foreign.length === 0 ? true : `accepted ${accepted}, other errors ${foreign.slice(0, 3)}`;
});
t('garbage_gives_clean_errors', () => {
	let seed = 7;
	const rnd = (n) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
	const bad = [];
	for (let i = 0; i < 2000; i++) {
		const b = hex(d.keys.epochs[rnd(3)]);
		for (let k = 0, n = 1 + rnd(6); k < n; k++)
			b[rnd(b.length)] = rnd(256);
		const doc = Object.assign({}, d.keys, { epochs: [toHex(rnd(2) ? b : b.subarray(0, rnd(b.length)))] });
		const c = code(() => openOrgKeys(na, doc, root, me, NOW));
		if (c.startsWith('foreign'))
			bad.push(c);
	}
	return bad.length === 0 ? true : bad.slice(0, 3).join(' | ');
});
process.exit(failures > 0 ? 1 : 0);
