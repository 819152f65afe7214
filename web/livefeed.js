// livefeed.js - live views: one camera stream in the player (LiveFeed: reads /live, decrypts, verifies, plays near the live edge, reconnects) and the grid's one multiplexed connection (LiveMux, MuxParser).
import * as api from './api.js';
import * as keys from './keys.js';
import { RecordParser } from './records.js';
import { SegmentReader, SegmentError, LIVE_ONLY } from './segment.js';
import { LivePlayer, PlayerError } from './mse.js';
import { PauseWatch, PAUSE_SILENT_MS } from './pause.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Video came this recently: a signed pause does not replace it (a motion-only camera's live
// video goes on in live-only segments while its recording pauses).
const LIVE_RECENT_MS = 3000;

// Plays (cam, stream) live in video until stop(). onState(state, text) reports
// 'connecting' | 'live' | 'paused' | 'nokey' | 'denied' | 'codec' | 'error' | 'tamper'
// ('paused': the camera records on motion only and the gateway signed a pause).
export class LiveFeed {
	constructor(na, cam, stream, video, onState) {
		this.na = na;
		this.cam = cam;
		this.stream = stream;
		this.video = video;
		this.onState = onState || (() => {});
		this.stopped = false;
		this.abort = null;
		this.player = null;
		this.frames = 0;
		this.lastFrameAt = 0;
		this.liveOnly = false;  // the frames on screen are live only: not being recorded
		this.silentTimer = null;
	}

	// The gateway's wall clock (µs) of the frame at media time t, or null.
	wallAt(t) {
		const p = this.player ? this.player.placed : [];
		let best = null, d = Infinity;
		for (let i = p.length - 1; i >= 0 && i >= p.length - 300; i--) {
			const x = Math.abs(p[i].t - t);
			if (x < d) {
				d = x;
				best = p[i].wallUs;
			}
		}
		return d < 0.5 ? best : null;
	}

	async run() {
		let backoff = 500;
		while (!this.stopped) {
			this.onState('connecting');
			const again = await this.once();
			if (!again || this.stopped)
				return;
			await sleep(backoff);
			backoff = Math.min(10000, backoff * 2);
		}
	}

	async once() {
		this.abort = new AbortController();
		const abort = this.abort;
		this.player = new LivePlayer(this.video);
		this.player.onError = (e) => {
			this.onState('error', e.message);
			abort.abort();
		};
		let live = false;
		const pause = new PauseWatch();
		const reader = new SegmentReader(this.na, {
			camera: this.cam.id,
			stream: this.stream,
			keyFor: (c, epoch) => keys.epochKey(c, epoch),
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
				this.frames++;
				this.lastFrameAt = Date.now();
				const lo = (h.flags & LIVE_ONLY) !== 0;
				if (!live || lo !== this.liveOnly) {
					live = true;
					this.liveOnly = lo;
					this.onState('live');
				}
			},
			onLink: (info) => {
				const text = pause.link(info);
				// Over live-only video a signed pause changes nothing on screen.
				if (text === null || (this.liveOnly && Date.now() - this.lastFrameAt <= LIVE_RECENT_MS))
					return;
				live = false;
				this.onState('paused', text + ' Video resumes with the next motion.');
				clearTimeout(this.silentTimer);
				this.silentTimer = setTimeout(() => {
					const off = pause.silent();
					if (off !== null && !this.stopped)
						this.onState('offline', off);
				}, PAUSE_SILENT_MS + 500);
			},
		});
		const parser = new RecordParser();
		try {
			const rd = await api.liveStream(this.cam.id, this.stream, abort.signal);
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
				const soft = e.code === 'format' || e.code === 'decrypt';
				this.onState(e.code === 'key' ? 'nokey' : soft ? 'error' : 'tamper', e.message);
				return soft;
			}
			if (e instanceof PlayerError) {
				this.onState(e.code === 'codec' ? 'codec' : 'error', e.message);
				return e.code !== 'codec';
			}
			if (e.status === 401 || e.status === 403 || e.status === 404) {
				this.onState('denied');
				return false;
			}
			this.onState('error', e.status === 0 ? 'Server unreachable, reconnecting…' : e.message);
			return true;
		} finally {
			clearTimeout(this.silentTimer);
			if (this.player !== null)
				this.player.close();
			this.player = null;
		}
	}

	stop() {
		this.stopped = true;
		clearTimeout(this.silentTimer);
		if (this.abort !== null)
			this.abort.abort();
		if (this.player !== null)
			this.player.close();
		this.player = null;
	}
}

