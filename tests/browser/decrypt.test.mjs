// decrypt.test.mjs - the console's records parser and segment reader in node against a chain written by the C code (tests/tools/segfixture): decryption, verification, tamper and fuzz.
// Usage: node decrypt.test.mjs WEBDIR FIXTUREDIR   (prints PASS/FAIL lines)
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [webDir, fx] = process.argv.slice(2);
const imp = (f) => import(pathToFileURL(`${webDir}/${f}`).href);
const { RecordParser, RecordError } = await imp('records.js');
const { SegmentReader, SegmentError, toHex } = await imp('segment.js');
const na = (await imp('vendor/libsodium-wrappers.js')).default;
await na.ready;

const chain = new Uint8Array(readFileSync(`${fx}/chain.bin`));
const keysDoc = JSON.parse(readFileSync(`${fx}/keys.json`, 'utf8'));
const expect = JSON.parse(readFileSync(`${fx}/expect.json`, 'utf8'));
const cam = keysDoc.cameras[0];
const fromHex = (s) => Uint8Array.from(s.match(/../g).map((h) => parseInt(h, 16)));
const goodKey = { pk: fromHex(cam.epochs[0].public_key), sk: fromHex(cam.epochs[0].secret_key) };
const pins = keysDoc.gateways.map(fromHex);

let failures = 0;
const pass = (n) => console.log(`PASS ${n}`);
const fail = (n, why) => { failures++; console.log(`FAIL ${n}: ${why}`); };

// Runs bytes through parser + reader, fed in pieces of `step` bytes. Returns what came out.
function run(bytes, { step = bytes.length, key = goodKey, pinned = pins } = {}) {
	const chunks = [], links = [];
	const p = new RecordParser();
	const r = new SegmentReader(na, {
		camera: cam.id, stream: 0, pins: pinned,
		keyFor: (c, e) => (c === cam.id && e === 1 ? key : null),
		onChunk: (c, h) => chunks.push({ seq: h.seq, kind: c.kind, flags: c.flags, wallUs: c.wallUs, codec: c.codec, body: toHex(c.body) }),
		onLink: (l) => links.push(l),
	});
	for (let o = 0; o < bytes.length; o += step) {
		p.feed(bytes.subarray(o, Math.min(bytes.length, o + step)));
		let rec;
		while ((rec = p.next()) !== null)
			r.record(rec);
	}
	return { chunks, links, pending: p.pending() };
}

function sameAsExpected(out) {
	if (out.chunks.length !== expect.length)
		return `got ${out.chunks.length} chunks, want ${expect.length}`;
	for (let i = 0; i < expect.length; i++) {
		const e = expect[i], c = out.chunks[i];
		const asciiBody = toHex(new TextEncoder().encode(Buffer.from(e.body, 'hex').toString()));
		const body = e.kind === 1 ? c.body.endsWith(asciiBody) : c.body === e.body;
		if (c.seq !== e.seq || c.kind !== e.kind || !body || (e.kind === 1 && c.codec !== e.codec) ||
		    (e.kind === 2 && (c.flags !== e.flags || c.wallUs !== e.wall_us)))
			return `chunk ${i} differs: ${JSON.stringify(c)} vs ${JSON.stringify(e)}`;
	}
	const kinds = out.links.map((l) => l.kind + (l.chained ? '+' : '')).join(',');
	if (kinds !== 'segment,gap+,segment+')
		return 'links ' + kinds;
	return null;
}

function expectedError(e) {
	return e instanceof RecordError || e instanceof SegmentError;
}

// 1. Whole chain, and fed one byte at a time.
for (const [name, step] of [['decrypts_chain', undefined], ['decrypts_bytewise', 1], ['decrypts_7byte_reads', 7]]) {
	try {
		const why = sameAsExpected(run(chain, { step }));
		why === null ? pass(name) : fail(name, why);
	} catch (e) {
		fail(name, e.stack);
	}
}

// 2. Wrong camera key, and a gateway that is not pinned.
function expectCode(name, opts, code) {
	try {
		run(chain, opts);
		fail(name, 'no error');
	} catch (e) {
		e instanceof SegmentError && e.code === code ? pass(name) : fail(name, `${e.name} ${e.code} ${e.message}`);
	}
}
const other = na.crypto_box_keypair();
expectCode('wrong_epoch_key_refused', { key: { pk: other.publicKey, sk: other.privateKey } }, 'key');
expectCode('unpinned_gateway_refused', { pinned: [na.crypto_sign_keypair().publicKey] }, 'gateway');

