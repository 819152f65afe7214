// latency.mjs - bench/latency.sh's browser driver: signs in to a running `vigil demo`, collects every live frame's latency (presented in the page minus the gateway's wall-clock stamp) from the grid for a window, then times click-to-first-frame of the archive in the one-camera player.
//
// Environment: VIGIL_DEMO_JSON, VIGIL_TOTP_TOOL (build/tools/totp_code), NCAM (tiles expected),
// LIVE_S (window, s), WARM_S (before the window), CLICKS (0: no player part), AGO_S (centre
// of the clicked moments, s in the past), PRESS_MS (time the button is held: pointerdown ->
// pointerup), PROFILE=1 (a V8 CPU profile of the page over the live window and over the
// clicks: top functions by self time), HOVER_MS (the pointer rests on the moment before pressing), SHOT (a screenshot path, optional),
// STREAM (1: wait until every tile plays the substream).
// Output (stdout), one line each:
//   LIVE cam=<id> n=<samples> p50= p95= min= max= (ms)      per tile
//   LIVE all n= p50= p95= min= max= tiles=<live tiles>/<tiles> cams_with_samples=
//   PLAYBACK frames_per_s= dropped_per_s= seeks=             the tiles' decoded and dropped frames, seeks
//   CLICK i= ago_s= down_ms= up_ms= seek_ms= steps=<JSON>   per click
//   CLICKS n= down_p50= down_p95= up_p50= up_p95= failed=
//   ERROR <why>                                              and exit status 1
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const env = (k, d) => (process.env[k] !== undefined && process.env[k] !== '' ? process.env[k] : d);
const demo = JSON.parse(readFileSync(env('VIGIL_DEMO_JSON'), 'utf8'));
const NCAM = Number(env('NCAM', 4));
const LIVE_S = Number(env('LIVE_S', 60));
const WARM_S = Number(env('WARM_S', 5));
const CLICKS = Number(env('CLICKS', 20));
const AGO_S = Number(env('AGO_S', 30));
const PRESS_MS = Number(env('PRESS_MS', 0));
const HOVER_MS = Number(env('HOVER_MS', 0));
const PROFILE = env('PROFILE', '0') === '1';
const SHOT = env('SHOT', '');
const STREAM = env('STREAM', '');

function pct(sorted, q) {
	if (sorted.length === 0)
		return NaN;
	return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'nan');
function summary(xs) {
	const s = xs.slice().sort((a, b) => a - b);
	return `n=${s.length} p50=${f1(pct(s, 0.5))} p95=${f1(pct(s, 0.95))} min=${f1(s[0])} max=${f1(s[s.length - 1])}`;
}

async function signIn(page) {
	await page.goto(demo.console + '/');
	await page.fill('#username', demo.username);
	await page.fill('#password', demo.password);
	await page.click('#signin-submit');
	await page.waitForSelector('#totp', { state: 'visible', timeout: 60000 });
	// `vigil demo` may have used the current code itself (a replay is refused): then wait
	// for the next 30 s step.
	for (let attempt = 1; attempt <= 2; attempt++) {
		const code = execFileSync(env('VIGIL_TOTP_TOOL'), [demo.totp_secret]).toString().trim();
		await page.fill('#totp', code);
		await page.click('#signin-submit');
		const inApp = await page.waitForFunction(() => document.body.dataset.view === 'app'
			|| (document.getElementById('signin-status').classList.contains('error') ? 'error' : false), null, { timeout: 60000 })
			.then(async (h) => (await h.jsonValue()) === true, () => false);
		if (inApp)
			return;
		if (attempt === 2)
			throw new Error('sign-in failed: ' + await page.textContent('#signin-status'));
		await page.waitForTimeout(30000 - (Date.now() % 30000) + 500);
	}
}

