// archive.js - plays recorded footage from any moment: fetches the links that follow it, verifies each whole segment and its chain before a frame of it is shown, and feeds MSE.
import * as api from './api.js';
import * as keys from './keys.js';
import { SegmentReader, SegmentError, readLink } from './segment.js';
import { PlayerError, canPlay, mimeFor, sourceBufferAbort } from './mse.js';

const AHEAD_MIN_S = 6;      // media kept buffered ahead of the playhead (times the speed, at least)
const BEHIND_S = 30;        // media kept behind the playhead
const EDGE_RETRY_MS = 1000; // at the recording edge: how often to look for the next segment
const LIST_BEFORE_US = 120e6;
const LIST_AFTER_US = 600e6;
// A moment this far before the next segment is in a hole (segments of one recording touch;
// the index joins them within 1 s): the player says it plays from later.
const SKIP_NOTE_US = 1e6;

// Segment lists fetched ahead (the timeline's window), so a click needs no list request.
const listCache = new Map(); // "camera:stream" -> links

export async function warmSegments(cameraId, stream, fromUs, toUs) {
	const r = await api.segments(cameraId, stream, fromUs, toUs);
	listCache.set(`${cameraId}:${stream}`, Array.isArray(r.segments) ? r.segments : []);
}

export function forgetSegments() {
	listCache.clear();
	byteCache.clear();
}

// Ciphertext of closed segments fetched ahead (the moment under the pointer, on hover and on
// press), so that a click finds its segment's bytes on the way or here. Bytes as served:
// nothing is decrypted or shown before the seek verifies the whole link.
const BYTES_KEEP = 6;         // segments kept (about 1 MB each at 720p 3-4 Mbit/s)
const BYTES_TTL_MS = 60000;
const byteCache = new Map();  // "camera:stream:seq" -> { p: Promise<Uint8Array>, at }

function cachedBytes(cameraId, stream, seq) {
	const k = `${cameraId}:${stream}:${seq}`;
	const e = byteCache.get(k);
	if (e === undefined || performance.now() - e.at > BYTES_TTL_MS)
		return null;
	return e.p;
}

function fetchAhead(cameraId, stream, seq) {
	const k = `${cameraId}:${stream}:${seq}`;
	if (cachedBytes(cameraId, stream, seq) !== null)
		return;
	const p = api.segmentBytes(cameraId, stream, seq);
	p.catch(() => byteCache.delete(k));
	byteCache.delete(k);
	byteCache.set(k, { p, at: performance.now() });
	while (byteCache.size > BYTES_KEEP)
		byteCache.delete(byteCache.keys().next().value);
}

// The closed segment covering wallUs in the warm list, or undefined.
function listedAt(cameraId, stream, wallUs) {
	const links = listCache.get(`${cameraId}:${stream}`) || [];
	return links.find((l) => l.kind === 'segment' && Number.isSafeInteger(l.seq) && l.start_us <= wallUs && l.end_us > wallUs);
}

