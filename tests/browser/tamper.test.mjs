// tamper.test.mjs - a malicious server against the console's readers, in node: spliced, missing, replayed, reordered and foreign links in the archive and exports; unsigned and stale live video; a cheap password-hashing cost.
// Usage: node tamper.test.mjs WEBDIR   (prints PASS/FAIL lines)
// The server holds every public key a forger needs (the pinned gateway's, the camera's epoch
// key), so it can seal a segment key of its own and encrypt frames under it; only the gateway's
// signature on a segment's end, and the chain, tell its links from the gateway's. Links are
// built here the way the gateway builds them (docs/design/records.md), signed by a gateway
// key made for the test, or left unsigned (no secret key) as the server would have to.
import { pathToFileURL } from 'node:url';

const [webDir] = process.argv.slice(2);
const imp = (f) => import(pathToFileURL(`${webDir}/${f}`).href);
const na = (await imp('vendor/libsodium-wrappers.js')).default;
await na.ready;
const { RecordParser } = await imp('records.js');
const { SegmentReader, SegmentError, readLink, LIVE_UNVERIFIED_US } = await imp('segment.js');
const keys = await imp('keys.js');
const { exportRange } = await imp('export.js');
const { ArchivePlayer } = await imp('archive.js');

let failures = 0;
const pass = (n) => console.log(`PASS ${n}`);
const fail = (n, why) => {
	failures++;
	console.log(`FAIL ${n}: ${why}`);
};
const enc = new TextEncoder();
const SEG_DOMAIN = enc.encode('vigil-segment-v1');
const HDR_DOMAIN = enc.encode('vigil-seghdr-v1');

function cat(...ps) {
	let n = 0;
	for (const p of ps)
		n += p.length;
	const o = new Uint8Array(n);
	let i = 0;
	for (const p of ps) {
		o.set(p, i);
		i += p.length;
	}
	return o;
}

function rec(type, payload) {
	const h = new Uint8Array(5);
	new DataView(h.buffer).setUint32(0, payload.length);
	h[4] = type;
	return cat(h, payload);
}

// One frame: moof(traf(tfdt)) + mdat holding a text marker, enough for export's rebasing.
function frag(marker, dt) {
	const m = enc.encode(marker);
	const b = new Uint8Array(40 + m.length);
	const v = new DataView(b.buffer);
	v.setUint32(0, 32);
	b.set(enc.encode('moof'), 4);
	v.setUint32(8, 24);
	b.set(enc.encode('traf'), 12);
	v.setUint32(16, 16);
	b.set(enc.encode('tfdt'), 20);
	v.setUint32(28, dt);
	v.setUint32(32, 8 + m.length);
	b.set(enc.encode('mdat'), 36);
	b.set(m, 40);
	return b;
}

function plain(kind, flags, wallUs, body) {
	const h = new Uint8Array(10);
	h[0] = kind;
	h[1] = flags;
	new DataView(h.buffer).setBigInt64(2, BigInt(wallUs));
	return cat(h, body);
}