// Every raw latency sample of every tile (mse.js dispatches 'framelatency' per presented frame).
async function live(page) {
	// With STREAM set, every tile must play that stream (1: the substream, which the grid
	// switches to once the server lists it recorded).
	await page.waitForFunction(([n, s]) => document.querySelectorAll(
		`#grid .tile[data-state="live"]${s === '' ? '' : `[data-stream="${s}"]`}`).length >= n,
	[NCAM, STREAM], { timeout: 90000 }).catch(async () => {
		const st = await page.$$eval('#grid .tile', (t) => t.map((x) => `${x.dataset.state}/${x.dataset.stream}`));
		throw new Error(`not every tile went live${STREAM === '' ? '' : ' on stream ' + STREAM} within 90 s: ${st.join(',')}`);
	});
	await page.evaluate(() => {
		globalThis.benchLat = {};
		document.addEventListener('framelatency', (e) => {
			const tile = e.target.closest('.tile');
			const k = tile ? tile.dataset.camera : '?';
			(globalThis.benchLat[k] = globalThis.benchLat[k] || []).push(e.detail);
		});
	});
	await page.waitForTimeout(WARM_S * 1000);
	// Frames the tiles' video elements decoded and dropped, and their seeks (live-edge jumps).
	const playback = () => page.evaluate(() => {
		let total = 0, dropped = 0;
		for (const v of document.querySelectorAll('#grid video')) {
			const q = v.getVideoPlaybackQuality();
			total += q.totalVideoFrames;
			dropped += q.droppedVideoFrames;
		}
		return { total, dropped, seeks: globalThis.benchSeeks };
	});
	await page.evaluate(() => {
		globalThis.benchLat = {};
		globalThis.benchSeeks = 0;
		document.addEventListener('seeking', () => { globalThis.benchSeeks++; }, true);
	});
	const p0 = await playback();
	const cdp = PROFILE ? await profileStart(page) : null;
	await page.waitForTimeout(LIVE_S * 1000);
	if (cdp !== null)
		await profileReport(cdp);
	const p1 = await playback();
	const r = await page.evaluate(() => {
		const tiles = [...document.querySelectorAll('#grid .tile')];
		return { lat: globalThis.benchLat, tiles: tiles.length,
			live: tiles.filter((t) => t.dataset.state === 'live').length };
	});
	console.log(`PLAYBACK frames_per_s=${((p1.total - p0.total) / LIVE_S).toFixed(1)} ` +
		`dropped_per_s=${((p1.dropped - p0.dropped) / LIVE_S).toFixed(1)} seeks=${p1.seeks - p0.seeks}`);
	const all = [];
	for (const [cam, xs] of Object.entries(r.lat)) {
		console.log(`LIVE cam=${cam} ${summary(xs)}`);
		all.push(...xs);
	}
	console.log(`LIVE all ${summary(all)} tiles=${r.live}/${r.tiles} cams_with_samples=${Object.keys(r.lat).length}`);
	if (SHOT)
		await page.screenshot({ path: SHOT });
}

