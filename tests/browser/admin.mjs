// admin.mjs - drives the console's administration view against a running `vigil demo`: lists against the server's, audit verification and a tampered log, support grant and revoke, retention set and read back, the webhook set, shown and removed, screenshots at laptop and phone width.
import { chromium } from 'playwright-core';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const demo = JSON.parse(readFileSync(process.env.VIGIL_DEMO_JSON, 'utf8'));
const ART = process.env.VIGIL_ART;
const SUPPORT_SESSION = process.env.VIGIL_SUPPORT_SESSION;
const GW_DIR = process.env.VIGIL_GW_DIR;
const CAM_URL = process.env.VIGIL_CAM_URL;
const STATE = process.env.VIGIL_STATE;
const MEMBER_SESSION = process.env.VIGIL_MEMBER_SESSION;
// The server's database, edited (sqlite3) to make the server lie where a test says so.
const SERVER_DB = process.env.VIGIL_SERVER_DB;
const sql = (q) => execFileSync('sqlite3', ['-cmd', '.timeout 5000', SERVER_DB, q]);
let newGateway = null, newCamera = null;
const pass = (n) => console.log(`PASS ${n}`);
const fail = (n, why) => console.log(`FAIL ${n}: ${String(why).replace(/\n/g, ' ')}`);
const check = (n, ok, why) => (ok ? pass(n) : fail(n, why));
const problems = [];
let expect403 = false;
let expect400 = false;
const sorted = (a) => a.slice().sort().join(',');

// GET path with the support account's session (its cookie file from `vigil account login`).
function asSupport(path) {
	const cookie = readFileSync(SUPPORT_SESSION, 'utf8').trim();
	const out = execFileSync('curl', ['-s', '-m', '20', '-H', 'Cookie: ' + cookie, demo.server + path]).toString();
	try {
		return JSON.parse(out);
	} catch (e) {
		return {};
	}
}

async function signIn(page) {
	await page.goto(demo.console + '/');
	await page.evaluate(() => document.addEventListener('securitypolicyviolation', (e) => {
		document.body.dataset.cspViolation = e.violatedDirective;
	}));
	await page.fill('#username', demo.username);
	await page.fill('#password', demo.password);
	await page.click('#signin-submit');
	await page.waitForSelector('#totp', { state: 'visible', timeout: 30000 });
	// `vigil demo` used the current code itself: a replay is refused, so wait for the next step.
	for (let attempt = 1; attempt <= 2; attempt++) {
		const code = execFileSync(process.env.VIGIL_TOTP_TOOL, [demo.totp_secret]).toString().trim();
		await page.fill('#totp', code);
		await page.click('#signin-submit');
		const inApp = await page.waitForFunction(() => document.body.dataset.view === 'app'
			|| (document.getElementById('signin-status').classList.contains('error') ? 'error' : false), null, { timeout: 30000 })
			.then(async (h) => (await h.jsonValue()) === true, () => false);
		if (inApp)
			return;
		const why = await page.textContent('#signin-status');
		console.log(`sign-in attempt ${attempt} did not enter the console: ${why}`);
		if (attempt === 2)
			throw new Error('sign-in failed: ' + why);
		await page.waitForTimeout(30000 - (Date.now() % 30000) + 500);
	}
}

// Opens (or re-opens) the administration view and waits until every section has rendered.
async function openAdmin(page) {
	const was = await page.$eval('#view-admin', (v) => v.dataset.ready || '');
	if (await page.$eval('#admin-btn', (b) => b.getAttribute('aria-pressed') === 'true'))
		await page.click('#admin-btn'); // back to the cameras first
	await page.click('#admin-btn');
	await page.waitForFunction((w) => {
		const v = document.getElementById('view-admin');
		return v && !v.hidden && v.dataset.ready && v.dataset.ready !== w;
	}, was, { timeout: 30000 });
}