// 3. Every single-byte change anywhere is caught (an error, or the chain does not complete).
{
	let missed = [], wrongType = [];
	for (let i = 0; i < chain.length; i++) {
		const b = chain.slice();
		b[i] ^= 0x01 << (i % 8);
		try {
			const out = run(b);
			if (sameAsExpected(out) === null && out.pending === 0)
				missed.push(i);
		} catch (e) {
			if (!expectedError(e))
				wrongType.push(`${i}:${e.name}:${e.message}`);
		}
	}
	missed.length === 0 ? pass(`every_bitflip_detected_${chain.length}_positions`) : fail('every_bitflip_detected', 'missed at ' + missed.slice(0, 10).join(','));
	wrongType.length === 0 ? pass('bitflips_give_clean_errors') : fail('bitflips_give_clean_errors', wrongType.slice(0, 5).join(' | '));
}

// 3b. The C writer's header signatures (in each init chunk) verify in a live reader, so the
// page shows the C-made segments live; the C fixture's init chunks all carry one.
{
	const shown = [];
	const r = new SegmentReader(na, {
		camera: cam.id, stream: 0, pins, live: true, now: () => expect[expect.length - 1].wall_us || Date.now() * 1000,
		keyFor: (c, e) => (c === cam.id && e === 1 ? goodKey : null),
		onChunk: (c) => shown.push(c),
	});
	try {
		const p = new RecordParser();
		p.feed(chain);
		let rec;
		while ((rec = p.next()) !== null)
			r.record(rec);
		const inits = shown.filter((c) => c.kind === 1);
		inits.length === 2 && inits.every((c) => c.hdrSig instanceof Uint8Array && c.hdrSig.length === 64) && shown.length === expect.length
			? pass('live_reader_verifies_c_header_signatures') : fail('live_reader_verifies_c_header_signatures', `${inits.length} inits, ${shown.length} chunks`);
	} catch (e) {
		fail('live_reader_verifies_c_header_signatures', e.stack);
	}
}

// 4. Dropping the gap (a deleted link) breaks the chain.
{
	const p = new RecordParser();
	p.feed(chain);
	const recs = [];
	let r;
	while ((r = p.next()) !== null)
		recs.push(r);
	const frame = (rec) => {
		const o = new Uint8Array(5 + rec.payload.length);
		new DataView(o.buffer).setUint32(0, rec.payload.length);
		o[4] = rec.type;
		o.set(rec.payload, 5);
		return o;
	};
	const noGap = recs.filter((x) => x.type !== 4).map(frame);
	const joined = new Uint8Array(noGap.reduce((n, x) => n + x.length, 0));
	let o = 0;
	for (const x of noGap) {
		joined.set(x, o);
		o += x.length;
	}
	const out = run(joined);
	// The relay may skip viewers ahead, so a seq jump is a restart, not an error; it must show.
	const kinds = out.links.map((l) => l.kind + (l.chained ? '+' : '')).join(',');
	kinds === 'segment,segment' ? pass('deleted_link_shows_as_restart') : fail('deleted_link_shows_as_restart', kinds);
}

// 5. Random mutations, truncations and garbage: only the parser's own errors, never a crash.
{
	let seed = 12345;
	const rnd = (n) => {
		seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
		return seed % n;
	};
	const bad = [];
	for (let it = 0; it < 3000; it++) {
		let b;
		const mode = rnd(3);
		if (mode === 0) {
			b = chain.slice();
			for (let k = 0, n = 1 + rnd(8); k < n; k++)
				b[rnd(b.length)] = rnd(256);
		} else if (mode === 1) {
			b = chain.slice(0, rnd(chain.length));
		} else {
			b = new Uint8Array(rnd(600));
			for (let k = 0; k < b.length; k++)
				b[k] = rnd(256);
			if (b.length > 5 && rnd(2))
				b[4] = 1 + rnd(5);
		}
		try {
			run(b, { step: 1 + rnd(64) });
		} catch (e) {
			if (!expectedError(e))
				bad.push(`${it}:${e.name}:${e.message}`);
		}
	}
	bad.length === 0 ? pass('fuzz_3000_inputs_clean_errors') : fail('fuzz_3000_inputs_clean_errors', bad.slice(0, 5).join(' | '));
}