async function clicks(page) {
	await page.click('#grid .tile[data-state="live"]');
	await page.waitForSelector('#view-camera:not([hidden])', { timeout: 10000 });
	await page.waitForFunction(() => Number(document.getElementById('timeline').dataset.spans) > 0, null, { timeout: 20000 });
	await page.evaluate(() => {
		globalThis.benchPtr = { down: 0, up: 0 };
		const c = document.getElementById('timeline');
		c.addEventListener('pointerdown', (e) => { globalThis.benchPtr.down = e.timeStamp; }, { capture: true });
		c.addEventListener('pointerup', (e) => { globalThis.benchPtr.up = e.timeStamp; }, { capture: true });
	});
	const down = [], up = [];
	let failed = 0;
	const cdp = PROFILE ? await profileStart(page) : null;
	for (let i = 0; i < CLICKS; i++) {
		// Moments spread over AGO_S ± 10 s, so clicks land at different places in their GOPs.
		const ago = AGO_S + ((i * 7) % 21) - 10 + (i % 3) * 0.37;
		const tl = await page.$eval('#timeline', (c) => {
			const r = c.getBoundingClientRect();
			return { x: r.x, y: r.y, w: r.width, h: r.height, from: Number(c.dataset.from), to: Number(c.dataset.to) };
		});
		const want = Date.now() * 1000 - ago * 1e6;
		const x = tl.x + ((want - tl.from) / (tl.to - tl.from)) * tl.w;
		const picked = await page.evaluate(() => Number(document.getElementById('view-camera').dataset.pickedUs || 0));
		await page.mouse.move(x, tl.y + tl.h / 2);
		if (HOVER_MS > 0)
			await page.waitForTimeout(HOVER_MS);
		await page.mouse.click(x, tl.y + tl.h / 2, { delay: PRESS_MS });
		const res = await page.waitForFunction((p) => {
			const v = document.getElementById('view-camera');
			if (Number(v.dataset.pickedUs || 0) === p || v.dataset.firstFrameAt === undefined)
				return null;
			const seg = performance.getEntriesByType('resource').filter((e) => /\/segments\/\d+$/.test(e.name)).filter((e) => e.startTime >= globalThis.benchPtr.down - 5).map((e) => [e.name.split('/').pop(), Math.round(e.startTime - globalThis.benchPtr.up), Math.round(e.responseStart - e.startTime), Math.round(e.responseEnd - e.startTime), e.encodedBodySize]).slice(0, 2);
			return { seg, at: Number(v.dataset.firstFrameAt), seek: Number(v.dataset.firstFrameMs), timing: v.dataset.timing,
				down: globalThis.benchPtr.down, up: globalThis.benchPtr.up };
		}, picked, { timeout: 10000, polling: 'raf' }).then((h) => h.jsonValue(), () => null);
		if (res === null) {
			failed++;
			const dbg = await page.$eval('#view-camera', (v) => `state ${v.dataset.state} ${v.dataset.timing}`);
			console.log(`CLICK i=${i + 1} ago_s=${ago.toFixed(2)} failed: no first frame within 10 s (${dbg})`);
			continue;
		}
		const d = res.at - res.down, u = res.at - res.up;
		down.push(d);
		up.push(u);
		console.log(`CLICK i=${i + 1} ago_s=${ago.toFixed(2)} down_ms=${f1(d)} up_ms=${f1(u)} seek_ms=${f1(res.seek)} seg=${JSON.stringify(res.seg)} steps=${res.timing}`);
		await page.waitForTimeout(600);
	}
	if (cdp !== null)
		await profileReport(cdp);
	const sd = down.slice().sort((a, b) => a - b), su = up.slice().sort((a, b) => a - b);
	console.log(`CLICKS n=${down.length} down_p50=${f1(pct(sd, 0.5))} down_p95=${f1(pct(sd, 0.95))} up_p50=${f1(pct(su, 0.5))} up_p95=${f1(pct(su, 0.95))} up_min=${f1(su[0])} up_max=${f1(su[su.length - 1])} failed=${failed} press_ms=${PRESS_MS} hover_ms=${HOVER_MS}`);
}

// A V8 CPU profile of the page's main thread, started.
async function profileStart(page) {
	const cdp = await page.context().newCDPSession(page);
	await cdp.send('Profiler.enable');
	await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
	await cdp.send('Profiler.start');
	return cdp;
}

// Self time per function (and per script) of the page's main thread since profileStart.
async function profileReport(cdp) {
	const { profile } = await cdp.send('Profiler.stop');
	const self = new Map(), byId = new Map();
	for (const n of profile.nodes)
		byId.set(n.id, n);
	const dt = new Map();
	for (let i = 0; i < profile.samples.length; i++)
		dt.set(profile.samples[i], (dt.get(profile.samples[i]) || 0) + (profile.timeDeltas[i] || 0));
	let total = 0;
	for (const [id, us] of dt) {
		const cf = byId.get(id).callFrame;
		const k = `${cf.functionName || '(anonymous)'} ${cf.url.split('/').pop()}:${cf.lineNumber + 1}`;
		self.set(k, (self.get(k) || 0) + us);
		total += us;
	}
	const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
	console.log(`PROFILE total_ms=${(total / 1000).toFixed(0)}`);
	for (const [k, us] of top)
		console.log(`PROFILE ${(us / 1000).toFixed(1)} ms ${k}`);
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
	args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'] });
let status = 0;
try {
	const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
	page.on('pageerror', (e) => console.log(`note: pageerror ${e.message}`));
	await signIn(page);
	if (LIVE_S > 0)
		await live(page);
	if (CLICKS > 0) {
		if (LIVE_S === 0) {
			// Enough recorded for the clicked moments.
			await page.waitForSelector('#grid .tile[data-state="live"]', { timeout: 90000 });
			await page.waitForTimeout((AGO_S + 12) * 1000);
		}
		await clicks(page);
	}
} catch (e) {
	console.log(`ERROR ${String(e.message).replace(/\n/g, ' ')}`);
	status = 1;
} finally {
	await browser.close();
}
process.exit(status);
