// grid.js - the live grid: one tile per camera, all fed by one multiplexed live connection (livefeed.js LiveMux), each decrypting its camera into a player, with a clear state when it cannot.
import * as api from './api.js';
import { sodium } from './sodium.js';
import * as keys from './keys.js';
import { RecordParser } from './records.js';
import { SegmentReader, SegmentError, LIVE_ONLY } from './segment.js';
import { LivePlayer, PlayerError } from './mse.js';
import { LiveMux, MUX_DENIED } from './livefeed.js';
import { PageBar, pageOf, sitesOf, DEFAULT_PER_PAGE } from './gridpages.js';
import { PauseWatch } from './pause.js';
import { clockText } from './timeline.js';

const OFFLINE_AFTER_MS = 10000;
// Video came this recently: a signed pause does not cover the tile (the gateway sends a
// motion-only camera's live video while it pauses, in live-only segments).
const LIVE_RECENT_MS = 3000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10000;

const BADGE = {
	connecting: '…', live: 'LIVE', offline: 'OFFLINE', nokey: 'NO ACCESS', denied: 'NO ACCESS',
	codec: 'H.265', error: 'RETRYING', tamper: 'ALERT', paused: 'NO MOTION',
};

const STATE_TEXT = {
	connecting: 'Connecting…',
	live: '',
	offline: 'Camera offline: no video for 10 seconds',
	paused: 'Records on motion only: no video since the last motion',
	nokey: 'No permission: you hold no key for this camera',
	denied: 'No permission to view this camera',
	codec: 'H.265: no browser playback, use the substream',
	error: 'Stream error, reconnecting…',
	tamper: 'Verification failed: this footage was altered or is not from your gateway',
};