// 6. An oversized length is refused before anything is buffered.
try {
	const p = new RecordParser();
	p.feed(Uint8Array.from([0x7f, 0xff, 0xff, 0xff, 2]));
	p.next();
	fail('oversized_record_refused', 'accepted');
} catch (e) {
	e instanceof RecordError ? pass('oversized_record_refused') : fail('oversized_record_refused', e.message);
}
// 7. A motion-only camera's pause: the first segment's signed end says recording paused,
// the gap is a "no motion" one, and the live view's PauseWatch follows them (paused since
// the segment's end, signed up to the gap's end, offline after PAUSE_SILENT_MS without a
// sign, over when a segment records again).
{
	const { PauseWatch, PAUSE_SILENT_MS } = await imp('pause.js');
	const out = run(chain);
	const [seg0, gap, seg2] = out.links;
	const flags = `${seg0.paused} ${gap.reason} ${seg2.paused}`;
	flags === 'true 5 false' ? pass('paused_flag_and_idle_gap_read') : fail('paused_flag_and_idle_gap_read', flags);
	const w = new PauseWatch();
	const t0 = w.link(seg0), t1 = w.link(gap);
	const quiet = w.silent();
	w.signAt -= PAUSE_SILENT_MS + 1;
	const off = w.silent();
	const t2 = w.link(seg2), after = w.silent();
	const ok = typeof t0 === 'string' && /nothing has moved since/.test(t0) && !/signed by the gateway/.test(t0) &&
		/signed by the gateway up to/.test(t1) && quiet === null && typeof off === 'string' && /offline/.test(off) &&
		t2 === null && after === null && w.since === null;
	ok ? pass('pause_watch_follows_signed_pause') : fail('pause_watch_follows_signed_pause', JSON.stringify({ t0, t1, quiet, off, t2, after }));
	// Live-only video sent during the pause neither ends nor restarts it: the next 30 s gap
	// (from the last one's end) still says "since" the paused segment's end.
	const v = new PauseWatch();
	v.link(seg0);
	v.link(gap);
	const lo = v.link({ kind: 'segment', liveOnly: true, paused: false, startUs: gap.toUs, endUs: gap.toUs + 2e6 });
	v.link({ kind: 'gap', reason: 5, fromUs: gap.toUs, toUs: gap.toUs + 30e6 });
	lo === null && v.since === seg0.endUs && v.upTo === gap.toUs + 30e6 ? pass('pause_watch_ignores_live_only') :
		fail('pause_watch_ignores_live_only', JSON.stringify({ lo, since: v.since, end: seg0.endUs, upTo: v.upTo }));
}
// 8. The browser export's report of the holes in a file: the chain's verified "no motion"
// gap is named by its signed reason; a pause signed every 30 s is one line; another reason
// or a hole between breaks the run.
{
	const { noteGap, gapsText } = await imp('export.js');
	const out = run(chain);
	const gap = out.links[1];
	const one = [];
	noteGap(one, gap, false);
	const g = [];
	const T = 1_800_000_000_000_000;
	noteGap(g, { reason: 5, fromUs: T, toUs: T + 30e6 }, false);
	noteGap(g, { reason: 5, fromUs: T + 30e6, toUs: T + 60e6 }, true);
	noteGap(g, { reason: 1, fromUs: T + 60e6, toUs: T + 75e6 }, true);
	noteGap(g, { reason: 5, fromUs: T + 90e6, toUs: T + 120e6 }, true);
	// A segment between two pauses, and a gap that starts before the last: never merged.
	noteGap(g, { reason: 5, fromUs: T + 120e6, toUs: T + 150e6 }, false);
	noteGap(g, { reason: 5, fromUs: T - 86400e6, toUs: T - 86000e6 }, true);
	const text = gapsText(g);
	const odd = gapsText([{ reason: 9, fromUs: 9e18, toUs: 9.2e18, links: 1 }]);
	const ok = one.length === 1 && one[0].reason === 5 && /^no motion \(the camera records on motion only\)/.test(gapsText(one)) &&
		g.length === 5 && g[0].links === 2 && g[0].toUs === T + 60e6 && g[1].reason === 1 &&
		/\(2 signed gaps\); camera offline .*; no motion/.test(text) && text.endsWith('; and 1 more') &&
		gapsText(g, 1).endsWith('; and 4 more') && /^unknown reason 9 9000000000000000000 µs/.test(odd);
	ok ? pass('export_reports_signed_gaps') : fail('export_reports_signed_gaps', JSON.stringify({ one, g, text, odd }));
}
process.exit(failures > 0 ? 1 : 0);
