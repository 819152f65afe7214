// livefeed.js - one camera stream's live view in the player: reads /live, decrypts and verifies each chunk, plays it near the live edge, reconnects.
import * as api from './api.js';
import * as keys from './keys.js';
import { RecordParser } from './records.js';
import { SegmentReader, SegmentError } from './segment.js';
import { LivePlayer, PlayerError } from './mse.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Plays (cam, stream) live in video until stop(). onState(state, text) reports
// 'connecting' | 'live' | 'nokey' | 'denied' | 'codec' | 'error' | 'tamper'.
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
		const reader = new SegmentReader(this.na, {
			camera: this.cam.id,
			stream: this.stream,
			keyFor: (c, epoch) => keys.epochKey(c, epoch),
			pins: keys.pinnedGateways(),
			onChunk: (c) => {
				if (this.player === null)
					return;
				if (c.kind === 1) {
					this.player.init(c.codec, c.body);
					return;
				}
				this.player.media(c.body, (c.flags & 1) !== 0, c.wallUs);
				this.frames++;
				if (!live) {
					live = true;
					this.onState('live');
				}
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
			if (this.player !== null)
				this.player.close();
			this.player = null;
		}
	}

	stop() {
		this.stopped = true;
		if (this.abort !== null)
			this.abort.abort();
		if (this.player !== null)
			this.player.close();
		this.player = null;
	}
}
