// console.mjs - drives Debian's chromium through the console: sign-in, empty states, the live grid (frames decode, pixels change), screenshots.
// Run by tests/browser/run.sh, which starts the server, cameras and gateway and sets VIGIL_* variables.
import { chromium } from 'playwright-core';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const URL = process.env.VIGIL_URL;
const USER = process.env.VIGIL_USER;
const PASSWORD = process.env.VIGIL_PASSWORD;
const KEYS = JSON.parse(readFileSync(process.env.VIGIL_KEYS, 'utf8'));
const ADMIN = readFileSync(process.env.VIGIL_ADMIN_FILE, 'utf8').trim();
const ART = process.env.VIGIL_ART;
const NCAM = Number(process.env.VIGIL_NCAM || 4);

let failures = 0;
const pass = (n) => console.log(`PASS ${n}`);
const fail = (n, why) => { failures++; console.log(`FAIL ${n}: ${String(why).replace(/\n/g, ' ')}`); };
async function step(name, fn) {
	try {
		const r = await fn();
		if (r === false)
			fail(name, 'condition false');
		else
			pass(name);
	} catch (e) {
		fail(name, e && e.message ? e.message : e);
	}
}

const browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	headless: true,
	args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const page = await context.newPage();
const problems = [];
page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
let lastLogin = null;
page.on('response', async (r) => {
	if (r.url().endsWith('/api/v1/auth/login') && r.status() === 200)
		lastLogin = await r.json().catch(() => null);
});
page.on('console', (m) => {
	if (m.type() === 'error')
		problems.push('console: ' + m.text());
});
// The server runs with --insecure-test-auth (libsodium's minimum Argon2id cost, which the
// page refuses unless a harness lowers its floor before the page's scripts run).
await context.addInitScript(() => {
	globalThis.vigilTestKdfMin = true;
});
// Any CSP or SRI violation is a failure of the build, not of the page.
await page.addInitScript(() => {
	document.addEventListener('securitypolicyviolation', (e) => {
		console.error('csp-violation ' + e.violatedDirective + ' ' + e.blockedURI);
	});
});

