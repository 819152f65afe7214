// app.js - the console's entry point: sign-in view, signed-in shell and the live grid; no inline script, no third-party origin.
import * as api from './api.js';
import * as keys from './keys.js';
import { signIn, unlock } from './login.js';
import { Grid } from './grid.js';
import { openOrg, orgCameras } from './orgs.js';
import { CameraView } from './player.js';
import { startShareView } from './shareview.js';
import { AdminView } from './admin.js';
import { recoverAccount, passwordProblem } from './recover.js';
import { TotpSetup } from './totpsetup.js';

const $ = (id) => document.getElementById(id);
let grid = null;
let camView = null;
let admin = null; // the administration view (admin.js), made at boot
let totpSetup = null; // the "Turn on two-factor" panel (totpsetup.js), made at boot

function show(view) {
	$('view-signin').hidden = view !== 'signin';
	$('view-app').hidden = view !== 'app';
	document.body.dataset.view = view;
}

function status(text, isError) {
	const s = $('signin-status');
	s.textContent = text || '';
	s.classList.toggle('error', !!isError);
}

let myOrgs = [];

// While the grid shows an organization, its camera list is asked for again this often: a
// camera added, removed, or whose substream recorded after the grid started (the grid plays
// the substream once the server lists it) restarts the grid.
const GRID_RECHECK_MS = 10000;
let gridRecheck = null;

async function recheckGrid() {
	if (gridRecheck.busy || grid === null || myOrgs.length === 0 || document.body.dataset.view !== 'app' ||
	    document.querySelector('section.live').hidden)
		return;
	gridRecheck.busy = true;
	try {
		const org = $('org-select').value;
		const cams = await orgCameras(org);
		if (org === $('org-select').value && !document.querySelector('section.live').hidden && grid.differs(cams))
			await startGrid();
	} catch (e) {
		// the grid's own connection reports the server's trouble
	} finally {
		gridRecheck.busy = false;
	}
}

// The grid for the selected organization; without any, the interim token path (or its
// empty state).
async function startGrid() {
	if (grid === null) {
		grid = new Grid($('grid'), $('grid-bar'));
		grid.onOpen = (cam) => openCamera(cam);
		gridRecheck = { busy: false, timer: setInterval(recheckGrid, GRID_RECHECK_MS) };
	}
	closeCamera();
	const sel = $('org-select');
	if (myOrgs.length === 0) {
		await grid.start();
		return;
	}
	try {
		const r = await openOrg(sel.value);
		$('grid').dataset.refused = String(r.refused.length);
		await grid.start(r.cams, r.sites);
	} catch (e) {
		grid.stop();
		grid.empty('Cameras cannot be shown', e.message);
	}
}

// The single-camera view replaces the grid (whose streams it stops: 6 connections per origin).
function openCamera(cam) {
	if (camView === null) {
		camView = new CameraView();
		camView.onClose = () => {
			closeCamera();
			startGrid();
		};
	}
	grid.stop();
	$('grid').replaceChildren();
	document.querySelector('section.live').hidden = true;
	$('view-camera').hidden = false;
	camView.open(Object.assign({ org: myOrgs.length > 0 ? $('org-select').value : null }, cam));
}

function closeCamera() {
	if (camView !== null && camView.cam !== null)
		camView.close();
	$('view-camera').hidden = true;
	document.querySelector('section.live').hidden = false;
}

// Keys are in this tab's memory only: after a reload the session lives on but they do not.
function showLockState() {
	const locked = keys.currentUser() === null;
	document.body.dataset.keys = locked ? 'locked' : 'unlocked';
	$('unlock-form').hidden = !locked;
}

async function onUnlock(ev) {
	ev.preventDefault();
	const pw = $('unlock-password');
	const st = $('unlock-status');
	$('unlock-submit').disabled = true;
	try {
		await unlock(pw.value, (t) => { st.textContent = t; st.classList.remove('error'); });
		pw.value = '';
		st.textContent = '';
		showLockState();
		await startGrid();
	} catch (e) {
		st.textContent = e.message;
		st.classList.add('error');
	} finally {
		$('unlock-submit').disabled = false;
	}
}

async function enterApp(me) {
	showLockState();
	$('who').textContent = me.username;
	$('who').title = 'user id ' + me.user_id;
	totpSetup.show(me);
	show('app');
	myOrgs = [];
	try {
		const r = await api.orgs();
		myOrgs = Array.isArray(r.orgs) ? r.orgs.filter((o) => typeof o.org === 'string') : [];
	} catch (e) {
		// A server without organizations: the interim path below.
	}
	const sel = $('org-select');
	sel.replaceChildren(...myOrgs.map((o) => {
		const opt = document.createElement('option');
		opt.value = o.org;
		opt.textContent = `${o.name || o.org.slice(0, 12)} (${o.role})`;
		return opt;
	}));
	$('org-label').hidden = myOrgs.length === 0;
	adminSetOrg();
	await startGrid();
}