// The grid's one connection (GET /api/v1/live, docs/api/http.md): mux messages
// `u32 len | u8 type | u8 index | data`, DATA (16) carrying the next bytes of camera
// `index`'s record stream, STATE (17) one byte (MUX_OK, MUX_DENIED).
const MUX_DATA = 16;
const MUX_STATE = 17;
const MUX_MAX_PAYLOAD = 1 + 1024 * 1024;  // the server sends at most 1 + 64 KiB
export const MUX_OK = 1;
export const MUX_DENIED = 2;

// Cuts mux messages out of the byte stream: RecordParser's buffering with the mux's types.
export class MuxParser extends RecordParser {
	constructor() {
		super(MUX_MAX_PAYLOAD);
	}

	// The next whole message { type, index, data }, or null for "need more".
	next() {
		if (this.failed)
			throw this.failed;
		const avail = this.end - this.start;
		if (avail < 5)
			return null;
		const b = this.buf, p = this.start;
		const len = ((b[p] << 24) >>> 0) + (b[p + 1] << 16) + (b[p + 2] << 8) + b[p + 3];
		const type = b[p + 4];
		if (type !== MUX_DATA && type !== MUX_STATE)
			return this.fail('unknown mux message type ' + type);
		if (len < 1 || len > this.max || (type === MUX_STATE && len !== 2))
			return this.fail('mux message of the wrong size');
		if (avail < 5 + len)
			return null;
		const index = b[p + 5];
		const data = b.slice(p + 6, p + 5 + len);
		this.start += 5 + len;
		if (this.start === this.end)
			this.start = this.end = 0;
		return { type, index, data };
	}
}

// Many camera streams over one request. Each sink is
// { cam: { id, stream }, done(), open(), data(bytes), muxState(st), down(err) }: open() before a
// connection, data() the camera's record bytes in order, muxState() a STATE message,
// down() when the connection ended (err null: the server closed it). Sinks whose done()
// is true (denied, tampered, no key, H.265) are left out of the next connection.
// Reconnects with backoff 0.5–10 s while some sink is not done.
export class LiveMux {
	constructor(sinks) {
		this.sinks = sinks;
		this.stopped = false;
		this.abort = null;
		this.connections = 0;   // requests made (tests, diagnostics)
	}

	async run() {
		let backoff = 500;
		while (!this.stopped) {
			const active = this.sinks.filter((s) => !s.done());
			if (active.length === 0)
				return;
			const r = await this.once(active);
			if (r.stop || this.stopped)
				return;
			if (r.gotData)
				backoff = 500;
			await sleep(backoff);
			backoff = Math.min(10000, backoff * 2);
		}
	}

	// One connection; resolves to { stop, gotData }.
	async once(active) {
		this.abort = new AbortController();
		const parser = new MuxParser();
		let gotData = false;
		for (const s of active)
			s.open();
		try {
			this.connections++;
			const rd = await api.liveMux(active.map((s) => ({ id: s.cam.id, stream: s.cam.stream })), this.abort.signal);
			for (;;) {
				const { value, done } = await rd.read();
				if (done)
					break;
				parser.feed(value);
				let m;
				while ((m = parser.next()) !== null) {
					const s = active[m.index];
					if (s === undefined)
						throw new Error('mux message for camera index ' + m.index + ' that was not asked for');
					if (m.type === MUX_STATE) {
						s.muxState(m.data[0]);
					} else {
						gotData = true;
						s.data(m.data);
					}
				}
			}
			for (const s of active)
				if (!s.done())
					s.down(null);
			return { stop: false, gotData };
		} catch (e) {
			if (this.stopped)
				return { stop: true, gotData };
			if (e.status === 401 || e.status === 403) {
				for (const s of active)
					s.muxState(MUX_DENIED);
				return { stop: true, gotData };
			}
			for (const s of active)
				if (!s.done())
					s.down(e);
			return { stop: false, gotData };
		}
	}

	stop() {
		this.stopped = true;
		if (this.abort !== null)
			this.abort.abort();
	}
}
