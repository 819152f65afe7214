// totpsetup.js - turning on the account's second factor in the page: the server draws the secret, the user's authenticator app proves it holds it.

import * as api from './api.js';
import { stepUpWithPassword } from './share.js';

const $ = (id) => document.getElementById(id);

// The secret in groups of four, as authenticator apps show and take it.
const grouped = (b32) => b32.replace(/(.{4})/g, '$1 ').trim();

// The "Turn on two-factor" panel above the grid, shown while the account has none
// (owners, admins and operators act only with one: the server answers 403 without it).
export class TotpSetup {
	constructor() {
		this.root = $('totp-setup');
		this.busy = false;
		$('totp-setup-start').addEventListener('click', () => this.begin());
		$('totp-setup-form').addEventListener('submit', (ev) => {
			ev.preventDefault();
			this.confirm();
		});
		$('totp-setup-stepup').addEventListener('submit', (ev) => {
			ev.preventDefault();
			this.stepUp();
		});
	}

	// me: GET /api/v1/auth/me.
	show(me) {
		this.reset();
		this.root.hidden = !(me && me.totp_enabled === false);
	}

	hide() {
		this.reset();
		this.root.hidden = true;
	}

	reset() {
		$('totp-setup-form').hidden = true;
		$('totp-setup-stepup').hidden = true;
		$('totp-setup-start').hidden = false;
		$('totp-setup-secret').textContent = '';
		$('totp-setup-link').removeAttribute('href');
		$('totp-setup-code').value = '';
		$('totp-setup-password').value = '';
		this.status('');
	}

	status(text, isError) {
		const s = $('totp-setup-status');
		s.textContent = text || '';
		s.classList.toggle('error', !!isError);
	}

	// A new secret from the server (pending until confirmed); a stale sign-in asks for the
	// password first (the server wants a sign-in or step-up in the last 5 minutes).
	async begin() {
		if (this.busy)
			return;
		this.busy = true;
		this.status('Asking the server for a secret…');
		try {
			const r = await api.call('POST', '/api/v1/auth/totp/begin');
			if (typeof r.secret !== 'string' || !/^[A-Z2-7]{16,128}$/.test(r.secret) ||
			    typeof r.uri !== 'string' || !r.uri.startsWith('otpauth://totp/'))
				throw new Error('the server sent a malformed secret');
			$('totp-setup-secret').textContent = grouped(r.secret);
			$('totp-setup-link').href = r.uri;
			$('totp-setup-start').hidden = true;
			$('totp-setup-stepup').hidden = true;
			$('totp-setup-form').hidden = false;
			$('totp-setup-code').focus();
			this.status('');
		} catch (e) {
			if (e.status === 403 && /step-up|login|sign/i.test(e.message)) {
				$('totp-setup-stepup').hidden = false;
				$('totp-setup-password').focus();
				this.status('Confirm your password first (you signed in more than 5 minutes ago).');
			} else {
				this.status('Two-factor could not be started: ' + e.message, true);
			}
		} finally {
			this.busy = false;
		}
	}

	async stepUp() {
		if (this.busy)
			return;
		this.busy = true;
		const pw = $('totp-setup-password');
		this.status('Checking your password…');
		try {
			await stepUpWithPassword(pw.value);
			pw.value = '';
		} catch (e) {
			this.status(e.message, true);
			return;
		} finally {
			this.busy = false;
		}
		await this.begin();
	}

	async confirm() {
		if (this.busy)
			return;
		const code = $('totp-setup-code').value.trim();
		if (!/^[0-9]{6}$/.test(code)) {
			this.status('The code is the 6 digits your app shows now.', true);
			return;
		}
		this.busy = true;
		this.status('Checking the code…');
		try {
			await api.call('POST', '/api/v1/auth/totp/confirm', { code });
			$('totp-setup-form').hidden = true;
			$('totp-setup-secret').textContent = '';
			$('totp-setup-link').removeAttribute('href');
			this.status('Two-factor is on: every sign-in now asks for a code from your app.');
			this.root.dataset.done = '1';
		} catch (e) {
			this.status(e.status === 400 ? 'That code was not accepted: check the app\'s clock and enter the code it shows now.'
				: 'The code could not be checked: ' + e.message, true);
		} finally {
			$('totp-setup-code').value = '';
			this.busy = false;
		}
	}
}