try {
	await step('page_loads_signin', async () => {
		await page.goto(URL + '/');
		await page.waitForSelector('#view-signin:not([hidden])', { timeout: 15000 });
		return await page.evaluate(() => document.body.dataset.ready === '1');
	});

	await step('sri_matches_published_hashes', async () => {
		const r = await page.evaluate(async () => {
			const h = await (await fetch('/api/v1/console/hashes')).json();
			const byPath = new Map(h.files.map((f) => [f.path, f.integrity]));
			const els = [...document.querySelectorAll('script[src], link[rel="modulepreload"], link[rel="stylesheet"]')];
			const bad = els.filter((e) => {
				const u = new URL(e.src || e.href).pathname;
				return !e.integrity || byPath.get(u) !== e.integrity;
			}).map((e) => e.src || e.href);
			return { n: els.length, bad };
		});
		if (r.n < 10 || r.bad.length > 0)
			throw new Error(`${r.n} scripts, mismatched: ${r.bad.join(' ')}`);
	});

	await page.screenshot({ path: `${ART}/01-signin.png` });

	await step('wrong_password_refused', async () => {
		await page.fill('#username', USER);
		await page.fill('#password', 'not-the-password-' + Date.now());
		await page.click('#signin-submit');
		await page.waitForSelector('#signin-status.error', { timeout: 20000 });
		const t = await page.textContent('#signin-status');
		await page.screenshot({ path: `${ART}/02-signin-failed.png` });
		if (!/Sign-in failed/.test(t))
			throw new Error('status: ' + t);
		return await page.isVisible('#view-signin');
	});

	await step('signin_real_account', async () => {
		await page.fill('#password', PASSWORD);
		await page.click('#signin-submit');
		await page.waitForSelector('#view-app:not([hidden])', { timeout: 30000 });
		const who = await page.textContent('#who');
		if (who !== USER)
			throw new Error('shows ' + who);
	});

	await step('password_not_kept_in_page', async () =>
		(await page.inputValue('#password')) === '' &&
		!(await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage))).includes('viewer'));

	await step('reload_keeps_session_locks_keys', async () => {
		await page.reload();
		await page.waitForSelector('#view-app:not([hidden])', { timeout: 15000 });
		await page.waitForSelector('#unlock-form:not([hidden])', { timeout: 5000 });
		return (await page.evaluate(() => document.body.dataset.keys)) === 'locked';
	});

	await step('unlock_wrong_password_refused', async () => {
		await page.fill('#unlock-password', 'wrong-' + Date.now());
		await page.click('#unlock-submit');
		await page.waitForSelector('#unlock-status.error', { timeout: 20000 });
		return (await page.evaluate(() => document.body.dataset.keys)) === 'locked';
	});

	await step('unlock_with_password', async () => {
		await page.fill('#unlock-password', PASSWORD);
		await page.click('#unlock-submit');
		await page.waitForSelector('#unlock-form[hidden]', { state: 'attached', timeout: 20000 });
		return (await page.evaluate(() => document.body.dataset.keys)) === 'unlocked' &&
			(await page.inputValue('#unlock-password')) === '';
	});

	await step('empty_state_without_keys', async () => {
		await page.waitForSelector('#grid .empty h2', { timeout: 10000 });
		const t = await page.textContent('#grid .empty h2');
		await page.screenshot({ path: `${ART}/03-grid-empty.png` });
		return /No cameras/.test(t);
	});

	// Interim: until GET /api/v1/orgs/{org}/keys exists, the test hands the page the viewer
	// keys of `vigil provision` and the footage token, in memory only.
	await step('grid_has_all_tiles', async () => {
		const n = await page.evaluate(async ({ keys, tok }) => {
			const c = await globalThis.vigilInterim.loadViewerKeys(keys);
			globalThis.vigilInterim.setFootageToken(tok);
			await globalThis.vigilInterim.refreshGrid();
			return c;
		}, { keys: KEYS, tok: ADMIN });
		if (n !== NCAM)
			throw new Error(`${n} cameras in keys`);
		await page.waitForFunction((k) => document.querySelectorAll('#grid .tile').length === k, NCAM, { timeout: 10000 });
	});

	await step('all_tiles_live', async () => {
		await page.waitForFunction((k) => document.querySelectorAll('#grid .tile[data-state="live"]').length === k,
			NCAM, { timeout: 30000 }).catch(async () => {
			const states = await page.$$eval('#grid .tile', (ts) => ts.map((t) => t.dataset.state + ':' + t.querySelector('.overlay').textContent));
			throw new Error('tile states: ' + states.join(', '));
		});
	});

	// Per tile: frames presented by the video element, and a hash of its pixels drawn into a canvas.
	const sample = () => page.$$eval('#grid .tile', (tiles) => tiles.map((t) => {
		const v = t.querySelector('video');
		const q = v.getVideoPlaybackQuality();
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
		return { id: t.dataset.camera, frames: q.totalVideoFrames, decoded: Number(t.dataset.decoded || 0), hash: h, lit, t: v.currentTime };
	}));
	await page.waitForTimeout(1500);
	const a = await sample();
	await page.waitForTimeout(2000);
	const b = await sample();
	for (let i = 0; i < NCAM; i++) {
		const x = a[i], y = b[i];
		const id = x ? x.id.slice(0, 8) : i;
		if (!x || !y) {
			fail(`tile_${i}_moving`, 'tile missing');
			continue;
		}
		if (y.frames > x.frames && y.decoded > x.decoded)
			pass(`tile_${id}_frames_increase (${x.frames}->${y.frames} presented, ${x.decoded}->${y.decoded} decrypted)`.replace(/ /g, '_'));
		else
			fail(`tile_${id}_frames_increase`, `presented ${x.frames}->${y.frames}, decrypted ${x.decoded}->${y.decoded}`);
		if (y.hash !== x.hash && y.lit > 100)
			pass(`tile_${id}_pixels_change`);
		else
			fail(`tile_${id}_pixels_change`, `hash ${x.hash}->${y.hash}, lit pixels ${y.lit}`);
	}
	// Each live tile shows the wall clock of the frame on screen (the gateway's stamp),
	// within a few seconds of now.
	await step('tiles_show_the_time', async () => {
		const clocks = await page.$$eval('#grid .tile[data-state="live"]', (ts) => ts.map((t) => ({
			text: t.querySelector('.tile-clock').textContent, wall: Number(t.dataset.wallUs || 0) })));
		const bad = clocks.filter((c) => !/^\d\d:\d\d:\d\d$/.test(c.text) || Math.abs(c.wall / 1000 - Date.now()) > 5000);
		if (clocks.length !== NCAM || bad.length > 0)
			throw new Error(`${clocks.length} live tiles, wrong: ${JSON.stringify(bad)}`);
	});
	await step('near_live_edge', async () => {
		const lags = await page.$$eval('#grid video', (vs) => vs.map((v) => {
			const b = v.buffered;
			return b.length ? b.end(b.length - 1) - v.currentTime : 99;
		}));
		if (lags.some((l) => l > 2))
			throw new Error('lag seconds ' + lags.map((l) => l.toFixed(2)).join(','));
	});
	// Live latency (gateway receipt of a frame -> presented, requestVideoFrameCallback), the
	// last <=300 frames per tile, printed. The goal (p95 <= 500 ms on loopback) belongs to a
	// benchmark on a quiet machine; on a shared one this only checks p50 below 2 s (a player
	// drifting behind the live edge fails it; a load spike in the p95 does not).
	await step('live_latency_measured', async () => {
		await page.waitForFunction(() => [...document.querySelectorAll('#grid .tile')].every((t) => Number(t.dataset.latencyN || 0) >= 50), null, { timeout: 20000 });
		const l = await page.$$eval('#grid .tile', (ts) => ts.map((t) => [Number(t.dataset.latencyP50), Number(t.dataset.latencyP95), Number(t.dataset.latencyN)]));
		console.log('latency_ms p50/p95/n per tile: ' + l.map((x) => x.join('/')).join(' '));
		if (l.some((x) => !(x[0] > 0 && x[0] < 2000)))
			throw new Error('p50 out of range: ' + JSON.stringify(l));
	});
	await page.screenshot({ path: `${ART}/04-grid-live.png` });
	await page.setViewportSize({ width: 390, height: 844 });
	await page.waitForTimeout(500);
	await page.screenshot({ path: `${ART}/05-grid-phone.png`, fullPage: true });
	await step('phone_width_one_column', async () => {
		const xs = await page.$$eval('#grid .tile', (ts) => ts.map((t) => Math.round(t.getBoundingClientRect().left)));
		return new Set(xs).size === 1;
	});
	await page.setViewportSize({ width: 1280, height: 800 });

	// Pages: one tile a page streams one camera; the next page plays the next camera; the
	// tiles of other pages are not there (not streaming); 16 a page shows them all again.
	await step('grid_pages', async () => {
		const ids = await page.$$eval('#grid .tile', (ts) => ts.map((t) => t.dataset.camera));
		await page.selectOption('#grid-per-page', '1');
		await page.waitForFunction(() => document.querySelectorAll('#grid .tile').length === 1 &&
			/Page 1 of/.test((document.getElementById('grid-page') || {}).textContent || ''), null, { timeout: 10000 });
		const pages = await page.textContent('#grid-page');
		const first = await page.$eval('#grid .tile', (t) => t.dataset.camera);
		await page.click('#grid-next');
		await page.waitForFunction(() => /Page 2 of/.test(document.getElementById('grid-page').textContent), null, { timeout: 10000 });
		await page.waitForSelector('#grid .tile[data-state="live"]', { timeout: 30000 });
		const second = await page.$eval('#grid .tile', (t) => t.dataset.camera);
		const one = await page.$$eval('#grid .tile', (ts) => ts.length);
		await page.screenshot({ path: `${ART}/07b-grid-pages.png` });
		await page.selectOption('#grid-per-page', '16');
		await page.waitForFunction((k) => document.querySelectorAll('#grid .tile[data-state="live"]').length === k, NCAM, { timeout: 30000 });
		if (pages !== `Page 1 of ${NCAM}` || first !== ids[0] || second !== ids[1] || one !== 1)
			throw new Error(JSON.stringify({ pages, first, second, one, ids }));
		return await page.isHidden('#grid-next');
	});

	// A camera the viewer holds no key for: a clear "no permission" tile, nothing decrypted.
	await step('tile_without_key_says_no_permission', async () => {
		const fewer = { gateways: KEYS.gateways, cameras: KEYS.cameras.filter((c) => c.name !== 'cam1') };
		await page.evaluate(async (k) => {
			await globalThis.vigilInterim.loadViewerKeys(k);
			await globalThis.vigilInterim.refreshGrid();
		}, fewer);
		const cam1 = KEYS.cameras.find((c) => c.name === 'cam1').id;
		await page.waitForFunction((n) => document.querySelectorAll('#grid .tile[data-state="live"]').length === n, NCAM - 1, { timeout: 30000 });
		const t = await page.$eval(`#grid .tile[data-camera="${cam1}"]`, (e) => ({
			state: e.dataset.state, text: e.querySelector('.overlay').textContent, decoded: e.dataset.decoded || '0' }));
		if (t.state !== 'nokey' || !/No permission/.test(t.text) || t.decoded !== '0')
			throw new Error(JSON.stringify(t));
	});

	// A camera that stops: the tile says "offline"; when it comes back the tile plays again.
	if (process.env.VIGIL_CAMCTL) {
		const { appendFileSync } = await import('node:fs');
		const cam2 = KEYS.cameras.find((c) => c.name === 'cam2').id;
		const sel = `#grid .tile[data-camera="${cam2}"]`;
		await step('stopped_camera_goes_offline', async () => {
			appendFileSync(process.env.VIGIL_CAMCTL, 'stop cam2\n');
			await page.waitForFunction((s) => document.querySelector(s).dataset.state === 'offline', sel, { timeout: 40000 });
			await page.screenshot({ path: `${ART}/07-grid-states.png` });
		});
		await step('camera_back_plays_again', async () => {
			appendFileSync(process.env.VIGIL_CAMCTL, 'start cam2\n');
			await page.waitForFunction((s) => document.querySelector(s).dataset.state === 'live', sel, { timeout: 60000 });
			const f0 = await page.$eval(sel, (e) => e.querySelector('video').getVideoPlaybackQuality().totalVideoFrames);
			await page.waitForTimeout(2000);
			const f1 = await page.$eval(sel, (e) => e.querySelector('video').getVideoPlaybackQuality().totalVideoFrames);
			if (!(f1 > f0))
				throw new Error(`presented ${f0}->${f1}`);
		});
	}

	await step('signout_wipes', async () => {
		await page.click('#signout');
		await page.waitForSelector('#view-signin:not([hidden])', { timeout: 10000 });
		const me = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).status);
		const tiles = await page.$$eval('#grid .tile', (t) => t.length);
		await page.screenshot({ path: `${ART}/06-signed-out.png` });
		if (me !== 401 || tiles !== 0)
			throw new Error(`me=${me} tiles=${tiles}`);
	});

	// Organizations: the server's org routes are played by page.route with key material the C
	// library signed for this very account (tests/tools/orgfixture), so the page's own
	// pinning, statement verification and grant opening decide what each tile shows.
	if (process.env.VIGIL_ORGFIXTURE && lastLogin !== null) {
		const mk = () => {
			const dir = mkdtempSync('/tmp/vigil-orgfx-');
			const r = spawnSync(process.env.VIGIL_ORGFIXTURE, [dir, lastLogin.user_id, lastLogin.box_pk]);
			try {
				if (r.status !== 0)
					throw new Error('orgfixture failed');
				return JSON.parse(readFileSync(`${dir}/org.json`, 'utf8'));
			} finally {
				rmSync(dir, { recursive: true, force: true });
			}
		};
		let fx = mk();
		const orgId = fx.org;
		const noKeyCam = '0123456789abcdef0123456789abcdef';
		await page.route(/\/api\/v1\/orgs(\/.*)?$/, (route) => {
			const path = new globalThis.URL(route.request().url()).pathname;
			const json = (o) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(o) });
			if (path === '/api/v1/orgs')
				return json({ orgs: [{ org: orgId, name: 'Acme Warehouses', role: 'viewer' }] });
			if (path === `/api/v1/orgs/${orgId}`)
				return json({ org: orgId, name: 'Acme Warehouses', role: 'viewer', root_pk: fx.root_pk });
			if (path === `/api/v1/orgs/${orgId}/keys`)
				return json(fx.keys);
			// The server swaps the names of the two cameras whose epochs sign theirs ('Loading
			// dock' and 'Gate', tests/tools/orgfixture); Office's epochs name none.
			if (path === `/api/v1/orgs/${orgId}/cameras`)
				return json({ cameras: [
					{ id: fx.expect[0].camera, name: 'Gate', streams: [{ stream: 0 }] },
					{ id: fx.expect[2].camera, name: 'Loading dock', streams: [{ stream: 0 }, { stream: 1 }] },
					{ id: noKeyCam, name: 'Office', streams: [{ stream: 0 }] },
				] });
			return route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":"not found"}' });
		});
		await step('org_grants_open_in_page', async () => {
			await page.fill('#username', USER);
			await page.fill('#password', PASSWORD);
			await page.click('#signin-submit');
			await page.waitForSelector('#org-label:not([hidden])', { timeout: 30000 });
			const opt = await page.textContent('#org-select option');
			await page.waitForFunction(() => document.querySelectorAll('#grid .tile').length === 3, null, { timeout: 10000 });
			await page.waitForFunction((c) => document.querySelector(`#grid .tile[data-camera="${c}"]`).dataset.state === 'nokey', noKeyCam, { timeout: 10000 });
			await page.waitForTimeout(1500);
			const st = await page.$$eval('#grid .tile', (ts) => ts.map((t) => [t.querySelector('.tile-name').textContent, t.dataset.state, t.dataset.camera]));
			await page.screenshot({ path: `${ART}/08-org-grid.png` });
			const byName = Object.fromEntries(st);
			const nameOf = Object.fromEntries(st.map((x) => [x[2], x[0]]));
			const refused = await page.$eval('#grid', (g) => g.dataset.refused);
			// Dock and Gate hold opened keys (the test server has no such cameras: "no permission"
			// from the server); Office has no grant, so the page never asks for its video. Each
			// tile bears the name the org signed, not the server's swapped one; Office's name
			// is the server's, marked.
			if (!/Acme Warehouses \(viewer\)/.test(opt) || byName['Office (name not signed)'] !== 'nokey' || byName['Loading dock'] === 'nokey' ||
			    byName.Gate === 'nokey' || refused !== '0' || nameOf[fx.expect[0].camera] !== 'Loading dock' ||
			    nameOf[fx.expect[2].camera] !== 'Gate')
				throw new Error(JSON.stringify({ opt, st, refused }));
		});
		await step('org_root_change_refused', async () => {
			fx = mk();
			await page.evaluate(() => globalThis.vigilInterim.refreshGrid());
			await page.waitForSelector('#grid .empty h2', { timeout: 10000 });
			const t = await page.textContent('#grid .empty');
			await page.screenshot({ path: `${ART}/09-org-root-changed.png` });
			if (!/Cameras cannot be shown/.test(t) || !/pinned/.test(t))
				throw new Error(t);
		});
		await page.click('#signout');
		await page.unroute(/\/api\/v1\/orgs(\/.*)?$/);
	}

	// Two-step sign-in: password, then the authenticator code the server asks for.
	if (process.env.VIGIL_TOTP_SECRET) {
		await step('totp_signin', async () => {
			await page.fill('#username', 'viewer2');
			await page.fill('#password', PASSWORD);
			await page.click('#signin-submit');
			await page.waitForSelector('#totp-row:not([hidden])', { timeout: 30000 });
			await page.screenshot({ path: `${ART}/10-signin-totp.png` });
			const r = spawnSync(process.env.VIGIL_TOTP_TOOL, [process.env.VIGIL_TOTP_SECRET, '1']);
			await page.fill('#totp', String(r.stdout).trim());
			await page.click('#signin-submit');
			await page.waitForSelector('#view-app:not([hidden])', { timeout: 30000 });
			const who = await page.textContent('#who');
			await page.click('#signout');
			await page.waitForSelector('#view-signin:not([hidden])', { timeout: 10000 });
			if (who !== 'viewer2')
				throw new Error('shows ' + who);
			return (await page.isHidden('#totp-row'));
		});
	}

	// A forgotten password: viewer1's recovery key (printed once by `vigil account register`)
	// sets a new password in the page; the old one stops working, the new one signs in and
	// opens the same keys.
	if (process.env.VIGIL_RECOVERY_KEY) {
		const NEWPW = 'Recovered-pässphrase-4242';
		await step('recover_mistyped_key_refused', async () => {
			await page.click('#recover-open');
			await page.waitForSelector('#recover-form:not([hidden])', { timeout: 5000 });
			await page.fill('#recover-username', 'viewer1');
			// 56 well-formed characters whose check digits do not match (no real key in the
			// screenshot).
			await page.fill('#recover-key', '0123-4567-89AB-CDEF-GHJK-MNPQ-RSTV-WXYZ-0123-4567-89AB-CDEF-GHJK-MNPQ');
			await page.fill('#recover-password', NEWPW);
			await page.fill('#recover-password2', NEWPW);
			await page.click('#recover-submit');
			await page.waitForFunction(() => /typing mistake/.test(document.getElementById('recover-status').textContent), null, { timeout: 10000 });
			await page.screenshot({ path: `${ART}/11-recover.png` });
			return await page.evaluate(() => document.getElementById('recover-status').classList.contains('error'));
		});
		await step('recover_sets_new_password', async () => {
			await page.fill('#recover-key', process.env.VIGIL_RECOVERY_KEY.toLowerCase());
			await page.click('#recover-submit');
			await page.waitForSelector('#signin-form:not([hidden])', { timeout: 60000 });
			const said = await page.textContent('#signin-status');
			if (!/password was changed/.test(said))
				throw new Error('says ' + said);
			await page.fill('#password', NEWPW);
			await page.click('#signin-submit');
			await page.waitForSelector('#view-app:not([hidden])', { timeout: 30000 });
			const who = await page.textContent('#who');
			const unlocked = await page.isHidden('#unlock-form');
			await page.click('#signout');
			await page.waitForSelector('#view-signin:not([hidden])', { timeout: 10000 });
			return who === 'viewer1' && unlocked;
		});
		await step('old_password_refused_after_recovery', async () => {
			await page.fill('#username', 'viewer1');
			await page.fill('#password', PASSWORD);
			await page.click('#signin-submit');
			await page.waitForFunction(() => /Sign-in failed/.test(document.getElementById('signin-status').textContent), null, { timeout: 30000 });
			return await page.isHidden('#view-app');
		});
	}

	await step('no_csp_or_script_errors', async () => {
		const bad = problems.filter((p) => !/401 \(Unauthorized\)|404 \(Not Found\)/.test(p));
		if (bad.length > 0)
			throw new Error(bad.slice(0, 5).join(' | '));
	});
} catch (e) {
	fail('browser_run', e && e.stack ? e.stack : e);
} finally {
	await browser.close();
}
process.exit(failures > 0 ? 1 : 0);
