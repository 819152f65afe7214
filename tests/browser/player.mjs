// player.mjs - drives the console's single-camera player against a running `vigil demo`: live view, timeline, archive from a clicked moment (click to first frame timed), speed, frame step, date jump, back to live, screenshots.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const demo = JSON.parse(readFileSync(process.env.VIGIL_DEMO_JSON, 'utf8'));
const ART = process.env.VIGIL_ART;
const CLICKS = Number(process.env.VIGIL_CLICKS || 12);
// A sanity bound that catches a broken seek (a click that never shows its frame), not a speed
// goal: under CI load p95 reached 2.9 s; the 300 ms goal is measured by bench/latency.sh.
const FIRST_FRAME_BOUND_MS = Number(process.env.VIGIL_FIRST_FRAME_MS || 8000);
const pass = (n) => console.log(`PASS ${n}`);
const fail = (n, why) => console.log(`FAIL ${n}: ${String(why).replace(/\n/g, ' ')}`);
const check = (n, ok, why) => (ok ? pass(n) : fail(n, why));
const problems = [];
const started = Date.now();

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
	args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'] });
try {
	const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
	page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
	page.on('console', (m) => {
		// 401s are the sign-in's own (no session yet, then the second factor).
		if (m.type() === 'error' && !m.text().includes('status of 401'))
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
	// `vigil demo` signs its owner in with the current code itself, so the same code is a
	// replay and refused: then wait for the next 30 s step and use its code.
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
	await page.waitForSelector('#grid .tile[data-state="live"]', { timeout: 60000 }).catch(async (e) => {
		const st = await page.$$eval('#grid .tile', (t) => t.map((x) => x.dataset.state + ':' + x.querySelector('.overlay').textContent));
		const g = await page.textContent('#grid');
		const view = await page.evaluate(() => document.body.dataset.view + ' ' + document.getElementById('signin-status').textContent);
		throw new Error(`no live tile: ${st.join(', ') || g} (view ${view})`);
	});

	// (1) A tile opens the camera view, live on the main stream, with a timeline.
	await page.click('#grid .tile[data-state="live"]');
	await page.waitForSelector('#view-camera:not([hidden])', { timeout: 5000 });
	const gridGone = await page.$$eval('#grid .tile', (t) => t.length);
	check('grid_stopped_in_camera_view', gridGone === 0, `${gridGone} tiles still open`);
	await page.waitForFunction(() => {
		const v = document.getElementById('view-camera');
		return v.dataset.mode === 'live' && v.dataset.state === 'live' && Number(v.dataset.presented) > 5;
	}, null, { timeout: 20000 }).then(() => pass('camera_live'), (e) => fail('camera_live', e.message));
	const st = await page.textContent('#cam-stream');
	check('live_on_main_stream', st === 'main stream', st);
	const liveWall = await page.$eval('#view-camera', (v) => Number(v.dataset.wallUs || 0));
	check('live_clock_near_now', Math.abs(liveWall / 1000 - Date.now()) < 5000, `wall ${liveWall} vs now ${Date.now() * 1000}`);
	const clockShown = await page.textContent('#cam-clock');
	check('clock_names_its_zone', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (UTC|GMT|[A-Z]{2,5}|GMT[+-]\d+(:\d\d)?)$/.test(clockShown), clockShown);
	await page.waitForFunction(() => Number(document.getElementById('timeline').dataset.spans) > 0, null, { timeout: 10000 })
		.then(() => pass('timeline_spans'), (e) => fail('timeline_spans', e.message));

	// Zoom with the buttons and the wheel, a week to a minute.
	const span = () => page.$eval('#timeline', (c) => Number(c.dataset.to) - Number(c.dataset.from));
	for (let i = 0; i < 14; i++)
		await page.click('#tl-out');
	const sMax = await span();
	// A week's window spans several days: the timeline names them (its ticks carry only times).
	const dateLabel = await page.$eval('#timeline', (c) => c.dataset.dateLabel || '');
	check('timeline_names_the_dates', /^\d{4}-\d\d-\d\d – \d{4}-\d\d-\d\d$/.test(dateLabel), `label '${dateLabel}'`);
	for (let i = 0; i < 20; i++)
		await page.click('#tl-in');
	const sMin = await span();
	check('zoom_week_to_minute', sMax === 7 * 86400e6 && sMin === 60e6, `max ${sMax / 1e6} s min ${sMin / 1e6} s`);
	const box = await page.$eval('#timeline', (c) => { const r = c.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; });
	await page.mouse.move(box.x + box.w / 2, box.y + box.h / 2);
	await page.mouse.wheel(0, 300);
	const sWheel = await span();
	check('wheel_zooms_out', sWheel > sMin, `${sMin} -> ${sWheel}`);
	// Back to ten minutes (the page's default) for the clicks.
	while (await span() < 600e6)
		await page.click('#tl-out');

	// Wait until ~35 s are recorded.
	const waitMs = 35000 - (Date.now() - started);
	if (waitMs > 0)
		await page.waitForTimeout(waitMs);

	// (2) Click moments in the past; each must show its first frame quickly, at its time.
	const clickAt = async (agoS) => {
		const tl = await page.$eval('#timeline', (c) => {
			const r = c.getBoundingClientRect();
			return { x: r.x, y: r.y, w: r.width, h: r.height, from: Number(c.dataset.from), to: Number(c.dataset.to) };
		});
		const want = Date.now() * 1000 - agoS * 1e6;
		const x = tl.x + ((want - tl.from) / (tl.to - tl.from)) * tl.w;
		const picked = await page.evaluate(() => Number(document.getElementById('view-camera').dataset.pickedUs || 0));
		await page.mouse.click(x, tl.y + tl.h / 2);
		await page.waitForFunction((p) => Number(document.getElementById('view-camera').dataset.pickedUs || 0) !== p, picked, { timeout: 3000 });
		const res = await page.waitForFunction(() => {
			const v = document.getElementById('view-camera');
			return v.dataset.firstFrameMs !== undefined && v.dataset.wallUs
				? { ms: Number(v.dataset.firstFrameMs), picked: Number(v.dataset.pickedUs), state: v.dataset.state, timing: v.dataset.timing } : null;
		}, null, { timeout: 10000, polling: 'raf' }).then((h) => h.jsonValue(), () => null);
		// The clock shown once the player settled on the clicked frame.
		await page.waitForTimeout(100);
		const wall = await page.$eval('#view-camera', (v) => Number(v.dataset.wallUs));
		return res === null ? null : { ...res, wall };
	};
	const times = [];
	let worstOff = 0, okClicks = 0;
	for (let i = 0; i < CLICKS; i++) {
		const ago = 30 - (i % 6) * 4; // 30, 26, ... 10 s ago
		const r = await clickAt(ago);
		if (r === null) {
			const dbg = await page.$eval('#view-camera', (v) => `state ${v.dataset.state} ` +
				`"${document.getElementById('cam-overlay').textContent}" ${v.dataset.timing}`);
			fail(`click_${i + 1}_first_frame`, 'no frame presented within 10 s: ' + dbg);
			continue;
		}
		times.push(r.ms);
		// Playing: the clock has moved on by ~100 ms plus the first-frame time.
		const off = Math.abs(r.wall - r.picked) / 1000;
		worstOff = Math.max(worstOff, off);
		if (off < 1500)
			okClicks++;
		console.log(`click ${i + 1}: ${ago} s ago, first frame ${r.ms.toFixed(0)} ms, clock ${(off).toFixed(0)} ms from the clicked moment, steps ${r.timing}`);
		await page.waitForTimeout(400);
	}
	times.sort((a, b) => a - b);
	const p50 = times[Math.floor(times.length * 0.5)], p95 = times[Math.min(times.length - 1, Math.floor(times.length * 0.95))];
	console.log(`click_to_first_frame_ms p50=${p50 && p50.toFixed(0)} p95=${p95 && p95.toFixed(0)} max=${times.length && times[times.length - 1].toFixed(0)} n=${times.length} (goal p95 <= 300)`);
	check('archive_first_frame_bound', times.length === CLICKS && p95 <= FIRST_FRAME_BOUND_MS, `p95 ${p95} ms > ${FIRST_FRAME_BOUND_MS} ms or ${CLICKS - times.length} clicks failed`);
	check('archive_at_clicked_time', okClicks === times.length && times.length > 0, `worst clock offset ${worstOff} ms`);

	// Frames advance and the clock moves with them.
	const sample = () => page.$eval('#view-camera', (v) => ({ wall: Number(v.dataset.wallUs), frames: Number(v.dataset.presented),
		mode: v.dataset.mode, state: v.dataset.state, media: document.getElementById('cam-archive').currentTime, at: performance.now() }));
	const a = await sample();
	await page.waitForTimeout(2000);
	const b = await sample();
	check('archive_frames_advance', b.frames > a.frames + 20 && b.wall > a.wall + 1e6 && b.mode === 'archive',
		`frames ${a.frames}->${b.frames} wall +${(b.wall - a.wall) / 1e3} ms mode ${b.mode}`);
	if (ART)
		await page.screenshot({ path: `${ART}/player-archive.png` });

	// Across segment boundaries: play 8 s more at 4x (the archive keeps fetching).
	await page.selectOption('#cam-speed', '4');
	const c = await sample();
	await page.waitForTimeout(2000);
	const d = await sample();
	const ratio = (d.media - c.media) / ((d.at - c.at) / 1000);
	console.log(`speed 4x: ${ratio.toFixed(2)} s of footage per second`);
	check('speed_4x', ratio > 3 && ratio < 4.5, `ratio ${ratio}`);
	await page.selectOption('#cam-speed', '1');

	// Space pauses; arrows step one frame.
	await page.click('#cam-name');
	await page.keyboard.press(' ');
	await page.waitForTimeout(300);
	const p1 = await sample();
	await page.waitForTimeout(500);
	const p2 = await sample();
	check('space_pauses', p1.wall === p2.wall, `${p1.wall} -> ${p2.wall}`);
	await page.keyboard.press('ArrowRight');
	await page.waitForTimeout(300);
	const p3 = await sample();
	const stepMs = (p3.wall - p2.wall) / 1000;
	console.log(`frame step: +${stepMs.toFixed(1)} ms`);
	check('step_forward_one_frame', stepMs > 0 && stepMs < 200, `${stepMs} ms`);
	await page.keyboard.press('ArrowLeft');
	await page.waitForTimeout(300);
	const p4 = await sample();
	check('step_back_one_frame', p4.wall < p3.wall && (p3.wall - p4.wall) / 1000 < 200, `${p3.wall} -> ${p4.wall}`);
	await page.keyboard.press(' ');

	// Jump to a date and time (the input is local time, to the second).
	const jumpUs = await page.evaluate(() => {
		const t = new Date(Date.now() - 20000);
		const p = (n) => String(n).padStart(2, '0');
		const v = `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())}T${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}`;
		document.getElementById('cam-when').value = v;
		return Math.floor(t.getTime() / 1000) * 1e6;
	});
	await page.click('#cam-jump button[type="submit"]');
	await page.waitForFunction((j) => {
		const v = document.getElementById('view-camera');
		return Number(v.dataset.pickedUs) === j && v.dataset.firstFrameMs !== undefined;
	}, jumpUs, { timeout: 10000 }).then(() => pass('date_jump_plays'), (e) => fail('date_jump_plays', e.message));
	const j = await sample();
	check('date_jump_time', Math.abs(j.wall - jumpUs) < 2e6, `clock ${(j.wall - jumpUs) / 1000} ms from the entered time`);

	// A moment before anything was recorded (a year ago): the player says so and plays from
	// the next recording; the timeline, moved there, shows the date.
	const yearAgo = await page.evaluate(() => {
		const t = new Date(Date.now() - 365 * 86400e3);
		const p = (n) => String(n).padStart(2, '0');
		document.getElementById('cam-when').value = `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())}T${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}`;
		return Math.floor(t.getTime() / 1000) * 1e6;
	});
	await page.click('#cam-jump button[type="submit"]');
	await page.waitForFunction(() => {
		const v = document.getElementById('view-camera');
		return v.dataset.skippedTo !== undefined && v.dataset.firstFrameMs !== undefined;
	}, null, { timeout: 10000 }).then(() => pass('jump_before_recording_plays_next'), (e) => fail('jump_before_recording_plays_next', e.message));
	const sk = await page.evaluate(() => ({ to: Number(document.getElementById('view-camera').dataset.skippedTo),
		notice: document.getElementById('cam-notice').textContent, hidden: document.getElementById('cam-notice').hidden,
		spans: Number(document.getElementById('timeline').dataset.spans) }));
	const sks = await sample();
	check('jump_before_recording_says_so', !sk.hidden && sk.notice.includes('Nothing was recorded at') && sk.to > yearAgo
		&& Math.abs(sks.wall - sk.to) < 3e6 && sks.state === 'playing', `${JSON.stringify(sk)} wall ${sks.wall} state ${sks.state}`);
	if (ART)
		await page.screenshot({ path: `${ART}/player-skip.png` });

	// Back to live (button), then archive again and L.
	await page.click('#cam-live-btn');
	await page.waitForFunction(() => {
		const v = document.getElementById('view-camera');
		return v.dataset.mode === 'live' && v.dataset.state === 'live';
	}, null, { timeout: 15000 }).then(() => pass('back_to_live'), (e) => fail('back_to_live', e.message));
	await page.waitForTimeout(1500);
	const l = await sample();
	check('live_clock_after_archive', Math.abs(l.wall / 1000 - Date.now()) < 3000, `${Date.now() - l.wall / 1000} ms behind`);
	if (ART)
		await page.screenshot({ path: `${ART}/player-live.png` });
	await clickAt(15);
	await page.keyboard.press('l');
	await page.waitForFunction(() => document.getElementById('view-camera').dataset.mode === 'live', null, { timeout: 5000 })
		.then(() => pass('key_l_live'), (e) => fail('key_l_live', e.message));

	const evs = await page.$eval('#timeline', (c) => [c.dataset.events || '0', c.dataset.eventsOpened || '0']);
	console.log(`motion events on the timeline: ${evs[0]}, payloads opened in the page: ${evs[1]}`);
	check('event_payloads_open', evs[0] === evs[1], `${evs[1]} of ${evs[0]} opened`);

	// The events list under the timeline: the demo's pictures move, so there are events; each
	// opened one shows its thumbnail, decoded; a click plays from the pre-roll before it.
	await page.waitForFunction(() => Number(document.getElementById('cam-events').dataset.count || 0) > 0
		&& document.querySelectorAll('#cam-events .ev-item').length > 0, null, { timeout: 15000 })
		.then(() => pass('event_list_shown'), (e) => fail('event_list_shown', `no event listed: ${e.message}`));
	const thumbs = await page.waitForFunction(() => {
		const imgs = [...document.querySelectorAll('#cam-events .ev-item img')];
		return imgs.length > 0 && imgs.every((i) => i.complete) ? imgs.map((i) => [i.naturalWidth, i.naturalHeight]) : false;
	}, null, { timeout: 10000 }).then((h) => h.jsonValue(), () => []);
	check('event_thumbnails_decode', thumbs.length > 0 && thumbs.every(([w, h]) => w >= 160 && h >= 90),
		`${thumbs.length} thumbnails: ${JSON.stringify(thumbs.slice(0, 4))}`);
	if (ART)
		await page.screenshot({ path: `${ART}/player-events.png`, fullPage: true });
	const evStart = await page.$$eval('#cam-events .ev-item', (bs) => {
		const old = bs.map((b) => Number(b.dataset.start)).filter((s) => s < Date.now() * 1000 - 10e6);
		return old.length ? Math.max(...old) : 0;
	});
	if (evStart > 0) {
		await page.click(`#cam-events .ev-item[data-start="${evStart}"]`);
		await page.waitForFunction((s) => {
			const v = document.getElementById('view-camera');
			return v.dataset.mode === 'archive' && Number(v.dataset.pickedUs) === s - 5e6 && v.dataset.firstFrameMs !== undefined;
		}, evStart, { timeout: 10000 }).then(() => pass('event_click_plays'), (e) => fail('event_click_plays', e.message));
		const ev = await sample();
		// From 5 s before the start; a recording that began later than that starts at its first frame.
		check('event_plays_from_preroll', ev.wall >= evStart - 6e6 && ev.wall <= evStart + 1e6,
			`first frame ${(ev.wall - evStart) / 1e3} ms from the event's start`);
	} else {
		fail('event_click_plays', 'no event older than 10 s in the list');
	}

	// Event payloads are untrusted: mutated, truncated and malformed ones give null, never a throw.
	const fz = await page.evaluate(async () => {
		const ev = await import('/events.js');
		const { sodium } = await import('/sodium.js');
		const api = await import('/api.js');
		const na = await sodium();
		const cam = document.getElementById('view-camera').dataset.camera;
		const list = (await api.events(cam, 0, Date.now() * 1000)).events;
		if (!list.length)
			return { none: true };
		const e = list[0];
		let opened = 0, thrown = 0, n = 0;
		const tryOne = (x) => {
			n++;
			try {
				const r = ev.openPayload(na, cam, x);
				if (r !== null && !r.unverified)
					opened++;
			} catch (err) {
				thrown++;
			}
		};
		const hex = '0123456789abcdef';
		for (let i = 0; i < 400; i++) {
			const h = e.payload.split('');
			const pos = Math.floor(Math.random() * h.length);
			const c = hex[(hex.indexOf(h[pos]) + 1 + Math.floor(Math.random() * 15)) % 16];
			h[pos] = c;
			tryOne({ ...e, payload: h.join('') });
		}
		for (let k = 0; k < 100; k++)
			tryOne({ ...e, payload: e.payload.slice(0, Math.floor(Math.random() * e.payload.length / 2) * 2) });
		for (const bad of [null, 7, 'zz', 'abc', '', {}, 'ff'.repeat(40000)])
			tryOne({ ...e, payload: bad });
		tryOne({ ...e, epoch: 99999 });
		tryOne({ ...e, id: '00'.repeat(16) });
		// The server's forgeries: it holds the epoch public key, so it can seal a payload,
		// unsigned (the first format) or signed by a key of its own; both open, neither counts.
		const keys = await import('/keys.js');
		const k = keys.epochKey(cam, e.epoch);
		const toHexStr = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
		const meta = new TextEncoder().encode(JSON.stringify({ v: 2, id: e.id, camera: cam, start_us: e.start_us, end_us: e.end_us, zones: ['forged'] }));
		const body = new Uint8Array(4 + meta.length);
		new DataView(body.buffer).setUint32(0, meta.length, false);
		body.set(meta, 4);
		const own = na.crypto_sign_keypair();
		const dom = new TextEncoder().encode('vigil/event/v2');
		const msg = new Uint8Array(dom.length + body.length);
		msg.set(dom);
		msg.set(body, dom.length);
		const signedPlain = new Uint8Array(100 + body.length);
		signedPlain.set([0x56, 0x45, 0x56, 0x32]);
		signedPlain.set(own.publicKey, 4);
		signedPlain.set(na.crypto_sign_detached(msg, own.privateKey), 36);
		signedPlain.set(body, 100);
		const forged = [body, signedPlain].map((pl) => ev.openPayload(na, cam, { ...e, payload: toHexStr(na.crypto_box_seal(pl, k.pk)) }));
		// The list shows a forged event without a picture, even one that reuses a genuine
		// event's id and end after the genuine one was shown.
		const { EventList } = await import('/eventlist.js');
		const box = document.createElement('div');
		const lst = new EventList(box, { onPlay: () => {} });
		const genuine = (await ev.listEvents(na, cam, 0, Date.now() * 1000)).find((x) => x.id === e.id);
		lst.set(na, [genuine]);
		const imgGenuine = box.querySelectorAll('img').length;
		lst.set(na, [{ ...genuine, startUs: genuine.startUs - 3600e6, opened: false, unverified: true, score: null, zones: [], jpeg: null }]);
		const imgForged = box.querySelectorAll('img').length;
		return { opened, thrown, n, original: (() => { const r = ev.openPayload(na, cam, e); return r !== null && !r.unverified; })(),
			forged: forged.map((r) => (r === null ? 'null' : r.unverified ? 'unverified' : 'opened')), imgGenuine, imgForged };
	});
	if (fz.none)
		console.log('no motion event to mutate');
	else
		check('event_payload_mutations_refused', fz.thrown === 0 && fz.opened === 0 && fz.original,
			`${fz.n} inputs: ${fz.opened} opened, ${fz.thrown} threw, original opens: ${fz.original}`);
	if (!fz.none)
		check('event_forgeries_not_trusted', fz.forged.join(',') === 'unverified,unverified' && fz.imgGenuine === 1 && fz.imgForged === 0,
			`${fz.forged.join(',')}; pictures in the list: genuine ${fz.imgGenuine}, forged with its id ${fz.imgForged}`);

	// Phone width.
	await clickAt(25);
	await page.setViewportSize({ width: 390, height: 844 });
	await page.waitForTimeout(800);
	const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
	check('phone_width_fits', fits, 'the page scrolls sideways at 390 px');
	if (ART)
		await page.screenshot({ path: `${ART}/player-phone.png`, fullPage: true });

	// Back to the grid.
	await page.setViewportSize({ width: 1280, height: 800 });
	await page.click('#cam-back');
	await page.waitForSelector('#grid .tile[data-state="live"]', { timeout: 20000 })
		.then(() => pass('back_to_grid'), (e) => fail('back_to_grid', e.message));
	const csp = await page.evaluate(() => document.body.dataset.cspViolation || '');
	check('no_csp_violation', csp === '', csp);
	check('no_page_errors', problems.length === 0, problems.join('; '));
} catch (e) {
	fail('player_browser', e.message + (problems.length ? ' | page: ' + problems.join('; ') : ''));
} finally {
	await browser.close();
}
