// mse.js - a Media Source Extensions player for decrypted CMAF (init + one moof/mdat per frame) that stays near the live edge.

const LIVE_TARGET_S = 0.15;  // how far behind the newest frame playback aims to be
const LIVE_FAST_S = 0.35;    // above this lag playback runs 10% fast until back at the target
const LIVE_MAX_LAG_S = 1.0;  // beyond this lag the player jumps forward to the next keyframe (catch up after a stall)
const KEY_SEEK_S = 0.001;    // a jump lands this far into the keyframe, so no earlier frame must be decoded
const KEEP_BEHIND_S = 20;    // buffered media kept behind the playhead
const QUEUE_MAX = 400;       // appends waiting; beyond it the player drops to the next keyframe

export class PlayerError extends Error {
	constructor(code, msg) {
		super(msg);
		this.code = code; // 'codec' | 'mse'
	}
}

export function mimeFor(codec) {
	return `video/mp4; codecs="${codec}"`;
}

// Whether this browser can play the codec through MSE (H.265 is refused by Chromium).
export function canPlay(codec) {
	return typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported(mimeFor(codec));
}

// Ends whatever a SourceBuffer is doing and resets its parser, for a seek: an append in
// flight is aborted; a removal in flight (a trim of old frames) cannot be (abort() throws
// InvalidStateError during remove()), so it is let finish first. Resolves once idle.
export async function sourceBufferAbort(sb) {
	if (sb.updating) {
		const done = new Promise((resolve) => sb.addEventListener('updateend', resolve, { once: true }));
		try {
			sb.abort();
		} catch (e) {
			// a removal: it ends by itself
		}
		await done;
	}
	sb.abort();
}

export class LivePlayer {
	constructor(video) {
		this.video = video;
		this.video.muted = true;
		this.video.playsInline = true;
		this.ms = null;
		this.sb = null;
		this.codec = null;
		this.queue = [];
		this.needKey = true;  // after a drop, wait for a keyframe
		// Behind the live edge by more than LIVE_MAX_LAG_S: frames are dropped until the next
		// keyframe, and playback jumps to it. Jumping anywhere else would make the decoder
		// decode, unseen, every frame from the keyframe before (up to a GOP per jump: with
		// many tiles on a busy machine that work made every tile fall behind again).
		this.jumpAtKey = false;
		this.lastInit = null;
		this.frames = 0;      // media chunks appended
		this.jumps = 0;       // live-edge catch-ups
		this.onError = () => {};
		// Latency: media time where each frame was placed -> the gateway's wall clock stamp;
		// requestVideoFrameCallback reports when each frame reached the screen.
		this.placed = [];     // [{ t, wallUs }], bounded
		this.latencies = [];  // ms, gateway receipt -> presentation, bounded
		this.shownWallUs = null; // the gateway's wall clock of the last frame presented
		this.watchFrames();
	}

	watchFrames() {
		const v = this.video;
		if (typeof v.requestVideoFrameCallback !== 'function')
			return;
		const cb = (now, md) => {
			if (this.ms === null)
				return;
			const p = this.placed;
			for (let i = p.length - 1; i >= 0 && i >= p.length - 240; i--) {
				if (Math.abs(p[i].t - md.mediaTime) < 0.002) {
					const shownMs = performance.timeOrigin + md.expectedDisplayTime;
					const ms = shownMs - p[i].wallUs / 1000;
					this.shownWallUs = p[i].wallUs;
					this.latencies.push(ms);
					if (this.latencies.length > 4000)
						this.latencies.splice(0, 1000);
					// Each raw sample, for bench/latency.mjs (a number, nothing secret).
					v.dispatchEvent(new CustomEvent('framelatency', { detail: ms, bubbles: true }));
					break;
				}
			}
			v.requestVideoFrameCallback(cb);
		};
		v.requestVideoFrameCallback(cb);
	}

	// A segment's init chunk: (re)opens the source for its codec, queues the init segment.
	init(codec, initBytes) {
		if (!canPlay(codec))
			throw new PlayerError('codec', codec.startsWith('hev1') || codec.startsWith('hvc1')
				? 'H.265: this browser cannot play it; use the substream'
				: `codec ${codec} is not playable in this browser`);
		if (this.ms === null) {
			this.codec = codec;
			this.ms = new MediaSource();
			this.video.src = URL.createObjectURL(this.ms);
			this.ms.addEventListener('sourceopen', () => this.open(), { once: true });
		} else if (codec !== this.codec && this.sb !== null) {
			this.codec = codec;
			this.queue.push({ changeType: codec });
		}
		this.lastInit = initBytes;
		this.queue.push({ data: initBytes });
		this.pump();
	}

