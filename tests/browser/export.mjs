// export.mjs - drives the console's export and share dialogs against a running `vigil demo`: the exported .mp4 checked with ffprobe, a share link opened in a fresh context with the proof of its key (only its clip plays; the id alone is refused and spends nothing), a mangled link refused, manifests over a link's size refused on both sides, and the link dead after expiry.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const demo = JSON.parse(readFileSync(process.env.VIGIL_DEMO_JSON, 'utf8'));
const ART = process.env.VIGIL_ART;
const OUT = process.env.VIGIL_OUT;
const GOP_S = 2;          // the demo's camera: 2 s segments of one GOP
const EXPIRY_S = 40;      // the share's custom expiry (the steps before (6) must fit in it on a loaded machine)
const pass = (n) => console.log(`PASS ${n}`);
const fail = (n, why) => console.log(`FAIL ${n}: ${String(why).replace(/\n/g, ' ')}`);
const check = (n, ok, why) => (ok ? pass(n) : fail(n, why));
const problems = [];
const started = Date.now();
// Chromium logs every non-2xx fetch; the 401s of sign-in and the 404/410s this test provokes are expected.
const expectedNoise = (t) => /status of (401|403|404|410)/.test(t);

// Sets a datetime-local input to the local time `agoS` seconds before now (in the page's zone).
async function setAgo(page, sel, agoS) {
	await page.$eval(sel, (e, a) => {
		const d = new Date(Date.now() - a * 1000);
		const p = (n) => String(n).padStart(2, '0');
		e.value = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
		return Date.parse(e.value) * 1000;
	}, agoS);
	return page.$eval(sel, (e) => Date.parse(e.value) * 1000);
}