// A segment of `frames` frames 200 ms apart, its init chunk carrying the gateway's header
// signature. gw.sk null: no header signature and no SEG_END (nobody but the gateway can sign
// either), or hdrSig's bytes as a made-up one; noEnd: a genuine segment whose end never comes.
// Returns { bytes, nextHash }.
function segment({ camera, seq, startUs, epochPk, prevHash, gw, frames = 5, label = 'genuine', hdrSig = null, noEnd = false }) {
	const key = na.crypto_secretstream_xchacha20poly1305_keygen();
	const { state, header } = na.crypto_secretstream_xchacha20poly1305_init_push(key);
	const h = new Uint8Array(208);
	const v = new DataView(h.buffer);
	h[0] = 1;
	h.set(na.from_hex(camera), 4);
	v.setBigInt64(20, BigInt(seq));
	v.setBigInt64(28, BigInt(startUs));
	v.setUint32(36, 1);
	h.set(na.crypto_box_seal(key, epochPk), 40);
	h.set(header, 120);
	h.set(prevHash, 144);
	h.set(gw.pk, 176);
	const recs = [rec(1, h)];
	const hs = na.crypto_generichash_init(null, 32);
	const push = (m, tag) => {
		const ct = na.crypto_secretstream_xchacha20poly1305_push(state, m, null, tag);
		const l = new Uint8Array(4);
		new DataView(l.buffer).setUint32(0, ct.length);
		na.crypto_generichash_update(hs, l);
		na.crypto_generichash_update(hs, ct);
		recs.push(rec(2, ct));
	};
	const codec = enc.encode('avc1.64001F');
	const MSG = na.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
	const sig = gw.sk !== null ? na.crypto_sign_detached(cat(HDR_DOMAIN, h), gw.sk) : hdrSig;
	push(plain(1, sig !== null ? 2 : 0, startUs, cat(sig !== null ? sig : new Uint8Array(0), Uint8Array.of(codec.length), codec, enc.encode('INIT'))), MSG);
	for (let i = 0; i < frames; i++)
		push(plain(2, i === 0 ? 1 : 0, startUs + i * 200000, frag(`${label}-seq${seq}-f${i}`, seq * 1000 + i)), MSG);
	if (gw.sk === null || noEnd)
		return { bytes: cat(...recs), nextHash: null };
	push(plain(3, 0, startUs + frames * 200000, new Uint8Array(0)), na.crypto_secretstream_xchacha20poly1305_TAG_FINAL);
	const e = new Uint8Array(120);
	const ev = new DataView(e.buffer);
	ev.setBigInt64(0, BigInt(seq));
	ev.setBigInt64(8, BigInt(startUs + frames * 200000));
	ev.setUint32(16, frames + 2);
	e.set(na.crypto_generichash_final(hs, 32), 24);
	const esig = na.crypto_sign_detached(cat(SEG_DOMAIN, h, e.subarray(0, 56)), gw.sk);
	e.set(esig, 56);
	recs.push(rec(3, e));
	return { bytes: cat(...recs), nextHash: na.crypto_generichash(32, esig, null) };
}

// n genuine 1 s links from seq0 at t0.
function chain(n, t0, seq0 = 0) {
	const out = [];
	let prev = new Uint8Array(32);
	for (let i = 0; i < n; i++) {
		const s = segment({ camera, seq: seq0 + i, startUs: t0 + i * 1e6, epochPk: ep.publicKey, prevHash: prev, gw: G });
		out.push(s);
		prev = s.nextHash;
	}
	return out;
}

const camera = 'd7966ab80a1cdc490178b6c127373dca';
const gw = na.crypto_sign_keypair();
const ep = na.crypto_box_keypair();
const G = { pk: gw.publicKey, sk: gw.privateKey };
const FORGER = { pk: gw.publicKey, sk: null }; // the server: the gateway's public key only
await keys.loadViewerKeys({
	gateways: [na.to_hex(gw.publicKey)],
	cameras: [{ id: camera, name: 'c', epochs: [{ epoch: 1, public_key: na.to_hex(ep.publicKey), secret_key: na.to_hex(ep.privateKey) }] }],
});
const T = 1_700_000_000e6;
const segs = chain(5, T);
const forged = segment({ camera, seq: 0, startUs: T + 0.5e6, epochPk: ep.publicKey, prevHash: new Uint8Array(32), gw: FORGER, label: 'FORGED' }).bytes;
const stored = () => new SegmentReader(na, { camera, stream: 0, pins: [gw.publicKey], keyFor: () => ({ pk: ep.publicKey, sk: ep.privateKey }) });
const bodies = (chunks) => chunks.filter((c) => c.kind === 2).map((c) => new TextDecoder().decode(c.body.subarray(40)));

// expectThrow(name, fn, code): fn must throw a SegmentError of that code.
async function expectThrow(name, fn, code, why) {
	try {
		const r = await fn();
		fail(name, `accepted (${why || ''}${r === undefined ? '' : JSON.stringify(r).slice(0, 200)})`);
	} catch (e) {
		e instanceof SegmentError && (code === undefined || e.code === code) ? pass(name) : fail(name, e.stack);
	}
}

