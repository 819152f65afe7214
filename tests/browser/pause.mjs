// pause.mjs - a motion-only camera in the console: the paused live tile, the "no motion" spans on the timeline (drawn apart from holes, named in the legend), a click in a pause; screenshots.
// Run by tests/browser/test_pause.sh, which starts the server, the scripted camera and the gateway.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';

const URL = process.env.VIGIL_URL;
const KEYS = JSON.parse(readFileSync(process.env.VIGIL_KEYS, 'utf8'));
const ADMIN = readFileSync(process.env.VIGIL_ADMIN_FILE, 'utf8').trim();
const ART = process.env.VIGIL_ART;
const pass = (n) => console.log(`PASS ${n}`);
const fail = (n, why) => console.log(`FAIL ${n}: ${String(why).replace(/\n/g, ' ')}`);
const check = (n, ok, why) => (ok ? pass(n) : fail(n, why));
const problems = [];
// The timeline's colours (web/timeline.js): a "no motion" pause and a hole.
const PAUSE_RGB = [0x2b, 0x3a, 0x4a];
const HOLE_RGB = [0x3a, 0x1f, 0x24];
const near = (p, rgb) => rgb.every((c, i) => Math.abs(p[i] - c) <= 6);

// The stream's timeline as the server answers it (the admin token reads footage metadata in
// this loopback test mode).
async function timelineOf(cam, stream, from, to) {
	const r = await fetch(`${URL}/api/v1/cameras/${cam}/streams/${stream}/timeline?from=${from}&to=${to}`,
		{ headers: { Authorization: `Bearer ${ADMIN}` } });
	return r.json();
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
	args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'] });
try {
	const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
	// --insecure-test-auth: the page accepts the minimum Argon2id cost only when told so.
	await page.addInitScript(() => {
		globalThis.vigilTestKdfMin = true;
	});
	page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
	page.on('console', (m) => {
		if (m.type() === 'error' && !m.text().includes('status of 401'))
			problems.push('console: ' + m.text());
	});
	await page.goto(URL + '/');
	await page.fill('#username', process.env.VIGIL_USER);
	await page.fill('#password', process.env.VIGIL_PASSWORD);
	await page.click('#signin-submit');
	await page.waitForSelector('#view-app:not([hidden])', { timeout: 30000 });
	// The grid starts empty (no keys yet), then gets the camera.
	await page.waitForSelector('#grid .empty h2', { timeout: 20000 });
	const ncam = await page.evaluate(async ({ keys, tok }) => {
		const n = await globalThis.vigilInterim.loadViewerKeys(keys);
		globalThis.vigilInterim.setFootageToken(tok);
		await globalThis.vigilInterim.refreshGrid();
		return n;
	}, { keys: KEYS, tok: ADMIN });
	await page.waitForSelector('#grid .tile', { timeout: 15000 })
		.then(() => pass('grid_has_the_camera'), (e) => fail('grid_has_the_camera', `${ncam} cameras loaded: ${e.message}`));
	const cam = KEYS.cameras[0].id;

	// (1) The live tile: once the detector runs and nothing moves, the gateway pauses and
	// signs it; the tile says so, with the time the pause began.
	// The paused tile's text read in the same evaluation that finds it: the next motion can
	// turn the tile live again at any moment.
	const tile = await page.waitForFunction(() => {
		const t = document.querySelector('#grid .tile[data-state="paused"]');
		return t ? t.textContent : null;
	}, null, { timeout: 120000 }).then((h) => h.jsonValue(), () => null);
	check('tile_shows_pause', tile !== null && /Records on motion only: nothing has moved since \d\d:\d\d:\d\d/.test(tile),
		tile === null ? 'no tile went paused: ' + (await page.$$eval('#grid .tile', (t) => t.map((x) => x.dataset.state).join(','))) : tile);
	await page.screenshot({ path: `${ART}/pause-01-grid.png` });

	// (2) The camera view's timeline: wait until the server holds a "no motion" span (the
	// gateway signs one on resume, and every 30 s of a pause).
	await page.click('#grid .tile');
	await page.waitForSelector('#view-camera:not([hidden])', { timeout: 10000 });
	// A pause of 4 s or more with a recording after it (the next motion).
	let paused = [];
	const t0 = Date.now();
	while (Date.now() - t0 < 150000) {
		const now = Date.now() * 1000;
		const tl = await timelineOf(cam, 0, now - 600e6, now + 60e6);
		const rec = Array.isArray(tl.spans) ? tl.spans : [];
		paused = Array.isArray(tl.paused) ? tl.paused.filter((s) => s[1] - s[0] >= 4e6
			&& rec.some((r) => r[0] >= s[1] - 1e6)) : [];
		if (paused.length > 0)
			break;
		await page.waitForTimeout(2000);
	}
	check('server_has_paused_span', paused.length > 0, 'no "no motion" span of 4 s or more, then a recording, within 150 s');
	await page.waitForFunction(() => Number(document.getElementById('timeline').dataset.paused) > 0, null, { timeout: 15000 })
		.then(() => pass('timeline_has_paused_spans'), (e) => fail('timeline_has_paused_spans', e.message));
	check('legend_names_no_motion', await page.isVisible('#tl-leg-pause') &&
		/no motion/.test(await page.textContent('#tl-leg-pause')), 'legend entry hidden');

	// The canvas at the middle of the longest pause is drawn as a pause, not as a hole
	// (once the page's timeline, refreshed every 5 s, has it too).
	if (paused.length > 0) {
		const [a, b] = paused.reduce((m, s) => (s[1] - s[0] > m[1] - m[0] ? s : m));
		await page.waitForFunction((end) => Number(document.getElementById('timeline').dataset.pausedTo) >= end, b,
			{ timeout: 15000 }).catch(() => {});
		const mid = (a + b) / 2;
		const at = await page.$eval('#timeline', (c, us) => {
			const from = Number(c.dataset.from), to = Number(c.dataset.to);
			const x = ((us - from) / (to - from)) * c.clientWidth;
			const dpr = c.width / c.clientWidth;
			const px = c.getContext('2d').getImageData(Math.round(x * dpr), Math.round(30 * dpr), 1, 1).data;
			const r = c.getBoundingClientRect();
			return { x: r.x + x, y: r.y + 30, px: [px[0], px[1], px[2]], inView: us > from && us < to };
		}, mid);
		check('pause_drawn_apart_from_holes', at.inView && near(at.px, PAUSE_RGB) && !near(at.px, HOLE_RGB),
			`pixel ${at.px} at ${mid} (in view: ${at.inView})`);
		await page.screenshot({ path: `${ART}/pause-02-timeline.png` });

		// (3) A click in the pause plays from the next recording and says nothing moved.
		await page.mouse.click(at.x, at.y);
		const sk = await page.waitForFunction(() => {
			const v = document.getElementById('view-camera'), n = document.getElementById('cam-notice');
			return v.dataset.skippedTo !== undefined && !n.hidden ? { to: Number(v.dataset.skippedTo), notice: n.textContent } : null;
		}, null, { timeout: 20000 }).then((h) => h.jsonValue(), () => null);
		check('click_in_pause_says_nothing_moved', sk !== null && sk.notice.startsWith('Nothing moved at ') && sk.to >= b - 1e6,
			sk === null ? 'no skip notice' : `${sk.notice} (to ${sk.to}, pause ends ${b})`);
		await page.screenshot({ path: `${ART}/pause-03-click-in-pause.png` });

		// (4) An export across the pause says what is not in the file, by its signed reason.
		await page.click('#cam-export');
		await page.waitForSelector('#export-dialog[open]', { timeout: 5000 });
		const setAt = (sel, us) => page.$eval(sel, (e, t) => {
			const d = new Date(t / 1000);
			const p = (n) => String(n).padStart(2, '0');
			e.value = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
		}, us);
		await setAt('#export-from', a - 4e6);
		await setAt('#export-to', b + 4e6);
		await Promise.all([page.waitForEvent('download', { timeout: 60000 }).catch(() => null), page.click('#export-go')]);
		const ex = await page.waitForFunction(() => {
			const d = document.getElementById('export-dialog');
			return d.dataset.state === 'done' || d.dataset.state === 'error'
				? { state: d.dataset.state, gaps: Number(d.dataset.gaps || 0), text: document.getElementById('export-status').textContent } : null;
		}, null, { timeout: 60000 }).then((h) => h.jsonValue(), () => null);
		check('export_names_the_pause', ex !== null && ex.state === 'done' && ex.gaps >= 1 &&
			/Not in the file, as signed by the gateway: .*no motion \(the camera records on motion only\)/.test(ex.text),
			JSON.stringify(ex));
		await page.screenshot({ path: `${ART}/pause-04-export.png` });
	}
	check('no_page_errors', problems.length === 0, problems.join('; '));
} catch (e) {
	fail('pause_browser', e.message + (problems.length ? ' | page: ' + problems.join('; ') : ''));
} finally {
	await browser.close();
}
