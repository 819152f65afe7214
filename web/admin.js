// admin.js - the administration view for owners and admins: members, sites, gateways, cameras (added and removed), retention, notifications (the webhook), support grants, sessions and the audit log, each checked against the org's signed statements in this browser.
import * as api from './api.js';
import { sodium } from './sodium.js';
import * as keys from './keys.js';
import { STMT, trustNew, trustAdd, verifyStatement, openOrgKeys, signedCameraNames } from './statements.js';
import { stepUpWithPassword } from './share.js';
import { verifyAuditLog, toHex, fromHex, ROLE_NAME, safetyNumber, openRootSigner, forgetSigner,
	newInvitation, wipeInvitation, enrollCommand, checkEnrollRequest, gatewayCert, ENROLL,
	epochCreate, grantStatement, gatewaySealed, adminCopySeal, adminCopyOpen, scopeCovers,
	adminCert, memberStatement, ROLE, recordersOf, rotationEdit } from './adminops.js';

const PIN_PREFIX = 'vigil.orgpin.';
const AUDIT_PIN = 'vigil.auditkey';
const GWSEQ_PREFIX = 'vigil.gwseq.';
const ADMIN_ROLES = ['owner', 'admin'];

// A small DOM builder: el('td', { class: 'x', dataset: {...} }, children...). Text only,
// never HTML, so names coming from the server cannot inject markup.
function el(tag, attrs, ...kids) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (k === 'dataset')
			Object.assign(e.dataset, v);
		else if (k === 'class')
			e.className = v;
		else if (k.startsWith('on'))
			e.addEventListener(k.slice(2), v);
		else if (v !== false && v !== null && v !== undefined)
			e.setAttribute(k, v === true ? '' : String(v));
	}
	for (const c of kids.flat())
		if (c !== null && c !== undefined && c !== false)
			e.append(c instanceof Node ? c : String(c));
	return e;
}

