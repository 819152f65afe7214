// grid.js - the live grid: one tile per camera, each decrypting its live stream into a player, with a clear state when it cannot.
import * as api from './api.js';
import { sodium } from './sodium.js';
import * as keys from './keys.js';
import { RecordParser } from './records.js';
import { SegmentReader, SegmentError } from './segment.js';
import { LivePlayer, PlayerError } from './mse.js';

const OFFLINE_AFTER_MS = 10000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10000;

const BADGE = {
	connecting: '…', live: 'LIVE', offline: 'OFFLINE', nokey: 'NO ACCESS', denied: 'NO ACCESS',
	codec: 'H.265', error: 'RETRYING', tamper: 'ALERT',
};

const STATE_TEXT = {
	connecting: 'Connecting…',
	live: '',
	offline: 'Camera offline: no video for 10 seconds',
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
		this.decoded = 0;
		this.lastFrameAt = 0;
		this.root = el('article', 'tile');
		this.root.dataset.camera = cam.id;
		const head = el('header', 'tile-head');
		this.nameEl = el('span', 'tile-name', cam.name);
		this.badge = el('span', 'badge', '');
		head.append(this.nameEl, this.badge);
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
		this.badge.textContent = BADGE[state] || state;
		this.overlay.textContent = detail || STATE_TEXT[state] || '';
		this.overlay.hidden = state === 'live';
	}

	tick() {
		if (this.state === 'live' && Date.now() - this.lastFrameAt > OFFLINE_AFTER_MS)
			this.setState('offline');
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
		this.foot.textContent = this.state === 'live'
			? `${this.cam.streamLabel} · ${this.decoded} frames decrypted${this.verified ? ' · ' + this.verified + ' segments verified' : ''}${lat}`
			: this.cam.streamLabel;
	}

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
		this.player = new LivePlayer(this.video);
		this.player.onError = (e) => {
			this.setState('error', e.message);
			this.abort.abort();
		};
		const reader = new SegmentReader(this.na, {
			camera: this.cam.id,
			stream: this.cam.stream,
			keyFor: (cam, epoch) => keys.epochKey(cam, epoch),
			pins: keys.pinnedGateways(),
			onChunk: (c) => {
				if (c.kind === 1) {
					this.player.init(c.codec, c.body);
					return;
				}
				this.player.media(c.body, (c.flags & 1) !== 0, c.wallUs);
				this.decoded++;
				this.lastFrameAt = Date.now();
				if (this.state !== 'live')
					this.setState('live');
			},
			onLink: () => {
				this.verified = (this.verified || 0) + 1;
			},
		});
		const parser = new RecordParser();
		try {
			const rd = await api.liveStream(this.cam.id, this.cam.stream, this.abort.signal);
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
			if (e instanceof SegmentError) {
				if (e.code === 'key') {
					this.setState('nokey');
					return false;
				}
				if (e.code === 'format' || e.code === 'decrypt')
					this.setState('error', 'Stream error: ' + e.message + '; reconnecting…');
				else
					this.setState('tamper', 'Verification failed: ' + e.message);
				return e.code === 'format' || e.code === 'decrypt';
			}
			if (e instanceof PlayerError) {
				this.setState(e.code === 'codec' ? 'codec' : 'error', e.message);
				return e.code !== 'codec';
			}
			if (e.status === 401 || e.status === 403 || e.status === 404) {
				this.setState('denied');
				return false;
			}
			if (this.state !== 'error')
				this.setState('error', e.status === 0 ? 'Server unreachable, reconnecting…' : undefined);
			return true;
		} finally {
			if (this.player !== null)
				this.player.close();
			this.player = null;
		}
	}

	stop() {
		this.stopped = true;
		clearInterval(this.timer);
		if (this.abort !== null)
			this.abort.abort();
	}
}

export class Grid {
	constructor(container) {
		this.container = container;
		this.tiles = [];
		this.onOpen = () => {};
	}

	// Starts a tile per camera: orgCams from orgs.js (a session's organization), or, without
	// it, the interim listing with the demo's token. Substream when a camera has one.
	async start(orgCams) {
		this.stop();
		const na = await sodium();
		this.container.replaceChildren(el('p', 'empty', 'Loading cameras…'));
		if (Array.isArray(orgCams)) {
			if (orgCams.length === 0) {
				this.empty('No cameras to show yet', 'This organization has no camera you may see. An admin adds cameras and grants access to them.');
				return;
			}
			this.show(na, orgCams);
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
		this.show(na, cams);
	}

	show(na, list) {
		const cams = list.slice().sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
		this.container.replaceChildren();
		this.container.dataset.count = String(cams.length);
		for (const cam of cams) {
			const t = new Tile(cam, na, (c) => this.onOpen(c));
			this.tiles.push(t);
			this.container.append(t.root);
			t.run();
		}
	}

	// A message instead of tiles (no organization, locked keys, errors).
	empty(title, text) {
		const box = el('div', 'empty');
		box.append(el('h2', '', title), el('p', '', text));
		this.container.replaceChildren(box);
	}

	stop() {
		for (const t of this.tiles)
			t.stop();
		this.tiles = [];
	}
}
