// kdf-worker.js - Argon2id in a Web Worker: password and salt in, auth key and wrap key out (mirrors src/common/userkey.c).
import { sodium } from './sodium.js';

// master = crypto_pwhash(32, password UTF-8 bytes, salt, ops, mem, ARGON2ID13)
// auth   = crypto_kdf_derive_from_key(32, 1, "vglauth\0", master)
// wrap   = crypto_kdf_derive_from_key(32, 2, "vglauth\0", master)
const CTX = 'vglauth\0';
const PW_MAX = 1024;

// The cost comes from the server, which must not be able to lower it: the auth key derived
// here is sent to it, and a cheap derivation would let it guess the password offline (and
// with the password unwrap the user's keys). The floor is the CLI's (userkey.c): libsodium's
// INTERACTIVE level. testFloor (set by the page only when a test harness asked for it, see
// login.js kdfTestFloor) lowers it to libsodium's minimum for test servers.
function costAllowed(na, ops, mem, testFloor) {
	const minOps = testFloor === true ? na.crypto_pwhash_OPSLIMIT_MIN : na.crypto_pwhash_OPSLIMIT_INTERACTIVE;
	const minMem = testFloor === true ? na.crypto_pwhash_MEMLIMIT_MIN : na.crypto_pwhash_MEMLIMIT_INTERACTIVE;
	return Number.isInteger(ops) && Number.isInteger(mem) && ops >= minOps && mem >= minMem &&
	    ops <= 64 && mem <= 1024 * 1024 * 1024;
}

self.onmessage = async (ev) => {
	const { id, password, salt, ops, mem, testFloor } = ev.data || {};
	let pw = null, master = null;
	try {
		const na = await sodium();
		if (typeof password !== 'string')
			throw new Error('no password');
		pw = new TextEncoder().encode(password);
		if (pw.length > PW_MAX)
			throw new Error('password too long');
		if (!(salt instanceof Uint8Array) || salt.length !== na.crypto_pwhash_SALTBYTES)
			throw new Error('bad salt');
		if (!costAllowed(na, ops, mem, testFloor))
			throw new Error('the server asked for a password-hashing cost this console does not accept (below Argon2id ops 2, 64 MiB, or unreasonably high); not signing in');
		master = na.crypto_pwhash(32, pw, salt, ops, mem, na.crypto_pwhash_ALG_ARGON2ID13);
		const auth = na.crypto_kdf_derive_from_key(32, 1, CTX, master);
		const wrap = na.crypto_kdf_derive_from_key(32, 2, CTX, master);
		self.postMessage({ id, auth, wrap }, [auth.buffer, wrap.buffer]);
	} catch (e) {
		self.postMessage({ id, error: String(e && e.message ? e.message : e) });
	} finally {
		if (pw !== null)
			pw.fill(0);
		if (master !== null)
			master.fill(0);
	}
};