// 1. A stored answer is exactly the link asked for, whole.
{
	const r = stored();
	readLink(r, segs[0].bytes, 0);
	readLink(r, segs[1].bytes, 1);
	await expectThrow('stored_forged_prefix_refused', () => bodies(readLink(r, cat(forged, segs[2].bytes), 2).chunks), 'format');
	const r2 = stored();
	await expectThrow('stored_second_link_refused', () => bodies(readLink(r2, cat(segs[0].bytes, segs[1].bytes), 0).chunks), 'format');
	const r3 = stored();
	readLink(r3, segs[0].bytes, 0);
	await expectThrow('stored_other_seq_refused', () => readLink(r3, segs[3].bytes, 1), 'chain');
	const r4 = stored();
	const ok = readLink(r4, segs[0].bytes, 0);
	bodies(ok.chunks).join() === 'genuine-seq0-f0,genuine-seq0-f1,genuine-seq0-f2,genuine-seq0-f3,genuine-seq0-f4'
		? pass('stored_genuine_link_reads') : fail('stored_genuine_link_reads', JSON.stringify(bodies(ok.chunks)));
}

// 2. Export: the server's list and answers against the chain.
{
	let serve = (seq) => segs[seq].bytes;
	let listing = [0, 1, 2, 3, 4];
	globalThis.fetch = async (path) => {
		const m = /\/segments\/(\d+)$/.exec(path);
		if (m)
			return new Response(serve(Number(m[1])), { status: 200 });
		return new Response(JSON.stringify({ segments: listing.map((s) => ({ kind: 'segment', seq: s, start_us: T + s * 1e6, end_us: T + (s + 1) * 1e6, length: 1 })) }), { status: 200 });
	};
	const exp = () => exportRange(na, { id: camera }, 0, T, T + 5e6, new AbortController().signal, () => {});
	try {
		const r = await exp();
		r.frames === 25 && r.stopped === null ? pass('export_honest_server') : fail('export_honest_server', JSON.stringify({ frames: r.frames, stopped: r.stopped }));
	} catch (e) {
		fail('export_honest_server', e.stack);
	}
	listing = [0, 1, 3, 4];
	await expectThrow('export_missing_link_refused', async () => (await exp()).frames, 'chain');
	listing = [0, 1, 2, 3, 4];
	const old = chain(1, T - 86400e6, 0)[0]; // another recording's link
	serve = (seq) => (seq === 2 ? old.bytes : segs[seq].bytes);
	await expectThrow('export_replayed_link_refused', async () => (await exp()).frames);
	serve = (seq) => segs[[0, 1, 3, 2, 4][seq]].bytes;
	await expectThrow('export_swapped_links_refused', async () => (await exp()).frames, 'chain');
	serve = (seq) => (seq === 2 ? cat(forged, segs[2].bytes) : segs[seq].bytes);
	await expectThrow('export_spliced_frames_refused', async () => (await exp()).frames, 'format');

	// 3. The archive player's links: each continues the one before.
	globalThis.performance ??= { now: () => Date.now() };
	const player = () => {
		const p = new ArchivePlayer(na, { id: camera }, 0, {}, () => {});
		p.gen = 1;
		p.abort = new AbortController();
		p.reader = p.newReader();
		return p;
	};
	serve = (seq) => segs[seq === 1 ? 3 : seq].bytes;
	const p = player();
	await p.fetchLink(1, 0);
	await expectThrow('archive_other_link_refused', () => p.fetchLink(1, 1), 'chain');
	serve = (seq) => segs[seq].bytes;
	const p2 = player();
	await p2.fetchLink(1, 0);
	await expectThrow('archive_skipped_link_refused', () => p2.fetchLink(1, 2), 'chain');
	serve = (seq) => (seq === 1 ? cat(forged, segs[1].bytes) : segs[seq].bytes);
	const p3 = player();
	await p3.fetchLink(1, 0);
	await expectThrow('archive_spliced_frames_refused', () => p3.fetchLink(1, 1), 'format');
	serve = (seq) => segs[seq].bytes;
	const p4 = player();
	const got = [];
	for (let s = 0; s < 5; s++)
		got.push(...bodies((await p4.fetchLink(1, s)).chunks));
	got.length === 25 && got[24] === 'genuine-seq4-f4' ? pass('archive_genuine_chain_plays') : fail('archive_genuine_chain_plays', got.join());
}

