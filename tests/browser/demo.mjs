// demo.mjs - signs in to a running `vigil demo` as its owner (password, then TOTP) through the real organization flow, and checks every tile of the grid moves.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const demo = JSON.parse(readFileSync(process.env.VIGIL_DEMO_JSON, 'utf8'));
const NCAM = Number(process.env.VIGIL_NCAM || 4);
const ART = process.env.VIGIL_ART;
const pass = (n) => console.log(`PASS ${n}`);
const fail = (n, why) => console.log(`FAIL ${n}: ${String(why).replace(/\n/g, ' ')}`);
const problems = [];

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
	args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'] });
try {
	const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
	page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
	await page.goto(demo.console + '/');
	await page.fill('#username', demo.username);
	await page.fill('#password', demo.password);
	await page.click('#signin-submit');
	// The owner has TOTP: the page asks for the code after the password.
	await page.waitForSelector('#totp', { state: 'visible', timeout: 30000 });
	pass('asks_second_factor');
	// A newcomer types the current code at once: it must be accepted (the demo confirmed
	// TOTP with an older step's code, so this one is not a replay).
	const code = execFileSync(process.env.VIGIL_TOTP_TOOL, [demo.totp_secret]).toString().trim();
	await page.fill('#totp', code);
	await page.click('#signin-submit');
	await page.waitForFunction((n) => document.querySelectorAll('#grid .tile[data-state="live"]').length >= n,
		NCAM, { timeout: 30000 }).then(() => pass('grid_live_tiles'), (e) => fail('grid_live_tiles', e.message));
	// `make demo` gives every camera a substream: the grid plays it (the demo waits for the
	// first substream segments before printing its URL, and the grid asks for the camera list
	// again every 10 s, so a substream listed later is picked up too).
	const first = await page.$$eval('#grid .tile', (ts) => ts.map((t) => t.dataset.stream).join(''));
	const t0 = Date.now();
	await page.waitForFunction((n) => document.querySelectorAll('#grid .tile[data-state="live"][data-stream="1"]').length >= n,
		NCAM, { timeout: 45000 }).then(() => pass('grid_plays_substreams'), async (e) => fail('grid_plays_substreams',
		`${e.message}; streams ${await page.$$eval('#grid .tile', (ts) => ts.map((t) => `${t.dataset.stream}/${t.dataset.state}`).join(','))}`));
	console.log(`note: the grid opened on streams ${first}; every tile on its substream after ${Date.now() - t0} ms`);
	const org = await page.textContent('#org-select').catch(() => '');
	org.includes('Demo') ? pass('org_shown') : fail('org_shown', org);
	const sample = () => page.$$eval('#grid .tile', (tiles) => tiles.map((t) => {
		const v = t.querySelector('video');
		const c = document.createElement('canvas');
		c.width = 160;
		c.height = 90;
		const g = c.getContext('2d');
		g.drawImage(v, 0, 0, c.width, c.height);
		const d = g.getImageData(0, 0, c.width, c.height).data;
		let h = 2166136261, lit = 0;
		for (let i = 0; i < d.length; i += 4) {
			h = Math.imul(h ^ d[i] ^ (d[i + 1] << 8) ^ (d[i + 2] << 16), 16777619) >>> 0;
			if (d[i] + d[i + 1] + d[i + 2] > 30)
				lit++;
		}
		return { name: t.dataset.camera, frames: v.getVideoPlaybackQuality().totalVideoFrames,
			decoded: Number(t.dataset.decoded || 0), hash: h, lit };
	}));
	await page.waitForTimeout(1500);
	const a = await sample();
	await page.waitForTimeout(2000);
	const b = await sample();
	if (a.length < NCAM)
		fail('grid_tiles', `${a.length} tiles, want ${NCAM}`);
	for (let i = 0; i < a.length; i++) {
		const x = a[i], y = b[i], id = `tile${i + 1}`;
		y.frames > x.frames && y.decoded > x.decoded ? pass(`${id}_frames_increase`) :
			fail(`${id}_frames_increase`, `presented ${x.frames}->${y.frames}, decrypted ${x.decoded}->${y.decoded}`);
		y.hash !== x.hash && y.lit > 100 ? pass(`${id}_pixels_change`) :
			fail(`${id}_pixels_change`, `hash ${x.hash}->${y.hash} lit ${y.lit}`);
	}
	if (ART)
		await page.screenshot({ path: `${ART}/demo-grid.png` });
	// A camera an admin adds while the grid is open appears in it by itself (the grid asks
	// for the camera list again every 10 s). Its RTSP address serves nothing: a tile that
	// says so is enough here.
	if (process.env.VIGIL_BIN) {
		const t0 = Date.now();
		try {
			execFileSync(process.env.VIGIL_BIN, ['camera', 'add', '--org', demo.org, '--name', 'added-later',
				'--gateway', demo.gateway, '--url', 'rtsp://127.0.0.1:9/none/main', '--server', demo.server,
				'--session', demo.session_file, '--pin-dir', demo.pin_dir],
			{ env: Object.assign({}, process.env, { VIGIL_PASSWORD: demo.password }), stdio: ['ignore', 'pipe', 'pipe'] });
			await page.waitForFunction((n) => document.querySelectorAll('#grid .tile').length === n, NCAM + 1, { timeout: 30000 });
			const names = await page.$$eval('#grid .tile .tile-name', (ts) => ts.map((t) => t.textContent));
			names.includes('added-later') ? pass('added_camera_appears') : fail('added_camera_appears', names.join(','));
			console.log(`note: the added camera appeared in the grid after ${Date.now() - t0} ms`);
		} catch (e) {
			fail('added_camera_appears', `${e.message} ${e.stderr ? e.stderr.toString() : ''}`);
		}
	}
	// Nothing secret in web storage.
	const stored = await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage));
	!stored.includes(demo.password) && !/"sk"|secret/i.test(stored) ? pass('no_secret_in_storage') :
		fail('no_secret_in_storage', 'storage holds key material');
	problems.length === 0 ? pass('no_page_errors') : fail('no_page_errors', problems.join('; '));
	// A hostile server that stops serving the gateway's certificate (as it would to pass off
	// footage signed by a gateway key of its own) gets every tile refused: the page trusts
	// only gateways the org root certified, not the gateway the camera list names.
	await page.route(/\/api\/v1\/orgs\/[0-9a-f]{64}\/keys$/, async (route) => {
		const r = await route.fetch();
		const doc = await r.json();
		delete doc.gateway_certs;
		await route.fulfill({ response: r, body: JSON.stringify(doc) });
	});
	await page.evaluate(() => globalThis.vigilInterim.refreshGrid());
	await page.waitForFunction((n) => document.querySelectorAll('#grid .tile[data-state="tamper"]').length >= n,
		NCAM, { timeout: 30000 }).then(() => pass('uncertified_gateway_refused'),
		async () => fail('uncertified_gateway_refused', JSON.stringify(await page.$$eval('#grid .tile',
			(ts) => ts.map((t) => t.dataset.state + ':' + t.querySelector('.overlay, .tile-overlay')?.textContent)))));
	if (ART)
		await page.screenshot({ path: `${ART}/demo-grid-uncertified-gateway.png` });
	await page.unroute(/\/api\/v1\/orgs\/[0-9a-f]{64}\/keys$/);
} catch (e) {
	fail('demo_browser', e.message);
} finally {
	await browser.close();
}
