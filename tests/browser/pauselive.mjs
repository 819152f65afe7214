// pauselive.mjs - a motion-only camera seen live while it pauses: the grid tile and the camera view play live-only video (not recorded) and say so; screenshots.
// Run by tests/browser/test_pause.sh after pause.mjs, once the gateway runs with live_while_paused on.
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
	await page.waitForSelector('#grid .empty h2', { timeout: 20000 });
	await page.evaluate(async ({ keys, tok }) => {
		await globalThis.vigilInterim.loadViewerKeys(keys);
		globalThis.vigilInterim.setFootageToken(tok);
		await globalThis.vigilInterim.refreshGrid();
	}, { keys: KEYS, tok: ADMIN });
	await page.waitForSelector('#grid .tile', { timeout: 15000 });

	// (1) The tile: once the gateway pauses (nothing moves after its first 10 s, when
	// detection still warms up and it records), the tile plays live-only video, marked as
	// not recorded.
	// Up to 200 s: a detector restarted while an object was in view can hold motion for a
	// couple of minutes (measured: 148 s once) before the stream pauses. The tile is read in
	// the same evaluation that finds it live-only with its footer redrawn (every second):
	// reading it later raced a new event that turned it back to recorded LIVE.
	const lookIn = (t) => ({ badge: t.querySelector('.badge').textContent,
		foot: t.querySelector('.tile-foot').textContent, overlayHidden: t.querySelector('.overlay').hidden,
		liveOnly: t.dataset.liveOnly, state: t.dataset.state, decoded: Number(t.dataset.decoded || 0),
		wallUs: Number(t.dataset.wallUs || 0) });
	const t1 = await page.waitForFunction(() => {
		const t = document.querySelector('#grid .tile');
		if (t === null || t.dataset.liveOnly !== '1' || !/not recording/.test(t.querySelector('.tile-foot').textContent))
			return false;
		// The same fields as lookIn (a function cannot be passed into the page).
		return { badge: t.querySelector('.badge').textContent, foot: t.querySelector('.tile-foot').textContent,
			overlayHidden: t.querySelector('.overlay').hidden, liveOnly: t.dataset.liveOnly, state: t.dataset.state,
			decoded: Number(t.dataset.decoded || 0), wallUs: Number(t.dataset.wallUs || 0) };
	}, null, { timeout: 200000 }).then((h) => h.jsonValue(), () => null);
	const got = t1 !== null;
	const look = () => page.$eval('#grid .tile', lookIn);
	await page.waitForTimeout(2500);
	const t2 = got ? await look() : null;
	check('tile_live_while_paused', got && t1.badge === 'LIVE · NOT RECORDING' && t1.overlayHidden &&
		/not recording \(no motion\)/.test(t1.foot), JSON.stringify(t1) ||
		'no tile played live-only video within 200 s: ' + (await page.$$eval('#grid .tile', (t) => t.map((x) => x.dataset.state).join(','))));
	// Two and a half seconds later it still plays (live-only, or recorded if the next event
	// began): more frames decrypted, and the frame on screen is ~2.5 s newer by the
	// gateway's clock (the scene itself is still: nothing moves, which is why it pauses).
	check('tile_live_only_plays_on', got && t2.state === 'live' && t2.decoded > t1.decoded &&
		t2.wallUs - t1.wallUs > 1.5e6, JSON.stringify({ t1, t2 }));
	await page.screenshot({ path: `${ART}/pause-05-live-while-paused.png` });

	// (2) The camera view's live video says the same.
	await page.click('#grid .tile');
	await page.waitForSelector('#view-camera:not([hidden])', { timeout: 10000 });
	const v = await page.waitForFunction(() => {
		const e = document.getElementById('view-camera');
		return e.dataset.liveOnly === '1' && e.dataset.state === 'live' ? document.getElementById('cam-mode').textContent : null;
	}, null, { timeout: 60000 }).then((h) => h.jsonValue(), () => null);
	check('player_live_while_paused', v === 'LIVE · NOT RECORDING', `badge ${v}, state ${await page.$eval('#view-camera', (e) => `${e.dataset.state}/${e.dataset.liveOnly}`)}`);
	await page.screenshot({ path: `${ART}/pause-06-player-live-while-paused.png` });
	check('live_no_page_errors', problems.length === 0, problems.join('; '));
} catch (e) {
	fail('pauselive_browser', e.message + (problems.length ? ' | page: ' + problems.join('; ') : ''));
} finally {
	await browser.close();
}