// 4. Live: the server's own frames (a key it sealed to the camera's public key) never show:
// the header signature is missing or not the gateway's; a genuine stream whose segment ends
// never come stops within the bound; an old or earlier recording is not shown as live;
// genuine live video goes on.
function feed(r, bytes) {
	const p = new RecordParser();
	p.feed(bytes);
	let x;
	while ((x = p.next()) !== null)
		r.record(x);
}
// A live reader on clock now(); frames' wall clocks go to shown.
function liveReader(now, shown) {
	return new SegmentReader(na, {
		camera, stream: 0, pins: [gw.publicKey], live: true, now,
		keyFor: () => ({ pk: ep.publicKey, sk: ep.privateKey }),
		onChunk: (c) => c.kind === 2 && shown.push(c.wallUs),
	});
}
// Feeds segments made by make(i) once a second from T; returns { err, shown }.
function liveRun(make, n) {
	let now = T;
	const shown = [];
	const r = liveReader(() => now, shown);
	try {
		for (let i = 0; i < n; i++) {
			now = T + i * 1e6;
			feed(r, make(i, now));
		}
	} catch (e) {
		return { err: e, shown };
	}
	return { err: null, shown };
}
{
	const forgedLive = liveRun((i, now) => segment({ camera, seq: 100 + i, startUs: now, epochPk: ep.publicKey, prevHash: new Uint8Array(32), gw: FORGER, label: 'FORGED' }).bytes, 3);
	forgedLive.err instanceof SegmentError && forgedLive.err.code === 'signature' && forgedLive.shown.length === 0
		? pass('live_unsigned_header_refused') : fail('live_unsigned_header_refused', `${forgedLive.shown.length} forged frames shown, error ${forgedLive.err && forgedLive.err.message}`);
	const madeUp = liveRun((i, now) => segment({ camera, seq: 100 + i, startUs: now, epochPk: ep.publicKey, prevHash: new Uint8Array(32), gw: FORGER, label: 'FORGED', hdrSig: na.randombytes_buf(64) }).bytes, 3);
	madeUp.err instanceof SegmentError && madeUp.err.code === 'signature' && madeUp.shown.length === 0
		? pass('live_made_up_header_signature_refused') : fail('live_made_up_header_signature_refused', `${madeUp.shown.length} frames, error ${madeUp.err && madeUp.err.message}`);
	// Genuine headers, but no segment ever ends (each cut short by the next, as a relay skip
	// would): stopped once nothing verified for the bound.
	const unended = liveRun((i, now) => segment({ camera, seq: 100 + i, startUs: now, epochPk: ep.publicKey, prevHash: new Uint8Array(32), gw: G, noEnd: true }).bytes, 120);
	const bound = (LIVE_UNVERIFIED_US / 1e6 + 1) * 5;
	unended.err instanceof SegmentError && unended.err.code === 'signature' && unended.shown.length <= bound && unended.shown.length >= bound - 10
		? pass('live_unended_segments_stop') : fail('live_unended_segments_stop', `${unended.shown.length} frames (bound ${bound}), error ${unended.err && unended.err.message}`);

	const links = chain(120, T, 5000);
	const ok = liveRun((i) => links[i].bytes, 120);
	ok.err === null && ok.shown.length === 600 ? pass('live_genuine_goes_on') : fail('live_genuine_goes_on', `${ok.shown.length} frames, ${ok.err && ok.err.stack}`);

	// Seconds ago, but earlier in the stream: played again, not live.
	const again = liveRun((i) => links[[10, 11, 12, 5][i]].bytes, 4);
	again.err instanceof SegmentError && again.err.code === 'stale' && again.shown.length === 15
		? pass('live_earlier_segment_refused') : fail('live_earlier_segment_refused', `${again.shown.length} frames, error ${again.err && again.err.message}`);

	const day = 86400e6;
	let now = T + day;
	const old = [];
	const r3 = liveReader(() => now, old);
	try {
		feed(r3, segs[0].bytes); // yesterday's seq 0, replayed as live to a fresh viewer
		fail('live_old_recording_refused', `accepted; ${old.length} frames`);
	} catch (e) {
		e instanceof SegmentError && e.code === 'stale' && old.length === 0 && /1440 min before this computer's clock/.test(e.message)
			? pass('live_old_recording_refused') : fail('live_old_recording_refused', `${old.length} frames, ${e.stack}`);
	}
}

