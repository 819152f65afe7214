// kdf-worker.js - Argon2id in a Web Worker: password and salt in, auth key and wrap key out (mirrors src/common/userkey.c).
import { sodium } from './sodium.js';

// master = crypto_pwhash(32, password UTF-8 bytes, salt, ops, mem, ARGON2ID13)
// auth   = crypto_kdf_derive_from_key(32, 1, "vglauth\0", master)
// wrap   = crypto_kdf_derive_from_key(32, 2, "vglauth\0", master)
const CTX = 'vglauth\0';
const PW_MAX = 1024;

self.onmessage = async (ev) => {
	const { id, password, salt, ops, mem } = ev.data || {};
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
		if (!Number.isInteger(ops) || !Number.isInteger(mem) || ops < 1 || mem < 8192 ||
		    ops > 64 || mem > 1024 * 1024 * 1024)
			throw new Error('the server asked for an unreasonable key derivation cost');
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