// What a motion-only camera's viewers get while nothing moves (the recording object's
// live_while_paused, docs/design/motion.md "Live while paused").
const LIVE_TEXT = {
	motion: 'While nothing moves, viewers still see live video (sent only while someone watches, never recorded).',
	'motion-nolive': 'While nothing moves, no live video is sent: viewers see the last recorded frame.',
};
const shortId = (h) => (typeof h === 'string' ? h.slice(0, 8) + '…' : '?');
function when(us) {
	if (!Number.isFinite(us) || us <= 0)
		return '—';
	const d = new Date(us / 1000), p = (n) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
function ago(us) {
	if (!Number.isFinite(us) || us <= 0)
		return 'never';
	const s = Math.max(0, Math.round(Date.now() - us / 1000) / 1000);
	if (s < 90)
		return `${Math.round(s)} s ago`;
	if (s < 5400)
		return `${Math.round(s / 60)} min ago`;
	if (s < 172800)
		return `${Math.round(s / 3600)} h ago`;
	return `${Math.round(s / 86400)} days ago`;
}
function until(us) {
	const s = Math.round((us / 1000 - Date.now()) / 1000);
	if (s <= 0)
		return 'expired';
	return s < 5400 ? `${Math.max(1, Math.round(s / 60))} min left` : `${(s / 3600).toFixed(1)} h left`;
}

// Retention as people say it: "until the storage quota", "1 hour", "30 days", "10 years".
const RET_DAY = 86400;
export function retentionLabel(s) {
	if (!Number.isFinite(s) || s <= 0)
		return 'until the storage quota';
	const days = s / RET_DAY, years = Math.round(days / 365.25);
	const n = (v, unit) => `${v} ${unit}${v === 1 ? '' : 's'}`;
	if (s % RET_DAY === 0 && days >= 365 && Math.abs(days - years * 365.25) <= 1)
		return n(years, 'year');
	if (s % RET_DAY === 0)
		return n(days, 'day');
	if (s % 3600 === 0)
		return n(s / 3600, 'hour');
	return n(Math.round(s / 60), 'minute');
}
function bytesLabel(b) {
	if (!Number.isFinite(b) || b <= 0)
		return '0 B';
	const u = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
	let i = 0;
	while (b >= 1000 && i < u.length - 1) {
		b /= 1000;
		i++;
	}
	return `${b >= 100 || i === 0 ? Math.round(b) : b.toFixed(1)} ${u[i]}`;
}
// The choices of the retention control (seconds); 0 keeps footage until the storage quota.
const RET_CHOICES = [3600, 6 * 3600, 12 * 3600, RET_DAY, 3 * RET_DAY, 7 * RET_DAY, 14 * RET_DAY, 30 * RET_DAY,
	60 * RET_DAY, 90 * RET_DAY, 180 * RET_DAY, 365 * RET_DAY, 730 * RET_DAY, 1826 * RET_DAY, 3653 * RET_DAY, 0];
const RET_MIN_S = 3600, RET_MAX_S = 3653 * RET_DAY;

function pinnedRoot(org, rootPkHex) {
	let pinned = null;
	try {
		pinned = localStorage.getItem(PIN_PREFIX + org);
	} catch (e) {
		// storage disabled: the key the server sent now (orgs.js pinned it for this tab's grid)
	}
	if (pinned !== null && pinned !== rootPkHex)
		throw new Error('This organization\'s root key is not the one this browser pinned: nothing here can be trusted.');
	return fromHex(rootPkHex, 32);
}

// The highest configuration seq this browser saw for a gateway of an org (the CLI's pin
// keeps it as g:<gateway>): a server that withheld the newest configuration, or served an
// older one, would have the page edit, or look for a camera in, what the gateway left
// behind. Public data, kept beside the org pin.
function gwSeqSeen(org, gw) {
	let v = 0;
	try {
		v = Number(localStorage.getItem(GWSEQ_PREFIX + org + '.' + gw));
	} catch (e) {
		// storage disabled: nothing remembered across page loads
	}
	return Number.isSafeInteger(v) && v > 0 ? v : 0;
}

function gwSeqSee(org, gw, seq) {
	try {
		if (seq > gwSeqSeen(org, gw))
			localStorage.setItem(GWSEQ_PREFIX + org + '.' + gw, String(seq));
	} catch (e) {
		// as above
	}
}

// A configuration seq older than this browser saw for the gateway is refused.
function gwSeqCheck(org, gw, seq) {
	const seen = gwSeqSeen(org, gw);
	if (seq < seen)
		throw new Error(`the server sent gateway ${shortId(gw)}'s configuration seq ${seq}, older than seq ${seen} this browser saw: it may be withholding the newest`);
}

// The server's audit key, pinned on first use like the org root (public data): a server
// that later signs checkpoints with another key is reported, not silently trusted.
function pinnedAuditKey(hex) {
	let pinned = null;
	try {
		pinned = localStorage.getItem(AUDIT_PIN);
		if (pinned === null)
			localStorage.setItem(AUDIT_PIN, hex);
	} catch (e) {
		// as above
	}
	return { key: fromHex(hex, 32), changed: pinned !== null && pinned !== hex };
}

function section(id, title, hint) {
	const status = el('p', { class: 'adm-status muted', role: 'status', 'aria-live': 'polite' });
	const body = el('div', { class: 'adm-body' });
	const sec = el('section', { id, class: 'adm-sec' }, el('h2', {}, title), hint ? el('p', { class: 'muted adm-hint' }, hint) : null, status, body);
	return { sec, status, body };
}

// An inline confirmation (role=alertdialog) in box for the action button go: focus on
// Cancel, Escape or Cancel closes it and gives go its focus back; go is disabled while it
// is open. cls names the dialog and its buttons (CLS-confirm, CLS-cancel, CLS-yes, plus
// extra dialog classes); prepend puts it first in box. Returns { dlg, yes, cancel, close }.
function inlineConfirm(box, go, { cls, extra, label, text, yesText, prepend }) {
	box.querySelector(`.${cls}-confirm`)?.remove();
	const cancel = el('button', { type: 'button', class: `ghost ${cls}-cancel` }, 'Cancel');
	const yes = el('button', { type: 'button', class: `danger ${cls}-yes` }, yesText);
	const dlg = el('div', { class: `${cls}-confirm${extra ? ' ' + extra : ''}`, role: 'alertdialog', 'aria-label': label },
		el('p', {}, ...text), el('div', { class: 'adm-actions' }, yes, cancel));
	const close = () => {
		dlg.remove();
		go.disabled = false;
		go.focus();
	};
	cancel.addEventListener('click', close);
	dlg.addEventListener('keydown', (ev) => {
		if (ev.key === 'Escape')
			close();
	});
	go.disabled = true;
	if (prepend)
		box.prepend(dlg);
	else
		box.append(dlg);
	cancel.focus();
	return { dlg, yes, cancel, close };
}

// Each cell carries its column's name (data-label): at phone width the rows become cards
// and the names stand before the values (style.css), so no action sits off screen.
function table(headers, rows, empty) {
	if (rows.length === 0)
		return el('p', { class: 'adm-empty' }, empty);
	for (const tr of rows) {
		if (!(tr instanceof HTMLElement))
			continue;
		[...tr.children].forEach((td, i) => {
			if (td.tagName === 'TD' && typeof headers[i] === 'string' && headers[i] !== '')
				td.dataset.label = headers[i];
		});
	}
	return el('div', { class: 'adm-scroll' }, el('table', { class: 'adm-table' },
		el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
		el('tbody', {}, rows)));
}

const okMark = (ok, why) => el('span', { class: ok ? 'adm-ok' : 'adm-bad', title: why || '' }, ok ? 'signed ✓' : 'not verified: ' + (why || '?'));

export class AdminView {
	// hooks: onEnter() stops whatever the page showed; onLeave() brings it back;
	// onSignedOut() after "sign out everywhere".
	constructor(hooks) {
		this.hooks = hooks;
		this.org = null;
		this.role = null;
		this.active = false;
		this.gen = 0;
		this.btn = el('button', { id: 'admin-btn', type: 'button', hidden: true, onclick: () => (this.active ? this.close() : this.open()) }, 'Administration');
		const signout = document.getElementById('signout');
		signout.parentNode.insertBefore(this.btn, signout);
		this.root = el('section', { id: 'view-admin', class: 'admin', hidden: true });
		document.getElementById('view-app').append(this.root);
	}

	// The selected organization and my role in it: the button shows for owners and admins only.
	setOrg(org, role) {
		this.org = org;
		this.role = role;
		const allowed = org !== null && ADMIN_ROLES.includes(role);
		this.btn.hidden = !allowed;
		if (this.active && allowed)
			this.render();
		else if (this.active)
			this.close();
	}

	open() {
		if (this.org === null || !ADMIN_ROLES.includes(this.role))
			return;
		this.active = true;
		this.btn.textContent = 'Cameras';
		this.btn.setAttribute('aria-pressed', 'true');
		this.hooks.onEnter();
		this.root.hidden = false;
		document.body.dataset.admin = '1';
		this.render();
	}

	close() {
		const was = this.active;
		this.active = false;
		this.gen++;
		this.root.hidden = true;
		this.root.replaceChildren();
		this.btn.textContent = 'Administration';
		this.btn.removeAttribute('aria-pressed');
		delete document.body.dataset.admin;
		if (was)
			this.hooks.onLeave();
	}

	// Sign-out: nothing of this view stays (it holds no secret beyond a signing operation).
	wipe() {
		if (this.auditUrl)
			URL.revokeObjectURL(this.auditUrl);
		this.auditUrl = null;
		this.active = false;
		this.gen++;
		this.root.hidden = true;
		this.root.replaceChildren();
		this.btn.hidden = true;
		this.btn.textContent = 'Administration';
		delete document.body.dataset.admin;
		this.org = null;
		this.role = null;
	}

	async render() {
		const gen = ++this.gen;
		const org = this.org;
		const live = () => gen === this.gen && this.active;
		const head = el('div', { class: 'adm-head' }, el('h1', {}, 'Administration'), el('span', { id: 'adm-org', class: 'muted' }, ''));
		const trustLine = el('p', { id: 'adm-trust', class: 'adm-status muted' }, 'Checking the organization\'s signed statements…');
		const S = {
			members: section('adm-members', 'Members', 'Every role comes from a member statement signed by the org root or a certified admin; the server cannot forge one.'),
			sites: section('adm-sites', 'Sites'),
			gateways: section('adm-gateways', 'Gateways', 'A gateway records for this organization only with a certificate the org root signed at enrollment.'),
			cameras: section('adm-cameras', 'Cameras', 'Footage is encrypted to the camera\'s current key epoch; the epoch key is signed by the org.'),
			retention: section('adm-retention', 'Retention', 'How long the server keeps each camera\'s encrypted recordings. Shortening deletes older footage within seconds and cannot be undone; every change is in the audit log.'),
			webhook: section('adm-webhook', 'Notifications', 'When a gateway reports motion, the server sends a signed POST to one receiver of yours. It carries only the organization, camera id, event id and times: never images, camera names or anything else from the footage.'),
			support: section('adm-support', 'Support access', 'Vendor support has no standing access. A grant is time-boxed (1 h by default, 24 h at most), audited and revocable; footage still needs a key grant.'),
			sessions: section('adm-sessions', 'Your sessions'),
			audit: section('adm-audit', 'Audit log', 'Hash-chained and checkpointed with the server\'s audit key; verified here, in this browser.'),
		};
		this.root.replaceChildren(head, trustLine, ...Object.values(S).map((s) => s.sec));
		const na = await sodium();
		let ctx;
		try {
			ctx = await this.loadTrust(na, org);
		} catch (e) {
			if (!live())
				return;
			trustLine.textContent = 'The organization\'s statements could not be checked: ' + e.message;
			trustLine.className = 'adm-status adm-bad';
			ctx = null;
		}
		if (!live())
			return;
		if (ctx !== null) {
			document.getElementById('adm-org').textContent = `${ctx.name} · safety number ${ctx.fingerprint}`;
			trustLine.textContent = `Org root pinned in this browser; ${ctx.trust.admins.length} certified admin key(s).`;
			trustLine.dataset.state = 'verified';
		}
		this.ctx = ctx;
		this.S = S;
		const members = this.renderMembersEtc(na, org, ctx, S, live).catch(() => {});
		const jobs = [
			members.then(() => this.renderSupport(org, S.support, live)),
			this.renderRetention(org, S.retention, live),
			this.renderWebhook(org, S.webhook, live),
			this.renderSessions(S.sessions, live),
			members.then(() => this.renderAudit(na, org, S.audit, live)),
		];
		await Promise.all(jobs.map((p) => p.catch(() => {})));
		if (live())
			this.root.dataset.ready = String(gen);
	}

	// The org root (pinned), its name, fingerprint and the certified admins.
	async loadTrust(na, org) {
		const info = await api.org(org);
		const rootPk = pinnedRoot(org, info.root_pk);
		const doc = await api.orgKeys(org);
		const nowUs = Date.now() * 1000;
		const trust = trustNew(na, rootPk);
		const root = verifyStatement(na, fromHex(doc.org_root), trust, STMT.ORG_ROOT, nowUs);
		for (const c of Array.isArray(doc.admin_certs) ? doc.admin_certs : [])
			trustAdd(na, trust, fromHex(c), nowUs);
		return { name: root.u.name, rootPk, trust, doc, fingerprint: safetyNumber(na, rootPk) };
	}

	async renderMembersEtc(na, org, ctx, S, live) {
		const nowUs = Date.now() * 1000;
		const [sitesR, gwR, camR, memR] = await Promise.allSettled([
			api.call('GET', `/api/v1/orgs/${org}/sites`),
			api.call('GET', `/api/v1/orgs/${org}/gateways`),
			api.orgCameras(org),
			api.call('GET', `/api/v1/orgs/${org}/members`),
		]);
		if (!live())
			return;
		const sites = sitesR.status === 'fulfilled' && Array.isArray(sitesR.value.sites) ? sitesR.value.sites : [];
		const siteName = new Map(sites.map((s) => [s.id, s.name]));
		// By name, as the grid shows them.
		const byName = (a, b) => String(a.name).localeCompare(String(b.name), undefined, { numeric: true });
		const cams = camR.status === 'fulfilled' && Array.isArray(camR.value.cameras) ? camR.value.cameras.slice() : [];
		// A camera's name is the one its newest named camera.epoch signs; the server's, for a
		// camera whose statements name none (made before names were signed), is marked.
		const epochBytes = [];
		for (const h of ctx !== null && Array.isArray(ctx.doc.epochs) ? ctx.doc.epochs : []) {
			try {
				epochBytes.push(fromHex(h));
			} catch (e) {
				// a malformed statement names nothing
			}
		}
		const signedName = ctx !== null ? signedCameraNames(na, ctx.trust, epochBytes, nowUs) : new Map();
		for (const c of cams) {
			c.signedName = signedName.get(c.id) || null;
			c.name = c.signedName !== null ? c.signedName
				: (typeof c.name === 'string' && c.name ? c.name.slice(0, 64) : shortId(c.id)) + keys.UNSIGNED_NAME;
		}
		cams.sort(byName);
		const camName = new Map(cams.map((c) => [c.id, c.name]));
		// Sites that decide who gets a camera's keys come from signed statements only: a
		// camera's from its camera.epoch statements, a gateway's from its gateway.cert. The
		// server's claim is kept as serverSite, used only to take keys away (removals).
		const signedSite = new Map(), gwSite = new Map();
		if (ctx !== null) {
			for (const h of Array.isArray(ctx.doc.epochs) ? ctx.doc.epochs : []) {
				try {
					const u = verifyStatement(na, fromHex(h), ctx.trust, STMT.CAMERA_EPOCH, nowUs).u;
					const id = toHex(u.cameraId);
					// Signed epochs naming different sites: trust neither (no site).
					if (u.siteId && signedSite.has(id) && signedSite.get(id) !== toHex(u.siteId))
						signedSite.set(id, null);
					else if (u.siteId && !signedSite.has(id))
						signedSite.set(id, toHex(u.siteId));
				} catch (e) {
					// an unverified statement names no site
				}
			}
			for (const h of Array.isArray(ctx.doc.gateway_certs) ? ctx.doc.gateway_certs : []) {
				try {
					const u = verifyStatement(na, fromHex(h), ctx.trust, STMT.GATEWAY_CERT, nowUs).u;
					gwSite.set(toHex(u.gatewayPk), toHex(u.siteId));
				} catch (e) {
					// an unverified certificate certifies nothing
				}
			}
		}
		for (const c of cams) {
			c.serverSite = c.site;
			c.site = signedSite.get(c.id) || null;
		}
		this.gwSite = gwSite;
		this.sites = sites;
		this.cams = cams;
		const fail = (s, r) => {
			s.status.textContent = 'Could not load: ' + (r.reason && r.reason.message ? r.reason.message : 'error');
			s.status.classList.add('error');
		};

		// Members: each row's latest member statement verified against the pinned root.
		if (memR.status === 'fulfilled') {
			const members = Array.isArray(memR.value.members) ? memR.value.members : [];
			this.members = members;
			this.verifiedMembers = [];
			let bad = 0;
			const rows = members.map((m) => {
				let ok = false, why = 'no statement', since = 0;
				if (m.role === 'support') {
					ok = null;
				} else if (ctx !== null && typeof m.stmt === 'string') {
					try {
						const s = verifyStatement(na, fromHex(m.stmt), ctx.trust, 0, nowUs);
						if (s.type !== STMT.MEMBER_ADD && s.type !== STMT.MEMBER_ROLE)
							throw new Error('not a member statement');
						if (toHex(s.u.userId) !== m.user_id || toHex(s.u.signPk) !== m.sign_pk || toHex(s.u.boxPk) !== m.box_pk)
							throw new Error('keys differ from the account\'s');
						if (ROLE_NAME[s.u.role] !== m.role)
							throw new Error(`the statement says ${ROLE_NAME[s.u.role]}`);
						ok = true;
						since = s.issuedAt;
						const scope = [];
						for (let i = 0; i < s.u.nscope; i++)
							scope.push(toHex(s.body.subarray(83 + 16 * i, 99 + 16 * i)));
						this.verifiedMembers.push({ userId: s.u.userId.slice(), signPk: s.u.signPk.slice(), boxPk: s.u.boxPk.slice(), role: s.u.role, scope, name: m.username, idHex: m.user_id });
					} catch (e) {
						why = e.message;
					}
				}
				if (ok === false)
					bad++;
				const scope = Array.isArray(m.scope) && m.scope.length > 0
					? m.scope.map((id) => siteName.get(id) || camName.get(id) || shortId(id)).join(', ') : 'whole organization';
				return el('tr', { dataset: { user: m.user_id, role: m.role, verified: String(ok) } },
					el('td', { class: 'adm-name' }, m.username || shortId(m.user_id)),
					el('td', {}, m.role),
					el('td', {}, m.role === 'support' ? '—' : scope),
					el('td', {}, m.role === 'support' ? 'until ' + when(m.expires_us) : when(since)),
					el('td', {}, ok === null ? el('span', { class: 'muted' }, 'support grant') : okMark(ok, why)),
					el('td', {}, ok === true ? this.memberActions(org, m) : ''));
			});
			S.members.body.replaceChildren(table(['User', 'Role', 'Scope', 'Since', 'Statement', ''], rows, 'No members.'), this.inviteForm(org, S.members, sites, cams));
			S.members.status.textContent = `${members.length} member(s)` + (bad ? `, ${bad} NOT verified` : ctx ? ', every statement verified' : '');
			S.members.sec.dataset.verified = String(bad === 0 && ctx !== null);
		} else {
			fail(S.members, memR);
		}

		// Sites.
		if (sitesR.status === 'fulfilled') {
			S.sites.body.replaceChildren(table(['Name', 'Id'], sites.map((s) => el('tr', { dataset: { site: s.id } },
				el('td', { class: 'adm-name' }, s.name), el('td', { class: 'mono' }, shortId(s.id)))), 'No sites yet.'));
			S.sites.status.textContent = `${sites.length} site(s)`;
		} else {
			fail(S.sites, sitesR);
		}

		// Gateways: certified when a gateway.cert by the root names this key and this site.
		if (gwR.status === 'fulfilled') {
			const certs = [];
			for (const h of ctx !== null && Array.isArray(ctx.doc.gateway_certs) ? ctx.doc.gateway_certs : []) {
				try {
					const u = verifyStatement(na, fromHex(h), ctx.trust, STMT.GATEWAY_CERT, nowUs).u;
					certs.push({ id: toHex(u.gatewayPk), site: toHex(u.siteId) });
				} catch (e) {
					// a cert that does not verify certifies nothing
				}
			}
			const gws = Array.isArray(gwR.value.gateways) ? gwR.value.gateways : [];
			this.gateways = gws;
			const rows = gws.map((g) => {
				const ok = certs.some((c) => c.id === g.id && c.site === g.site);
				const online = g.last_seen_us > 0 && Date.now() - g.last_seen_us / 1000 < 120000;
				return el('tr', { dataset: { gateway: g.id, verified: String(ok) } },
					el('td', { class: 'mono', title: g.id }, shortId(g.id)),
					el('td', {}, siteName.get(g.site) || shortId(g.site)),
					el('td', {}, el('span', { class: online ? 'adm-ok' : 'muted' }, ago(g.last_seen_us))),
					el('td', {}, when(g.enrolled_us)),
					el('td', {}, okMark(ok, 'no gateway certificate from the org root')));
			});
			S.gateways.body.replaceChildren(table(['Gateway', 'Site', 'Last seen', 'Enrolled', 'Certificate'], rows, 'No gateway yet.'), this.gatewayForm(org, S.gateways));
			S.gateways.status.textContent = `${gws.length} gateway(s)`;
		} else {
			fail(S.gateways, gwR);
		}

		// Cameras: the current epoch's camera.epoch statement verifies.
		if (camR.status === 'fulfilled') {
			const epochs = [];
			for (const h of ctx !== null && Array.isArray(ctx.doc.epochs) ? ctx.doc.epochs : []) {
				try {
					const u = verifyStatement(na, fromHex(h), ctx.trust, STMT.CAMERA_EPOCH, nowUs).u;
					epochs.push({ id: toHex(u.cameraId), epoch: u.epoch });
				} catch (e) {
					// skipped: that camera shows as not verified
				}
			}
			const rows = cams.map((c) => {
				const ok = epochs.some((x) => x.id === c.id && x.epoch === c.epoch);
				const streams = Array.isArray(c.streams) ? c.streams : [];
				const last = Math.max(0, ...streams.map((s) => s.last_us || 0));
				return el('tr', { dataset: { camera: c.id, verified: String(ok) } },
					el('td', { class: 'adm-name' }, c.name || shortId(c.id)),
					c.site ? el('td', {}, siteName.get(c.site) || shortId(c.site))
						: el('td', { title: 'no signed statement names this camera\'s site: site scopes do not cover it' },
							siteName.get(c.serverSite) || shortId(c.serverSite || ''), el('span', { class: 'muted' }, ' (unsigned)')),
					el('td', { class: 'mono', title: c.gateway }, shortId(c.gateway)),
					el('td', {}, String(c.epoch)),
					el('td', {}, last > 0 ? ago(last) : 'nothing yet'),
					el('td', {}, okMark(ok, 'no signed key for this epoch')),
					el('td', {}, el('div', { class: 'adm-cam-actions' }, this.cameraRecordControl(org, c), this.cameraRemoveControl(org, c))));
			});
			const note = el('p', { id: 'adm-cam-note', class: 'status', role: 'status', 'aria-live': 'polite', tabindex: '-1' });
			if (this.cameraNote) {
				note.textContent = this.cameraNote;
				this.cameraNote = null;
			}
			S.cameras.body.replaceChildren(table(['Camera', 'Site', 'Gateway', 'Epoch', 'Recorded', 'Key', ''], rows, 'No cameras yet.'), note, this.cameraForm(org, S.cameras));
			S.cameras.status.textContent = `${cams.length} camera(s)`;
		} else {
			fail(S.cameras, camR);
		}
	}

	// Support grants: the list, a grant form (step-up when the server asks) and revoke.
	async renderSupport(org, sec, live) {
		const names = new Map((this.members || []).map((m) => [m.user_id, m.username]));
		let grants;
		try {
			const r = await api.call('GET', `/api/v1/orgs/${org}/support`);
			grants = Array.isArray(r.grants) ? r.grants : [];
		} catch (e) {
			if (live()) {
				sec.status.textContent = 'Could not load: ' + e.message;
				sec.status.classList.add('error');
			}
			return;
		}
		if (!live())
			return;
		const rows = grants.map((g) => el('tr', { dataset: { user: g.user_id } },
			el('td', { class: 'adm-name' }, names.get(g.user_id) || shortId(g.user_id)),
			el('td', {}, when(g.expires_us) + ' (' + until(g.expires_us) + ')'),
			el('td', {}, names.get(g.granted_by) || shortId(g.granted_by)),
			el('td', {}, el('button', { type: 'button', class: 'ghost adm-revoke', onclick: (ev) => this.revokeSupport(org, g.user_id, ev.target, sec) }, 'Revoke'))));
		const user = el('input', { id: 'adm-support-user', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', placeholder: 'support account name', required: true });
		const dur = el('select', { id: 'adm-support-hours' }, [1, 2, 4, 8, 12, 24].map((h) => el('option', { value: String(h * 3600) }, h === 1 ? '1 hour' : `${h} hours`)));
		const msg = el('span', { id: 'adm-support-msg', class: 'status', role: 'status' });
		if (this.supportNote) {
			msg.textContent = this.supportNote;
			this.supportNote = null;
		}
		const go = el('button', { type: 'submit', id: 'adm-support-go' }, 'Grant');
		const form = el('form', { id: 'adm-support-form', class: 'adm-form', onsubmit: (ev) => {
			ev.preventDefault();
			go.disabled = true;
			this.grantSupport(org, user, dur, msg, sec).finally(() => { go.disabled = false; });
		} }, el('label', { for: 'adm-support-user' }, 'Grant support to'), user,
			el('label', { for: 'adm-support-hours' }, 'for'), dur, go, msg);
		sec.body.replaceChildren(table(['Support account', 'Expires', 'Granted by', ''], rows, 'No support access: nobody from the vendor can act in this organization.'), form);
		sec.status.textContent = `${grants.length} active grant(s)`;
	}

	async grantSupport(org, user, dur, msg, sec) {
		const name = user.value.trim();
		msg.classList.remove('error');
		if (name === '') {
			msg.textContent = 'Enter the support account\'s name.';
			msg.classList.add('error');
			return;
		}
		const body = { username: name, duration_s: Number(dur.value) };
		try {
			msg.textContent = 'Granting…';
			const r = await this.stepped(sec.body, () => api.call('POST', `/api/v1/orgs/${org}/support`, body));
			this.supportNote = `Granted to ${name} until ${when(r.expires_us)}.`;
			await this.renderSupport(org, sec, () => this.active && this.org === org);
		} catch (e) {
			msg.textContent = e.status === 404 ? 'No such account.' : e.status === 409 ? 'That account is already a member.' : e.message;
			msg.classList.add('error');
		}
	}

	async revokeSupport(org, userId, btn, sec) {
		btn.disabled = true;
		try {
			await api.call('DELETE', `/api/v1/orgs/${org}/support/${userId}`);
			this.supportNote = 'Revoked: that account can no longer act in this organization.';
			await this.renderSupport(org, sec, () => this.active && this.org === org);
		} catch (e) {
			btn.disabled = false;
			sec.status.textContent = 'Revoke failed: ' + e.message;
			sec.status.classList.add('error');
		}
	}

	// Retention: each camera's maximum age, storage used and oldest recording, and a control
	// to change it. Shortening names what will be deleted and asks again; the server asks
	// for a fresh proof (step-up) before any change.
	async renderRetention(org, sec, live) {
		let r;
		sec.sec.dataset.state = 'loading';
		try {
			r = await api.call('GET', `/api/v1/orgs/${org}/retention`);
		} catch (e) {
			if (live()) {
				sec.status.textContent = 'Could not load: ' + e.message;
				sec.status.classList.add('error');
				sec.sec.dataset.state = 'error';
			}
			return;
		}
		if (!live())
			return;
		const cams = Array.isArray(r.cameras) ? r.cameras.slice().sort((a, b) => String(a.name).localeCompare(String(b.name), undefined, { numeric: true })) : [];
		const rows = cams.map((c) => {
			const name = c.name || shortId(c.id);
			const cur = el('td', { class: 'adm-ret-cur' }, retentionLabel(c.max_age_s),
				c.default ? el('span', { class: 'muted' }, ' (server default)') : null);
			const oldest = Number.isFinite(c.oldest_us) && c.oldest_us > 0
				? `${when(c.oldest_us)} (${ago(c.oldest_us)})` : 'nothing recorded';
			return el('tr', { dataset: { camera: c.id, maxAge: String(c.max_age_s) } },
				el('td', { class: 'adm-name' }, name), cur,
				el('td', { class: 'adm-ret-bytes', title: `${c.segments || 0} segment(s)` }, bytesLabel(c.bytes)),
				el('td', { class: 'adm-ret-oldest' }, oldest),
				el('td', {}, this.retentionForm(org, c, name, sec)));
		});
		const msg = el('p', { id: 'adm-ret-msg', class: 'status', role: 'status', 'aria-live': 'polite', tabindex: '-1' });
		if (this.retentionNote) {
			msg.textContent = this.retentionNote;
			this.retentionNote = null;
		}
		sec.body.replaceChildren(table(['Camera', 'Kept for', 'Stored', 'Oldest recording', 'Change'], rows, 'No cameras yet.'), msg);
		const dflt = Number(r.default_max_age_s) > 0 ? retentionLabel(Number(r.default_max_age_s)) : 'until the storage quota';
		// The organization's own quota (set by the service operator) says how full it is.
		// A quota below what the organization holds applies after a grace period: say when.
		const oq = Number(r.org_quota_bytes) || 0, used = Number(r.org_bytes) || 0;
		const eff = Number(r.org_quota_effective_us) || 0;
		const quota = oq > 0 && eff > Date.now() * 1000
			? `; storage quota ${bytesLabel(oq)} from ${when(eff)} (${bytesLabel(used)} stored now): the oldest footage beyond it will then be deleted, export what you need before`
			: oq > 0
				? `; storage quota ${bytesLabel(oq)}, ${bytesLabel(used)} used (${Math.min(100, Math.round(100 * used / oq))}%): the oldest footage goes first when it is full`
				: r.quota ? '; the service has a storage quota (oldest footage goes first when it is full)' : '';
		sec.status.textContent = `${cams.length} camera(s); server default: kept ${dflt}` + quota;
		sec.sec.dataset.state = 'ready';
	}

	// One camera's control: a choice of durations (or a number of days), Apply.
	retentionForm(org, c, name, sec) {
		const choices = RET_CHOICES.includes(c.max_age_s) ? RET_CHOICES : [c.max_age_s, ...RET_CHOICES];
		const sel = el('select', { class: 'adm-ret-choice', 'aria-label': `Keep recordings of ${name} for` },
			choices.map((s) => el('option', { value: String(s), selected: s === c.max_age_s }, s === 0 ? 'until the storage quota' : retentionLabel(s))),
			el('option', { value: 'days' }, 'a number of days…'));
		const days = el('input', { type: 'number', class: 'adm-ret-days', min: '1', max: String(RET_MAX_S / RET_DAY), step: '1', hidden: true, 'aria-label': `Days to keep recordings of ${name}` });
		sel.addEventListener('change', () => {
			days.hidden = sel.value !== 'days';
			if (!days.hidden)
				days.focus();
		});
		const go = el('button', { type: 'submit', class: 'adm-ret-go' }, 'Apply');
		const box = el('div', { class: 'adm-ret-box' });
		// novalidate: the page's own check below says what is wrong, in words.
		const form = el('form', { class: 'adm-actions adm-ret-form', novalidate: true, onsubmit: (ev) => {
			ev.preventDefault();
			let s;
			if (sel.value === 'days') {
				const d = Number(days.value);
				if (!Number.isInteger(d) || d < 1 || d * RET_DAY > RET_MAX_S) {
					this.retentionSay(box, `Enter a whole number of days from 1 to ${RET_MAX_S / RET_DAY}.`, true);
					days.focus();
					return;
				}
				s = d * RET_DAY;
			} else {
				s = Number(sel.value);
			}
			if (s !== 0 && (s < RET_MIN_S || s > RET_MAX_S)) {
				this.retentionSay(box, 'Pick at least 1 hour and at most 10 years.', true);
				return;
			}
			if (s === c.max_age_s && !c.default) {
				this.retentionSay(box, `Already kept ${retentionLabel(s)}.`, false);
				return;
			}
			const shorter = s !== 0 && (c.max_age_s <= 0 || s < c.max_age_s);
			if (shorter)
				this.retentionConfirm(org, c, name, s, box, go, sec);
			else
				this.setRetention(org, c, name, s, box, go, sec);
		} }, sel, days, go);
		return el('div', { class: 'adm-ret-cell' }, form, box);
	}

	retentionSay(box, text, bad) {
		let p = box.querySelector('.adm-ret-msg');
		if (!p) {
			p = el('p', { class: 'status adm-ret-msg', role: 'status', 'aria-live': 'polite' });
			box.append(p);
		}
		p.textContent = text;
		p.classList.toggle('error', !!bad);
	}

	// Shortening deletes footage: say which (everything recorded before now minus the new
	// age, from the oldest recording on) and ask for an explicit yes.
	retentionConfirm(org, c, name, s, box, go, sec) {
		const cutoffUs = Date.now() * 1000 - s * 1e6;
		const kept = (v) => (v > 0 ? 'for ' : '') + retentionLabel(v);
		const what = Number.isFinite(c.oldest_us) && c.oldest_us > 0 && c.oldest_us < cutoffUs
			? `Every recording of "${name}" older than ${retentionLabel(s)} — from ${when(c.oldest_us)} to ${when(cutoffUs)} — will be permanently deleted from the server within seconds.`
			: `Nothing "${name}" has stored now is older than ${retentionLabel(s)}, but from now on its recordings are deleted once they are ${retentionLabel(s)} old.`;
		const { dlg, yes } = inlineConfirm(box, go, {
			cls: 'adm-ret', label: `Shorten retention of ${name}`, prepend: true,
			yesText: `Delete older footage, keep ${retentionLabel(s)}`,
			text: [`Shorten retention of "${name}"? Its recordings are now kept ${kept(c.max_age_s)}; they will be kept ${kept(s)}. `, what, ' This cannot be undone.'],
		});
		yes.addEventListener('click', () => {
			dlg.remove();
			this.setRetention(org, c, name, s, box, go, sec);
		});
	}

	async setRetention(org, c, name, s, box, go, sec) {
		go.disabled = true;
		this.retentionSay(box, 'Saving…', false);
		try {
			const r = await this.stepped(box, () => api.call('PUT', `/api/v1/orgs/${org}/cameras/${c.id}/retention`, { max_age_s: s }));
			this.retentionNote = `"${name}" is now kept ${retentionLabel(r.max_age_s)} (was ${retentionLabel(r.previous_max_age_s)})` +
				(r.shortened ? '; older footage is being deleted.' : '.');
			await this.renderRetention(org, sec, () => this.active && this.org === org);
			document.getElementById('adm-ret-msg')?.focus(); // the form that had focus is gone
		} catch (e) {
			const why = e.status === 404 ? 'This camera is no longer in this organization.'
				: e.message === 'cancelled' ? 'Cancelled: nothing changed.'
					: e.status === 403 ? 'Not allowed: ' + e.message
						: e.status === 400 ? 'The server refused the value: ' + e.message
							: 'Could not save: ' + (e.message || String(e));
			this.retentionSay(box, why, true);
			go.disabled = false;
		}
	}

	// Notifications: the org's one webhook receiver (GET …/webhook), a form to set or replace
	// it (the server draws a new signing secret each time and shows it once, in the answer;
	// it asks for a fresh proof first) and Remove with a confirmation. just: the URL and secret
	// of the PUT that just succeeded, shown without asking again (so that a failed GET cannot
	// lose the secret); the secret is never kept beyond this render.
	async renderWebhook(org, sec, live, just) {
		let r;
		sec.sec.dataset.state = 'loading';
		try {
			r = just ? { url: just.url } : await api.call('GET', `/api/v1/orgs/${org}/webhook`);
		} catch (e) {
			if (live()) {
				sec.status.textContent = 'Could not load: ' + e.message;
				sec.status.classList.add('error');
				sec.sec.dataset.state = 'error';
			}
			return;
		}
		if (!live())
			return;
		const url = typeof r.url === 'string' && r.url !== '' ? r.url : null;
		const secret = just ? just.secret : null;
		const msg = el('p', { id: 'adm-wh-msg', class: 'status', role: 'status', 'aria-live': 'polite', tabindex: '-1' });
		if (this.webhookNote) {
			msg.textContent = this.webhookNote;
			this.webhookNote = null;
		}
		const parts = [];
		if (url === null) {
			parts.push(el('p', { id: 'adm-wh-empty', class: 'adm-empty' }, 'No webhook: events are not sent anywhere.'));
		} else {
			const remove = el('button', { type: 'button', id: 'adm-wh-remove', class: 'ghost' }, 'Remove');
			const box = el('div', { class: 'adm-wh-box' });
			remove.addEventListener('click', () => this.webhookConfirm(org, url, box, remove, sec));
			parts.push(el('div', { id: 'adm-wh-current', class: 'adm-actions adm-wh-current' },
				el('span', {}, 'Events are sent to'), el('code', { id: 'adm-wh-url', class: 'mono adm-wh-url' }, url), remove), box);
		}
		if (secret !== null && url !== null) {
			const field = el('input', { id: 'adm-wh-secret', class: 'mono adm-wh-secret', type: 'text', readonly: true, value: secret,
				spellcheck: 'false', autocomplete: 'off', 'aria-describedby': 'adm-wh-secret-note' });
			field.addEventListener('focus', () => field.select());
			const hide = el('button', { type: 'button', class: 'ghost', id: 'adm-wh-secret-done' }, 'I have saved it');
			const card = el('div', { id: 'adm-wh-secret-box', class: 'adm-wh-secretbox', role: 'group', 'aria-label': 'Signing secret' },
				el('label', { for: 'adm-wh-secret' }, 'Signing secret'), field,
				el('p', { id: 'adm-wh-secret-note', class: 'adm-hint' }, 'Shown once: it will not be shown again (setting the URL again draws a new one). ',
					'Your receiver uses it to check the X-Vigil-Signature header of every notification: ',
					el('code', {}, 'v1=HMAC-SHA256(secret, X-Vigil-Timestamp + "." + body)'),
					'. Notifications carry only the organization, camera id, event id and times, never images.'),
				hide);
			hide.addEventListener('click', () => {
				field.value = '';
				card.remove();
				sec.sec.dataset.secretShown = '0';
				msg.focus();
			});
			parts.push(card);
		}
		parts.push(this.webhookForm(org, url, sec, msg), msg);
		sec.body.replaceChildren(...parts);
		sec.status.classList.remove('error');
		sec.status.textContent = url === null ? 'Not configured' : 'One receiver; each new motion event reaches it within seconds, retried for about an hour while it is down.';
		sec.sec.dataset.state = url === null ? 'none' : 'set';
		sec.sec.dataset.secretShown = secret !== null && url !== null ? '1' : '0';
	}

	webhookForm(org, url, sec, msg) {
		const input = el('input', { id: 'adm-wh-input', type: 'url', inputmode: 'url', placeholder: 'https://example.com/vigil-hook',
			spellcheck: 'false', autocomplete: 'off', autocapitalize: 'none', 'aria-describedby': 'adm-wh-msg' });
		const go = el('button', { type: 'submit', id: 'adm-wh-go' }, url === null ? 'Set' : 'Replace');
		// novalidate: the page's own check says what is wrong, in words; the server decides.
		const form = el('form', { id: 'adm-wh-form', class: 'adm-form adm-wh-form', novalidate: true, onsubmit: (ev) => {
			ev.preventDefault();
			const v = input.value.trim();
			const why = webhookUrlProblem(v);
			if (why !== null) {
				this.webhookSay(msg, why, true);
				input.setAttribute('aria-invalid', 'true');
				input.focus();
				return;
			}
			input.removeAttribute('aria-invalid');
			go.disabled = true;
			this.setWebhook(org, v, sec, msg, area).finally(() => { go.disabled = false; });
		} }, el('label', { for: 'adm-wh-input' }, url === null ? 'Send events to' : 'Replace the receiver with'), input, go);
		// The step-up prompt goes beside the form, not in it (a form inside a form would submit both).
		const area = el('div', { class: 'adm-wh-set' }, form);
		if (url !== null)
			area.append(el('p', { class: 'muted adm-hint adm-wh-note' }, 'Replacing draws a new signing secret: the old one stops working at once.'));
		return area;
	}

	webhookSay(msg, text, bad) {
		msg.textContent = text;
		msg.classList.toggle('error', !!bad);
	}

	async setWebhook(org, url, sec, msg, area) {
		this.webhookSay(msg, 'Saving…', false);
		try {
			const r = await this.stepped(area, () => api.call('PUT', `/api/v1/orgs/${org}/webhook`, { url }));
			if (typeof r.secret !== 'string' || !/^[0-9a-f]{64}$/.test(r.secret))
				throw new Error('the server\'s answer has no signing secret: set the URL again');
			this.webhookNote = 'Saved: new motion events are sent there, signed with the secret above.';
			await this.renderWebhook(org, sec, () => this.active && this.org === org, { url, secret: r.secret });
			document.getElementById('adm-wh-secret')?.focus();
		} catch (e) {
			const why = e.message === 'cancelled' ? 'Cancelled: nothing changed.'
				: e.status === 400 ? 'The server refused this URL: ' + e.message
					: e.status === 403 ? 'Not allowed: ' + e.message
						: 'Could not save: ' + (e.message || String(e));
			this.webhookSay(msg, why, true);
		}
	}

	// Remove asks first (Escape or Cancel keeps it); events are then sent nowhere.
	webhookConfirm(org, url, box, remove, sec) {
		const { dlg, yes, cancel } = inlineConfirm(box, remove, {
			cls: 'adm-wh', extra: 'adm-ret-confirm', label: 'Remove the webhook', yesText: 'Remove webhook',
			text: [`Stop sending events to ${url}? Notifications not yet delivered are dropped, and the signing secret stops working. You can set a receiver again later (with a new secret).`],
		});
		yes.addEventListener('click', async () => {
			yes.disabled = true;
			cancel.disabled = true;
			const msg = document.getElementById('adm-wh-msg');
			try {
				await this.stepped(dlg, () => api.call('DELETE', `/api/v1/orgs/${org}/webhook`));
				this.webhookNote = 'Removed: events are no longer sent anywhere.';
				await this.renderWebhook(org, sec, () => this.active && this.org === org);
				document.getElementById('adm-wh-msg')?.focus(); // the button that had focus is gone
			} catch (e) {
				dlg.remove();
				remove.disabled = false;
				remove.focus();
				if (msg)
					this.webhookSay(msg, e.message === 'cancelled' ? 'Cancelled: nothing changed.' : 'Could not remove: ' + (e.message || String(e)), true);
			}
		});
	}

	// This browser's signing key for the org: the org root opened from sealed_root (owners
	// and admins it was sealed to), else my own sign key when the root certified it as an
	// admin. The caller wipes it with forgetSigner().
	async signer(na) {
		const me = keys.currentUser();
		if (me === null)
			throw new Error('your keys are locked in this tab: unlock them first');
		if (!this.ctx)
			throw new Error('the organization\'s statements could not be checked');
		if (typeof this.ctx.doc.sealed_root === 'string')
			return openRootSigner(na, this.ctx.doc.sealed_root, this.ctx.rootPk, me);
		if (this.ctx.trust.admins.some((a) => a.active && toHex(a.pk) === toHex(me.signPk)))
			return { pk: me.signPk.slice(), sk: me.signSk.slice(), orgId: this.ctx.trust.orgId };
		throw new Error('you hold no key the org root certified: ask an owner');
	}

	// Resolves once the session holds a fresh proof (asking for the password in area when it
	// does not); rejects with 'cancelled' when the person cancels.
	async freshProof(area) {
		const check = async () => {
			const me = await api.call('GET', '/api/v1/auth/me');
			if (me.step_up_fresh !== true) {
				const e = new Error('step-up required');
				e.status = 403;
				throw e;
			}
		};
		await this.stepped(area, check);
	}

	// Runs fn; when the server asks for a fresh proof (step-up), asks for the password in
	// area, proves it, and runs fn once more.
	async stepped(area, fn) {
		try {
			return await fn();
		} catch (e) {
			if (e.status !== 403 || !/step-up/.test(e.message))
				throw e;
		}
		await new Promise((resolve, reject) => {
			const pw = el('input', { type: 'password', class: 'adm-stepup-pw', autocomplete: 'current-password', placeholder: 'your password' });
			const st = el('span', { class: 'status', role: 'status' });
			const row = el('form', { class: 'adm-stepup' }, el('label', {}, 'Confirm with your password (a fresh proof is needed):'), pw,
				el('button', { type: 'submit' }, 'Confirm'),
				el('button', { type: 'button', class: 'ghost', onclick: () => { row.remove(); reject(new Error('cancelled')); } }, 'Cancel'), st);
			row.addEventListener('submit', async (ev) => {
				ev.preventDefault();
				st.textContent = 'Checking…';
				try {
					await stepUpWithPassword(pw.value);
					pw.value = '';
					row.remove();
					resolve();
				} catch (err) {
					st.textContent = err.message;
					st.classList.add('error');
				}
			});
			area.append(row);
			pw.focus();
		});
		return fn();
	}

	// "Add gateway": pick a site, make the invitation here, show the one command, wait for
	// the gateway's request, check its MAC and sign its certificate.
	gatewayForm(org, sec) {
		const sites = this.sites || [];
		const area = el('div', { id: 'adm-gw-enroll', class: 'adm-enroll' });
		if (sites.length === 0) {
			area.append(el('p', { class: 'muted' }, 'Add a site first: a gateway belongs to one site.'));
			return area;
		}
		const site = el('select', { id: 'adm-gw-site' }, sites.map((s) => el('option', { value: s.id }, s.name)));
		const go = el('button', { type: 'submit', id: 'adm-gw-add' }, 'Add gateway');
		const form = el('form', { class: 'adm-form', onsubmit: (ev) => { ev.preventDefault(); go.disabled = true; this.enrollGateway(org, site.value, area, sec).finally(() => { go.disabled = false; }); } },
			el('label', { for: 'adm-gw-site' }, 'New gateway at'), site, go);
		area.append(form);
		return area;
	}

	async enrollGateway(org, siteId, area, sec) {
		const na = await sodium();
		const gen = this.gen;
		const box = el('div', { id: 'adm-gw-invite', class: 'adm-invite' });
		area.querySelector('#adm-gw-invite')?.remove();
		area.append(box);
		const say = (t, bad) => {
			box.dataset.state = bad ? 'error' : box.dataset.state || 'pending';
			let p = box.querySelector('.status');
			if (!p) {
				p = el('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
				box.append(p);
			}
			p.textContent = t;
			p.classList.toggle('error', !!bad);
		};
		let inv = null, signer = null;
		try {
			if (!this.ctx)
				throw new Error('the organization\'s statements could not be checked');
			inv = newInvitation(na, ENROLL.GATEWAY, this.ctx.rootPk);
			const idHex = toHex(inv.id);
			const body = { id: idHex, kind: 'gateway', verifier: toHex(inv.verifier), site: siteId, expires_us: Date.now() * 1000 + 86400e6 };
			await this.stepped(box, () => api.call('POST', `/api/v1/orgs/${org}/invitations`, body));
			const cmd = enrollCommand(inv, location.origin);
			box.append(el('p', {}, 'Run this once on the gateway machine (the code works once, for 24 hours; the server never sees the secret in it):'),
				el('code', { id: 'adm-gw-cmd', class: 'adm-cmd' }, cmd),
				el('p', { class: 'muted' }, `Check that the safety number in the command is your organization's: ${inv.fingerprint}. Keep this page open: the gateway is certified here once it asks.`));
			box.dataset.invitation = idHex;
			say('Waiting for the gateway to run the command…');
			let ans;
			for (;;) {
				if (gen !== this.gen || !this.active)
					throw new Error('left the page: the invitation stays pending, start a new one');
				ans = await api.call('GET', `/api/v1/orgs/${org}/invitations/${idHex}`);
				if (ans.state === 'requested' && typeof ans.request === 'string')
					break;
				if (ans.state === 'accepted')
					throw new Error('this invitation was already accepted');
				await new Promise((r) => setTimeout(r, 1000));
			}
			const req = checkEnrollRequest(na, inv, fromHex(ans.request));
			say('The gateway asked; its keys check out under the one-time secret. Signing its certificate…');
			signer = await this.signer(na);
			const cert = gatewayCert(na, signer, req.signPk, fromHex(siteId, 16));
			await api.call('POST', `/api/v1/orgs/${org}/invitations/${idHex}/accept`, { cert: toHex(cert) });
			const gwHex = toHex(req.signPk);
			box.dataset.gateway = gwHex;
			box.dataset.state = 'enrolled';
			box.querySelector('#adm-gw-cmd')?.remove();
			say(`Gateway ${gwHex.slice(0, 16)}… enrolled and certified by the org root.`);
			this.lastEnrolled = gwHex;
		} catch (e) {
			say(e.message || String(e), true);
			box.querySelector('#adm-gw-cmd')?.remove();
		} finally {
			wipeInvitation(inv);
			forgetSigner(signer);
		}
	}

	// "Add camera": name, gateway, RTSP URL(s). As `vigil camera add`: register the camera,
	// make its first epoch key here, grant it to every member whose scope covers it, then
	// sign the gateway's next configuration with the URL sealed to the gateway.
	cameraForm(org, sec) {
		const gws = this.gateways || [];
		const area = el('div', { id: 'adm-cam-add', class: 'adm-enroll' });
		if (gws.length === 0) {
			area.append(el('p', { class: 'muted' }, 'Enroll a gateway first: cameras are recorded by a gateway on their site.'));
			return area;
		}
		const siteName = new Map((this.sites || []).map((s) => [s.id, s.name]));
		const name = el('input', { id: 'adm-cam-name', placeholder: 'name, e.g. Gate', maxlength: '64', required: true });
		const gw = el('select', { id: 'adm-cam-gw' }, gws.map((g) => el('option', { value: g.id }, `${g.id.slice(0, 8)}… (${siteName.get(g.site) || 'site ' + g.site.slice(0, 6)})`)));
		const url = el('input', { id: 'adm-cam-url', type: 'url', placeholder: 'rtsp://user:password@camera/stream', required: true, spellcheck: 'false', autocomplete: 'off' });
		const url1 = el('input', { id: 'adm-cam-url1', type: 'url', placeholder: 'substream (optional)', spellcheck: 'false', autocomplete: 'off' });
		const rec = el('select', { id: 'adm-cam-rec', title: 'On motion only: from 5 s before to 10 s after each motion event' },
			el('option', { value: 'continuous' }, 'Record continuously'),
			el('option', { value: 'motion' }, 'Record on motion only'));
		const go = el('button', { type: 'submit', id: 'adm-cam-go' }, 'Add camera');
		const msg = el('p', { id: 'adm-cam-msg', class: 'status', role: 'status', 'aria-live': 'polite' });
		const form = el('form', { class: 'adm-form adm-camform', onsubmit: (ev) => {
			ev.preventDefault();
			go.disabled = true;
			this.addCamera(org, { name: name.value.trim(), gateway: gw.value, url: url.value.trim(), url1: url1.value.trim(), record: rec.value }, msg, area)
				.finally(() => { go.disabled = false; });
		} }, el('label', { for: 'adm-cam-name' }, 'Add a camera'), name, gw, url, url1, rec, go);
		area.append(form, msg, el('p', { class: 'muted adm-hint' }, 'The stream address (and any password in it) is sealed to the gateway in a configuration signed here; the server cannot read it.'));
		return area;
	}

	async addCamera(org, c, msg, area) {
		const na = await sodium();
		const say = (t, bad) => {
			msg.textContent = t;
			msg.classList.toggle('error', !!bad);
			area.dataset.state = bad ? 'error' : 'working';
		};
		let signer = null, epoch = null;
		try {
			if (c.name === '' || new TextEncoder().encode(c.name).length > 64 || /[\x00-\x1f\x7f]/.test(c.name))
				throw new Error('Give the camera a name (at most 64 bytes: fewer characters outside ASCII).');
			if (!/^rtsps?:\/\/[^\s]+$/.test(c.url) || (c.url1 !== '' && !/^rtsps?:\/\/[^\s]+$/.test(c.url1)))
				throw new Error('The stream address must be an rtsp:// or rtsps:// URL.');
			const g = (this.gateways || []).find((x) => x.id === c.gateway);
			// The site from the gateway's certificate, never the server's list: it decides
			// which site-scoped viewers get this camera's keys.
			const gSite = this.gwSite ? this.gwSite.get(c.gateway) : undefined;
			if (!g || !gSite)
				throw new Error('That gateway is not enrolled in this organization (no certificate signed by the org root).');
			signer = await this.signer(na);
			if (toHex(signer.pk) !== toHex(this.ctx.rootPk))
				throw new Error('Adding a camera needs the org root key (owners hold it).');
			// The gateway's current configuration must open before anything is registered.
			say('Reading the gateway\'s signed configuration…');
			const gwPk = fromHex(c.gateway, 32);
			const cur = await api.call('GET', `/api/v1/orgs/${org}/gateways/${c.gateway}/config`);
			const seq = Number(cur.seq);
			if (!Number.isSafeInteger(seq) || seq < 0)
				throw new Error('the server sent a malformed configuration answer');
			gwSeqCheck(org, c.gateway, seq);
			let doc = { cameras: [] };
			if (typeof cur.admin_copy === 'string') {
				const trusted = (pk) => toHex(pk) === toHex(this.ctx.rootPk) || this.ctx.trust.admins.some((a) => a.active && toHex(a.pk) === toHex(pk));
				doc = JSON.parse(adminCopyOpen(na, trusted, signer.sk, gwPk, seq, fromHex(cur.admin_copy)));
				if (doc === null || typeof doc !== 'object' || (doc.cameras !== undefined && !Array.isArray(doc.cameras)))
					throw new Error('the stored gateway configuration is not a camera list');
				doc.cameras = doc.cameras || [];
			} else if (seq !== 0) {
				throw new Error('the gateway has a configuration but its admin copy is missing: adding would drop its cameras');
			}
			// Register the camera, then its first epoch key and the grants.
			const id = na.randombytes_buf(16), idHex = toHex(id);
			say('Registering the camera…');
			await api.call('POST', `/api/v1/orgs/${org}/cameras`, { id: idHex, name: c.name, site: gSite, gateway: c.gateway });
			// The name is signed with the key: viewers show this one, not the server's.
			epoch = epochCreate(na, signer, id, 1, fromHex(gSite, 16), c.name);
			const stmts = [epoch.stmt];
			const names = [];
			for (const m of this.verifiedMembers || []) {
				if (!scopeCovers(m.role, m.scope, idHex, gSite))
					continue;
				stmts.push(grantStatement(na, signer, id, 1, epoch.pk, epoch.sk, m.userId, m.boxPk));
				names.push(m.name);
			}
			epoch.sk.fill(0);
			say('Publishing the camera key and its grants…');
			await api.call('POST', `/api/v1/orgs/${org}/statements`, { statements: stmts.map(toHex) });
			// The gateway's next configuration: this camera added, sealed to the gateway.
			const streams = [{ index: 0, url: c.url }];
			if (c.url1 !== '')
				streams.push({ index: 1, url: c.url1 });
			const entry = { name: c.name, id: idHex, epoch: 1, epoch_public_key: toHex(epoch.pk), streams };
			// On motion only: the gateway keeps the pre-roll in memory and signs a "no motion"
			// gap between recordings (docs/design/motion.md).
			if (c.record === 'motion')
				entry.recording = { mode: 'motion', preroll_s: 5, postroll_s: 10 };
			doc.cameras.push(entry);
			const text = JSON.stringify(doc);
			if (text.length > 192 * 1024)
				throw new Error('the gateway configuration would be too large');
			const statement = gatewaySealed(na, signer, STMT.GATEWAY_CONFIG, gwPk, seq + 1, text);
			const copy = adminCopySeal(na, signer, this.ctx.rootPk, gwPk, seq + 1, text);
			say('Sending the signed configuration to the gateway…');
			await api.call('PUT', `/api/v1/orgs/${org}/gateways/${c.gateway}/config`, { statement: toHex(statement), admin_copy: toHex(copy) });
			gwSeqSee(org, c.gateway, seq + 1);
			area.dataset.camera = idHex;
			say(`Camera "${c.name}" added (key epoch 1, granted to ${names.join(', ') || 'nobody'}); the gateway picks up its configuration seq ${seq + 1} on its next poll.`);
			area.dataset.state = 'added';
			for (const id2 of ['adm-cam-name', 'adm-cam-url', 'adm-cam-url1'])
				area.querySelector('#' + id2).value = '';
		} catch (e) {
			say(e.message || String(e), true);
		} finally {
			if (epoch !== null)
				epoch.sk.fill(0);
			forgetSigner(signer);
		}
	}

	// A camera's recording mode, as `vigil camera set --record`: read from its gateway's
	// signed configuration (the admin copy) when opened, written as the next configuration.
	cameraRecordControl(org, c) {
		const name = c.name || shortId(c.id);
		const box = el('div', { class: 'adm-cam-rec' });
		const msg = el('span', { class: 'status adm-cam-rec-msg', role: 'status' });
		const go = el('button', { type: 'button', class: 'ghost adm-cam-rec-open', 'aria-label': `Recording mode of ${name}` }, 'Recording');
		go.addEventListener('click', () => this.cameraRecordOpen(org, c, name, box, go, msg));
		box.append(go, msg);
		return box;
	}

	// The camera's entry of its gateway's configuration, and that configuration.
	async cameraEntry(na, org, signer, c) {
		const { doc, seq } = await this.readGwConfig(na, org, signer, c.gateway);
		const entry = doc.cameras.find((x) => x.id === c.id);
		if (!entry)
			throw new Error('the gateway the server names does not record this camera in its signed configuration');
		return { doc, seq, entry };
	}

	async cameraRecordOpen(org, c, name, box, go, msg) {
		const na = await sodium();
		let signer = null;
		go.disabled = true;
		try {
			signer = await this.signer(na);
			const { entry } = await this.cameraEntry(na, org, signer, c);
			const r = entry.recording && entry.recording.mode === 'motion' ? entry.recording : null;
			const mode = r === null ? 'continuous' : r.live_while_paused === false ? 'motion-nolive' : 'motion';
			const sel = el('select', { class: 'adm-cam-rec-mode', 'aria-label': `Recording mode of ${name}` },
				el('option', { value: 'continuous', selected: mode === 'continuous' }, 'Continuously'),
				el('option', { value: 'motion', selected: mode === 'motion' }, 'On motion only'),
				el('option', { value: 'motion-nolive', selected: mode === 'motion-nolive' }, 'On motion only, no live video while nothing moves'));
			const save = el('button', { type: 'button', class: 'adm-cam-rec-save' }, 'Save');
			save.addEventListener('click', () => this.cameraRecordSave(org, c, name, sel.value, box, save, msg));
			box.replaceChildren(sel, save, msg);
			box.dataset.mode = mode;
			msg.textContent = r === null ? 'Records continuously.'
				: `Records on motion only, from ${r.preroll_s ?? 5} s before to ${r.postroll_s ?? 10} s after each event. ${LIVE_TEXT[mode]}`;
		} catch (e) {
			msg.textContent = 'Could not read the configuration: ' + (e.message || String(e));
			msg.classList.add('error');
			go.disabled = false;
		} finally {
			forgetSigner(signer);
		}
	}

	async cameraRecordSave(org, c, name, mode, box, save, msg) {
		const na = await sodium();
		let signer = null;
		save.disabled = true;
		msg.classList.remove('error');
		try {
			signer = await this.signer(na);
			const { doc, seq, entry } = await this.cameraEntry(na, org, signer, c);
			if (mode === 'motion' || mode === 'motion-nolive') {
				const det = entry.detection || doc.detection;
				if (det && det.enabled === false)
					throw new Error('recording on motion only needs motion detection on for this camera');
				if (!entry.recording || entry.recording.mode !== 'motion')
					entry.recording = { mode: 'motion', preroll_s: 5, postroll_s: 10 };
				// Live video while nothing moves is the gateway's default; off saves upload.
				if (mode === 'motion-nolive')
					entry.recording.live_while_paused = false;
				else
					delete entry.recording.live_while_paused;
			} else {
				delete entry.recording;
			}
			msg.textContent = 'Signing the gateway\'s configuration…';
			await this.writeGwConfig(na, org, signer, c.gateway, seq, doc);
			box.dataset.mode = mode;
			box.dataset.state = 'saved';
			msg.textContent = `Saved: "${name}" records ${mode === 'continuous' ? 'continuously' : `on motion only (5 s before, 10 s after each event). ${LIVE_TEXT[mode]}`} once its gateway fetches configuration seq ${seq + 1}.`;
		} catch (e) {
			box.dataset.state = 'error';
			msg.textContent = 'Could not save: ' + (e.message || String(e));
			msg.classList.add('error');
		} finally {
			save.disabled = false;
			forgetSigner(signer);
		}
	}

	// Remove a camera: asks first, naming what goes (every recording, its motion events and
	// share links), then as `vigil camera remove`: the gateway's next configuration without
	// the camera (signed with the org root, so the gateway stops recording it), then the
	// server's removal, behind a fresh step-up. The view reloads and says what was deleted.
	cameraRemoveControl(org, c) {
		const name = c.name || shortId(c.id);
		const box = el('div', { class: 'adm-cam-remove' });
		const msg = el('span', { class: 'status adm-cam-rm-msg', role: 'status' });
		const go = el('button', { type: 'button', class: 'ghost adm-cam-rm', 'aria-label': `Remove camera ${name}` }, 'Remove');
		go.addEventListener('click', () => this.cameraRemoveConfirm(org, c, name, box, go, msg));
		box.append(go, msg);
		return box;
	}

	cameraRemoveConfirm(org, c, name, box, go, msg) {
		const streams = Array.isArray(c.streams) ? c.streams : [];
		const bytes = streams.reduce((a, x) => a + (Number(x.bytes) || 0), 0);
		const first = Math.min(...streams.map((x) => Number(x.first_us) || Infinity));
		const what = bytes > 0
			? `All ${bytesLabel(bytes)} of its recordings (since ${when(first)}), its motion events and its share links are permanently deleted from the server at once; its gateway stops recording it.`
			: 'It has no recordings yet; its gateway stops recording it.';
		const { dlg, yes } = inlineConfirm(box, go, {
			cls: 'adm-cam-rm', extra: 'adm-ret-confirm', label: `Remove camera ${name}`, prepend: true,
			yesText: 'Remove camera and delete its recordings',
			text: [`Remove camera "${name}"? `, what, ' This cannot be undone.'],
		});
		yes.addEventListener('click', () => {
			dlg.remove();
			this.removeCamera(org, c, name, box, go, msg);
		});
	}

	async removeCamera(org, c, name, box, go, msg) {
		const na = await sodium();
		const say = (t, bad) => {
			msg.textContent = t;
			msg.classList.toggle('error', !!bad);
			box.dataset.state = bad ? 'error' : 'working';
		};
		let signer = null;
		go.disabled = true;
		try {
			signer = await this.signer(na);
			if (toHex(signer.pk) !== toHex(this.ctx.rootPk))
				throw new Error('Removing a camera needs the org root key (owners hold it) to sign its gateway\'s new configuration.');
			// The proof first, so that a cancelled prompt leaves everything as it was.
			await this.freshProof(box);
			say('Signing the gateway\'s configuration without the camera…');
			const { doc, seq } = await this.readGwConfig(na, org, signer, c.gateway);
			// The gateway comes from the server's list: its signed configuration must hold
			// the camera, else the camera would go on recording somewhere else.
			if (!doc.cameras.some((x) => x.id === c.id))
				throw new Error('the gateway the server names does not record this camera in its signed configuration');
			doc.cameras = doc.cameras.filter((x) => x.id !== c.id);
			await this.writeGwConfig(na, org, signer, c.gateway, seq, doc);
			say('Deleting the camera and its recordings…');
			const r = await this.stepped(box, () => api.call('DELETE', `/api/v1/orgs/${org}/cameras/${c.id}`));
			this.cameraNote = `Camera "${name}" removed: ${r.segments} segment(s), ${bytesLabel(Number(r.bytes) || 0)} of recordings deleted (storage freed within minutes)` +
				(r.events > 0 ? `, ${r.events} motion event(s)` : '') + (r.shares_revoked > 0 ? `, ${r.shares_revoked} share link(s) revoked` : '') + '.';
			box.dataset.state = 'removed';
			await this.render();
			document.getElementById('adm-cam-note')?.focus();
		} catch (e) {
			const why = e.status === 404 ? 'This camera is no longer in this organization.'
				: e.message === 'cancelled' ? 'Cancelled: nothing changed.'
					: 'Could not remove: ' + (e.message || String(e));
			say(why, true);
			go.disabled = false;
		} finally {
			forgetSigner(signer);
		}
	}

	// Role change and removal buttons of one (verified) member; none for myself.
	memberActions(org, m) {
		const me = keys.currentUser();
		if (me !== null && me.userId === m.user_id)
			return el('span', { class: 'muted' }, 'you');
		const sel = el('select', { class: 'adm-role', 'aria-label': 'new role for ' + m.username },
			['viewer', 'auditor', 'admin'].map((r) => el('option', { value: r, selected: r === m.role }, r)));
		const st = el('span', { class: 'status adm-member-msg', role: 'status' });
		const box = el('div', { class: 'adm-actions' }, sel,
			el('button', { type: 'button', class: 'ghost adm-role-go', onclick: () => this.memberChange(org, m, sel.value, box, st) }, 'Set role'),
			el('button', { type: 'button', class: 'ghost adm-remove', onclick: () => {
				if (box.dataset.confirm !== '1') {
					box.dataset.confirm = '1';
					st.textContent = 'Press Remove again: their keys to future footage are rotated away.';
					return;
				}
				this.memberChange(org, m, 'remove', box, st);
			} }, 'Remove'), st);
		if (m.role === 'viewer') {
			const ids = [...(this.sites || []).map((s) => ({ id: s.id, label: 'site ' + s.name })), ...(this.cams || []).map((c) => ({ id: c.id, label: c.name }))];
			const have = new Set(Array.isArray(m.scope) ? m.scope : []);
			const fs = el('fieldset', { class: 'adm-scope', hidden: true }, el('legend', {}, 'Scope (none ticked: every camera)'),
				ids.map((x) => el('label', { class: 'adm-check' }, el('input', { type: 'checkbox', value: x.id, class: 'adm-scope-id', checked: have.has(x.id) }), x.label)),
				el('button', { type: 'button', class: 'ghost adm-scope-save', onclick: () => this.memberChange(org, m, 'scope', box, st, [...fs.querySelectorAll('input:checked')].map((i) => i.value)) }, 'Save scope'));
			box.insertBefore(el('button', { type: 'button', class: 'ghost adm-scope-edit', onclick: () => { fs.hidden = !fs.hidden; } }, 'Scope'), st);
			box.append(fs);
		}
		return box;
	}

	// The epoch keys I hold for this org, opened fresh from my grants (wiped by the caller).
	async myEpochKeys(na, org) {
		const me = keys.currentUser();
		const doc = await api.orgKeys(org);
		const r = openOrgKeys(na, doc, this.ctx.rootPk, { userId: fromHex(me.userId, 16), boxPk: me.boxPk, boxSk: me.boxSk }, Date.now() * 1000);
		return r.keys;
	}

	// As orgops_grant_all(): every epoch key I hold of the cameras the member's role and
	// scope cover, sealed to them.
	async grantAll(na, org, signer, m) {
		const mine = await this.myEpochKeys(na, org);
		const out = [];
		try {
			for (const c of this.cams || []) {
				if (!scopeCovers(m.role, m.scope, c.id, c.site))
					continue;
				for (const k of mine)
					if (toHex(k.cameraId) === c.id)
						out.push(grantStatement(na, signer, k.cameraId, k.epoch, k.pk, k.sk, m.userId, m.boxPk));
			}
		} finally {
			for (const k of mine)
				k.sk.fill(0);
		}
		if (out.length > 0)
			await api.call('POST', `/api/v1/orgs/${org}/statements`, { statements: out.map(toHex) });
		return out.length;
	}

	// A gateway's configuration as the admins' copy says (the root opens it), and its seq.
	async readGwConfig(na, org, signer, gwHex) {
		const cur = await api.call('GET', `/api/v1/orgs/${org}/gateways/${gwHex}/config`);
		const seq = Number(cur.seq);
		if (!Number.isSafeInteger(seq) || seq < 0)
			throw new Error('the server sent a malformed configuration answer');
		gwSeqCheck(org, gwHex, seq);
		if (typeof cur.admin_copy !== 'string') {
			if (seq !== 0)
				throw new Error('a gateway configuration exists but its admin copy is missing');
			return { doc: { cameras: [] }, seq };
		}
		const trusted = (pk) => toHex(pk) === toHex(this.ctx.rootPk) || this.ctx.trust.admins.some((a) => a.active && toHex(a.pk) === toHex(pk));
		const doc = JSON.parse(adminCopyOpen(na, trusted, signer.sk, fromHex(gwHex, 32), seq, fromHex(cur.admin_copy)));
		if (doc === null || typeof doc !== 'object' || !Array.isArray(doc.cameras))
			throw new Error('the stored gateway configuration is not a camera list');
		gwSeqSee(org, gwHex, seq);
		return { doc, seq };
	}

	async writeGwConfig(na, org, signer, gwHex, seq, doc) {
		const text = JSON.stringify(doc);
		const gwPk = fromHex(gwHex, 32);
		await api.call('PUT', `/api/v1/orgs/${org}/gateways/${gwHex}/config`, {
			statement: toHex(gatewaySealed(na, signer, STMT.GATEWAY_CONFIG, gwPk, seq + 1, text)),
			admin_copy: toHex(adminCopySeal(na, signer, this.ctx.rootPk, gwPk, seq + 1, text)),
		});
		gwSeqSee(org, gwHex, seq + 1);
	}

	// As orgops_gwmap_load(): the configuration, as the org signed it (the admin copy), of
	// every gateway the org root certified (gateway.cert; this.gwSite), read before anything
	// is signed: a rotation's gateways are found in them, never in the server's camera list.
	// One that cannot be read stops the change, since that gateway may record any camera.
	async loadGwConfigs(na, org, signer) {
		const configs = new Map();
		for (const gw of this.gwSite ? this.gwSite.keys() : []) {
			try {
				configs.set(gw, (await this.readGwConfig(na, org, signer, gw)).doc);
			} catch (e) {
				throw new Error(`The signed configuration of gateway ${shortId(gw)} cannot be read (${e.message}): which cameras it records is unknown, so nothing was changed.`);
			}
		}
		return configs;
	}

	// Each camera to rotate with the gateways whose signed configuration records it
	// (recordersOf: the server-named one only if it does), and what the person is told: the
	// server named another gateway, or no configuration the org signed records the camera
	// (then nothing records under the old key either; the rotation goes on).
	rotationPlan(cams, configs) {
		const notes = [];
		const plan = cams.map((c) => {
			const gws = recordersOf(c.id, configs, c.gateway);
			if (gws.length === 0)
				notes.push(`Camera "${c.name}" is recorded by no gateway under a configuration the org signed (the server names gateway ${shortId(String(c.gateway))}): its new key went to no gateway, and none records under the old one.`);
			else if (gws[0] !== c.gateway)
				notes.push(`The server names gateway ${shortId(String(c.gateway))} for camera "${c.name}", whose signed configuration does not record it: the new key went to gateway ${gws.map(shortId).join(', ')}, whose signed configuration does.`);
			return Object.assign({}, c, { recorders: gws });
		});
		return { plan, notes };
	}

	// orgkeys_rotate() for each camera: a new epoch key, its camera.epoch (N+1, carrying the
	// signed site and name forward; never the server's name) and grants to every verified
	// member who still sees it (never `gone`), appended to stmts. cams come from
	// rotationPlan (c.recorders: the gateways that get the new epoch). Returns
	// { id, name, gateways, epoch, pk } per camera for the gateway configurations.
	rotate(na, signer, cams, gone, stmts) {
		const rotated = [];
		for (const c of cams) {
			const cid = fromHex(c.id, 16);
			const ep = epochCreate(na, signer, cid, c.epoch + 1, c.site ? fromHex(c.site, 16) : null,
				c.site && c.signedName ? c.signedName : null);
			stmts.push(ep.stmt);
			try {
				for (const k of this.verifiedMembers)
					if (k !== gone && scopeCovers(k.role, k.scope, c.id, c.site))
						stmts.push(grantStatement(na, signer, cid, c.epoch + 1, ep.pk, ep.sk, k.userId, k.boxPk));
			} finally {
				ep.sk.fill(0);
			}
			rotated.push({ id: c.id, name: c.name, gateways: c.recorders, epoch: c.epoch + 1, pk: toHex(ep.pk) });
		}
		return rotated;
	}

	// As orgops_rotation_push(): each gateway of the plan, once, gets its next configuration
	// with the new epochs of the rotated cameras it records, from its next poll on. A gateway
	// that did not get it, or whose configuration (read again) no longer records a camera
	// planned for it, is a failure: the others still get theirs, then this throws naming each.
	async pushRotation(na, org, signer, rotated) {
		const problems = [];
		for (const gw of [...new Set(rotated.flatMap((r) => r.gateways))]) {
			let missing = [], seq = 0;
			try {
				const cur = await this.readGwConfig(na, org, signer, gw);
				seq = cur.seq + 1;
				missing = rotationEdit(cur.doc, rotated, gw);
				await this.writeGwConfig(na, org, signer, gw, cur.seq, cur.doc);
			} catch (e) {
				for (const r of rotated.filter((x) => x.gateways.includes(gw)))
					problems.push(`camera "${r.name}": gateway ${shortId(gw)} did not get its new configuration (${e.message}), it still records under the key before epoch ${r.epoch}.`);
				continue;
			}
			for (const r of rotated.filter((x) => missing.includes(x.id)))
				problems.push(`camera "${r.name}" is no longer in the signed configuration of gateway ${shortId(gw)} (seq ${seq}): its epoch ${r.epoch} key went to no gateway there; check that gateway's cameras.`);
		}
		if (problems.length > 0)
			throw new Error('FAILED: ' + problems.join(' '));
	}

	// A viewer's new scope: member.role with the same role; cameras leaving the scope are
	// rotated away from them, cameras entering it are granted the epoch keys I hold.
	async scopeChange(na, org, signer, v, newScope) {
		if (v.role !== ROLE.viewer)
			throw new Error('Only a viewer has a scope.');
		if (toHex(signer.pk) !== toHex(this.ctx.rootPk))
			throw new Error('Narrowing a scope rotates camera keys: it needs the org root (owners hold it).');
		const cams = this.cams || [];
		// Keys are taken away where either site says the old scope covered the camera (the
		// server's may be why they hold it), and given only where the signed site says so.
		const leaving = cams.filter((c) => (scopeCovers(v.role, v.scope, c.id, c.site) || scopeCovers(v.role, v.scope, c.id, c.serverSite)) &&
			!scopeCovers(v.role, newScope, c.id, c.site));
		// The gateways of the cameras leaving come from the signed configurations, read
		// before anything is signed.
		const { plan, notes } = leaving.length === 0 ? { plan: [], notes: [] } : this.rotationPlan(leaving, await this.loadGwConfigs(na, org, signer));
		const stmts = [memberStatement(na, signer, STMT.MEMBER_ROLE, v.userId, v.signPk, v.boxPk, v.role, newScope.map((h) => fromHex(h, 16)))];
		const rotated = this.rotate(na, signer, plan, v, stmts);
		await api.call('POST', `/api/v1/orgs/${org}/statements`, { statements: stmts.map(toHex) });
		try {
			await this.pushRotation(na, org, signer, rotated);
		} catch (e) {
			throw new Error(`The scope was signed and the keys rotated, but a gateway did not take a camera's new key: ${e.message} ${notes.join(' ')}`.trim());
		}
		const entering = cams.filter((c) => !scopeCovers(v.role, v.scope, c.id, c.site) && scopeCovers(v.role, newScope, c.id, c.site)).map((c) => c.id);
		const n = entering.length === 0 ? 0 : await this.grantAll(na, org, signer, Object.assign({}, v, { scope: entering }));
		return { rotated: rotated.length, granted: n, notes };
	}

	// Role change (member.role, plus admin.cert on or off) or removal (member.remove, the
	// admin cert revoked, every camera they could see rotated to a new epoch granted to the
	// others, and each affected gateway's configuration re-signed).
	async memberChange(org, m, to, box, st, newScope) {
		const na = await sodium();
		const say = (t, bad) => {
			st.textContent = t;
			st.classList.toggle('error', !!bad);
		};
		const v = (this.verifiedMembers || []).find((x) => x.idHex === m.user_id);
		let signer = null;
		const buttons = box.querySelectorAll('button');
		buttons.forEach((b) => { b.disabled = true; });
		try {
			if (!v)
				throw new Error('this member\'s statement did not verify');
			signer = await this.signer(na);
			const isRoot = toHex(signer.pk) === toHex(this.ctx.rootPk);
			const wasAdmin = v.role === ROLE.owner || v.role === ROLE.admin;
			const scope = v.scope.map((h) => fromHex(h, 16));
			const stmts = [];
			if (to === 'scope') {
				say('Signing the new scope…');
				const r = await this.scopeChange(na, org, signer, v, newScope);
				box.dataset.done = 'scope';
				say(`Scope saved; ${r.rotated} camera key(s) rotated away, ${r.granted} granted.` + (r.notes.length > 0 ? ' Warning: ' + r.notes.join(' ') : ''));
				st.classList.toggle('warning', r.notes.length > 0);
			} else 			if (to === 'remove') {
				if (!isRoot)
					throw new Error('Removing a member rotates camera keys: it needs the org root (owners hold it).');
				stmts.push(memberStatement(na, signer, STMT.MEMBER_REMOVE, v.userId, v.signPk, v.boxPk, ROLE.none, []));
				if (wasAdmin)
					stmts.push(adminCert(na, signer, v.userId, v.signPk, v.boxPk, false));
				const leaving = (this.cams || []).filter((c) => scopeCovers(v.role, v.scope, c.id, c.site) ||
					scopeCovers(v.role, v.scope, c.id, c.serverSite));
				// Which gateways record each camera is read, before anything is signed, from
				// the signed configurations of the gateways the root certified: the server's
				// camera list could name another gateway, and the real one would go on
				// recording under the removed member's key.
				say('Reading the gateways\' signed configurations…');
				const { plan, notes } = leaving.length === 0 ? { plan: [], notes: [] } : this.rotationPlan(leaving, await this.loadGwConfigs(na, org, signer));
				const rotated = this.rotate(na, signer, plan, v, stmts);
				say('Signing the removal and the new camera keys…');
				await api.call('POST', `/api/v1/orgs/${org}/statements`, { statements: stmts.map(toHex) });
				try {
					await this.pushRotation(na, org, signer, rotated);
				} catch (e) {
					throw new Error(`${v.name} was removed and the keys rotated, but a gateway did not take a camera's new key: ${e.message} ${notes.join(' ')}`.trim());
				}
				box.dataset.done = 'removed';
				say(`Removed; ${rotated.length} camera key(s) rotated.` + (notes.length > 0 ? ' Warning: ' + notes.join(' ') : ''));
				st.classList.toggle('warning', notes.length > 0);
			} else {
				const role = ROLE[to];
				if (!role || role === v.role)
					throw new Error('Pick a different role.');
				const becomesAdmin = role === ROLE.owner || role === ROLE.admin;
				if (becomesAdmin !== wasAdmin && !isRoot)
					throw new Error('Certifying or uncertifying an admin needs the org root (owners hold it).');
				if (becomesAdmin && !wasAdmin)
					stmts.push(adminCert(na, signer, v.userId, v.signPk, v.boxPk, true));
				if (wasAdmin && !becomesAdmin)
					stmts.push(adminCert(na, signer, v.userId, v.signPk, v.boxPk, false));
				stmts.push(memberStatement(na, signer, STMT.MEMBER_ROLE, v.userId, v.signPk, v.boxPk, role, becomesAdmin ? [] : scope));
				await api.call('POST', `/api/v1/orgs/${org}/statements`, { statements: stmts.map(toHex) });
				let n = 0;
				if (becomesAdmin && !wasAdmin)
					n = await this.grantAll(na, org, signer, Object.assign({}, v, { role, scope: [] }));
				box.dataset.done = to;
				say(`Now ${to}` + (n ? `; ${n} camera key(s) granted.` : '.'));
			}
		} catch (e) {
			say(e.message || String(e), true);
			buttons.forEach((b) => { b.disabled = false; });
		} finally {
			forgetSigner(signer);
		}
	}

	// "Invite a member": role and scope chosen here, a one-time code made here; the newcomer
	// runs `vigil join` with it; their request is checked and member.add signed here.
	inviteForm(org, sec, sites, cams) {
		const area = el('div', { id: 'adm-invite', class: 'adm-enroll' });
		const role = el('select', { id: 'adm-inv-role' }, ['viewer', 'auditor', 'admin'].map((r) => el('option', { value: r }, r)));
		const scopeBox = el('fieldset', { class: 'adm-scope' }, el('legend', {}, 'Viewer scope (none ticked: every camera)'),
			[...sites.map((s) => ({ id: s.id, label: 'site ' + s.name })), ...cams.map((c) => ({ id: c.id, label: c.name }))]
				.map((x) => el('label', { class: 'adm-check' }, el('input', { type: 'checkbox', value: x.id, class: 'adm-scope-id' }), x.label)));
		const go = el('button', { type: 'submit', id: 'adm-inv-go' }, 'Invite');
		const form = el('form', { class: 'adm-form', onsubmit: (ev) => {
			ev.preventDefault();
			go.disabled = true;
			const scope = role.value === 'viewer' ? [...scopeBox.querySelectorAll('input:checked')].map((i) => i.value) : [];
			this.inviteMember(org, role.value, scope, area).finally(() => { go.disabled = false; });
		} }, el('label', { for: 'adm-inv-role' }, 'Invite a member as'), role, go, scopeBox);
		area.append(form);
		return area;
	}

	async inviteMember(org, roleName, scopeHex, area) {
		const na = await sodium();
		const gen = this.gen;
		area.querySelector('#adm-inv-box')?.remove();
		const box = el('div', { id: 'adm-inv-box', class: 'adm-invite' });
		const p = el('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
		area.append(box);
		const say = (t, bad) => {
			p.textContent = t;
			p.classList.toggle('error', !!bad);
			box.dataset.state = bad ? 'error' : box.dataset.state || 'pending';
		};
		let inv = null, signer = null;
		try {
			if (!this.ctx)
				throw new Error('the organization\'s statements could not be checked');
			const role = ROLE[roleName];
			inv = newInvitation(na, ENROLL.USER, this.ctx.rootPk);
			const idHex = toHex(inv.id);
			await this.stepped(box, () => api.call('POST', `/api/v1/orgs/${org}/invitations`,
				{ id: idHex, kind: 'user', verifier: toHex(inv.verifier), expires_us: Date.now() * 1000 + 86400e6 }));
			box.append(el('p', {}, `Send this to the person you invite (as ${roleName}); they run it once, signed in with their own account (vigil account login --session FILE):`),
				el('code', { id: 'adm-inv-cmd', class: 'adm-cmd' }, enrollCommand(inv, location.origin)),
				el('p', { class: 'muted' }, `The code works once, for 24 hours. Keep this page open: their keys are checked and certified here. Safety number: ${inv.fingerprint}.`), p);
			box.dataset.invitation = idHex;
			say('Waiting for them to join…');
			let ans;
			for (;;) {
				if (gen !== this.gen || !this.active)
					throw new Error('left the page: start a new invitation');
				ans = await api.call('GET', `/api/v1/orgs/${org}/invitations/${idHex}`);
				if (ans.state === 'requested' && typeof ans.request === 'string' && /^[0-9a-f]{32}$/.test(ans.user_id || ''))
					break;
				if (ans.state === 'accepted')
					throw new Error('this invitation was already accepted');
				await new Promise((r) => setTimeout(r, 1000));
			}
			const req = checkEnrollRequest(na, inv, fromHex(ans.request));
			signer = await this.signer(na);
			const uid = fromHex(ans.user_id, 16);
			const scope = scopeHex.map((h) => fromHex(h, 16));
			if (role === ROLE.admin) {
				if (toHex(signer.pk) !== toHex(this.ctx.rootPk))
					throw new Error('Certifying an admin needs the org root (owners hold it).');
				await api.call('POST', `/api/v1/orgs/${org}/statements`, { statements: [toHex(adminCert(na, signer, uid, req.signPk, req.boxPk, true))] });
			}
			const cert = memberStatement(na, signer, STMT.MEMBER_ADD, uid, req.signPk, req.boxPk, role, scope);
			await api.call('POST', `/api/v1/orgs/${org}/invitations/${idHex}/accept`, { cert: toHex(cert) });
			const n = await this.grantAll(na, org, signer, { userId: uid, boxPk: req.boxPk, role, scope: scopeHex });
			box.querySelector('#adm-inv-cmd')?.remove();
			box.dataset.state = 'joined';
			box.dataset.user = ans.user_id;
			say(`Joined as ${roleName}; ${n} camera key(s) granted.`);
		} catch (e) {
			say(e.message || String(e), true);
			box.querySelector('#adm-inv-cmd')?.remove();
		} finally {
			wipeInvitation(inv);
			forgetSigner(signer);
		}
	}

	// A readable name for an id in the audit log: a member, camera, site or gateway of this org.
	nameOf(id) {
		const m = (this.members || []).find((x) => x.user_id === id);
		if (m)
			return m.username;
		const c = (this.cams || []).find((x) => x.id === id);
		if (c)
			return 'camera ' + c.name;
		const s = (this.sites || []).find((x) => x.id === id);
		if (s)
			return 'site ' + s.name;
		if ((this.gateways || []).some((x) => x.id === id))
			return 'gateway ' + shortId(id);
		return id.length > 20 ? shortId(id) : id;
	}

	async renderSessions(sec, live) {
		let list;
		try {
			list = (await api.call('GET', '/api/v1/auth/sessions')).sessions;
		} catch (e) {
			if (live())
				sec.status.textContent = 'Could not load: ' + e.message;
			return;
		}
		if (!live())
			return;
		list = Array.isArray(list) ? list : [];
		const rows = list.map((s) => el('tr', { dataset: { sid: s.sid } },
			el('td', {}, when(s.created_us)), el('td', {}, ago(s.last_us)),
			el('td', { class: 'mono' }, s.address || '?'), el('td', {}, s.current ? 'this browser' : '')));
		const btn = el('button', { id: 'adm-signout-all', type: 'button', class: 'danger', onclick: async () => {
			btn.disabled = true;
			try {
				await api.call('DELETE', '/api/v1/auth/sessions');
				this.hooks.onSignedOut();
			} catch (e) {
				btn.disabled = false;
				sec.status.textContent = 'Failed: ' + e.message;
			}
		} }, 'Sign out everywhere');
		sec.body.replaceChildren(table(['Signed in', 'Last active', 'Address', ''], rows, 'No sessions.'), btn);
		sec.status.textContent = `${list.length} session(s)`;
	}

	// The audit log, fetched raw, verified here (adminops.verifyAuditLog) against the server's
	// pinned audit key, shown newest first, downloadable as it came.
	async renderAudit(na, org, sec, live) {
		sec.sec.dataset.state = 'loading';
		if (this.role !== 'owner') {
			sec.status.textContent = 'Only owners and auditors can read the audit log.';
			sec.sec.dataset.state = 'denied';
			return;
		}
		let bytes, key;
		try {
			const k = await api.call('GET', '/api/v1/audit/key');
			key = pinnedAuditKey(k.key);
			const resp = await fetch(`/api/v1/orgs/${org}/audit`, { credentials: 'same-origin', cache: 'no-store' });
			if (!resp.ok)
				throw new Error('HTTP ' + resp.status);
			bytes = new Uint8Array(await resp.arrayBuffer());
		} catch (e) {
			if (live()) {
				sec.status.textContent = 'Could not load the audit log: ' + e.message;
				sec.sec.dataset.state = 'error';
			}
			return;
		}
		if (!live())
			return;
		const r = verifyAuditLog(na, bytes, key.key);
		if (key.changed && r.ok) {
			r.ok = false;
			r.msg = 'the server\'s audit key is not the one this browser pinned';
		}
		const verdict = el('p', { id: 'adm-audit-verdict', class: r.ok ? 'adm-verdict adm-ok' : 'adm-verdict adm-bad' },
			r.ok ? `verified: ${r.entries} entries, last checkpoint at ${when(r.headTimeUs)}`
				: `NOT verified: ${r.msg}` + (r.entries ? ` (${r.entries} entries read)` : ''));
		if (this.auditUrl)
			URL.revokeObjectURL(this.auditUrl);
		this.auditUrl = URL.createObjectURL(new Blob([bytes], { type: 'application/x-ndjson' }));
		const dl = el('a', { id: 'adm-audit-download', class: 'button ghost', download: `audit-${org.slice(0, 12)}.jsonl`, href: this.auditUrl }, 'Download (verify offline: vigil audit verify)');
		const rows = r.rows.slice(-100).reverse().map((o) => el('tr', { dataset: { seq: String(o.seq) } },
			el('td', {}, String(o.seq)), el('td', {}, when(o.time_us)), el('td', {}, o.action),
			el('td', { class: 'adm-name' }, actorName(o, this.members)), el('td', { class: 'adm-target', title: o.target }, this.nameOf(o.target)),
			el('td', { class: 'adm-detail' }, auditDetail(o))));
		sec.body.replaceChildren(verdict, dl, table(['Seq', 'Time', 'Action', 'Actor', 'Target', 'Details'], rows, 'No entries.'));
		sec.status.textContent = `server audit key ${toHex(key.key).slice(0, 16)}… (pinned in this browser)`;
		sec.sec.dataset.state = r.ok ? 'verified' : 'broken';
		sec.sec.dataset.entries = String(r.entries);
	}
}

// Why a webhook URL cannot be sent as typed, or null. Only the obvious (the server checks
// again, and its answer is shown): http(s), a host, no spaces.
export function webhookUrlProblem(s) {
	if (s === '')
		return 'Enter the receiver\'s URL, e.g. https://example.com/vigil-hook.';
	if (/\s/.test(s))
		return 'The URL cannot contain spaces.';
	if (!/^https?:\/\//.test(s))
		return 'The URL must start with https:// (or http://): notifications are HTTP POSTs.';
	let u;
	try {
		u = new URL(s);
	} catch (e) {
		return 'That is not a valid URL.';
	}
	if (u.hostname === '')
		return 'The URL needs a host name, e.g. https://example.com/vigil-hook.';
	return null;
}

// An entry's detail as a person reads it: the footage an archive read named, else its
// fields (strings and numbers only; the text goes in through textContent).
function auditDetail(o) {
	const d = o.detail;
	if (d === null || typeof d !== 'object')
		return '';
	if (o.action === 'archive.read' && Number.isSafeInteger(d.footage_from_us) && Number.isSafeInteger(d.footage_to_us))
		return `recordings of ${when(d.footage_from_us)} – ${when(d.footage_to_us).slice(11, 16)}` + (d.stream === 0 ? '' : `, stream ${d.stream}`);
	const parts = Object.entries(d).filter(([, v]) => typeof v === 'string' || typeof v === 'number')
		.map(([k, v]) => `${k}: ${typeof v === 'number' && /_us$/.test(k) ? when(v) : v}`);
	const t = parts.join(' · ');
	return t.length > 160 ? t.slice(0, 159) + '…' : t;
}

function actorName(o, members) {
	const m = (members || []).find((x) => x.user_id === o.actor);
	return m ? m.username : (o.actor ? shortId(o.actor) : o.actor_kind);
}
