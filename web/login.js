// login.js - sign-in: prelogin, Argon2id in the worker, login (with TOTP when asked), unwrapping the user's keys.
import * as api from './api.js';
import { sodium } from './sodium.js';
import { setUser } from './keys.js';

let worker = null;
let nextId = 1;

function hexToBytes(s) {
	if (typeof s !== 'string' || s.length % 2 !== 0 || !/^[0-9a-f]*$/.test(s))
		throw new Error('the server sent malformed data');
	const out = new Uint8Array(s.length / 2);
	for (let i = 0; i < out.length; i++)
		out[i] = parseInt(s.substr(2 * i, 2), 16);
	return out;
}

function bytesToHex(b) {
	let s = '';
	for (const x of b)
		s += x.toString(16).padStart(2, '0');
	return s;
}

// True only when a test harness set globalThis.vigilTestKdfMin before the page's scripts ran
// (Playwright's addInitScript, against a server started with --insecure-test-auth): the
// worker then accepts libsodium's minimum Argon2id cost. Nothing the server answers can set
// it; the shipped page never does.
export const kdfTestFloor = () => globalThis.vigilTestKdfMin === true;

// Runs Argon2id off the main thread; resolves to { auth, wrap } (Uint8Array).
export function derive(password, salt, ops, mem) {
	if (worker === null)
		worker = new Worker('kdf-worker.js', { type: 'module', name: 'vigil-kdf' });
	const id = nextId++;
	return new Promise((resolve, reject) => {
		const onMsg = (ev) => {
			if (!ev.data || ev.data.id !== id)
				return;
			worker.removeEventListener('message', onMsg);
			if (ev.data.error)
				reject(new Error(ev.data.error));
			else
				resolve({ auth: ev.data.auth, wrap: ev.data.wrap });
		};
		worker.addEventListener('message', onMsg);
		worker.addEventListener('error', () => reject(new Error('the key derivation worker failed')), { once: true });
		worker.postMessage({ id, password, salt, ops, mem, testFloor: kdfTestFloor() });
	});
}

// Opens the wrapped key bundle (userkey.h): nonce[24] || XChaCha20-Poly1305(version || box_sk
// || sign_sk, AD = "vigil-keys-v1" || user id). Checks both public halves against the server's.
export async function unwrap(wrap, userId, wrappedHex, boxPkHex, signPkHex) {
	const na = await sodium();
	const w = hexToBytes(wrappedHex);
	if (w.length !== 24 + 97 + 16 || !/^[0-9a-f]{32}$/.test(userId))
		throw new Error('the server sent a malformed key bundle');
	const ad = new TextEncoder().encode('vigil-keys-v1' + userId);
	let plain;
	try {
		plain = na.crypto_aead_xchacha20poly1305_ietf_decrypt(null, w.subarray(24), ad, w.subarray(0, 24), wrap);
	} catch (e) {
		throw new Error('your keys could not be unlocked (wrong password, or the server sent someone else\'s keys)');
	}
	try {
		if (plain.length !== 97 || plain[0] !== 1)
			throw new Error('unknown key bundle version');
		const boxSk = plain.slice(1, 33), signSk = plain.slice(33, 97);
		const boxPk = na.crypto_scalarmult_base(boxSk);
		const signPk = na.crypto_sign_seed_keypair(na.crypto_sign_ed25519_sk_to_seed(signSk)).publicKey;
		if (!na.memcmp(boxPk, hexToBytes(boxPkHex)) || !na.memcmp(signPk, hexToBytes(signPkHex)) ||
		    !na.memcmp(signPk, signSk.subarray(32)))
			throw new Error('the server\'s public keys do not match your key bundle');
		return { userId, boxPk, boxSk, signPk, signSk };
	} finally {
		plain.fill(0);
	}
}

// Signs in. opts.totp: the 6-digit code when the server asked for it. Resolves to
// { ok: true, me } or { ok: false, totpRequired: true }; rejects with a readable Error.
export async function signIn(username, password, totp, onStep) {
	const step = onStep || (() => {});
	const name = String(username || '').trim();
	if (name.length === 0 || password.length === 0)
		throw new Error('enter your username and password');
	step('Asking the server for your salt…');
	const pre = await api.prelogin(name);
	if (pre.kdf !== 'argon2id13')
		throw new Error('the server asked for an unknown key derivation');
	step('Deriving your keys (Argon2id)…');
	const { auth, wrap } = await derive(password, hexToBytes(pre.salt), pre.kdf_ops, pre.kdf_mem);
	try {
		const body = { username: name, auth_key: bytesToHex(auth) };
		if (totp)
			body.totp = String(totp).trim();
		step('Signing in…');
		let res;
		try {
			res = await api.login(body);
		} catch (e) {
			if (e.status === 401 && e.body && e.body.totp_required === true)
				return { ok: false, totpRequired: true };
			if (e.status === 401)
				throw new Error(totp ? "Sign-in failed: check your username, password and code." : "Sign-in failed: check your username and password.");
			if (e.status === 429)
				throw new Error('Too many attempts. Wait a minute and try again.');
			throw e;
		}
		step('Unlocking your keys…');
		setUser(await unwrap(wrap, res.user_id, res.wrapped, res.box_pk, res.sign_pk));
		return { ok: true, me: await api.me() };
	} finally {
		auth.fill(0);
		wrap.fill(0);
	}
}

// Unlocks the keys of an existing session (after a reload: the cookie survives, the keys
// do not): GET /api/v1/auth/keys, Argon2id in the worker, unwrap. No new login, so no TOTP
// code is spent. Resolves when the keys are in memory; rejects with a readable Error.
export async function unlock(password, onStep) {
	const step = onStep || (() => {});
	if (!password)
		throw new Error('enter your password');
	step('Fetching your wrapped keys…');
	const k = await api.call('GET', '/api/v1/auth/keys');
	step('Deriving your keys (Argon2id)…');
	const { auth, wrap } = await derive(password, hexToBytes(k.salt), k.kdf_ops, k.kdf_mem);
	auth.fill(0);
	try {
		step('Unlocking your keys…');
		setUser(await unwrap(wrap, k.user_id, k.wrapped, k.box_pk, k.sign_pk));
	} catch (e) {
		throw new Error('Wrong password: your keys stay locked.');
	} finally {
		wrap.fill(0);
	}
}
