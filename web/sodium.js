// sodium.js - loads libsodium (the sumo browser build, served from /vendor) once and hands it out.
import lib from './vendor/libsodium-wrappers.js';

let ready = null;

// Resolves to the initialised libsodium object (page or worker).
export function sodium() {
	if (ready === null)
		ready = lib.ready.then(() => lib);
	return ready;
}
