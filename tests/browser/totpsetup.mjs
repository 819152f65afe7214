// totpsetup.mjs - in chromium: an account without a second factor turns it on from the console's panel, and its next sign-in asks for a code.
// Environment: VIGIL_URL, VIGIL_USER, VIGIL_PASSWORD, VIGIL_TOTP_TOOL (build/tools/totp_code), VIGIL_ART (a
// directory for the panel's screenshot, optional), SHOT (a screenshot path on failure, optional). Prints PASS/FAIL lines.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';

const URL = process.env.VIGIL_URL, USER = process.env.VIGIL_USER, PW = process.env.VIGIL_PASSWORD;
let failures = 0;
const check = (name, ok, why) => {
	if (ok) {
		console.log(`PASS ${name}`);
	} else {
		failures++;
		console.log(`FAIL ${name}: ${String(why).replace(/\n/g, ' ')}`);
	}
};
const code = (secret, offset) => execFileSync(process.env.VIGIL_TOTP_TOOL,
	offset === undefined ? [secret] : [secret, String(offset)]).toString().trim();

const errors = [], consoleErrors = [];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
try {
	const ctx = await browser.newContext();
	// The server runs --insecure-test-auth: let the page's worker take its minimum KDF cost.
	await ctx.addInitScript(() => { globalThis.vigilTestKdfMin = true; });
	const page = await ctx.newPage();

	page.on('pageerror', (e) => errors.push(e.message));
	page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
	const signIn = async () => {
		await page.goto(URL + '/');
		await page.fill('#username', USER);
		await page.fill('#password', PW);
		await page.click('#signin-submit');
	};
	await signIn();
	await page.waitForFunction(() => document.body.dataset.view === 'app', null, { timeout: 30000 });
	check('panel_offered', await page.isVisible('#totp-setup-start'), 'no "Turn on two-factor" button');
	await page.click('#totp-setup-start');
	await page.waitForSelector('#totp-setup-form', { state: 'visible', timeout: 10000 });
	const shown = (await page.textContent('#totp-setup-secret')).replace(/\s+/g, '');
	const link = await page.getAttribute('#totp-setup-link', 'href');
	check('secret_and_link_shown', /^[A-Z2-7]{16,}$/.test(shown) && link.startsWith('otpauth://totp/') &&
		link.includes(`secret=${shown}`), `${shown} ${link}`);
	if (process.env.VIGIL_ART)
		await page.screenshot({ path: `${process.env.VIGIL_ART}/totp-setup.png` });
	// A wrong code: refused, still off.
	const right = code(shown);
	await page.fill('#totp-setup-code', right === '000000' ? '111111' : '000000');
	await page.click('#totp-setup-form button[type="submit"]');
	await page.waitForFunction(() => document.getElementById('totp-setup-status').classList.contains('error'), null, { timeout: 10000 });
	const me1 = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).json());
	check('wrong_code_leaves_it_off', me1.totp_enabled === false, JSON.stringify(me1));
	// The app's code: on.
	await page.fill('#totp-setup-code', code(shown));
	await page.click('#totp-setup-form button[type="submit"]');
	await page.waitForFunction(() => document.getElementById('totp-setup').dataset.done === '1', null, { timeout: 10000 })
		.catch(() => {});
	const me2 = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).json());
	check('app_code_turns_it_on', me2.totp_enabled === true && /Two-factor is on/.test(await page.textContent('#totp-setup-status')),
		JSON.stringify(me2) + ' ' + await page.textContent('#totp-setup-status'));
	check('secret_cleared_from_page', (await page.textContent('#totp-setup-secret')) === '', 'the secret is still on the page');
	// Signed out and in again: the page asks for the code, and the panel is gone.
	await page.click('#signout');
	await signIn();
	await page.waitForSelector('#totp', { state: 'visible', timeout: 30000 });
	check('next_sign_in_asks_code', true, '');
	await page.fill('#totp', code(shown, 1));
	await page.click('#signin-submit');
	await page.waitForFunction(() => document.body.dataset.view === 'app', null, { timeout: 30000 });
	check('panel_gone_when_on', await page.isHidden('#totp-setup'), 'the panel is still shown');
	check('no_page_errors', errors.length === 0, errors.join('; '));
} catch (e) {
	check('script', false, `${e.message.slice(0, 200)}; page errors: ${errors.join('; ')}; console: ${consoleErrors.join('; ')}`);
	if (process.env.SHOT) await browser.contexts()[0].pages()[0].screenshot({ path: process.env.SHOT });
} finally {
	await browser.close();
}
process.exit(failures > 0 ? 1 : 0);