async function shot(page, name, sel) {
	if (!ART)
		return;
	if (sel)
		await page.locator(sel).screenshot({ path: `${ART}/admin-${name}.png` });
	else
		await page.screenshot({ path: `${ART}/admin-${name}.png`, fullPage: true });
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
try {
	// A context of its own (not browser.newPage()) so that a second tab can share its session.
	const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true })).newPage();
	page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
	page.on('console', (m) => {
		// 401s are the sign-in's own; a 403 only while the test plays a stale step-up, a 400
		// only while it sends a URL the server refuses.
		if (m.type() === 'error' && !m.text().includes('status of 401') && !(expect403 && m.text().includes('status of 403'))
			&& !(expect400 && m.text().includes('status of 400')))
			problems.push('console: ' + m.text());
	});
	await signIn(page);
	await page.waitForSelector('#admin-btn:not([hidden])', { timeout: 20000 })
		.then(() => pass('admin_button_for_owner'), (e) => fail('admin_button_for_owner', e.message));
	await openAdmin(page);
	check('grid_hidden_in_admin', await page.$eval('section.live', (s) => s.hidden), 'the live grid is still shown');

	// What the server holds, read with the page's own session.
	const org = demo.org;
	const srv = await page.evaluate(async (o) => {
		const get = async (p) => (await fetch(p, { credentials: 'same-origin' })).json();
		return {
			members: (await get(`/api/v1/orgs/${o}/members`)).members,
			cameras: (await get(`/api/v1/orgs/${o}/cameras`)).cameras,
			gateways: (await get(`/api/v1/orgs/${o}/gateways`)).gateways,
			sites: (await get(`/api/v1/orgs/${o}/sites`)).sites,
			sessions: (await get('/api/v1/auth/sessions')).sessions,
			grants: (await get(`/api/v1/orgs/${o}/keys`)).grants,
		};
	}, org);
	const srvGrants = Array.isArray(srv.grants) ? srv.grants.length : 0;
	const rowsOf = (sec, attr) => page.$$eval(`#${sec} tbody tr`, (rs, a) => rs.map((r) => ({ id: r.dataset[a], verified: r.dataset.verified, text: r.textContent })), attr);
	const mem = await rowsOf('adm-members', 'user');
	check('members_match_server', sorted(mem.map((r) => r.id)) === sorted(srv.members.map((m) => m.user_id)) && mem.length > 0,
		`page ${mem.map((r) => r.id)} server ${srv.members.map((m) => m.user_id)}`);
	check('members_verified', mem.every((r) => r.verified === 'true'), JSON.stringify(mem));
	check('owner_listed_as_owner', mem.some((r) => r.text.includes(demo.username) && r.text.includes('owner')), JSON.stringify(mem));
	const cams = await rowsOf('adm-cameras', 'camera');
	check('cameras_match_server', sorted(cams.map((r) => r.id)) === sorted(srv.cameras.map((c) => c.id)) && cams.length > 0,
		`page ${cams.map((r) => r.id)} server ${srv.cameras.map((c) => c.id)}`);
	check('camera_keys_verified', cams.every((r) => r.verified === 'true'), JSON.stringify(cams));
	const gws = await rowsOf('adm-gateways', 'gateway');
	check('gateways_match_server', sorted(gws.map((r) => r.id)) === sorted(srv.gateways.map((g) => g.id)) && gws.length > 0
		&& gws.some((r) => r.id === demo.gateway), `page ${gws.map((r) => r.id)} server ${srv.gateways.map((g) => g.id)} demo ${demo.gateway}`);
	check('gateways_certified', gws.every((r) => r.verified === 'true'), JSON.stringify(gws));
	const sites = await rowsOf('adm-sites', 'site');
	check('sites_match_server', sorted(sites.map((r) => r.id)) === sorted(srv.sites.map((s) => s.id)), `page ${sites.length} server ${srv.sites.length}`);
	const sess = await rowsOf('adm-sessions', 'sid');
	check('sessions_listed', sess.length === srv.sessions.length && sess.some((r) => r.text.includes('this browser')), JSON.stringify(sess));
	const safety = await page.textContent('#adm-org');
	check('safety_number_shown', safety.includes(demo.safety_number), `${safety} vs ${demo.safety_number}`);

	// The audit log verifies in the page.
	const audit = await page.$eval('#adm-audit', (s) => ({ state: s.dataset.state, n: Number(s.dataset.entries), text: document.getElementById('adm-audit-verdict')?.textContent || s.textContent }));
	check('audit_verified', audit.state === 'verified' && /^verified: \d+ entries, last checkpoint at /.test(audit.text) && audit.n > 0, JSON.stringify(audit));
	// The download button saves the bytes as served (a blob: link; the CSP keeps the page itself from reading it).
	const [download] = await Promise.all([page.waitForEvent('download', { timeout: 10000 }), page.click('#adm-audit-download')]);
	const saved = readFileSync(await download.path(), 'utf8');
	const dl = { n: saved.length, lines: saved.split('\n').filter((l) => l.includes('"kind":"entry"')).length, name: download.suggestedFilename() };
	check('audit_download_is_the_log', dl.n > 0 && dl.lines === audit.n && /^audit-[0-9a-f]{12}\.jsonl$/.test(dl.name), JSON.stringify(dl));
	await shot(page, 'laptop');
	for (const s of ['members', 'gateways', 'cameras', 'sessions', 'audit'])
		await shot(page, s, `#adm-${s}`);

	// Tamper: the same log with one entry's address changed, served through interception.
	let tampered = null;
	await page.route('**/api/v1/orgs/*/audit*', async (route) => {
		const resp = await route.fetch();
		const lines = (await resp.text()).split('\n');
		const i = lines.findIndex((l, k) => k >= 1 && l.includes('"kind":"entry"') && l.includes('"address":"'));
		if (i >= 0) {
			tampered = JSON.parse(lines[i]).seq;
			lines[i] = lines[i].replace(/"address":"[^"]*"/, '"address":"10.6.6.6"');
		}
		await route.fulfill({ response: resp, body: lines.join('\n') });
	});
	await openAdmin(page);
	const broken = await page.$eval('#adm-audit', (s) => ({ state: s.dataset.state, text: document.getElementById('adm-audit-verdict')?.textContent || s.textContent }));
	check('audit_tamper_reported', tampered !== null && broken.state === 'broken' && broken.text.includes(`entry seq ${tampered} changed`),
		`seq ${tampered}: ${JSON.stringify(broken)}`);
	await shot(page, 'audit-tampered', '#adm-audit');
	await page.unroute('**/api/v1/orgs/*/audit*');

	// A reordered log (two entries swapped) is named as such.
	await page.route('**/api/v1/orgs/*/audit*', async (route) => {
		const resp = await route.fetch();
		const lines = (await resp.text()).split('\n');
		const idx = lines.map((l, k) => (l.includes('"kind":"entry"') ? k : -1)).filter((k) => k >= 0);
		if (idx.length >= 3)
			[lines[idx[1]], lines[idx[2]]] = [lines[idx[2]], lines[idx[1]]];
		await route.fulfill({ response: resp, body: lines.join('\n') });
	});
	await openAdmin(page);
	const reord = await page.$eval('#adm-audit', (s) => ({ state: s.dataset.state, text: document.getElementById('adm-audit-verdict')?.textContent || '' }));
	check('audit_reorder_reported', reord.state === 'broken' && /reordered/.test(reord.text), JSON.stringify(reord));
	await page.unroute('**/api/v1/orgs/*/audit*');

	// Support: grant support1 for 2 hours from the page; the API and the support account see it.
	await openAdmin(page);
	const before = asSupport('/api/v1/orgs');
	check('support_not_member_before', Array.isArray(before.orgs) && !before.orgs.some((o) => o.org === org), JSON.stringify(before));
	await page.fill('#adm-support-user', 'support1');
	await page.selectOption('#adm-support-hours', String(2 * 3600));
	// The first grant attempt is answered as a server whose sign-in proof went stale answers
	// (403 step-up); the page must ask for the password, prove it for real with
	// POST /auth/step-up, and retry.
	let stepUps = 0, refused = false;
	expect403 = true;
	page.on('request', (r) => { if (r.url().endsWith('/api/v1/auth/step-up') && r.method() === 'POST') stepUps++; });
	await page.route('**/api/v1/orgs/*/support', async (route) => {
		if (route.request().method() === 'POST' && !refused) {
			refused = true;
			await route.fulfill({ status: 403, contentType: 'application/json', body: '{"error":"step-up required: POST /api/v1/auth/step-up"}' });
			return;
		}
		await route.continue();
	});
	await page.click('#adm-support-go');
	await page.waitForFunction(() => {
		const m = document.getElementById('adm-support-msg');
		return m && (/Granted to /.test(m.textContent) || m.classList.contains('error') || document.querySelector('#adm-support .adm-stepup'));
	}, null, { timeout: 30000 });
	// The server asks for step-up when the sign-in is older than 5 minutes (not on a quick run).
	if (await page.$('#adm-support .adm-stepup')) {
		console.log('the server asked for step-up; confirming with the password');
		await page.fill('#adm-support .adm-stepup-pw', demo.password);
		await page.click('#adm-support .adm-stepup button[type="submit"]');
		await page.waitForFunction(() => /Granted to |failed|Wrong/.test(document.getElementById('adm-support-msg').textContent), null, { timeout: 60000 });
	}
	const msg = await page.textContent('#adm-support-msg');
	check('support_step_up_asked_and_proved', refused && stepUps === 1, `refused ${refused}, step-up calls ${stepUps}`);
	await page.unroute('**/api/v1/orgs/*/support');
	expect403 = false;
	check('support_granted_in_page', /Granted to support1 until/.test(msg), msg || '(no message)');
	const grants = await page.evaluate(async (o) => (await (await fetch(`/api/v1/orgs/${o}/support`, { credentials: 'same-origin' })).json()).grants, org);
	const sup = grants.find(() => true);
	const left = sup ? sup.expires_us / 1000 - Date.now() : 0;
	check('support_grant_in_api', grants.length === 1 && left > 100 * 60 * 1000 && left <= 2 * 3600 * 1000 + 60000, JSON.stringify(grants));
	const during = asSupport('/api/v1/orgs');
	check('support_sees_org', Array.isArray(during.orgs) && during.orgs.some((o) => o.org === org && o.role === 'support'), JSON.stringify(during));
	await page.waitForSelector(`#adm-support tbody tr[data-user="${sup ? sup.user_id : 'x'}"]`, { timeout: 10000 })
		.then(() => pass('support_grant_listed'), (e) => fail('support_grant_listed', e.message));
	await shot(page, 'support', '#adm-support');
	await page.click(`#adm-support tbody tr[data-user="${sup ? sup.user_id : 'x'}"] .adm-revoke`);
	await page.waitForSelector('#adm-support .adm-empty', { timeout: 10000 })
		.then(() => pass('support_revoked_in_page'), (e) => fail('support_revoked_in_page', e.message));
	const after = asSupport('/api/v1/orgs');
	check('support_revoked_in_api', Array.isArray(after.orgs) && !after.orgs.some((o) => o.org === org), JSON.stringify(after));
	const g2 = await page.evaluate(async (o) => (await (await fetch(`/api/v1/orgs/${o}/support`, { credentials: 'same-origin' })).json()).grants, org);
	check('support_grants_empty', Array.isArray(g2) && g2.length === 0, JSON.stringify(g2));

	// Retention: the section lists the org's cameras as the API does; a shorter value asks
	// for confirmation naming what goes (Escape cancels, keyboard only), then a stale
	// step-up is proved with the password and the value is read back from the API; a longer
	// value in days needs no confirmation; every change is in the audit log.
	await openAdmin(page);
	const retApi = () => page.evaluate(async (o) => (await fetch(`/api/v1/orgs/${o}/retention`, { credentials: 'same-origin' })).json(), org);
	const ret0 = await retApi();
	await page.waitForSelector('#adm-retention[data-state="ready"]', { timeout: 20000 }).catch(() => {});
	const retRows = await rowsOf('adm-retention', 'camera');
	check('retention_rows_match_api', Array.isArray(ret0.cameras) && ret0.cameras.length > 0 &&
		sorted(retRows.map((r) => r.id)) === sorted(ret0.cameras.map((c) => c.id)), `page ${retRows.map((r) => r.id)} api ${JSON.stringify(ret0)}`);
	check('retention_rows_readable', retRows.length > 0 && retRows.every((r) => /until the storage quota \(server default\)/.test(r.text) && /\d+(\.\d)? (KB|MB|GB)/.test(r.text) && !/nothing recorded/.test(r.text)),
		JSON.stringify(retRows.map((r) => r.text)));
	const rcam = srv.cameras.find((x) => x.name === 'cam1');
	const rrow = `#adm-retention tbody tr[data-camera="${rcam.id}"]`;
	// Shorter (7 days from "until the quota"): a confirmation naming the camera; Escape cancels.
	await page.selectOption(`${rrow} .adm-ret-choice`, String(7 * 86400));
	await page.focus(`${rrow} .adm-ret-go`);
	await page.keyboard.press('Enter');
	await page.waitForSelector(`${rrow} .adm-ret-confirm`, { timeout: 10000 }).catch(() => {});
	const conf = await page.$eval(`${rrow} .adm-ret-confirm`, (d) => ({ text: d.textContent, focus: document.activeElement && document.activeElement.className })).catch(() => ({ text: '', focus: '' }));
	check('retention_confirm_names_data', /Shorten retention of "cam1"\? Its recordings are now kept until the storage quota; they will be kept for 7 days\./.test(conf.text) && /cannot be undone/.test(conf.text) && /older than 7 days/.test(conf.text), conf.text);
	check('retention_confirm_focus_cancel', /adm-ret-cancel/.test(conf.focus), conf.focus);
	await shot(page, 'retention-confirm', '#adm-retention');
	await page.keyboard.press('Escape');
	const afterEsc = await page.evaluate((r) => ({ open: !!document.querySelector(`${r} .adm-ret-confirm`), focus: document.activeElement && document.activeElement.className }), rrow);
	check('retention_escape_cancels', !afterEsc.open && /adm-ret-go/.test(afterEsc.focus), JSON.stringify(afterEsc));
	const retMid = await retApi();
	check('retention_cancel_changes_nothing', retMid.cameras.find((c) => c.id === rcam.id).default === true, JSON.stringify(retMid.cameras));
	// Confirm for real; the first PUT is answered as a stale sign-in proof is (403 step-up).
	let retRefused = false, retStepUps = 0;
	expect403 = true;
	const onReq = (r) => { if (r.url().endsWith('/api/v1/auth/step-up') && r.method() === 'POST') retStepUps++; };
	page.on('request', onReq);
	await page.route('**/api/v1/orgs/*/cameras/*/retention', async (route) => {
		if (route.request().method() === 'PUT' && !retRefused) {
			retRefused = true;
			await route.fulfill({ status: 403, contentType: 'application/json', body: '{"error":"step-up required: POST /api/v1/auth/step-up"}' });
			return;
		}
		await route.continue();
	});
	await page.keyboard.press('Enter'); // focus is back on Apply
	await page.click(`${rrow} .adm-ret-yes`);
	await page.waitForSelector(`${rrow} .adm-stepup`, { timeout: 20000 })
		.then(() => pass('retention_step_up_asked'), (e) => fail('retention_step_up_asked', e.message));
	await page.fill(`${rrow} .adm-stepup-pw`, demo.password);
	await page.click(`${rrow} .adm-stepup button[type="submit"]`);
	await page.waitForFunction(() => { const m = document.getElementById('adm-ret-msg'); return m && /is now kept/.test(m.textContent); }, null, { timeout: 60000 })
		.catch(() => {});
	page.off('request', onReq);
	await page.unroute('**/api/v1/orgs/*/cameras/*/retention');
	expect403 = false;
	const retMsg = await page.textContent('#adm-ret-msg').catch(() => '');
	check('retention_set_in_page', /"cam1" is now kept 7 days \(was until the storage quota\)/.test(retMsg) && retStepUps === 1, `${retMsg} step-ups ${retStepUps}`);
	const ret1 = (await retApi()).cameras.find((c) => c.id === rcam.id);
	check('retention_read_back_from_api', ret1 && ret1.max_age_s === 7 * 86400 && ret1.default === false, JSON.stringify(ret1));
	const row1 = await page.$eval(rrow, (r) => ({ age: r.dataset.maxAge, cur: r.querySelector('.adm-ret-cur').textContent })).catch(() => ({}));
	check('retention_row_updated', row1.age === String(7 * 86400) && row1.cur === '7 days', JSON.stringify(row1));
	// A bad number of days is refused in the page; 30 days (longer) needs no confirmation.
	await page.selectOption(`${rrow} .adm-ret-choice`, 'days');
	await page.fill(`${rrow} .adm-ret-days`, '0');
	await page.click(`${rrow} .adm-ret-go`);
	const badMsg = await page.textContent(`${rrow} .adm-ret-msg`).catch(() => '');
	check('retention_bad_days_refused', /whole number of days from 1 to 3653/.test(badMsg), badMsg);
	await page.fill(`${rrow} .adm-ret-days`, '30');
	await page.click(`${rrow} .adm-ret-go`);
	await page.waitForFunction(() => { const m = document.getElementById('adm-ret-msg'); return m && /now kept 30 days/.test(m.textContent); }, null, { timeout: 30000 })
		.catch(() => {});
	const ret2 = (await retApi()).cameras.find((c) => c.id === rcam.id);
	check('retention_longer_no_confirm', ret2 && ret2.max_age_s === 30 * 86400, JSON.stringify(ret2));
	await shot(page, 'retention', '#adm-retention');
	const retAudit = await page.evaluate(async (o) => (await (await fetch(`/api/v1/orgs/${o}/audit`, { credentials: 'same-origin' })).text()), org);
	const retEntries = retAudit.split('\n').filter((l) => l.includes('"action":"settings.retention"')).map((l) => JSON.parse(l));
	check('retention_audited', retEntries.length === 2 && retEntries.every((e) => e.target === rcam.id) && retEntries[0].detail.new_max_age_s === 7 * 86400
		&& retEntries[1].detail.old_max_age_s === 7 * 86400 && retEntries[1].detail.new_max_age_s === 30 * 86400, JSON.stringify(retEntries.map((e) => e.detail)));
	// The organization's storage quota, set by the service operator (admin token, 2 TB so
	// that nothing goes): the section says how full it is; removed, it says nothing of it.
	const opQuota = (bytes) => execFileSync('curl', ['-s', '-m', '20', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'PUT',
		'-H', 'Authorization: Bearer ' + readFileSync(process.env.VIGIL_DEMO_JSON.replace(/demo\.json$/, 'admin.token'), 'utf8').trim(), '-H', 'Content-Type: application/json',
		'--data-binary', JSON.stringify({ quota_bytes: bytes }), `${demo.server}/api/v1/operator/orgs/${org}/quota`]).toString();
	const retStatus = async () => {
		await openAdmin(page);
		await page.waitForSelector('#adm-retention[data-state="ready"]', { timeout: 20000 }).catch(() => {});
		return page.textContent('#adm-retention .adm-status').catch(() => '');
	};
	const qSet = opQuota(2e12);
	check('quota_set_by_operator', qSet === '200', qSet);
	const qUsed = (await retApi()).org_bytes;
	const qText = await retStatus();
	check('quota_shown', qUsed > 0 && new RegExp(`storage quota 2\\.0 TB, \\d+(\\.\\d)? (KB|MB|GB) used \\(0%\\): the oldest footage goes first`).test(qText), `${qText} (org_bytes ${qUsed})`);
	await shot(page, 'retention-quota', '#adm-retention');
	// Below what the org holds (1 MB): it waits the server's grace period (a day in the
	// demo) and the section says from when and what happens; removed before, nothing goes.
	check('quota_below_usage_set', opQuota(1e6) === '200');
	const qText3 = await retStatus();
	check('quota_pending_shown', /storage quota 1\.0 MB from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\d+(\.\d)? (KB|MB|GB) stored now\): the oldest footage beyond it will then be deleted, export what you need before/.test(qText3), qText3);
	await shot(page, 'retention-quota-pending', '#adm-retention');
	const qDel = opQuota(0);
	check('quota_removed_by_operator', qDel === '200', qDel);
	const qText2 = await retStatus();
	check('quota_removed_not_shown', /server default/.test(qText2) && !/storage quota \d|used/.test(qText2), qText2);

	// Notifications (the org's webhook): the empty state; "ftp://x" refused in the page and
	// an over-long URL by the server (its words shown), nothing changed either time; set
	// through a stale step-up (forced, as for retention): a 64-hex secret shown once, read
	// only; in a second tab (a reload) and after re-opening, the URL and no secret; Replace
	// draws another secret; Remove asks (Escape keeps it), then the empty state; the audit
	// log section lists webhook.set and webhook.delete.
	await openAdmin(page);
	const WH_URL = 'http://127.0.0.1:9/hook';
	const whApi = () => page.evaluate(async (o) => (await fetch(`/api/v1/orgs/${o}/webhook`, { credentials: 'same-origin' })).json(), org);
	const whState = (p) => p.$eval('#adm-webhook', (s) => ({
		state: s.dataset.state, shown: s.dataset.secretShown,
		empty: document.getElementById('adm-wh-empty')?.textContent || '',
		url: document.getElementById('adm-wh-url')?.textContent || '',
		secret: document.getElementById('adm-wh-secret') ? document.getElementById('adm-wh-secret').value : null,
		remove: !!document.getElementById('adm-wh-remove'),
		msg: document.getElementById('adm-wh-msg')?.textContent || '',
		text: s.textContent,
	}));
	const whApi0 = await whApi();
	const wh0 = await whState(page);
	check('webhook_empty_state', whApi0.url === null && wh0.state === 'none' && wh0.empty === 'No webhook: events are not sent anywhere.'
		&& wh0.secret === null && !wh0.remove && /Send events to/.test(wh0.text), JSON.stringify({ api: whApi0, page: wh0 }));
	await shot(page, 'webhook-empty', '#adm-webhook');
	let whPuts = 0, whStepUps = 0;
	const onWh = (r) => {
		if (r.method() === 'PUT' && /\/api\/v1\/orgs\/[0-9a-f]+\/webhook$/.test(r.url()))
			whPuts++;
		if (r.method() === 'POST' && r.url().endsWith('/api/v1/auth/step-up'))
			whStepUps++;
	};
	page.on('request', onWh);
	// ftp://x, submitted from the keyboard: refused in the page; the server is not asked.
	await page.fill('#adm-wh-input', 'ftp://x');
	await page.press('#adm-wh-input', 'Enter');
	const whBad = await whState(page);
	const whBadFocus = await page.evaluate(() => document.activeElement && document.activeElement.id);
	check('webhook_bad_scheme_refused', /must start with https:\/\//.test(whBad.msg) && whPuts === 0 && whBad.state === 'none'
		&& whBadFocus === 'adm-wh-input' && (await whApi()).url === null, `${JSON.stringify(whBad)} puts ${whPuts} focus ${whBadFocus}`);
	await shot(page, 'webhook-invalid', '#adm-webhook');
	// 600 bytes: the page's check passes, the server refuses it and the page says its words.
	expect400 = true;
	await page.fill('#adm-wh-input', 'http://127.0.0.1:9/' + 'a'.repeat(600));
	await page.click('#adm-wh-go');
	await page.waitForFunction(() => /refused/.test(document.getElementById('adm-wh-msg')?.textContent || ''), null, { timeout: 20000 }).catch(() => {});
	expect400 = false;
	const whLong = await whState(page);
	check('webhook_server_error_shown', whLong.msg === 'The server refused this URL: url must be http(s), at most 512 bytes, no spaces'
		&& whPuts === 1 && whLong.state === 'none' && (await whApi()).url === null, `${JSON.stringify(whLong.msg)} puts ${whPuts}`);
	// Set, the first PUT answered as a stale sign-in proof is: the page asks for the password.
	let whRefused = false;
	expect403 = true;
	await page.route('**/api/v1/orgs/*/webhook', async (route) => {
		if (route.request().method() === 'PUT' && !whRefused) {
			whRefused = true;
			await route.fulfill({ status: 403, contentType: 'application/json', body: '{"error":"step-up required: POST /api/v1/auth/step-up"}' });
			return;
		}
		await route.continue();
	});
	await page.fill('#adm-wh-input', WH_URL);
	await page.click('#adm-wh-go');
	await page.waitForSelector('#adm-webhook .adm-stepup', { timeout: 20000 })
		.then(() => pass('webhook_step_up_asked'), (e) => fail('webhook_step_up_asked', e.message));
	await page.fill('#adm-webhook .adm-stepup-pw', demo.password);
	await page.press('#adm-webhook .adm-stepup-pw', 'Enter');
	await page.waitForSelector('#adm-wh-secret', { timeout: 60000 }).catch(() => {});
	await page.unroute('**/api/v1/orgs/*/webhook');
	expect403 = false;
	const wh1 = await whState(page);
	const sec1 = await page.$eval('#adm-wh-secret', (i) => ({ ro: i.readOnly, mono: /monospace/.test(getComputedStyle(i).fontFamily), focus: document.activeElement === i }))
		.catch(() => ({}));
	check('webhook_set_shows_secret', wh1.state === 'set' && wh1.url === WH_URL && /^[0-9a-f]{64}$/.test(wh1.secret || '') && wh1.shown === '1'
		&& whStepUps === 1 && whPuts === 3, `${JSON.stringify(wh1)} step-ups ${whStepUps} puts ${whPuts}`);
	check('webhook_secret_field', sec1.ro === true && sec1.mono === true && sec1.focus === true, JSON.stringify(sec1));
	check('webhook_secret_explained', /will not be shown again/.test(wh1.text) && /X-Vigil-Signature/.test(wh1.text)
		&& /only the organization, camera id, event id and times, never images/.test(wh1.text), wh1.text);
	const whApi1 = await whApi();
	check('webhook_set_in_api', whApi1.url === WH_URL && !('secret' in whApi1) && !JSON.stringify(whApi1).includes(wh1.secret || '-'), JSON.stringify(whApi1));
	await shot(page, 'webhook', '#adm-webhook');
	// The secret card at phone width: nothing scrolls sideways.
	await page.setViewportSize({ width: 390, height: 844 });
	await page.waitForTimeout(300);
	check('webhook_phone_width_fits', await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'the page scrolls sideways at 390 px');
	await page.locator('#adm-webhook').scrollIntoViewIfNeeded();
	await shot(page, 'phone-webhook', '#adm-webhook');
	await page.setViewportSize({ width: 1280, height: 800 });
	// A reload (a second tab of the same session, keys locked there) and this tab re-opened:
	// the URL, never the secret.
	const tab = await page.context().newPage();
	tab.on('pageerror', (e) => problems.push('tab pageerror: ' + e.message));
	try {
		await tab.goto(demo.console + '/');
		await tab.waitForSelector('#admin-btn:not([hidden])', { timeout: 20000 });
		await openAdmin(tab);
		await tab.waitForSelector('#adm-webhook[data-state="set"], #adm-webhook[data-state="error"]', { timeout: 20000 }).catch(() => {});
		const whR = await whState(tab);
		const html = await tab.content();
		check('webhook_reload_url_no_secret', whR.state === 'set' && whR.url === WH_URL && whR.secret === null && whR.shown === '0' && whR.remove
			&& !html.includes(wh1.secret || '-'), JSON.stringify(whR));
	} catch (e) {
		fail('webhook_reload_url_no_secret', e.message);
	} finally {
		await tab.close();
	}
	await openAdmin(page);
	const wh2 = await whState(page);
	check('webhook_reopen_no_secret', wh2.state === 'set' && wh2.url === WH_URL && wh2.secret === null
		&& !(await page.content()).includes(wh1.secret || '-'), JSON.stringify(wh2));
	// Replace (keyboard): another secret; the old one is gone.
	await page.fill('#adm-wh-input', WH_URL + '2');
	await page.press('#adm-wh-input', 'Enter');
	await page.waitForSelector('#adm-wh-secret', { timeout: 30000 }).catch(() => {});
	const wh3 = await whState(page);
	check('webhook_replace_new_secret', wh3.url === WH_URL + '2' && /^[0-9a-f]{64}$/.test(wh3.secret || '') && wh3.secret !== wh1.secret
		&& (await whApi()).url === WH_URL + '2', JSON.stringify(wh3));
	// Remove: a confirmation (focus on Cancel; Escape keeps the webhook), then for real.
	await page.focus('#adm-wh-remove');
	await page.keyboard.press('Enter');
	await page.waitForSelector('#adm-webhook .adm-wh-confirm', { timeout: 10000 }).catch(() => {});
	const whConf = await page.evaluate(() => ({ text: document.querySelector('#adm-webhook .adm-wh-confirm')?.textContent || '',
		focus: document.activeElement && document.activeElement.className }));
	check('webhook_remove_confirm', /Stop sending events to http:\/\/127\.0\.0\.1:9\/hook2\?/.test(whConf.text) && /adm-wh-cancel/.test(whConf.focus), JSON.stringify(whConf));
	await shot(page, 'webhook-remove', '#adm-webhook');
	await page.keyboard.press('Escape');
	const whEsc = await page.evaluate(() => ({ open: !!document.querySelector('#adm-webhook .adm-wh-confirm'), focus: document.activeElement && document.activeElement.id }));
	check('webhook_escape_keeps_it', !whEsc.open && whEsc.focus === 'adm-wh-remove' && (await whApi()).url === WH_URL + '2', JSON.stringify(whEsc));
	await page.keyboard.press('Enter');
	await page.click('#adm-webhook .adm-wh-yes');
	await page.waitForSelector('#adm-webhook[data-state="none"]', { timeout: 20000 }).catch(() => {});
	const wh4 = await whState(page);
	check('webhook_removed_empty_state', wh4.state === 'none' && wh4.empty === 'No webhook: events are not sent anywhere.' && !wh4.remove && wh4.secret === null
		&& /Removed/.test(wh4.msg) && (await whApi()).url === null, JSON.stringify(wh4));
	page.off('request', onWh);
	// The audit log section (verified in the page) lists the changes, newest first.
	await openAdmin(page);
	const whAudit = await page.$$eval('#adm-audit tbody tr', (rs) => rs.map((r) => r.children[2] && r.children[2].textContent));
	const whActs = whAudit.filter((a) => /^webhook\./.test(a));
	check('webhook_in_audit_log', whActs.join(',') === 'webhook.delete,webhook.set,webhook.set'
		&& await page.$eval('#adm-audit', (s) => s.dataset.state === 'verified'), JSON.stringify(whActs));
	// Each entry's detail is shown: the retention changes say what they changed.
	const auditRet = await page.$$eval('#adm-audit tbody tr', (rs) => rs.filter((r) => r.children[2].textContent === 'settings.retention')
		.map((r) => r.children[5].textContent));
	check('audit_details_shown', auditRet.length === 2 && auditRet.every((t) => /new_max_age_s: \d+/.test(t)), JSON.stringify(auditRet));

	// Gateway enrollment from the page: the command shown, run as is (with a --dir for this
	// test), the request checked and certified in the page; the new gateway is listed certified.
	if (GW_DIR) {
		await openAdmin(page);
		await page.click('#adm-gw-add');
		await page.waitForSelector('#adm-gw-cmd', { timeout: 30000 }).catch(async () => {
			throw new Error('no enrollment command: ' + await page.textContent('#adm-gw-enroll'));
		});
		const cmd = (await page.textContent('#adm-gw-cmd')).trim();
		check('enroll_command_shape', new RegExp(`^vigil-gateway enroll --server ${demo.server.replace(/[.]/g, '\\.')} --code [A-Za-z0-9_-]{64} --org ${demo.safety_number} --dir \\S+$`).test(cmd), cmd);
		await shot(page, 'gateway-invite', '#adm-gateways');
		const args = cmd.split(' ').slice(1);
		args[args.length - 1] = GW_DIR;
		const enrolled = new Promise((resolve) => {
			const p = spawn(process.env.VIGIL_GATEWAY_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
			writeFileSync(`${GW_DIR}/enroll.pid`, String(p.pid)); // the shell stops it if this script dies
			let out = '';
			p.stdout.on('data', (d) => { out += d; });
			p.stderr.on('data', (d) => { out += d; });
			const t = setTimeout(() => p.kill(), 90000);
			p.on('exit', (code) => { clearTimeout(t); resolve({ code, out }); });
		});
		await page.waitForSelector('#adm-gw-invite[data-state="enrolled"], #adm-gw-invite[data-state="error"]', { timeout: 90000 });
		const state = await page.$eval('#adm-gw-invite', (b) => ({ state: b.dataset.state, gw: b.dataset.gateway || '', text: b.textContent }));
		check('gateway_enrolled_in_page', state.state === 'enrolled' && /^[0-9a-f]{64}$/.test(state.gw), JSON.stringify(state));
		const r = await enrolled;
		check('gateway_enroll_command_ok', r.code === 0 && existsSync(`${GW_DIR}/gateway.json`), `exit ${r.code}: ${r.out.slice(-300)}`);
		await shot(page, 'gateway-enrolled', '#adm-gateways');
		await openAdmin(page);
		const g2 = await rowsOf('adm-gateways', 'gateway');
		check('new_gateway_listed_certified', g2.some((x) => x.id === state.gw && x.verified === 'true') && g2.length === gws.length + 1, JSON.stringify(g2));
		newGateway = state.gw;
	}

	// A camera added from the page on the new gateway: registered, its epoch key signed and
	// granted to the owner, the gateway's sealed configuration signed. The shell then runs
	// that gateway and checks that the camera records.
	if (newGateway && CAM_URL) {
		await openAdmin(page);
		await page.fill('#adm-cam-name', 'webcam');
		await page.selectOption('#adm-cam-gw', newGateway);
		await page.fill('#adm-cam-url', CAM_URL);
		await page.click('#adm-cam-go');
		await page.waitForSelector('#adm-cam-add[data-state="added"], #adm-cam-add[data-state="error"]', { timeout: 60000 });
		const st = await page.$eval('#adm-cam-add', (a) => ({ state: a.dataset.state, id: a.dataset.camera || '', msg: document.getElementById('adm-cam-msg').textContent }));
		check('camera_added_in_page', st.state === 'added' && /^[0-9a-f]{32}$/.test(st.id), JSON.stringify(st));
		await shot(page, 'camera-added', '#adm-cameras');
		const cfg = await page.evaluate(async ([o, g]) => (await fetch(`/api/v1/orgs/${o}/gateways/${g}/config`, { credentials: 'same-origin' })).json(), [org, newGateway]);
		check('gateway_config_signed', cfg.seq === 1 && typeof cfg.statement === 'string' && !cfg.statement.includes(Buffer.from('rtsp').toString('hex')), JSON.stringify(cfg).slice(0, 200));
		await openAdmin(page);
		const c2 = await rowsOf('adm-cameras', 'camera');
		check('new_camera_listed_with_key', c2.some((x) => x.id === st.id && x.verified === 'true'), JSON.stringify(c2));
		// Its recording mode: on motion only, read back from the signed configuration, then
		// continuously again (the shell checks below that the gateway records it).
		const recRow = `#adm-cameras tr[data-camera="${st.id}"]`;
		const setRec = async (mode) => {
			await page.click(`${recRow} .adm-cam-rec-open`);
			await page.waitForSelector(`${recRow} .adm-cam-rec-mode`, { timeout: 30000 });
			await page.selectOption(`${recRow} .adm-cam-rec-mode`, mode);
			await page.click(`${recRow} .adm-cam-rec-save`);
			await page.waitForSelector(`${recRow} .adm-cam-rec[data-state="saved"], ${recRow} .adm-cam-rec[data-state="error"]`, { timeout: 30000 });
			return page.$eval(`${recRow} .adm-cam-rec`, (b) => ({ state: b.dataset.state, mode: b.dataset.mode, msg: b.textContent }));
		};
		const seqOf = async () => page.evaluate(async ([o, g]) => (await (await fetch(`/api/v1/orgs/${o}/gateways/${g}/config`, { credentials: 'same-origin' })).json()).seq, [org, newGateway]);
		const seqA = await seqOf();
		const r1 = await setRec('motion');
		await shot(page, 'camera-recording-mode', '#adm-cameras');
		await openAdmin(page);
		await page.click(`${recRow} .adm-cam-rec-open`);
		await page.waitForSelector(`${recRow} .adm-cam-rec-mode`, { timeout: 30000 });
		const readBack = await page.$eval(`${recRow} .adm-cam-rec`, (b) => ({ mode: b.dataset.mode, sel: b.querySelector('select').value, msg: b.textContent }));
		check('camera_recording_set_motion', r1.state === 'saved' && readBack.mode === 'motion' && readBack.sel === 'motion' &&
			/5 s before to 10 s after/.test(readBack.msg) && await seqOf() === seqA + 1, JSON.stringify({ r1, readBack }));
		check('camera_recording_live_while_paused_default', /viewers still see live video/.test(readBack.msg), readBack.msg);
		// On motion only without live video while nothing moves (live_while_paused false).
		await openAdmin(page);
		const r3 = await setRec('motion-nolive');
		await openAdmin(page);
		await page.click(`${recRow} .adm-cam-rec-open`);
		await page.waitForSelector(`${recRow} .adm-cam-rec-mode`, { timeout: 30000 });
		const readBack3 = await page.$eval(`${recRow} .adm-cam-rec`, (b) => ({ mode: b.dataset.mode, sel: b.querySelector('select').value, msg: b.textContent }));
		check('camera_recording_no_live_while_paused', r3.state === 'saved' && readBack3.mode === 'motion-nolive' &&
			readBack3.sel === 'motion-nolive' && /no live video is sent/.test(readBack3.msg) && await seqOf() === seqA + 2,
			JSON.stringify({ r3, readBack3 }));
		await openAdmin(page);
		const r2 = await setRec('continuous');
		check('camera_recording_set_continuous', r2.state === 'saved' && r2.mode === 'continuous' && await seqOf() === seqA + 3, JSON.stringify(r2));
		const keysDoc = await page.evaluate(async (o) => (await fetch(`/api/v1/orgs/${o}/keys`, { credentials: 'same-origin' })).json(), org);
		check('owner_granted_new_camera', Array.isArray(keysDoc.grants) && keysDoc.grants.length === srvGrants + 1, `${keysDoc.grants && keysDoc.grants.length} vs ${srvGrants}`);
		newCamera = st.id;
		if (STATE)
			writeFileSync(STATE, JSON.stringify({ camera: st.id, gateway: newGateway }));
	}

	// Members: invite a viewer scoped to one camera; they join with the CLI using the command
	// shown; the page checks their request and certifies them; then a role change and removal.
	if (MEMBER_SESSION) {
		await openAdmin(page);
		const cam1 = srv.cameras.find((x) => x.name === 'cam1');
		await page.selectOption('#adm-inv-role', 'viewer');
		await page.check(`#adm-invite input.adm-scope-id[value="${cam1.id}"]`);
		await page.click('#adm-inv-go');
		await page.waitForSelector('#adm-inv-cmd', { timeout: 30000 }).catch(async () => {
			throw new Error('no join command: ' + await page.textContent('#adm-invite'));
		});
		const cmd = (await page.textContent('#adm-inv-cmd')).trim();
		check('join_command_shape', /^vigil join --server \S+ --code [A-Za-z0-9_-]{64} --org-fingerprint [0-9-]{47} --session SESSION_FILE$/.test(cmd), cmd);
		await shot(page, 'member-invite', '#adm-members');
		const args = cmd.split(' ').slice(1);
		args[args.length - 1] = MEMBER_SESSION;
		args.push('--pin-dir', MEMBER_SESSION + '.pins', '--wait', '60');
		const joined = new Promise((resolve) => {
			const p = spawn(process.env.VIGIL_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: Object.assign({}, process.env, { VIGIL_PASSWORD: process.env.VIGIL_MEMBER_PW }) });
			writeFileSync(`${MEMBER_SESSION}.pid`, String(p.pid));
			let out = '';
			p.stdout.on('data', (d) => { out += d; });
			p.stderr.on('data', (d) => { out += d; });
			const tm = setTimeout(() => p.kill(), 90000);
			p.on('exit', (code) => { clearTimeout(tm); resolve({ code, out }); });
		});
		await page.waitForSelector('#adm-inv-box[data-state="joined"], #adm-inv-box[data-state="error"]', { timeout: 90000 });
		const js = await page.$eval('#adm-inv-box', (b) => ({ state: b.dataset.state, user: b.dataset.user || '', text: b.textContent }));
		check('member_joined_in_page', js.state === 'joined' && /1 camera key\(s\) granted/.test(js.text), JSON.stringify(js));
		const jr = await joined;
		check('join_command_ok', jr.code === 0, `exit ${jr.code}: ${jr.out.slice(-300)}`);
		const mem2 = await page.evaluate(async (o) => (await (await fetch(`/api/v1/orgs/${o}/members`, { credentials: 'same-origin' })).json()).members, org);
		const nm = mem2.find((x) => x.user_id === js.user);
		check('member_in_api', nm && nm.role === 'viewer' && nm.scope.length === 1 && nm.scope[0] === cam1.id, JSON.stringify(nm));
		const cli = execFileSync(process.env.VIGIL_BIN, ['member', 'list', '--org', org, '--server', demo.server, '--session', demo.session_file, '--pin-dir', demo.pin_dir],
			{ env: Object.assign({}, process.env, { VIGIL_PASSWORD: demo.password }) }).toString();
		check('member_in_cli_list', new RegExp(`user=${js.user} username=member1 role=viewer scope=1 verified=yes`).test(cli), cli);
		await openAdmin(page);
		const row = `#adm-members tbody tr[data-user="${js.user}"]`;
		check('member_row_verified', await page.$eval(row, (r) => r.dataset.verified === 'true' && r.dataset.role === 'viewer').catch(() => false), 'row missing or not verified');
		await shot(page, 'members', '#adm-members');
		// Scope change cam1 -> cam2: cam1 is rotated away from them, cam2's key granted.
		const cam2 = srv.cameras.find((x) => x.name === 'cam2');
		const cfg0 = await page.evaluate(async ([o, g]) => (await (await fetch(`/api/v1/orgs/${o}/gateways/${g}/config`, { credentials: 'same-origin' })).json()).seq, [org, cam1.gateway]);
		await page.click(`${row} .adm-scope-edit`);
		await page.uncheck(`${row} input.adm-scope-id[value="${cam1.id}"]`);
		await page.check(`${row} input.adm-scope-id[value="${cam2.id}"]`);
		await shot(page, 'member-scope', '#adm-members');
		await page.click(`${row} .adm-scope-save`);
		await page.waitForFunction((r) => { const b = document.querySelector(`${r} .adm-actions`); return b && (b.dataset.done || document.querySelector(`${r} .adm-member-msg`).classList.contains('error')); }, row, { timeout: 30000 });
		const sc = await page.evaluate(async ([o, g]) => {
			const get = async (p) => (await fetch(p, { credentials: 'same-origin' })).json();
			return { members: (await get(`/api/v1/orgs/${o}/members`)).members, cameras: (await get(`/api/v1/orgs/${o}/cameras`)).cameras,
				seq: (await get(`/api/v1/orgs/${o}/gateways/${g}/config`)).seq };
		}, [org, cam1.gateway]);
		const scMsg = await page.textContent(`${row} .adm-member-msg`);
		const scm = sc.members.find((x) => x.user_id === js.user);
		check('member_scope_changed', scm && scm.scope.length === 1 && scm.scope[0] === cam2.id && /1 camera key\(s\) rotated away, 1 granted/.test(scMsg), `${JSON.stringify(scm)} ${scMsg}`);
		check('scope_change_rotates_left_camera', sc.cameras.find((x) => x.id === cam1.id).epoch === cam1.epoch + 1 &&
			sc.cameras.find((x) => x.id === cam2.id).epoch === cam2.epoch && sc.seq === cfg0 + 1, JSON.stringify(sc.cameras.map((x) => [x.name, x.epoch])) + ` seq ${cfg0}->${sc.seq}`);
		await openAdmin(page);
		// Role change to auditor.
		await page.selectOption(`${row} .adm-role`, 'auditor');
		await page.click(`${row} .adm-role-go`);
		await page.waitForFunction((r) => { const b = document.querySelector(`${r} .adm-actions`); return b && (b.dataset.done || document.querySelector(`${r} .adm-member-msg`).classList.contains('error')); }, row, { timeout: 30000 });
		const rm1 = await page.evaluate(async (o) => (await (await fetch(`/api/v1/orgs/${o}/members`, { credentials: 'same-origin' })).json()).members, org);
		check('member_role_changed', rm1.some((x) => x.user_id === js.user && x.role === 'auditor'), await page.textContent(row));
		// And back to viewer (the scope is kept), so that removal has a camera to rotate.
		await openAdmin(page);
		await page.selectOption(`${row} .adm-role`, 'viewer');
		await page.click(`${row} .adm-role-go`);
		await page.waitForFunction((r) => { const b = document.querySelector(`${r} .adm-actions`); return b && (b.dataset.done || document.querySelector(`${r} .adm-member-msg`).classList.contains('error')); }, row, { timeout: 30000 });
		const rm2 = await page.evaluate(async (o) => (await (await fetch(`/api/v1/orgs/${o}/members`, { credentials: 'same-origin' })).json()).members, org);
		check('member_role_back_keeps_scope', rm2.some((x) => x.user_id === js.user && x.role === 'viewer' && x.scope.length === 1 && x.scope[0] === cam2.id), JSON.stringify(rm2.find((x) => x.user_id === js.user)));
		// Removal: cam2 (in their scope) gets a new epoch; its gateway a new signed config.
		const cfgBefore = await page.evaluate(async ([o, g]) => (await (await fetch(`/api/v1/orgs/${o}/gateways/${g}/config`, { credentials: 'same-origin' })).json()).seq, [org, cam1.gateway]);
		// The server lies about which gateway records cam2 (its camera list names the gateway
		// enrolled above, whose signed config lacks cam2): the page finds cam2's gateway in the
		// signed configs, says the server named another, and leaves the named one alone. The
		// old page sent the named gateway an unchanged config and left the real one sealing
		// cam2 to the removed member's epoch, saying nothing.
		const lie = SERVER_DB && newGateway ? newGateway : null;
		const seqOfGw = (g) => page.evaluate(async ([o, gw]) => (await (await fetch(`/api/v1/orgs/${o}/gateways/${gw}/config`, { credentials: 'same-origin' })).json()).seq, [org, g]);
		const lieSeq = lie ? await seqOfGw(lie) : null;
		if (lie)
			sql(`update org_cameras set gateway='${lie}' where id='${cam2.id}'`);
		await openAdmin(page);
		await page.click(`${row} .adm-remove`);
		await page.click(`${row} .adm-remove`);
		await page.waitForFunction((r) => { const b = document.querySelector(`${r} .adm-actions`); return b && (b.dataset.done || document.querySelector(`${r} .adm-member-msg`).classList.contains('error')); }, row, { timeout: 30000 });
		const rmText = await page.textContent(row);
		const after = await page.evaluate(async ([o, g]) => {
			const get = async (p) => (await fetch(p, { credentials: 'same-origin' })).json();
			return { members: (await get(`/api/v1/orgs/${o}/members`)).members, cameras: (await get(`/api/v1/orgs/${o}/cameras`)).cameras,
				seq: (await get(`/api/v1/orgs/${o}/gateways/${g}/config`)).seq };
		}, [org, cam1.gateway]);
		check('member_removed', !after.members.some((x) => x.user_id === js.user), rmText);
		const c1 = after.cameras.find((x) => x.id === cam1.id), c2 = after.cameras.find((x) => x.name === 'cam2');
		check('removal_rotates_scope_only', c1 && c1.epoch === cam1.epoch + 1 && c2 && c2.epoch === cam2.epoch + 1, JSON.stringify(after.cameras.map((x) => [x.name, x.epoch])));
		check('removal_resigns_gateway_config', after.seq === cfgBefore + 1, `${cfgBefore} -> ${after.seq}`);
		if (lie) {
			sql(`update org_cameras set gateway='${cam2.gateway}' where id='${cam2.id}'`);
			check('gw_lie_console_warns', /Warning: The server names gateway [0-9a-f]{8}… for camera "cam2", whose signed configuration does not record it: the new key went to gateway [0-9a-f]{8}…/.test(rmText)
				&& rmText.includes(cam2.gateway.slice(0, 8)) && await page.$eval(`${row} .adm-member-msg`, (m) => m.classList.contains('warning') && !m.classList.contains('error')), rmText);
			check('gw_lie_console_named_untouched', await seqOfGw(lie) === lieSeq, `${lieSeq} -> ${await seqOfGw(lie)}`);
			// The real gateway's signed config (read by the CLI, not the page) records cam2's new epoch.
			const gc = execFileSync(process.env.VIGIL_BIN, ['gateway', 'config', '--org', org, '--gateway', cam2.gateway, '--server', demo.server, '--session', demo.session_file, '--pin-dir', demo.pin_dir],
				{ env: Object.assign({}, process.env, { VIGIL_PASSWORD: demo.password }) }).toString();
			check('gw_lie_console_real_config_rotated', new RegExp(`^camera name=cam2 id=${cam2.id} epoch=${cam2.epoch + 1} `, 'm').test(gc), gc);
			// The server rolls that gateway's configuration seq back (as if withholding the
			// newest): this browser saw a newer one during the removal and refuses to read it.
			if (newCamera) {
				sql(`update org_gwconfig set seq=seq-1 where gateway='${lie}'`);
				await openAdmin(page);
				const wrow = `#adm-cameras tr[data-camera="${newCamera}"]`;
				await page.click(`${wrow} .adm-cam-rec-open`);
				await page.waitForSelector(`${wrow} .adm-cam-rec-msg.error`, { timeout: 30000 }).catch(() => {});
				const rb = await page.textContent(`${wrow} .adm-cam-rec-msg`);
				sql(`update org_gwconfig set seq=seq+1 where gateway='${lie}'`);
				check('gw_config_rollback_refused', new RegExp(`seq ${lieSeq - 1}, older than seq ${lieSeq} this browser saw`).test(rb), rb);
			}
		} else {
			console.log('SKIP gw_lie_console: no server database or no second gateway');
		}
		// The page's rotation carried cam1's signed name into its new camera.epoch (the third
		// layout: body longer than the 68 bytes of id, epoch, key and site; the name after).
		const eps = await page.evaluate(async (o) => (await (await fetch(`/api/v1/orgs/${o}/keys`, { credentials: 'same-origin' })).json()).epochs, org);
		const newest = (eps || []).map((h) => ({ cam: h.slice(256, 288), epoch: parseInt(h.slice(288, 296), 16), blen: parseInt(h.slice(248, 256), 16),
			name: Buffer.from(h.slice(256 + 138, 256 + 2 * parseInt(h.slice(248, 256), 16)), 'hex').toString() }))
			.filter((x) => x.cam === cam1.id).sort((a, b) => b.epoch - a.epoch)[0];
		check('rotation_keeps_signed_name', newest && newest.epoch === cam1.epoch + 1 && newest.blen > 68 && newest.name === 'cam1', JSON.stringify(newest));
		await openAdmin(page);
		const ck = await rowsOf('adm-cameras', 'camera');
		check('rotated_keys_verified', ck.every((x) => x.verified === 'true'), JSON.stringify(ck));
	}

	// Removing a camera (the demo's cam2, which records): the confirmation names it and what
	// goes, Escape keeps it; then a fresh proof is asked first (the session's proof is shown
	// stale once), the gateway's configuration is re-signed without it and the server
	// deletes it with its recordings; the view says what went and the audit log has it.
	{
		await openAdmin(page);
		const cam2 = srv.cameras.find((x) => x.name === 'cam2');
		const crow = `#adm-cameras tbody tr[data-camera="${cam2.id}"]`;
		const orgCams = () => page.evaluate(async (o) => (await (await fetch(`/api/v1/orgs/${o}/cameras`, { credentials: 'same-origin' })).json()).cameras, org);
		const gwCfg = () => page.evaluate(async ([o, g]) => (await fetch(`/api/v1/orgs/${o}/gateways/${g}/config`, { credentials: 'same-origin' })).json(), [org, cam2.gateway]);
		const cfg0 = await gwCfg();
		const segs0 = await page.evaluate(async (c) => (await fetch(`/api/v1/cameras/${c}/streams/0/segments?from=0&to=${(Date.now() + 60000) * 1000}`, { credentials: 'same-origin' })).status, cam2.id);
		check('remove_camera_has_footage_before', segs0 === 200, String(segs0));
		await page.click(`${crow} .adm-cam-rm`);
		await page.waitForSelector(`${crow} .adm-cam-rm-confirm`, { timeout: 10000 }).catch(() => {});
		const rc = await page.$eval(`${crow} .adm-cam-rm-confirm`, (d) => ({ text: d.textContent, focus: document.activeElement && document.activeElement.className })).catch(() => ({ text: '', focus: '' }));
		check('remove_camera_confirm_names_it', /Remove camera "cam2"\? All \d+(\.\d)? (KB|MB|GB) of its recordings \(since .+\), its motion events and its share links are permanently deleted/.test(rc.text) && /cannot be undone/.test(rc.text), rc.text);
		check('remove_camera_confirm_focus_cancel', /adm-cam-rm-cancel/.test(rc.focus), rc.focus);
		await shot(page, 'camera-remove-confirm', '#adm-cameras');
		await page.keyboard.press('Escape');
		const still = (await orgCams()).some((c) => c.id === cam2.id);
		check('remove_camera_escape_keeps_it', still && !(await page.$(`${crow} .adm-cam-rm-confirm`)), 'escape did not keep it');
		let meStale = true;
		await page.route('**/api/v1/auth/me', async (route) => {
			if (!meStale)
				return route.continue();
			meStale = false;
			const res = await route.fetch();
			const j = await res.json();
			await route.fulfill({ response: res, json: Object.assign(j, { step_up_fresh: false }) });
		});
		await page.click(`${crow} .adm-cam-rm`);
		await page.click(`${crow} .adm-cam-rm-yes`);
		await page.waitForSelector(`${crow} .adm-stepup`, { timeout: 20000 })
			.then(() => pass('remove_camera_step_up_asked'), (e) => fail('remove_camera_step_up_asked', e.message));
		const cfgMid = await gwCfg();
		check('remove_camera_nothing_before_proof', cfgMid.seq === cfg0.seq, `${cfg0.seq} -> ${cfgMid.seq}`);
		await page.fill(`${crow} .adm-stepup-pw`, demo.password);
		await page.click(`${crow} .adm-stepup button[type="submit"]`);
		await page.waitForFunction(() => { const m = document.getElementById('adm-cam-note'); return m && /removed/.test(m.textContent); }, null, { timeout: 60000 })
			.catch(() => {});
		await page.unroute('**/api/v1/auth/me');
		const note = await page.textContent('#adm-cam-note').catch(() => '');
		check('remove_camera_says_what_went', /^Camera "cam2" removed: [1-9]\d* segment\(s\), \d+(\.\d)? (KB|MB|GB) of recordings deleted/.test(note), note);
		await shot(page, 'camera-removed', '#adm-cameras');
		const after = await orgCams();
		check('remove_camera_gone_from_api', !after.some((c) => c.id === cam2.id) && after.some((c) => c.name === 'cam1'), JSON.stringify(after.map((c) => c.name)));
		check('remove_camera_gone_from_page', !(await page.$(crow)), 'row still shown');
		const cfg1 = await gwCfg();
		check('remove_camera_gateway_resigned', cfg1.seq === cfg0.seq + 1, `${cfg0.seq} -> ${cfg1.seq}`);
		// Asked outside the page (a 404 in it would count as a page error), with the owner's CLI session.
		const segs1 = Number(execFileSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-m', '20', '-H',
			'Cookie: ' + readFileSync(demo.session_file, 'utf8').trim(),
			`${demo.server}/api/v1/cameras/${cam2.id}/streams/0/segments?from=0&to=${(Date.now() + 60000) * 1000}`]).toString());
		check('remove_camera_footage_gone', segs1 === 404, String(segs1));
		const aud = await page.evaluate(async (o) => (await (await fetch(`/api/v1/orgs/${o}/audit`, { credentials: 'same-origin' })).text()), org);
		const rm = aud.split('\n').filter((l) => l.includes('"action":"camera.remove"')).map((l) => JSON.parse(l));
		check('remove_camera_audited', rm.length === 1 && rm[0].target === cam2.id && rm[0].detail.segments > 0 && rm[0].detail.bytes > 0, JSON.stringify(rm));
	}

	// Phone width: nothing scrolls sideways but the tables' own scrollers.
	await openAdmin(page);
	await page.setViewportSize({ width: 390, height: 844 });
	await page.waitForTimeout(500);
	const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
	check('phone_width_fits', fits, 'the page scrolls sideways at 390 px');
	// Every action in the tables is on screen without scrolling a table sideways.
	const off = await page.evaluate(() => [...document.querySelectorAll('#view-admin .adm-table button, #view-admin .adm-table select')]
		.map((b) => b.getBoundingClientRect()).filter((r) => r.width > 0 && (r.right > window.innerWidth + 1 || r.left < 0)).length);
	const nActions = await page.$$eval('#view-admin .adm-table button', (b) => b.length);
	check('phone_actions_on_screen', off === 0 && nActions > 0, `${off} of ${nActions} table actions off screen`);
	await page.screenshot({ path: `${ART}/admin-phone.png` });
	await page.locator('#adm-cameras h2').scrollIntoViewIfNeeded();
	await page.screenshot({ path: `${ART}/admin-phone-cameras.png` });
	await page.locator('#adm-audit h2').scrollIntoViewIfNeeded();
	await page.screenshot({ path: `${ART}/admin-phone-audit.png` });
	await page.locator('#adm-retention h2').scrollIntoViewIfNeeded();
	await page.screenshot({ path: `${ART}/admin-phone-retention.png` });
	await page.setViewportSize({ width: 1280, height: 800 });

	// Back to the cameras and again to the view; then "Sign out everywhere": this tab is
	// signed out (the view is gone) and so is the owner's CLI session.
	await page.click('#admin-btn');
	check('back_to_grid', !(await page.$eval('section.live', (s) => s.hidden)) && await page.$eval('#view-admin', (v) => v.hidden), 'grid not back');
	const meCode = () => execFileSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-m', '20', '-H',
		'Cookie: ' + readFileSync(demo.session_file, 'utf8').trim(), demo.server + '/api/v1/auth/me']).toString();
	check('cli_session_alive_before', meCode() === '200', 'the owner CLI session is not valid before');
	await openAdmin(page);
	await page.click('#adm-signout-all');
	await page.waitForFunction(() => document.body.dataset.view === 'signin', null, { timeout: 10000 });
	check('signout_everywhere_revokes_cli_session', meCode() === '401', 'the owner CLI session still works');
	check('admin_wiped_on_signout', await page.$eval('#view-admin', (v) => v.hidden && v.childElementCount === 0)
		&& await page.$eval('#admin-btn', (b) => b.hidden), 'admin view left behind');
	const csp = await page.evaluate(() => document.body.dataset.cspViolation || '');
	check('no_csp_violation', csp === '', csp);
	check('no_page_errors', problems.length === 0, problems.join('; '));
} catch (e) {
	fail('admin_browser', e.message + (problems.length ? ' | page: ' + problems.join('; ') : ''));
} finally {
	await browser.close();
}