// ---- The page's parsers of untrusted bytes, in node: sealed manifests, link keys, fragments. ----
{
	const imp = (f) => import(pathToFileURL(`${process.env.VIGIL_WEB}/${f}`).href);
	const { sealManifest, MANIFEST_PLAIN_MAX } = await imp('share.js');
	const { openManifest, keyOfFragment, openProof, openProofHash, MANIFEST_MAX } = await imp('shareview.js');
	const { rebaseFragment, ClipCut } = await imp('export.js');
	const na = (await imp('vendor/libsodium-wrappers.js')).default;
	await na.ready;
	const hex = (b) => Buffer.from(b).toString('hex');
	const doc = { v: 1, camera: 'ab'.repeat(16), camera_name: 'cam1', stream: 'main', from_us: 1000, to_us: 61000,
		gateway_pk: 'cd'.repeat(32), segments: [{ seq: 7, key: '11'.repeat(32) }, { seq: 8, key: '22'.repeat(32) }] };
	const seal = (d) => sealManifest(na, new TextEncoder().encode(typeof d === 'string' ? d : JSON.stringify(d)));
	const outcome = (h, k) => {
		try {
			openManifest(na, h, k);
			return 'opened';
		} catch (e) {
			return e.message;
		}
	};
	const { sealedHex, k } = seal(doc);
	const m = openManifest(na, sealedHex, k);
	check('manifest_roundtrip', m.camera === doc.camera && m.stream === 0 && m.fromUs === 1000 && m.toUs === 61000 &&
		m.seqs.join() === '7,8' && hex(m.segKeys.get(8)) === '22'.repeat(32) && hex(m.gateway) === doc.gateway_pk, JSON.stringify(m.seqs));
	check('manifest_wrong_key_refused', outcome(sealedHex, na.randombytes_buf(32)) === 'badkey', 'opened with another key');
	// The open proof: BLAKE2b-256 keyed with K over its own context; neither K nor the
	// proof is derivable from the hash the server stores.
	{
		const p = openProof(na, k);
		const want = na.crypto_generichash(32, new TextEncoder().encode('vigil share open v1'), k);
		const other = openProof(na, na.randombytes_buf(32));
		check('open_proof_derived_from_key', p.length === 32 && hex(p) === hex(want) && hex(p) !== hex(k) && hex(other) !== hex(p) &&
			hex(openProofHash(na, k)) === hex(na.crypto_generichash(32, p, null)) && hex(openProof(na, k)) === hex(p), hex(p));
	}
	// A manifest larger than a link holds: the sharer's page refuses to seal it, and the
	// recipient's refuses one a server sends before decoding it (even sealed under the key).
	{
		let err = '';
		try {
			sealManifest(na, new Uint8Array(MANIFEST_PLAIN_MAX + 1));
		} catch (e) {
			err = e.message;
		}
		const fits = sealManifest(na, new Uint8Array(MANIFEST_PLAIN_MAX));
		check('manifest_over_cap_not_sealed', /too long for one link/.test(err) && fits.sealedHex.length === 2 * MANIFEST_MAX, err);
		// Sealed by hand, as whoever sends it need not use sealManifest: a well-formed
		// manifest one byte over the cap.
		const big = new TextEncoder().encode(JSON.stringify(Object.assign({}, doc, { pad: '' })));
		const plain = new Uint8Array(MANIFEST_PLAIN_MAX + 1).fill(0x20);
		plain.set(big, 0);
		const bk = na.randombytes_buf(32), nonce = na.randombytes_buf(24);
		const bigHex = hex(nonce) + hex(na.crypto_secretbox_easy(plain, nonce, bk));
		check('manifest_over_cap_refused', outcome(bigHex, bk) === 'toolarge', outcome(bigHex, bk));
	}
	// v2 (share.js): the signed gaps between segments, and whether the org signed the name.
	const v2 = Object.assign({}, doc, { v: 2, camera_name: 'x'.repeat(64), name_signed: false,
		gaps: [{ seq: 9, rec: '01'.repeat(212) }], segments: [...doc.segments, { seq: 10, key: '33'.repeat(32) }] });
	const s2 = seal(v2);
	const m2 = openManifest(na, s2.sealedHex, s2.k);
	check('manifest_v2_unsigned_name_marked', m2.cameraName === 'x'.repeat(64) + ' (name not signed)' && m2.chain === true &&
		m2.links.join() === '7,8,9,10' && m2.gaps.get(9).length === 212, `${m2.cameraName} ${m2.links}`);
	const s2b = seal(Object.assign({}, v2, { name_signed: true }));
	check('manifest_v2_signed_name_plain', openManifest(na, s2b.sealedHex, s2b.k).cameraName === 'x'.repeat(64), 'marked');
	const noGaps = Object.assign({}, v2);
	delete noGaps.gaps;
	const s2c = seal(noGaps);
	check('manifest_v2_without_gaps_refused', outcome(s2c.sealedHex, s2c.k) === 'badmanifest', 'opened');
	const s2d = seal(Object.assign({}, v2, { gaps: [{ seq: 8, rec: '01'.repeat(212) }] }));
	check('manifest_v2_gap_on_a_segment_refused', outcome(s2d.sealedHex, s2d.k) === 'badmanifest', 'opened');
	// Every bit of the sealed bytes flipped once: nothing opens.
	const sealed = Buffer.from(sealedHex, 'hex');
	let flips = 0, opened = 0;
	for (let i = 0; i < sealed.length * 8; i++) {
		const b = Buffer.from(sealed);
		b[i >> 3] ^= 1 << (i & 7);
		flips++;
		if (outcome(b.toString('hex'), k) !== 'badkey')
			opened++;
	}
	check('manifest_bitflips_refused', opened === 0, `${opened} of ${flips} flips not refused as badkey`);
	// Well sealed but malformed manifests: refused as damaged, never half-used.
	const bad = [
		'not json', '[]', 'null', JSON.stringify({ ...doc, v: 2 }), JSON.stringify({ ...doc, camera: 'AB'.repeat(16) }),
		JSON.stringify({ ...doc, stream: 0 }), JSON.stringify({ ...doc, to_us: 1000 }), JSON.stringify({ ...doc, segments: [] }),
		JSON.stringify({ ...doc, segments: [{ seq: -1, key: '11'.repeat(32) }] }), JSON.stringify({ ...doc, segments: [{ seq: 1, key: '11' }] }),
		JSON.stringify({ ...doc, gateway_pk: 'cd'.repeat(31) }), JSON.stringify({ ...doc, from_us: 1.5 }), '{"v":1}',
	];
	const badOut = bad.map((d) => {
		const s = seal(d);
		return outcome(s.sealedHex, s.k);
	});
	check('manifest_malformed_refused', badOut.every((o) => o === 'badmanifest'), badOut.join(','));
	// Garbage instead of a manifest: only the two refusals, no other exception.
	let odd = 0;
	for (let i = 0; i < 2000; i++) {
		const n = Math.floor(Math.random() * 120);
		const g = i % 3 === 0 ? 'zz' + hex(na.randombytes_buf(n)) : i % 3 === 1 ? hex(na.randombytes_buf(n)) : hex(na.randombytes_buf(n)).slice(1);
		const o = outcome(g, k);
		if (o !== 'badkey' && o !== 'badmanifest')
			odd++;
	}
	check('manifest_garbage_refused', odd === 0, `${odd} inputs gave another outcome`);
	const kb = na.randombytes_buf(32);
	const frag = '#' + na.to_base64(kb, na.base64_variants.URLSAFE_NO_PADDING);
	const kf = keyOfFragment(na, frag);
	check('fragment_key_read', kf !== null && hex(kf) === hex(kb), frag);
	const badFrags = ['', '#', '#abc', frag + 'A', frag.slice(0, -1), frag + '=', frag.replace(/.$/, '+'), '#' + 'A'.repeat(42) + '.'];
	check('fragment_bad_keys_refused', badFrags.every((f) => keyOfFragment(na, f) === null), badFrags.filter((f) => keyOfFragment(na, f) !== null).join(' '));
	// A fragment moof[mfhd, traf[tfhd, tfdt]] + mdat with decode time t (version v).
	const box = (type, ...parts) => {
		const body = Buffer.concat(parts.map((p) => Buffer.from(p)));
		const h = Buffer.alloc(8);
		h.writeUInt32BE(8 + body.length);
		h.write(type, 4, 'latin1');
		return Buffer.concat([h, body]);
	};
	const fragOf = (t, v) => {
		const tf = Buffer.alloc(v === 1 ? 12 : 8);
		tf[0] = v;
		if (v === 1)
			tf.writeBigUInt64BE(BigInt(t), 4);
		else
			tf.writeUInt32BE(t, 4);
		return new Uint8Array(Buffer.concat([box('moof', box('mfhd', Buffer.alloc(8)), box('traf', box('tfhd', Buffer.alloc(8)), box('tfdt', tf))), box('mdat', Buffer.from('frame'))]));
	};
	const timeOf = (f, v) => {
		const b = Buffer.from(f);
		const o = b.indexOf('tfdt') + 4 + 4;
		return v === 1 ? Number(b.readBigUInt64BE(o)) : b.readUInt32BE(o);
	};
	const r0 = rebaseFragment(fragOf(900000, 0), null), r1 = rebaseFragment(fragOf(2 ** 40, 1), 2n ** 40n - 3600n);
	check('fragment_rebased', r0 !== null && r0.time === 900000n && timeOf(r0.bytes, 0) === 0 &&
		r1 !== null && timeOf(r1.bytes, 1) === 3600, JSON.stringify([r0 && String(r0.time), r1 && timeOf(r1.bytes, 1)]));
	let threw = 0;
	for (let i = 0; i < 3000; i++) {
		const f = i % 2 ? na.randombytes_buf(Math.floor(Math.random() * 200)) : fragOf(5, i % 4 === 0 ? 1 : 0);
		if (i % 2 === 0) {
			f[Math.floor(Math.random() * f.length)] = Math.floor(Math.random() * 256);
			if (i % 3 === 0)
				f.subarray(Math.floor(Math.random() * f.length)).fill(0);
		}
		try {
			rebaseFragment(i % 5 === 0 ? f.subarray(0, Math.floor(Math.random() * f.length)) : f, null);
		} catch (e) {
			threw++;
		}
	}
	check('fragment_garbage_never_throws', threw === 0, `${threw} of 3000 threw`);
	// 25 fps, a keyframe every 50 frames: the cut starts at the keyframe before `from`.
	const cut = new ClipCut(3_030_000, 5_000_000);
	const kept = [];
	for (let i = 0; i < 200; i++) {
		const out = cut.push({ wallUs: i * 40000, flags: i % 50 === 0 ? 1 : 0 });
		if (out === null)
			break;
		kept.push(...out);
	}
	check('clip_cut_from_keyframe_to_end', kept.length > 0 && kept[0].wallUs === 2_000_000 && kept[kept.length - 1].wallUs === 4_960_000,
		`${kept.length ? kept[0].wallUs : '-'}..${kept.length ? kept[kept.length - 1].wallUs : '-'}`);
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
	args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'] });
try {
	const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
	// Every request either browser sends, to check that a link's key never reaches the server.
	const sent = [];
	const record = (req) => sent.push(req.url() + '\n' + JSON.stringify(req.headers()) + '\n' + (req.postData() || ''));
	ctx.on('request', record);
	const page = await ctx.newPage();
	page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
	page.on('console', (m) => {
		if (m.type() === 'error' && !expectedNoise(m.text()))
			problems.push('console: ' + m.text());
	});
	await page.goto(demo.console + '/');
	await page.evaluate(() => document.addEventListener('securitypolicyviolation', (e) => {
		document.body.dataset.cspViolation = e.violatedDirective;
	}));
	await page.fill('#username', demo.username);
	await page.fill('#password', demo.password);
	await page.click('#signin-submit');
	await page.waitForSelector('#totp', { state: 'visible', timeout: 30000 });
	// `vigil demo` signs in with the current code itself: a replay is refused, so then wait
	// for the next 30 s step.
	for (let attempt = 1; attempt <= 2; attempt++) {
		const code = execFileSync(process.env.VIGIL_TOTP_TOOL, [demo.totp_secret]).toString().trim();
		await page.fill('#totp', code);
		await page.click('#signin-submit');
		const inApp = await page.waitForFunction(() => document.body.dataset.view === 'app'
			|| (document.getElementById('signin-status').classList.contains('error') ? 'error' : false), null, { timeout: 30000 })
			.then(async (h) => (await h.jsonValue()) === true, () => false);
		if (inApp)
			break;
		const why = await page.textContent('#signin-status');
		console.log(`sign-in attempt ${attempt} did not enter the console: ${why}`);
		if (attempt === 2)
			throw new Error('sign-in failed: ' + why);
		await page.waitForTimeout(30000 - (Date.now() % 30000) + 500);
	}
	await page.waitForSelector('#grid .tile[data-state="live"]', { timeout: 60000 });
	await page.click('#grid .tile[data-state="live"]');
	await page.waitForFunction(() => document.getElementById('view-camera').dataset.state === 'live', null, { timeout: 20000 });
	const camName = await page.textContent('#cam-name');

	// Enough recording for "40 s ago".
	const waitMs = 48000 - (Date.now() - started);
	if (waitMs > 0)
		await page.waitForTimeout(waitMs);

	// (1) Export 40 s .. 10 s ago through the dialog; catch the download.
	await page.click('#cam-export');
	await page.waitForSelector('#export-dialog[open]', { timeout: 5000 });
	const fromUs = await setAgo(page, '#export-from', 40);
	const toUs = await setAgo(page, '#export-to', 10);
	const askedS = (toUs - fromUs) / 1e6;
	const t0 = Date.now();
	const [dl] = await Promise.all([
		page.waitForEvent('download', { timeout: 60000 }),
		page.click('#export-go'),
	]);
	const file = `${OUT}/export.mp4`;
	await dl.saveAs(file);
	console.log(`export of ${askedS} s took ${Date.now() - t0} ms: ${dl.suggestedFilename()}`);
	// The two fields are set a moment apart, so the range is 30 s or, across a second
	// boundary, 31 s: the name must carry the range actually asked for.
	check('export_file_name', new RegExp(`^[A-Za-z0-9._-]+_\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\dZ_${Math.round(askedS)}s\\.mp4$`).test(dl.suggestedFilename())
		&& (askedS === 30 || askedS === 31)
		&& dl.suggestedFilename().startsWith(camName.replace(/[^A-Za-z0-9._-]+/g, '-')), dl.suggestedFilename());
	await page.waitForFunction(() => document.getElementById('export-dialog').dataset.state === 'done', null, { timeout: 10000 })
		.then(() => pass('export_dialog_done'), async () => fail('export_dialog_done', await page.textContent('#export-status')));
	const exportStatus = await page.textContent('#export-status');
	console.log(`export status: ${exportStatus}`);
	const prog = await page.$eval('#export-progress', (p) => [p.value, p.max]);
	check('export_progress_full', prog[1] > 1 && prog[0] === prog[1], `progress ${prog[0]}/${prog[1]}`);
	if (ART)
		await page.screenshot({ path: `${ART}/export-dialog.png` });
	let probe = '';
	try {
		probe = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries',
			'stream=nb_read_frames,codec_name:format=duration', '-of', 'default=nw=1', file]).toString();
	} catch (e) {
		probe = 'ffprobe failed: ' + e.message;
	}
	console.log('ffprobe: ' + probe.replace(/\n/g, ' '));
	const field = (k) => {
		const m = new RegExp(`^${k}=(.*)$`, 'm').exec(probe);
		return m ? m[1] : null;
	};
	const nFrames = Number(field('nb_read_frames')), dur = Number(field('duration'));
	check('export_decodes', nFrames > 0, probe);
	check('export_h264', field('codec_name') === 'h264', probe);
	// Starts at the keyframe at or before the start, ends with the last frame before the end.
	check('export_covers_range', dur >= askedS - GOP_S && dur <= askedS + GOP_S + 1, `duration ${dur} s for ${askedS} s asked`);
	check('export_frame_count', nFrames >= askedS - GOP_S, `${nFrames} frames for ${askedS} s`);
	await page.click('#export-cancel');

	// (2) A share of 40 s .. 10 s ago, view limit 3, custom expiry of EXPIRY_S seconds.
	await page.click('#cam-share');
	await page.waitForSelector('#share-dialog[open]', { timeout: 5000 });
	const sFrom = await setAgo(page, '#share-from', 40);
	const sTo = await setAgo(page, '#share-to', 10);
	await page.selectOption('#share-expiry', 'custom');
	await page.fill('#share-custom-n', String(EXPIRY_S));
	await page.selectOption('#share-custom-unit', '1');
	await page.fill('#share-views', '3');
	await page.click('#share-go');
	let st = await page.waitForFunction(() => {
		const s = document.getElementById('share-dialog').dataset.state;
		return s === 'done' || s === 'stepup' || s === 'error' ? s : false;
	}, null, { timeout: 30000 }).then((h) => h.jsonValue());
	if (st === 'stepup') {
		console.log('the server asked for step-up: confirming the password');
		await page.fill('#share-password', demo.password);
		await page.click('#share-password-go');
		st = await page.waitForFunction(() => {
			const s = document.getElementById('share-dialog').dataset.state;
			return s === 'done' || s === 'error' ? s : false;
		}, null, { timeout: 30000 }).then((h) => h.jsonValue());
	}
	const createdAt = Date.now();
	if (st !== 'done')
		throw new Error('share not created: ' + await page.textContent('#share-status'));
	pass('share_created');
	const link = await page.inputValue('#share-link');
	const u = new URL(link);
	check('share_link_shape', /^\/s\/[0-9a-f]{32}$/.test(u.pathname) && /^#[A-Za-z0-9_-]{43}$/.test(u.hash), link.replace(/#.*/, '#…'));
	await page.waitForSelector(`#share-list li[data-id="${u.pathname.slice(3)}"]`, { timeout: 10000 })
		.then(() => pass('share_listed'), (e) => fail('share_listed', e.message));
	if (ART)
		await page.screenshot({ path: `${ART}/share-dialog.png` });

	// (3) The link in a fresh context (no cookie, no key but the fragment).
	const rctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	rctx.on('request', record);
	const r = await rctx.newPage();
	r.on('pageerror', (e) => problems.push('share pageerror: ' + e.message));
	r.on('console', (m) => {
		if (m.type() === 'error' && !expectedNoise(m.text()))
			problems.push('share console: ' + m.text());
	});
	let opened = null;
	r.on('response', async (resp) => {
		if (/\/api\/v1\/shares\/[0-9a-f]{32}\/open$/.test(resp.url()) && resp.status() === 200)
			opened = await resp.json().catch(() => null);
	});
	await r.goto(link);
	await r.waitForFunction(() => document.body.dataset.share === 'playing' && Number(document.body.dataset.presented) > 0,
		null, { timeout: 20000 }).then(() => pass('share_plays'),
		async () => fail('share_plays', `state ${await r.evaluate(() => document.body.dataset.share)}: ${await r.textContent('#view-share')}`));
	const p1 = await r.evaluate(() => Number(document.body.dataset.presented));
	await r.waitForTimeout(1500);
	const p2 = await r.evaluate(() => Number(document.body.dataset.presented));
	check('share_frames_presented', p2 > p1, `${p1} -> ${p2}`);
	const scrub = await r.$eval('#share-scrub', (s) => ({ from: Number(s.dataset.from), to: Number(s.dataset.to), min: Number(s.min), max: Number(s.max) }));
	check('share_timeline_is_the_clip', scrub.from === sFrom && scrub.to === sTo && scrub.min === sFrom && scrub.max === sTo,
		JSON.stringify(scrub) + ` asked ${sFrom}..${sTo}`);
	await r.waitForFunction(() => document.body.dataset.loaded === '1', null, { timeout: 20000 }).catch(() => {});
	const wall = await r.evaluate(() => Number(document.body.dataset.wallUs || 0));
	check('share_shows_clip_time', wall >= sFrom - GOP_S * 1e6 && wall < sTo, `shown ${wall} clip ${sFrom}..${sTo}`);
	const info = await r.textContent('#share-info');
	check('share_views_shown', /View 1 of 3/.test(info), info);
	check('share_camera_named', (await r.textContent('#share-cam')) === camName, await r.textContent('#share-cam'));
	if (ART)
		await r.screenshot({ path: `${ART}/share-page.png` });

	// (3b) The creation sent only the hash of the link's open proof, the open the proof (never
	// K); the id alone (what a proxy log holds) and a wrong proof are refused and spend no view.
	const orgOf = () => {
		for (const t of sent) {
			const m = /\/api\/v1\/orgs\/([0-9a-f]{64})\/shares$/.exec(t.split('\n')[0]);
			if (m)
				return m[1];
		}
		return null;
	};
	const shareViews = (id) => page.evaluate(async ([org, i]) => {
		const j = await (await fetch(`/api/v1/orgs/${org}/shares`)).json();
		const x = (j.shares || []).find((y) => y.id === i);
		return x ? x.views : null;
	}, [orgOf(), id]);
	const openRaw = async (id, body) => {
		const resp = await fetch(`${demo.console}/api/v1/shares/${id}/open`, Object.assign({ method: 'POST' },
			body !== null ? { headers: { 'Content-Type': 'application/json' }, body } : {}));
		return [resp.status, await resp.text()];
	};
	const webMod = (f) => import(pathToFileURL(`${process.env.VIGIL_WEB}/${f}`).href);
	const naN = (await webMod('vendor/libsodium-wrappers.js')).default;
	await naN.ready;
	const { openProof: proofOf } = await webMod('shareview.js');
	{
		const id = u.pathname.slice(3);
		const kb = new Uint8Array(Buffer.from(u.hash.slice(1), 'base64url'));
		const ph = Buffer.from(proofOf(naN, kb)).toString('hex');
		const phh = Buffer.from(naN.crypto_generichash(32, Buffer.from(ph, 'hex'), null)).toString('hex');
		const creates = sent.filter((t) => /\/api\/v1\/orgs\/[0-9a-f]{64}\/shares$/.test(t.split('\n')[0]) &&
			t.includes(`"open_proof_hash":"${phh}"`));
		check('share_create_sends_proof_hash_only', creates.length === 1 && !creates[0].includes(ph),
			`${creates.length} creation(s) with the hash`);
		const opens = sent.filter((t) => t.split('\n')[0].endsWith(`/api/v1/shares/${id}/open`));
		check('share_open_sends_proof', opens.length === 1 && opens[0].endsWith(`{"proof":"${ph}"}`),
			opens.map((t) => t.slice(-90)).join(' | '));
		const [s1, b1] = await openRaw(id, null);
		check('share_id_alone_refused', s1 === 403 && /key is missing or wrong/.test(b1) && !/token|manifest/.test(b1), `${s1} ${b1}`);
		const [s2] = await openRaw(id, JSON.stringify({ proof: 'ab'.repeat(32) }));
		const [s3] = await openRaw(id, JSON.stringify({ proof: phh }));
		check('share_wrong_proof_refused', s2 === 403 && s3 === 403, `${s2} ${s3}`);
		const v = await shareViews(id);
		check('share_refused_opens_spend_nothing', v === 1, `views ${v}`);
	}

	// (4) The share token fetches only the clip's segments.
	if (opened === null || !Array.isArray(opened.segments) || opened.segments.length === 0) {
		fail('share_open_answer', JSON.stringify(opened));
	} else {
		const seqs = opened.segments.map((s) => s.seq);
		const id = u.pathname.slice(3);
		const get = (seq, tok) => r.evaluate(async ([i, s, t]) => (await fetch(`/api/v1/shares/${i}/segments/${s}`,
			{ headers: { Authorization: 'Share ' + t } })).status, [id, seq, tok]);
		const inside = await get(seqs[0], opened.token);
		const before = await get(Math.min(...seqs) - 3, opened.token);
		const after = await get(Math.max(...seqs) + 3, opened.token);
		check('share_token_fetches_clip', inside === 200, `inside ${inside}`);
		check('share_token_refused_outside_clip', before === 404 && after === 404, `before ${before} after ${after}`);
		const bad = await get(seqs[0], 'ab'.repeat(32));
		check('share_wrong_token_refused', bad === 404, `wrong token ${bad}`);
		globalThis.shareCheck = { get, seqs, token: opened.token };
	}

	// (5) A mangled key: its open proof is wrong too, so the server refuses the open (403)
	// and counts no view; the page says the key is wrong.
	const mctx = await browser.newContext();
	const mp = await mctx.newPage();
	const k = u.hash.slice(1);
	const mangled = k.slice(0, 10) + (k[10] === 'A' ? 'B' : 'A') + k.slice(11);
	await mp.goto(demo.console + u.pathname + '#' + mangled);
	const mst = await mp.waitForFunction(() => ['badkey', 'badlink', 'playing', 'expired', 'error'].includes(document.body.dataset.share)
		? document.body.dataset.share : false, null, { timeout: 15000 }).then((h) => h.jsonValue(), () => 'timeout');
	check('share_mangled_key_refused', mst === 'badkey' && Number(await mp.evaluate(() => document.body.dataset.decrypted || 0)) === 0,
		`${mst}: ${await mp.textContent('body')}`);
	const mv = await shareViews(u.pathname.slice(3));
	check('share_mangled_key_spends_nothing', mv === 1, `views ${mv}`);
	// Without the fragment: refused before any view is counted.
	await mp.goto(demo.console + u.pathname);
	const nst = await mp.waitForFunction(() => document.body.dataset.share && document.body.dataset.share !== 'loading'
		? document.body.dataset.share : false, null, { timeout: 15000 }).then((h) => h.jsonValue(), () => 'timeout');
	check('share_missing_key_refused', nst === 'badlink', nst);
	await mctx.close();

	// (5b) A second link (1 hour), revoked from the dialog's list: the recipient is told.
	await page.selectOption('#share-expiry', '3600');
	await page.click('#share-go');
	await page.waitForFunction(() => document.getElementById('share-dialog').dataset.state === 'done'
		&& document.getElementById('share-link').value !== '', null, { timeout: 30000 });
	const link2 = new URL(await page.inputValue('#share-link'));
	const id2 = link2.pathname.slice(3);
	await page.click(`#share-list li[data-id="${id2}"] button`, { timeout: 10000 });
	await page.waitForSelector(`#share-list li[data-id="${id2}"][data-state="revoked"]`, { timeout: 10000 })
		.then(() => pass('share_revoked_in_list'), (e) => fail('share_revoked_in_list', e.message));
	const vctx = await browser.newContext();
	const vp = await vctx.newPage();
	await vp.goto(link2.href);
	const vst = await vp.waitForFunction(() => document.body.dataset.share && document.body.dataset.share !== 'loading'
		? document.body.dataset.share : false, null, { timeout: 15000 }).then((h) => h.jsonValue(), () => 'timeout');
	const vmsg = await vp.textContent('#share-msg').catch(() => '');
	check('share_revoked_refused', vst === 'expired' && /revoked/i.test(vmsg), `${vst}: ${vmsg}`);
	await vctx.close();

	// (5c) A lying server: its segment list slips a segment recorded before the range in,
	// with times inside it. The segment's own signed times refuse it; nothing is shared.
	let slipped = null;
	await page.route(/\/segments\?from=/, async (route) => {
		const resp = await route.fetch();
		const j = await resp.json();
		const segs = (j.segments || []).filter((l) => l.kind === 'segment');
		const lo = Math.min(...segs.map((l) => l.seq));
		if (segs.length > 0 && lo >= 4 && slipped === null) {
			slipped = lo - 3;
			j.segments.push(Object.assign({}, segs[0], { seq: slipped }));
		}
		await route.fulfill({ response: resp, json: j });
	});
	const before5c = sent.filter((t) => /\/shares\n/.test(t.split('\n')[0] + '\n') && /"manifest"/.test(t)).length;
	await page.click('#share-go');
	const lst = await page.waitForFunction(() => {
		const d = document.getElementById('share-dialog').dataset.state;
		return d === 'done' || d === 'error' ? d : false;
	}, null, { timeout: 30000 }).then((h) => h.jsonValue(), () => 'timeout');
	const lmsg = await page.textContent('#share-status');
	await page.unroute(/\/segments\?from=/);
	const posted = sent.filter((t) => /\/shares\n/.test(t.split('\n')[0] + '\n') && /"manifest"/.test(t)).length - before5c;
	check('share_listed_outside_range_refused', slipped !== null && lst === 'error' && /not recorded in this range/.test(lmsg) && posted === 0,
		`slipped seq ${slipped}, state ${lst}: ${lmsg}; ${posted} share(s) posted`);

	// (5d) A lying server leaves a segment out of the middle of its list (the minutes that
	// matter): every link must continue the one before, so nothing is shared.
	let dropped = null;
	await page.route(/\/segments\?from=/, async (route) => {
		const resp = await route.fetch();
		const j = await resp.json();
		const segs = (j.segments || []).filter((l) => l.kind === 'segment').sort((a, b) => a.seq - b.seq);
		if (segs.length >= 3 && dropped === null)
			dropped = segs[Math.floor(segs.length / 2)].seq;
		j.segments = (j.segments || []).filter((l) => l.seq !== dropped);
		await route.fulfill({ response: resp, json: j });
	});
	const before5d = sent.filter((t) => /\/shares\n/.test(t.split('\n')[0] + '\n') && /"manifest"/.test(t)).length;
	await page.click('#share-go');
	const dst = await page.waitForFunction(() => {
		const d = document.getElementById('share-dialog').dataset.state;
		return d === 'done' || d === 'error' ? d : false;
	}, null, { timeout: 30000 }).then((h) => h.jsonValue(), () => 'timeout');
	const dmsg = await page.textContent('#share-status');
	await page.unroute(/\/segments\?from=/);
	const posted5d = sent.filter((t) => /\/shares\n/.test(t.split('\n')[0] + '\n') && /"manifest"/.test(t)).length - before5d;
	check('share_listed_missing_middle_refused', dropped !== null && dst === 'error' && /missing/.test(dmsg) && posted5d === 0,
		`dropped seq ${dropped}, state ${dst}: ${dmsg}; ${posted5d} share(s) posted`);

	// (5e) A lying server hands the recipient a manifest with a link left out, sealed under a
	// key of its making (it would need the link's key; this stands for a sharer's page that
	// did not check): the recipient's page requires every link to continue the one before.
	{
		// A link of its own (1 hour, as 5b left the dialog), so the first one's expiry does not
		// race this step on a slow machine.
		await page.selectOption('#share-expiry', '3600');
		await page.click('#share-go');
		await page.waitForFunction(() => document.getElementById('share-dialog').dataset.state === 'done'
			&& document.getElementById('share-link').value !== '', null, { timeout: 30000 });
		const u3 = new URL(await page.inputValue('#share-link'));
		const na2 = (await import(pathToFileURL(`${process.env.VIGIL_WEB}/vendor/libsodium-wrappers.js`).href)).default;
		await na2.ready;
		const k = Buffer.from(u3.hash.slice(1), 'base64url');
		const k2 = na2.randombytes_buf(32);
		let cut = null;
		const tctx = await browser.newContext();
		const tp = await tctx.newPage();
		await tp.route(/\/api\/v1\/shares\/[0-9a-f]{32}\/open$/, async (route) => {
			// The server is the liar here: the page's proof (of k2) is replaced by the link's.
			const resp = await route.fetch({ postData: JSON.stringify({ proof: Buffer.from(proofOf(na2, k)).toString('hex') }) });
			const j = await resp.json();
			const sealedM = Buffer.from(j.manifest, 'hex');
			const plain = na2.crypto_secretbox_open_easy(sealedM.subarray(24), sealedM.subarray(0, 24), k);
			const doc = JSON.parse(Buffer.from(plain).toString('utf8'));
			if (doc.segments.length >= 3) {
				cut = doc.segments[Math.floor(doc.segments.length / 2)].seq;
				doc.segments = doc.segments.filter((x) => x.seq !== cut);
			}
			const nonce = na2.randombytes_buf(24);
			const ct = na2.crypto_secretbox_easy(new TextEncoder().encode(JSON.stringify(doc)), nonce, k2);
			j.manifest = Buffer.concat([Buffer.from(nonce), Buffer.from(ct)]).toString('hex');
			await route.fulfill({ response: resp, json: j });
		});
		await tp.goto(u3.origin + u3.pathname + '#' + Buffer.from(k2).toString('base64url'));
		const tst = await tp.waitForFunction(() => ['tamper', 'playing', 'error', 'expired'].includes(document.body.dataset.share)
			&& document.body.dataset.share !== 'playing' ? document.body.dataset.share : false, null, { timeout: 30000 })
			.then((h) => h.jsonValue(), async () => tp.evaluate(() => document.body.dataset.share));
		const tmsg = await tp.textContent('#share-msg').catch(() => '');
		check('share_manifest_skipping_link_refused', cut !== null && tst === 'tamper' && /continue/.test(tmsg),
			`left out seq ${cut}, state ${tst}: ${tmsg}`);
		await tctx.close();
	}

	// (5f) A server that lists more segments than a link can hold the keys of (made up here):
	// the dialog says the range is too long before fetching one segment, and posts nothing.
	{
		await page.route(/\/segments\?from=/, async (route) => {
			const resp = await route.fetch();
			const j = await resp.json();
			const segs = (j.segments || []).filter((l) => l.kind === 'segment');
			const last = segs[segs.length - 1];
			for (let i = 1; last && i <= 7000; i++)
				j.segments.push(Object.assign({}, last, { seq: last.seq + i }));
			await route.fulfill({ response: resp, json: j });
		});
		const before = sent.length;
		await page.click('#share-go');
		const fst = await page.waitForFunction(() => {
			const d = document.getElementById('share-dialog').dataset.state;
			return d === 'done' || d === 'error' ? d : false;
		}, null, { timeout: 30000 }).then((h) => h.jsonValue(), () => 'timeout');
		const fmsg = await page.textContent('#share-status');
		await page.unroute(/\/segments\?from=/);
		const after = sent.slice(before).map((t) => t.split('\n')[0]);
		const fetched = after.filter((l) => /\/segments\/\d+$/.test(l)).length;
		const postedF = sent.slice(before).filter((t) => /\/shares$/.test(t.split('\n')[0]) && /"manifest"/.test(t)).length;
		check('share_too_many_segments_refused', fst === 'error' && /too long for one link/.test(fmsg) && fetched === 0 && postedF === 0,
			`state ${fst}: ${fmsg}; ${fetched} segment(s) fetched, ${postedF} share(s) posted`);
	}

	// (6) After expiry: a reload says so and decrypts nothing; the old token fetches nothing.
	const left = createdAt + EXPIRY_S * 1000 + 1500 - Date.now();
	console.log(`waiting ${Math.max(0, left)} ms for the link to expire`);
	if (left > 0)
		await r.waitForTimeout(left);
	await r.reload();
	const est = await r.waitForFunction(() => document.body.dataset.share && document.body.dataset.share !== 'loading'
		? document.body.dataset.share : false, null, { timeout: 15000 }).then((h) => h.jsonValue(), () => 'timeout');
	const dec = await r.evaluate(() => Number(document.body.dataset.decrypted || 0));
	const msg = await r.textContent('#share-msg');
	check('share_expired_after_expiry', est === 'expired' && /expired/i.test(msg), `${est}: ${msg}`);
	check('share_expired_decrypts_nothing', dec === 0, `${dec} frames decrypted`);
	if (ART)
		await r.screenshot({ path: `${ART}/share-expired.png` });
	if (globalThis.shareCheck) {
		const c = globalThis.shareCheck;
		const s = await c.get(c.seqs[0], c.token);
		check('share_token_dead_after_expiry', s === 404, `status ${s}`);
	}
	await rctx.close();

	// The key, in every encoding the page could use, is in no request either browser sent.
	{
		const kb = Buffer.from(u.hash.slice(1), 'base64url');
		const forms = [u.hash.slice(1), kb.toString('hex'), kb.toString('base64'), kb.toString('base64').replace(/=+$/, '')];
		const leaks = sent.filter((t) => forms.some((f) => t.includes(f) || t.toLowerCase().includes(f.toLowerCase())));
		check('share_key_never_sent', kb.length === 32 && sent.length > 20 && leaks.length === 0,
			`${sent.length} requests, ${leaks.length} carry the key: ${leaks.map((t) => t.split('\n')[0]).join(' ')}`);
	}
	const csp = await page.evaluate(() => document.body.dataset.cspViolation || '');
	check('no_csp_violation', csp === '', csp);
	check('no_page_errors', problems.length === 0, problems.join('; '));
} catch (e) {
	fail('export_browser', e.message + (problems.length ? ' | page: ' + problems.join('; ') : ''));
} finally {
	await browser.close();
}