	// One decrypted moof+mdat.
	media(body, keyframe, wallUs) {
		if (this.ms === null)
			return;
		if ((this.needKey || this.jumpAtKey) && !keyframe)
			return;
		this.needKey = false;
		if (this.queue.length >= QUEUE_MAX) {
			// Far behind (tab in the background, slow machine): drop and restart at a keyframe.
			this.queue = this.lastInit ? [{ data: this.lastInit }] : [];
			this.needKey = true;
			return;
		}
		this.queue.push({ data: body, media: true, wallUs, jump: this.jumpAtKey });
		this.jumpAtKey = false;
		this.pump();
	}

	open() {
		try {
			this.sb = this.ms.addSourceBuffer(mimeFor(this.codec));
			// Live only needs the edge: 'sequence' lays frames end to end whatever their
			// timestamps, so a camera or gateway restart (media time back to zero) and
			// offline spells do not leave new frames behind the playhead.
			this.sb.mode = 'sequence';
			this.sb.addEventListener('updateend', () => this.pump());
			this.sb.addEventListener('error', () => this.onError(new PlayerError('mse', 'the browser rejected the video data')));
		} catch (e) {
			this.onError(new PlayerError('mse', 'the browser cannot open this stream'));
			return;
		}
		this.pump();
	}

	pump() {
		const sb = this.sb;
		if (sb === null || sb.updating || this.ms.readyState !== 'open')
			return;
		this.trim();
		if (sb.updating)
			return;
		const item = this.queue.shift();
		if (item === undefined) {
			this.chase();
			return;
		}
		try {
			if (item.changeType) {
				sb.changeType(mimeFor(item.changeType));
				this.pump();
				return;
			}
			if (item.media) {
				// In 'sequence' mode the frame starts where the buffered media ends.
				const b = sb.buffered;
				this.placed.push({ t: b.length ? b.end(b.length - 1) : 0, wallUs: item.wallUs });
				if (this.placed.length > 600)
					this.placed.splice(0, 200);
			}
			sb.appendBuffer(item.data);
			if (item.media)
				this.frames++;
			if (item.jump) {
				// The keyframe starts where the buffered media ended: play from it.
				this.video.currentTime = this.placed[this.placed.length - 1].t + KEY_SEEK_S;
				this.jumps++;
			}
		} catch (e) {
			if (e.name === 'QuotaExceededError') {
				this.queue.unshift(item);
				this.trim(true);
				return;
			}
			this.onError(new PlayerError('mse', 'the browser rejected the video data'));
		}
	}

	// Drop media far behind the playhead so memory stays bounded.
	trim(force) {
		const sb = this.sb, t = this.video.currentTime;
		if (sb.buffered.length === 0)
			return;
		const start = sb.buffered.start(0);
		const keep = force ? 2 : KEEP_BEHIND_S;
		if (t - start > keep + 5)
			sb.remove(start, t - keep);
	}

	// Stay near the live edge: start playing, and jump forward after a stall.
	chase() {
		const v = this.video, b = this.sb.buffered;
		if (b.length === 0)
			return;
		const end = b.end(b.length - 1);
		const lag = end - v.currentTime;
		if (v.currentTime < b.start(b.length - 1)) {
			// Before the newest range (the first frames, or after a drop): its start is a keyframe.
			v.currentTime = b.start(b.length - 1) + KEY_SEEK_S;
			this.jumps++;
		} else if (lag > LIVE_MAX_LAG_S) {
			this.jumpAtKey = true;
		} else if (lag > LIVE_FAST_S && v.playbackRate === 1) {
			v.playbackRate = 1.1;
		} else if (lag <= LIVE_TARGET_S && v.playbackRate !== 1) {
			v.playbackRate = 1;
		}
		if (v.paused)
			v.play().catch(() => {});
	}

	close() {
		this.queue = [];
		try {
			if (this.ms !== null && this.ms.readyState === 'open')
				this.ms.endOfStream();
		} catch (e) {
			// already closed
		}
		if (this.video.src)
			URL.revokeObjectURL(this.video.src);
		this.video.removeAttribute('src');
		this.video.load();
		this.ms = null;
		this.sb = null;
	}
}
