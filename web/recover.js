// recover.js - a forgotten password reset with the recovery key: the key read and checked here, the recovery-wrapped keys opened here, the same keys wrapped under the new password (mirrors src/common/userkey.c and src/server/h_recover.c).
import * as api from './api.js';
import { sodium } from './sodium.js';
import { derive, unwrap, kdfTestFloor } from './login.js';
import { toHex } from './segment.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const KEY_LEN = 32;
const CHARS = 56;          // 280 bits: the key and 3 check bytes, 5 bits a character
const PW_MIN_CHARS = 12;   // passpolicy.h (the page has no common-password list)
const PW_MAX_BYTES = 1024;

export class RecoverError extends Error {}

// The recovery key's 32 bytes from its printed form (14 groups of 4 Crockford base32
// characters; case, dashes and spaces ignored, I/L read as 1 and O as 0), its 3 check bytes
// verified (BLAKE2b-128 of "vigil-recovery-v1" || key). Throws RecoverError.
export function parseRecoveryKey(na, text) {
	const s = String(text || '').toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
	if (s.length !== CHARS || /[^0-9A-HJKMNP-TV-Z]/.test(s))
		throw new RecoverError(`A recovery key is ${CHARS} letters and digits (14 groups of 4); this one is not.`);
	const raw = new Uint8Array(KEY_LEN + 3);
	for (let i = 0; i < CHARS; i++) {
		const v = CROCKFORD.indexOf(s[i]);
		const bit = i * 5, byte = bit >> 3, sh = bit & 7;
		const w = v << (11 - sh);
		raw[byte] |= (w >> 8) & 0xff;
		if (byte + 1 < raw.length)
			raw[byte + 1] |= w & 0xff;
	}
	const rk = raw.slice(0, KEY_LEN);
	const st = na.crypto_generichash_init(null, 16);
	na.crypto_generichash_update(st, new TextEncoder().encode('vigil-recovery-v1'));
	na.crypto_generichash_update(st, rk);
	const sum = na.crypto_generichash_final(st, 16);
	const ok = na.memcmp(sum.subarray(0, 3), raw.subarray(KEY_LEN));
	raw.fill(0);
	if (!ok) {
		rk.fill(0);
		throw new RecoverError('This recovery key has a typing mistake (its check digits do not match).');
	}
	return rk;
}

// The password rule of passpolicy.h, less the common-password list.
export function passwordProblem(pw, again) {
	if ([...pw].length < PW_MIN_CHARS)
		return `The new password needs at least ${PW_MIN_CHARS} characters.`;
	if (new TextEncoder().encode(pw).length > PW_MAX_BYTES)
		return 'The new password is too long.';
	if (pw !== again)
		return 'The two new passwords differ.';
	return null;
}

// Sets a new password for username with its recovery key (printed form). totp: the code
// when the account asks for one. Resolves to { ok: true } once the server took the new
// password (every session of the account ended), or { ok: false, totpRequired: true };
// rejects with a readable Error. Nothing secret is kept: every key is wiped before return.
export async function recoverAccount(username, keyText, newPassword, totp, onStep) {
	const step = onStep || (() => {});
	const na = await sodium();
	const name = String(username || '').trim();
	if (name.length === 0)
		throw new RecoverError('Enter your username.');
	const rk = parseRecoveryKey(na, keyText);
	const rauth = na.crypto_kdf_derive_from_key(32, 1, 'vglrecov', rk);
	const rwrap = na.crypto_kdf_derive_from_key(32, 2, 'vglrecov', rk);
	rk.fill(0);
	let keys = null, auth = null, wrap = null;
	try {
		step('Checking your recovery key…');
		let k;
		try {
			k = await api.call('POST', '/api/v1/auth/recover/keys', { username: name, recovery_auth: toHex(rauth) });
		} catch (e) {
			if (e.status === 401)
				throw new RecoverError('Recovery failed: check your username and recovery key.');
			if (e.status === 429)
				throw new RecoverError('Too many attempts. Wait a minute and try again.');
			throw e;
		}
		step('Opening your keys with the recovery key…');
		keys = await unwrap(rwrap, k.user_id, k.recovery_wrapped, k.box_pk, k.sign_pk);
		if (k.totp_required === true && !totp)
			return { ok: false, totpRequired: true };
		// The new password's cost: libsodium's INTERACTIVE level (the console's floor); a test
		// harness's lowered floor makes it the minimum.
		const ops = kdfTestFloor() ? na.crypto_pwhash_OPSLIMIT_MIN : na.crypto_pwhash_OPSLIMIT_INTERACTIVE;
		const mem = kdfTestFloor() ? na.crypto_pwhash_MEMLIMIT_MIN : na.crypto_pwhash_MEMLIMIT_INTERACTIVE;
		const salt = na.randombytes_buf(na.crypto_pwhash_SALTBYTES);
		step('Deriving keys from your new password (Argon2id)…');
		({ auth, wrap } = await derive(newPassword, salt, ops, mem));
		// userkey_wrap: nonce || XChaCha20-Poly1305(1 || box_sk || sign_sk), AD "vigil-keys-v1" || id.
		const plain = new Uint8Array(97);
		plain[0] = 1;
		plain.set(keys.boxSk, 1);
		plain.set(keys.signSk, 33);
		const nonce = na.randombytes_buf(24);
		const ct = na.crypto_aead_xchacha20poly1305_ietf_encrypt(plain, new TextEncoder().encode('vigil-keys-v1' + k.user_id), null, nonce, wrap);
		plain.fill(0);
		const wrapped = new Uint8Array(24 + ct.length);
		wrapped.set(nonce);
		wrapped.set(ct, 24);
		const body = {
			username: name, recovery_auth: toHex(rauth), salt: toHex(salt), auth_key: toHex(auth),
			wrapped: toHex(wrapped), kdf_ops: ops, kdf_mem: mem,
		};
		if (totp)
			body.totp = String(totp).trim();
		step('Setting your new password…');
		try {
			await api.call('POST', '/api/v1/auth/recover', body);
		} catch (e) {
			if (e.status === 401 && e.body && e.body.totp_required === true)
				return { ok: false, totpRequired: true };
			if (e.status === 401)
				throw new RecoverError(totp ? 'Recovery failed: check the authenticator code.' : 'Recovery failed: check your username and recovery key.');
			if (e.status === 429)
				throw new RecoverError('Too many attempts. Wait a minute and try again.');
			throw e;
		}
		return { ok: true };
	} finally {
		rauth.fill(0);
		rwrap.fill(0);
		for (const b of [auth, wrap, keys && keys.boxSk, keys && keys.signSk])
			if (b instanceof Uint8Array)
				b.fill(0);
	}
}