function el(tag, cls, text) {
	const e = document.createElement(tag);
	if (cls)
		e.className = cls;
	if (text !== undefined)
		e.textContent = text;
	return e;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Tile {
	constructor(cam, na, onOpen) {
		this.cam = cam;
		this.na = na;
		this.stopped = false;
		this.abort = null;
		this.player = null;
		this.parser = null;     // mux: this camera's record framing on the current connection
		this.reader = null;
		this.final = null;      // mux: a state that ends this tile's streaming (denied, tamper, ...)
		this.decoded = 0;
		this.lastFrameAt = 0;
		this.liveOnly = false;  // the frames on screen are live only: not being recorded
		this.pause = new PauseWatch();
		this.root = el('article', 'tile');
		this.root.dataset.camera = cam.id;
		this.root.dataset.stream = String(cam.stream);
		const head = el('header', 'tile-head');
		this.nameEl = el('span', 'tile-name', cam.name);
		this.badge = el('span', 'badge', '');
		// The wall clock of the frame on screen, as the gateway stamped it.
		this.clock = el('span', 'tile-clock', '');
		head.append(this.nameEl, this.clock, this.badge);
		const screen = el('div', 'screen');
		this.video = el('video');
		this.video.muted = true;
		this.video.setAttribute('aria-label', `live video of ${cam.name}`);
		this.overlay = el('div', 'overlay', '');
		screen.append(this.video, this.overlay);
		this.foot = el('footer', 'tile-foot', '');
		this.root.append(head, screen, this.foot);
		// Click or Enter opens the camera view (player.js).
		this.root.tabIndex = 0;
		this.root.title = `Open ${cam.name}: live, recordings and timeline`;
		this.root.addEventListener('click', () => onOpen(cam));
		this.root.addEventListener('keydown', (e) => {
			if (e.key === 'Enter')
				onOpen(cam);
		});
		this.timer = setInterval(() => this.tick(), 1000);
	}

	setState(state, detail) {
		this.state = state;
		this.root.dataset.state = state;
		this.root.dataset.liveOnly = state === 'live' && this.liveOnly ? '1' : '';
		this.badge.textContent = state === 'live' && this.liveOnly ? 'LIVE · NOT RECORDING' : BADGE[state] || state;
		this.badge.title = state === 'live' && this.liveOnly
			? 'Records on motion only: nothing is moving, so this live video is not recorded' : '';
		this.overlay.textContent = detail || STATE_TEXT[state] || '';
		this.overlay.hidden = state === 'live';
	}

	tick() {
		// Live-only video that stops (nobody else watches, or it was turned off) falls back
		// to the signed pause it played over, not to "offline".
		if (this.state === 'live' && this.liveOnly && Date.now() - this.lastFrameAt > LIVE_RECENT_MS &&
			this.pause.since !== null) {
			this.liveOnly = false;
			this.setState('paused', this.pause.text());
		}
		if (this.state === 'live' && Date.now() - this.lastFrameAt > OFFLINE_AFTER_MS)
			this.setState('offline');
		const silent = this.state === 'paused' ? this.pause.silent() : null;
		if (silent !== null)
			this.setState('offline', silent);
		const q = this.video.getVideoPlaybackQuality ? this.video.getVideoPlaybackQuality() : null;
		this.root.dataset.decoded = String(this.decoded);
		this.root.dataset.presented = String(q ? q.totalVideoFrames : 0);
		let lat = '';
		if (this.player !== null && this.player.latencies.length >= 10) {
			const l = this.player.latencies.slice(-300).sort((x, y) => x - y);
			const p50 = l[Math.floor(l.length * 0.5)], p95 = l[Math.min(l.length - 1, Math.floor(l.length * 0.95))];
			this.root.dataset.latencyP50 = p50.toFixed(0);
			this.root.dataset.latencyP95 = p95.toFixed(0);
			this.root.dataset.latencyN = String(l.length);
			lat = ` · ${p50.toFixed(0)} ms behind`;
		}
		const w = this.player !== null ? this.player.shownWallUs : null;
		this.clock.textContent = this.state === 'live' && w !== null ? clockText(w, true) : '';
		this.root.dataset.wallUs = w !== null ? String(w) : '';
		const note = this.liveOnly ? ' · not recording (no motion)' : '';
		this.foot.textContent = this.state === 'live'
			? `${this.cam.streamLabel}${note} · ${this.decoded} frames decrypted${this.verified ? ` · ${this.verified} segment${this.verified === 1 ? '' : 's'} verified` : ''}${lat}`
			: this.cam.streamLabel;
	}

	// A fresh player and segment reader for this tile; onSoft(err) on a player error.
	makeReader(onSoft) {
		const player = new LivePlayer(this.video);
		this.player = player;
		this.pause = new PauseWatch();
		player.onError = (e) => onSoft(e, player);
		return new SegmentReader(this.na, {
			camera: this.cam.id,
			stream: this.cam.stream,
			keyFor: (cam, epoch) => keys.epochKey(cam, epoch),
			pins: keys.pinnedGateways(this.cam.id),
			live: true,
			onChunk: (c, h) => {
				if (this.player === null)
					return;
				if (c.kind === 1) {
					this.player.init(c.codec, c.body);
					return;
				}
				this.player.media(c.body, (c.flags & 1) !== 0, c.wallUs);
				this.decoded++;
				this.lastFrameAt = Date.now();
				const lo = (h.flags & LIVE_ONLY) !== 0;
				if (this.state !== 'live' || lo !== this.liveOnly) {
					this.liveOnly = lo;
					this.setState('live');
				}
			},
			onLink: (info) => {
				this.verified = (this.verified || 0) + 1;
				// Signed by the gateway: recording paused, or the pause goes on. Over live-only
				// video it is a note, not a cover.
				const text = this.pause.link(info);
				if (text !== null && !(this.liveOnly && Date.now() - this.lastFrameAt <= LIVE_RECENT_MS))
					this.setState('paused', text);
			},
		});
	}

	closePlayer() {
		if (this.player !== null)
			this.player.close();
		this.player = null;
	}

	// Shows what a stream error means: 'soft' (start the stream again), 'final' (stays), or
	// null for an error that is not the stream's (network, HTTP).
	fault(e) {
		if (e instanceof SegmentError) {
			if (e.code === 'key') {
				this.setState('nokey');
				return 'final';
			}
			if (e.code === 'format' || e.code === 'decrypt') {
				this.setState('error', 'Stream error: ' + e.message + '; reconnecting…');
				return 'soft';
			}
			// 'stale': video stamped far from this computer's clock is not live, whoever is wrong.
			this.setState('tamper', e.code === 'stale' ? 'Not live: ' + e.message : 'Verification failed: ' + e.message);
			return 'final';
		}
		if (e instanceof PlayerError) {
			this.setState(e.code === 'codec' ? 'codec' : 'error', e.message);
			return e.code === 'codec' ? 'final' : 'soft';
		}
		return null;
	}

	// --- Fed by the grid's one connection (livefeed.js LiveMux) ---

	done() {
		return this.stopped || this.final !== null;
	}

	// A new connection: the camera's records start at a record boundary.
	open() {
		this.closePlayer();
		this.parser = new RecordParser();
		this.reader = this.makeReader((e, p) => this.playerFailed(e, p));
		this.setState('connecting');
	}

	// The player failed (from its own event handler): restart this tile's reader and player
	// once that handler has returned, unless a newer player took over meanwhile.
	playerFailed(e, player) {
		setTimeout(() => {
			if (this.player === player)
				this.restart('error', e.message);
		}, 0);
	}

	// A new reader and player within the same connection: the reader waits for the next
	// segment header (the record framing, kept by the parser, is intact).
	restart(state, detail) {
		if (this.done())
			return;
		if (state)
			this.setState(state, detail);
		this.closePlayer();
		this.reader = this.makeReader((e, p) => this.playerFailed(e, p));
	}

	data(bytes) {
		if (this.done() || this.parser === null)
			return;
		try {
			this.parser.feed(bytes);
			let rec;
			while ((rec = this.parser.next()) !== null)
				this.reader.record(rec);
		} catch (e) {
			const f = this.fault(e);
			if (f === 'final') {
				this.finish();
			} else if (f === 'soft') {
				this.restart();
			} else {
				// The framing itself is lost: wait for the next connection.
				this.setState('error', 'Stream error: ' + e.message + '; reconnecting…');
				this.closePlayer();
				this.parser = null;
			}
		}
	}

	// A STATE message: denied is final, and no byte after it is decrypted.
	muxState(st) {
		if (st === MUX_DENIED) {
			this.finish();
			this.final = 'denied';
			this.setState('denied');
		}
	}

	// Stops for good in the state shown now.
	finish() {
		this.final = this.state;
		this.parser = null;
		this.reader = null;
		this.closePlayer();
	}

	// The connection ended; the grid reconnects.
	down(e) {
		if (this.done())
			return;
		this.closePlayer();
		this.parser = null;
		this.setState('error', e && e.status === 0 ? 'Server unreachable, reconnecting…'
			: 'Live connection ended, reconnecting…');
	}

	// --- Interim path (the demo's footage token, no session): one request per tile ---

	async run() {
		if (!this.cam.hasKey) {
			this.setState('nokey');
			return;
		}
		let backoff = RETRY_MIN_MS;
		while (!this.stopped) {
			this.setState('connecting');
			const again = await this.once();
			if (!again || this.stopped)
				return;
			await sleep(backoff);
			backoff = Math.min(RETRY_MAX_MS, backoff * 2);
			if (this.state === 'live')
				backoff = RETRY_MIN_MS;
		}
	}

	// One connection; resolves to whether to reconnect.
	async once() {
		this.abort = new AbortController();
		const abort = this.abort;
		const reader = this.makeReader((e) => {
			this.setState('error', e.message);
			abort.abort();
		});
		const parser = new RecordParser();
		try {
			const rd = await api.liveStream(this.cam.id, this.cam.stream, abort.signal);
			for (;;) {
				const { value, done } = await rd.read();
				if (done)
					break;
				parser.feed(value);
				let rec;
				while ((rec = parser.next()) !== null)
					reader.record(rec);
			}
			return true;
		} catch (e) {
			if (this.stopped)
				return false;
			const f = this.fault(e);
			if (f !== null)
				return f === 'soft';
			if (e.status === 401 || e.status === 403 || e.status === 404) {
				this.setState('denied');
				return false;
			}
			if (this.state !== 'error')
				this.setState('error', e.status === 0 ? 'Server unreachable, reconnecting…' : undefined);
			return true;
		} finally {
			this.closePlayer();
		}
	}

	stop() {
		this.stopped = true;
		clearInterval(this.timer);
		if (this.abort !== null)
			this.abort.abort();
		this.closePlayer();
	}
}

export class Grid {
	// container: the tiles' element; bar: the element for the page bar (gridpages.js).
	constructor(container, bar) {
		this.container = container;
		this.bar = new PageBar(bar, (v) => this.turn(v));
		this.tiles = [];
		this.muxes = [];
		this.onOpen = () => {};
		this.all = [];          // every camera of the grid, sorted by name
		this.sites = [];        // [{ id, name }] the sites they are at
		this.view = { site: '', perPage: DEFAULT_PER_PAGE, page: 0 };
		this.na = null;
		this.mux = false;
	}

	// Starts a tile per camera: orgCams from orgs.js (a session's organization), or, without
	// it, the interim listing with the demo's token. Substream when a camera has one.
	// sites: the organization's [{ id, name }] (names for the site picker).
	async start(orgCams, sites) {
		this.stop();
		this.bar.hide();
		const na = await sodium();
		this.container.replaceChildren(el('p', 'empty', 'Loading cameras…'));
		if (Array.isArray(orgCams)) {
			if (orgCams.length === 0) {
				this.empty('No cameras to show yet', 'This organization has no camera you may see. An admin adds cameras and grants access to them.');
				return;
			}
			this.show(na, orgCams, true, sites);
			return;
		}
		if (!api.haveFootageAccess()) {
			this.empty('No cameras to show yet',
				'Your account is not a member of an organization with cameras, or no camera keys are unlocked in this tab.');
			return;
		}
		let list;
		try {
			list = (await api.cameras()).cameras;
		} catch (e) {
			this.empty('Cameras could not be listed', e.message);
			return;
		}
		const byId = new Map(), streamsOf = new Map();
		for (const c of Array.isArray(list) ? list : []) {
			if (typeof c.id !== 'string' || !/^[0-9a-f]{32}$/.test(c.id) || !Number.isInteger(c.stream))
				continue;
			streamsOf.set(c.id, (streamsOf.get(c.id) || []).concat([c.stream]));
			const prev = byId.get(c.id);
			// The grid prefers the substream (stream 1): smaller, always H.264.
			if (prev === undefined || (c.stream === 1 && prev.stream !== 1))
				byId.set(c.id, c);
		}
		if (byId.size === 0) {
			this.empty('No cameras have recorded yet', 'Cameras appear here once their gateway uploads video.');
			return;
		}
		const cams = [...byId.values()].map((c) => ({
			id: c.id,
			stream: c.stream,
			streams: streamsOf.get(c.id),
			streamLabel: c.stream === 1 ? 'substream' : 'main stream',
			name: keys.cameraName(c.id) || 'camera ' + c.id.slice(0, 8),
			hasKey: keys.hasCamera(c.id),
		}));
		this.show(na, cams, false, []);
	}

	// Tiles for list. With a session (mux) every tile is fed by one live connection per 64
	// cameras (browsers allow six connections per origin: DESIGN §4); on the interim token
	// path each tile opens its own.
	show(na, list, mux, sites) {
		this.na = na;
		this.mux = mux;
		this.all = list.slice().sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
		this.sites = sitesOf(this.all, sites);
		if (this.view.site !== '' && !this.sites.some((x) => x.id === this.view.site))
			this.view.site = '';
		this.showPage();
	}

	// Another page, site or page size from the bar: only the page shown streams.
	turn(view) {
		this.view = view;
		this.stop();
		this.showPage();
	}

	showPage() {
		const na = this.na, mux = this.mux;
		const p = pageOf(this.all, this.view);
		this.view.page = p.page;
		this.bar.render(this.view, this.sites, p);
		const cams = p.items;
		this.container.replaceChildren();
		this.container.dataset.count = String(cams.length);
		for (const cam of cams) {
			const t = new Tile(cam, na, (c) => this.onOpen(c));
			this.tiles.push(t);
			this.container.append(t.root);
			if (!mux)
				t.run();
		}
		if (!mux)
			return;
		const sinks = [];
		for (const t of this.tiles) {
			if (t.cam.hasKey) {
				sinks.push(t);
			} else {
				// No key: "no permission" without ever asking for the camera's video.
				t.setState('nokey');
				t.final = 'nokey';
			}
		}
		for (let i = 0; i < sinks.length; i += 64) {
			const m = new LiveMux(sinks.slice(i, i + 64));
			this.muxes.push(m);
			m.run();
		}
	}

	// Whether cams (a fresh listing) differ from the grid's cameras or the streams they play.
	differs(cams) {
		const key = (xs) => xs.map((c) => `${c.id}:${c.stream}`).sort().join(',');
		return key(cams) !== key(this.all);
	}

	// A message instead of tiles (no organization, locked keys, errors).
	empty(title, text) {
		this.all = [];
		this.bar.hide();
		const box = el('div', 'empty');
		box.append(el('h2', '', title), el('p', '', text));
		this.container.replaceChildren(box);
	}

	stop() {
		for (const m of this.muxes)
			m.stop();
		this.muxes = [];
		for (const t of this.tiles)
			t.stop();
		this.tiles = [];
	}
}