async function onSubmit(ev) {
	ev.preventDefault();
	const btn = $('signin-submit');
	const pw = $('password');
	btn.disabled = true;
	try {
		const totpBox = $('totp-row');
		const r = await signIn($('username').value, pw.value, totpBox.hidden ? null : $('totp').value,
			(t) => status(t, false));
		if (!r.ok && r.totpRequired) {
			totpBox.hidden = false;
			$('totp').focus();
			status('Enter the 6-digit code from your authenticator app.', false);
			return;
		}
		pw.value = '';
		$('totp').value = '';
		totpBox.hidden = true;
		status('');
		await enterApp(r.me);
	} catch (e) {
		status(e.message || 'Sign-in failed.', true);
	} finally {
		btn.disabled = false;
	}
}

// The recovery form replaces the sign-in form (recover.js); back to sign-in when done.
function showRecover(on) {
	$('signin-form').hidden = on;
	$('recover-form').hidden = !on;
	if (on) {
		$('recover-username').value = $('username').value;
		(($('recover-username').value === '') ? $('recover-username') : $('recover-key')).focus();
	}
}

function recoverStatus(text, isError) {
	const s = $('recover-status');
	s.textContent = text || '';
	s.classList.toggle('error', !!isError);
}

async function onRecover(ev) {
	ev.preventDefault();
	const btn = $('recover-submit');
	const pw = $('recover-password'), pw2 = $('recover-password2'), key = $('recover-key');
	const problem = passwordProblem(pw.value, pw2.value);
	if (problem !== null) {
		recoverStatus(problem, true);
		return;
	}
	btn.disabled = true;
	try {
		const totpRow = $('recover-totp-row');
		const r = await recoverAccount($('recover-username').value, key.value, pw.value,
			totpRow.hidden ? null : $('recover-totp').value, (t) => recoverStatus(t, false));
		if (!r.ok && r.totpRequired) {
			totpRow.hidden = false;
			$('recover-totp').focus();
			recoverStatus('This account has a second factor: enter the 6-digit code from your authenticator app.', false);
			return;
		}
		const name = $('recover-username').value.trim();
		for (const f of [pw, pw2, key, $('recover-totp')])
			f.value = '';
		totpRow.hidden = true;
		recoverStatus('');
		showRecover(false);
		$('username').value = name;
		$('password').focus();
		status('Your password was changed and every session of the account ended. Sign in with the new password.', false);
	} catch (e) {
		recoverStatus(e.message || 'Recovery failed.', true);
	} finally {
		btn.disabled = false;
	}
}

// The administration button follows the selected organization and my role in it.
function adminSetOrg() {
	if (admin === null)
		return;
	const o = myOrgs.find((x) => x.org === $('org-select').value);
	admin.setOrg(o ? o.org : null, o ? o.role : null);
}

async function onSignOut() {
	if (admin !== null)
		admin.wipe();
	if (grid !== null)
		grid.stop();
	closeCamera();
	try {
		await api.logout();
	} catch (e) {
		// The session may already be gone; the keys are wiped either way.
	}
	keys.wipeAll();
	api.setFootageToken(null);
	$('grid').replaceChildren();
	totpSetup.hide();
	show('signin');
	status('You are signed out. Keys were removed from this tab.', false);
	$('username').focus();
}

// Interim test and demo hook (until GET /api/v1/orgs/{org}/keys, issue 3): hands this tab
// the viewer keys of `vigil provision`'s keys.json and the demo's footage token. Memory
// only; nothing is written to storage.
globalThis.vigilInterim = Object.freeze({
	async loadViewerKeys(doc) {
		return keys.loadViewerKeys(doc);
	},
	setFootageToken(tok) {
		api.setFootageToken(tok);
	},
	async refreshGrid() {
		if (grid !== null && document.body.dataset.view === 'app')
			await startGrid();
	},
});

async function boot() {
	// A share link (/s/ID#K): the clip alone, no sign-in (shareview.js).
	if (location.pathname.startsWith('/s/')) {
		show('share');
		await startShareView();
		document.body.dataset.ready = '1';
		return;
	}
	$('signin-form').addEventListener('submit', onSubmit);
	$('recover-form').addEventListener('submit', onRecover);
	$('recover-open').addEventListener('click', () => showRecover(true));
	$('recover-cancel').addEventListener('click', () => {
		showRecover(false);
		recoverStatus('');
	});
	$('signout').addEventListener('click', onSignOut);
	$('org-select').addEventListener('change', () => {
		const inAdmin = admin !== null && admin.active;
		adminSetOrg(); // leaving the view (an org where I am not admin) restarts the grid itself
		if (!inAdmin)
			startGrid();
	});
	admin = new AdminView({
		onEnter() {
			if (grid !== null)
				grid.stop();
			closeCamera();
			$('grid').replaceChildren();
			document.querySelector('section.live').hidden = true;
		},
		onLeave() {
			document.querySelector('section.live').hidden = false;
			startGrid();
		},
		onSignedOut: () => onSignOut(),
	});
	$('unlock-form').addEventListener('submit', onUnlock);
	totpSetup = new TotpSetup();
	try {
		await enterApp(await api.me());
	} catch (e) {
		show('signin');
		if (e.status !== 401)
			status(e.message, true);
		$('username').focus();
	}
	document.body.dataset.ready = '1';
}

boot();