// Starts fetching the segment at wallUs (a moment the pointer rests on or presses) when the
// warm list names it closed.
export function prefetchAt(cameraId, stream, wallUs) {
	const l = listedAt(cameraId, stream, wallUs);
	if (l !== undefined)
		fetchAhead(cameraId, stream, l.seq);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function waitEvent(target, name) {
	return new Promise((resolve) => target.addEventListener(name, resolve, { once: true }));
}

// State reported through onState(state, text): 'loading' | 'playing' | 'edge' (waiting for
// the recording to go on) | 'nodata' | 'nokey' | 'denied' | 'codec' | 'error' | 'tamper'.
export class ArchivePlayer {
	constructor(na, cam, stream, video, onState) {
		this.na = na;
		this.cam = cam;
		this.stream = stream;
		this.video = video;
		this.onState = onState || (() => {});
		// onSkip(askedUs, playingUs): nothing was recorded at the asked moment; playing from
		// the next recording instead.
		this.onSkip = () => {};
		this.gen = 0;
		this.abort = null;
		this.ms = null;
		this.sb = null;
		this.codec = null;
		this.placed = [];        // [{ t, wallUs }] in media-time order: frames appended
		this.rate = 1;
		this.wantPaused = false;
		this.seekStarted = 0;    // performance.now() of the last seek
		this.firstFrameMs = null; // seek -> first frame presented, for the last seek
		this.firstFrameAt = null; // performance.now() when that frame was presented
		this.shownWallUs = null; // wall clock of the frame on screen
		this.stats = { segments: 0, gaps: 0, frames: 0 };
		this.awaitT = null;       // media time of the first frame a seek waits for
		this.timing = {};         // ms after the seek: list, fetched, verified, open, placed, frame
		this.listedTo = -1;       // highest seq the last segment list named
		this.base = 0;            // media time where the current seek's frames start
		this.stale = 0;           // media before it belongs to earlier seeks (kept source)
		this.watchFrames();
	}

	// One callback chain per source (a new source may drop the pending callbacks).
	watchFrames() {
		const v = this.video;
		if (typeof v.requestVideoFrameCallback !== 'function')
			return;
		const token = this.watchToken = (this.watchToken || 0) + 1;
		const cb = (now, md) => {
			if (token !== this.watchToken)
				return;
			// Only frames of this source once the playhead is placed (a callback of the
			// previous source can still arrive after a seek).
			if (this.awaitT !== null && Math.abs(md.mediaTime - this.awaitT) < 0.25) {
				this.awaitT = null;
				this.firstFrameAt = performance.now();
				this.firstFrameMs = this.firstFrameAt - this.seekStarted;
				this.mark('frame');
			}
			if (this.awaitT === null && this.placed.length > 0) {
				const w = this.wallAt(md.mediaTime);
				if (w !== null)
					this.shownWallUs = w;
			}
			v.requestVideoFrameCallback(cb);
		};
		v.requestVideoFrameCallback(cb);
	}

	// The wall clock (µs) of the frame at media time t, or null.
	wallAt(t) {
		const p = this.placed;
		if (p.length === 0 || t < p[0].t - 0.01)
			return null;
		let lo = 0, hi = p.length - 1;
		while (lo < hi) {
			const mid = (lo + hi + 1) >> 1;
			if (p[mid].t <= t + 0.002)
				lo = mid;
			else
				hi = mid - 1;
		}
		return p[lo].wallUs;
	}

	mark(name) {
		this.timing[name] = Math.round(performance.now() - this.seekStarted);
	}

	// The wall clock of the frame on screen: the paused frame, else the last presented one.
	currentWall() {
		if (this.video.paused && this.placed.length > 0 && this.awaitT === null)
			return this.wallAt(this.video.currentTime);
		return this.shownWallUs;
	}

	// Seconds per frame, from the frames laid out so far (1/25 until known).
	frameDuration() {
		const p = this.placed, d = [];
		for (let i = Math.max(1, p.length - 30); i < p.length; i++)
			if (p[i].t > p[i - 1].t)
				d.push(p[i].t - p[i - 1].t);
		if (d.length === 0)
			return 0.04;
		d.sort((a, b) => a - b);
		return d[d.length >> 1];
	}

	setRate(r) {
		this.rate = r;
		this.video.defaultPlaybackRate = r;
		this.video.playbackRate = r;
	}

	// Plays from wallUs (µs since the epoch). Resolves once the first frames are queued.
	async seek(wallUs) {
		const gen = ++this.gen;
		this.seekStarted = performance.now();
		// An open source is kept: a new one costs a media pipeline and a decoder set-up
		// (tens of ms, hundreds on a loaded machine) on the way to the first frame.
		const reuse = this.ms !== null && this.ms.readyState === 'open' && this.sb !== null;
		this.reset(reuse);
		this.firstFrameMs = null;
		this.firstFrameAt = null;
		this.awaitT = null;
		this.timing = {};
		this.shownWallUs = null;
		this.abort = new AbortController();
		this.onState('loading');
		// The first segment's bytes are requested before anything else (a new source costs
		// the main thread several ms); the source opens while they load.
		const hit = listedAt(this.cam.id, this.stream, wallUs);
		if (hit !== undefined)
			fetchAhead(this.cam.id, this.stream, hit.seq);
		let opened;
		if (reuse) {
			opened = this.emptySource();
			opened.catch(() => {}); // awaited below; a seek that ends earlier drops it
		} else {
			this.base = 0;
			this.stale = 0;
			this.ms = new MediaSource();
			opened = waitEvent(this.ms, 'sourceopen');
			this.video.src = URL.createObjectURL(this.ms);
			this.watchFrames();
		}
		try {
			let links = listCache.get(`${this.cam.id}:${this.stream}`) || [];
			if (hit === undefined) {
				const list = await api.segments(this.cam.id, this.stream, wallUs - LIST_BEFORE_US, wallUs + LIST_AFTER_US);
				if (gen !== this.gen)
					return;
				links = Array.isArray(list.segments) ? list.segments : [];
			}
			this.mark('list');
			this.noteListed(links);
			const firstAfter = (t) => links.find((l) => l.kind === 'segment' && Number.isSafeInteger(l.seq) && l.end_us > t);
			let first = firstAfter(wallUs);
			if (first === undefined && hit === undefined) {
				// Nothing in the ten minutes listed (before the first recording, or a long
				// outage): play from the next recording, as the timeline shows it.
				const next = await this.nextRecording(wallUs);
				if (gen !== this.gen)
					return;
				if (next !== null) {
					const list = await api.segments(this.cam.id, this.stream, next - LIST_BEFORE_US, next + LIST_AFTER_US);
					if (gen !== this.gen)
						return;
					links = Array.isArray(list.segments) ? list.segments : [];
					this.noteListed(links);
					first = firstAfter(next);
					if (first !== undefined) {
						this.onSkip(wallUs, Math.max(next, first.start_us));
						wallUs = Math.max(next, first.start_us);
					}
				}
			}
			if (first === undefined) {
				this.onState('nodata', 'Nothing was recorded from this moment on.');
				return;
			}
			// A moment in a hole (an outage, or a pause of a camera that records on motion
			// only) plays from the next segment: say so rather than jump without a word.
			if (first.start_us > wallUs + SKIP_NOTE_US) {
				this.onSkip(wallUs, first.start_us);
				wallUs = first.start_us;
			}
			this.reader = this.newReader();
			this.nextSeq = first.seq;
			const link = await this.fetchLink(gen, first.seq);
			this.mark('verified');
			await opened;
			this.mark('open');
			if (gen !== this.gen || link === null)
				return;
			if (link.incomplete) {
				this.onState('edge', 'This moment is still being recorded; waiting for its segment to close…');
			} else {
				// The list came from the server: the verified link's own signed times must
				// reach the moment asked for.
				if (link.kind === 'segment' && link.info.endUs <= wallUs)
					throw new SegmentError('chain', 'the server answered with a recording that ends before the moment asked for');
				await this.append(gen, link, Math.max(wallUs, first.start_us));
				if (gen !== this.gen)
					return;
				this.onState('playing');
			}
			this.loop(gen);
		} catch (e) {
			this.fail(gen, e);
		}
	}

	// The start of the first recorded span after wallUs up to now, or null.
	async nextRecording(wallUs) {
		const r = await api.timeline(this.cam.id, this.stream, wallUs, Date.now() * 1000);
		const spans = Array.isArray(r.spans) ? r.spans : [];
		const s = spans.find((x) => Array.isArray(x) && Number.isSafeInteger(x[0]) && Number.isSafeInteger(x[1])
			&& x[0] > wallUs && x[1] > x[0]);
		return s === undefined ? null : s[0];
	}

	noteListed(links) {
		for (const l of links)
			if (Number.isSafeInteger(l.seq) && l.seq > this.listedTo && l.end_us > 0)
				this.listedTo = l.seq;
	}

	newReader() {
		this.linksRead = 0;
		return new SegmentReader(this.na, {
			camera: this.cam.id,
			stream: this.stream,
			keyFor: (c, epoch) => keys.epochKey(c, epoch),
			pins: keys.pinnedGateways(this.cam.id),
		});
	}

	// Fetches and verifies one link. Resolves to { kind, chunks, info } for a verified link,
	// { incomplete: true } when it is not there yet or still open, null when superseded.
	async fetchLink(gen, seq) {
		let bytes;
		try {
			const ahead = cachedBytes(this.cam.id, this.stream, seq);
			bytes = await (ahead !== null ? ahead : api.segmentBytes(this.cam.id, this.stream, seq, this.abort.signal));
		} catch (e) {
			if (gen !== this.gen)
				return null;
			if (e.status === 404 || e.status === 416)
				return { incomplete: true };
			throw e;
		}
		if (gen !== this.gen)
			return null;
		if (this.timing.fetched === undefined)
			this.mark('fetched');
		// Exactly the link asked for, whole; after a seek's first link, each one continues
		// the one before: a link left out, replayed or reordered by the server stops the
		// player as tampering instead of playing out of order.
		const res = readLink(this.reader, bytes, seq);
		if (res.incomplete)
			return { incomplete: true };
		if (this.linksRead > 0 && !res.info.chained)
			throw new SegmentError('chain', `link ${seq} does not continue the one before it: a recording is missing or out of order`);
		this.linksRead++;
		if (res.kind === 'gap')
			this.stats.gaps++;
		else
			this.stats.segments++;
		this.nextSeq = this.reader.next.seq;
		return { kind: res.kind, chunks: res.chunks, info: res.info };
	}

	appendBytes(bytes) {
		const sb = this.sb;
		sb.appendBuffer(bytes);
		return waitEvent(sb, 'updateend');
	}

	// Appends a run of frames in one call; their media times are spread evenly over the
	// range the run filled (frames within a GOP have one duration).
	async appendRun(gen, run, fromUs) {
		if (run.length === 0 || this.sb === null)
			return null;
		let n = 0;
		for (const c of run)
			n += c.body.length;
		const bytes = new Uint8Array(n);
		let o = 0;
		for (const c of run) {
			bytes.set(c.body, o);
			o += c.body.length;
		}
		// In 'sequence' mode a seek's first frame starts at this.base (its timestampOffset),
		// the next ones where the buffered media ends.
		const b0 = this.sb.buffered;
		const t0 = this.placed.length === 0 || b0.length === 0 ? this.base : b0.end(b0.length - 1);
		await this.appendBytes(bytes);
		if (gen !== this.gen)
			return null;
		const b1 = this.sb.buffered;
		const t1 = b1.length ? b1.end(b1.length - 1) : t0;
		const d = (t1 - t0) / run.length;
		let target = null;
		run.forEach((c, i) => {
			this.placed.push({ t: t0 + i * d, wallUs: c.wallUs });
			if (fromUs !== undefined && c.wallUs <= fromUs)
				target = t0 + i * d;
		});
		this.stats.frames += run.length;
		return target;
	}

	// Appends a verified segment's frames; with fromUs, starts at the last keyframe at or
	// before it, appends up to the frame shown at fromUs, puts the playhead there and plays,
	// then appends the rest.
	async append(gen, link, fromUs) {
		const chunks = link.chunks;
		let start = 0;
		if (fromUs !== undefined) {
			for (let i = 0; i < chunks.length; i++) {
				const c = chunks[i];
				if (c.kind === 2 && (c.flags & 1) !== 0 && c.wallUs <= fromUs)
					start = i;
			}
		}
		let run = [], target = null, positioned = fromUs === undefined;
		const position = () => {
			const b = this.sb !== null ? this.sb.buffered : null;
			if (b === null || b.length === 0)
				return;
			// Without a target: the start of this seek's frames (the last range; a kept
			// source may still hold earlier seeks' frames before it).
			const t0 = target !== null ? target : b.start(b.length - 1);
			this.video.currentTime = t0 + 0.001;
			this.awaitT = t0;
			this.mark('placed');
			this.video.playbackRate = this.rate;
			if (!this.wantPaused)
				this.video.play().catch(() => {});
			positioned = true;
		};
		for (let i = 0; i < chunks.length; i++) {
			const c = chunks[i];
			if (gen !== this.gen)
				return;
			if (c.kind === 1) {
				const t = await this.appendRun(gen, run, fromUs);
				target = t !== null ? t : target;
				run = [];
				await this.initSource(c);
				continue;
			}
			if (i < start)
				continue;
			if (!positioned && c.wallUs > fromUs && (run.length > 0 || target !== null)) {
				const t = await this.appendRun(gen, run, fromUs);
				target = t !== null ? t : target;
				run = [];
				if (gen !== this.gen)
					return;
				position();
			}
			run.push(c);
		}
		const t = await this.appendRun(gen, run, fromUs);
		target = t !== null ? t : target;
		if (gen === this.gen && !positioned)
			position();
	}

	async initSource(c) {
		if (!canPlay(c.codec))
			throw new PlayerError('codec', c.codec.startsWith('hev1') || c.codec.startsWith('hvc1')
				? 'H.265: this browser cannot play it; choose the substream'
				: `codec ${c.codec} is not playable in this browser`);
		if (this.sb === null) {
			this.codec = c.codec;
			this.sb = this.ms.addSourceBuffer(mimeFor(c.codec));
			// Frames end to end; their wall clocks (placed) give the time of day.
			this.sb.mode = 'sequence';
		} else if (c.codec !== this.codec) {
			this.codec = c.codec;
			this.sb.changeType(mimeFor(c.codec));
		}
		await this.appendBytes(c.body);
	}

	// Keeps fetching the following links while the playhead moves.
	async loop(gen) {
		try {
			// The next link's fetch and decryption would compete with the first frame's
			// decoding for the main thread: wait for that frame (or 1 s) first.
			for (let i = 0; i < 10 && this.awaitT !== null && gen === this.gen; i++)
				await sleep(100);
			await this.dropStale(gen);
			while (gen === this.gen) {
				const v = this.video, b = this.sb ? this.sb.buffered : null;
				const end = b && b.length ? b.end(b.length - 1) : 0;
				if (end - v.currentTime >= Math.max(AHEAD_MIN_S, 3 * this.rate)) {
					this.trim();
					await sleep(200);
					continue;
				}
				if (this.nextSeq > this.listedTo) {
					const from = this.placed.length ? this.placed[this.placed.length - 1].wallUs : Date.now() * 1000 - LIST_BEFORE_US;
					const list = await api.segments(this.cam.id, this.stream, from, from + LIST_AFTER_US);
					if (gen !== this.gen)
						return;
					this.noteListed(Array.isArray(list.segments) ? list.segments : []);
				}
				const link = this.nextSeq > this.listedTo ? { incomplete: true } : await this.fetchLink(gen, this.nextSeq);
				if (link === null || gen !== this.gen)
					return;
				if (link.incomplete) {
					if (end - v.currentTime < 0.5)
						this.onState('edge', 'Reached the end of the recording; waiting for more…');
					await sleep(EDGE_RETRY_MS);
					continue;
				}
				const firstMedia = this.placed.length === 0;
				await this.append(gen, link, firstMedia ? 0 : undefined);
				if (gen === this.gen && link.kind === 'segment')
					this.onState('playing');
			}
		} catch (e) {
			this.fail(gen, e);
		}
	}

	trim() {
		const sb = this.sb, t = this.video.currentTime;
		if (sb === null || sb.updating || sb.buffered.length === 0)
			return;
		const s = sb.buffered.start(0);
		if (t - s > BEHIND_S + 5) {
			sb.remove(s, t - BEHIND_S);
			const cut = t - BEHIND_S;
			let i = 0;
			while (i < this.placed.length - 1 && this.placed[i + 1].t <= cut)
				i++;
			this.placed.splice(0, i);
		}
	}

	fail(gen, e) {
		if (gen !== this.gen || (e && e.name === 'AbortError'))
			return;
		if (e instanceof SegmentError) {
			const soft = e.code === 'format' || e.code === 'decrypt';
			this.onState(e.code === 'key' ? 'nokey' : soft ? 'error' : 'tamper', e.message);
		} else if (e instanceof PlayerError) {
			this.onState(e.code === 'codec' ? 'codec' : 'error', e.message);
		} else if (e && (e.status === 401 || e.status === 403)) {
			this.onState('denied', 'No permission to view this camera\'s recordings.');
		} else {
			this.onState('error', e && e.message ? e.message : String(e));
		}
		this.gen++;
	}

	// Readies the kept source for the next seek: the append in flight aborted, and the next
	// frames placed from a media time past anything shown before (so that no late callback
	// of an old frame passes for the first new one). The old frames are removed once the
	// first new one is on screen (dropStale), off the path to it.
	async emptySource() {
		const sb = this.sb, v = this.video;
		// Not sb.abort() alone: during a trim's removal it throws, and a click on the
		// timeline at that moment ended in the error state.
		await sourceBufferAbort(sb);
		const b = sb.buffered;
		const end = Math.max(b.length ? b.end(b.length - 1) : 0, v.currentTime, this.base);
		this.base = Math.ceil(end) + 5;
		sb.timestampOffset = this.base;
		this.stale = this.base;
	}

	// Removes the frames of earlier seeks (media time before this.stale).
	async dropStale(gen) {
		const sb = this.sb;
		if (this.stale === 0 || sb === null || sb.updating || gen !== this.gen)
			return;
		const b = sb.buffered;
		if (b.length > 0 && b.start(0) < this.stale) {
			const removed = waitEvent(sb, 'updateend');
			sb.remove(0, this.stale);
			await removed;
		}
		this.stale = 0;
	}

	// Drops any fetch in flight and what was placed; the source too unless keepSource.
	reset(keepSource) {
		if (this.abort !== null)
			this.abort.abort();
		this.abort = null;
		this.placed = [];
		this.listedTo = -1;
		if (keepSource)
			return;
		this.sb = null;
		this.codec = null;
		if (this.ms !== null) {
			try {
				if (this.ms.readyState === 'open')
					this.ms.endOfStream();
			} catch (e) {
				// already closed
			}
			URL.revokeObjectURL(this.video.src);
			this.ms = null;
		}
	}

	stop() {
		this.gen++;
		this.reset();
		this.video.removeAttribute('src');
		this.video.load();
	}
}