// 4b. A gateway certified for another site cannot sign this camera's footage: the pins for a
// camera are the gateways certified for a site its signed camera.epoch names.
{
	const siteA = na.randombytes_buf(16), siteB = na.randombytes_buf(16);
	const gwB = na.crypto_sign_keypair();
	const camA = 'aa'.repeat(16), camOld = 'bb'.repeat(16);
	const ek = (id, site) => ({ cameraId: na.from_hex(id), epoch: 1, pk: ep.publicKey.slice(), sk: ep.privateKey.slice(), siteId: site });
	keys.addEpochKeys([ek(camA, siteA), ek(camOld, null)]);
	keys.setGateways([gw.publicKey, gwB.publicKey], [siteA, siteB]);
	const pinsA = keys.pinnedGateways(camA), pinsOld = keys.pinnedGateways(camOld);
	const onlyA = pinsA.length === 1 && na.memcmp(pinsA[0], gw.publicKey) && pinsOld.length === 2 && keys.pinnedGateways().length === 2;
	onlyA ? pass('pins_are_the_camera_sites_gateways') : fail('pins_are_the_camera_sites_gateways', `${pinsA.length} pins for a site-A camera, ${pinsOld.length} for one without a site`);
	const GB = { pk: gwB.publicKey, sk: gwB.privateKey };
	const byB = segment({ camera: camA, seq: 0, startUs: T, epochPk: ep.publicKey, prevHash: new Uint8Array(32), gw: GB });
	const rA = new SegmentReader(na, { camera: camA, stream: 0, pins: pinsA, keyFor: () => ({ pk: ep.publicKey, sk: ep.privateKey }) });
	await expectThrow('other_site_gateway_refused', () => readLink(rA, byB.bytes, 0), 'gateway');
	const byA = segment({ camera: camA, seq: 0, startUs: T, epochPk: ep.publicKey, prevHash: new Uint8Array(32), gw: G });
	try {
		const r = readLink(new SegmentReader(na, { camera: camA, stream: 0, pins: pinsA, keyFor: () => ({ pk: ep.publicKey, sk: ep.privateKey }) }), byA.bytes, 0);
		r.kind === 'segment' ? pass('own_site_gateway_reads') : fail('own_site_gateway_reads', JSON.stringify(r));
	} catch (e) {
		fail('own_site_gateway_reads', e.stack);
	}
}

// 5. The password-hashing cost the server asks for: never below the CLI's floor, unless a
// test harness lowered it in the page.
{
	let out = null;
	globalThis.self = { postMessage: (m) => { out = m; } };
	await imp('kdf-worker.js');
	const salt = new Uint8Array(16);
	await self.onmessage({ data: { id: 1, password: 'correct horse', salt, ops: 1, mem: 8192 } });
	const cheap = out;
	await self.onmessage({ data: { id: 2, password: 'correct horse', salt, ops: 1, mem: 8192, testFloor: true } });
	const test = out;
	await self.onmessage({ data: { id: 3, password: 'correct horse', salt, ops: 2, mem: 64 * 1024 * 1024 } });
	const real = out;
	typeof cheap.error === 'string' && /does not accept/.test(cheap.error) && cheap.auth === undefined
		? pass('kdf_cheap_cost_refused') : fail('kdf_cheap_cost_refused', JSON.stringify(cheap));
	test.auth instanceof Uint8Array && real.auth instanceof Uint8Array && test.error === undefined && real.error === undefined
		? pass('kdf_floor_and_test_floor_derive') : fail('kdf_floor_and_test_floor_derive', JSON.stringify({ test: test.error, real: real.error }));
}

process.exit(failures > 0 ? 1 : 0);
