// player.js - the single-camera view: live on the main stream, the archive from any moment, speeds, frame steps, a date-time jump, keyboard shortcuts, and the timeline under it.
import * as api from './api.js';
import { sodium } from './sodium.js';
import { LiveFeed } from './livefeed.js';
import { ArchivePlayer, warmSegments, forgetSegments, prefetchAt } from './archive.js';
import { Timeline, clockText, dateText } from './timeline.js';
import { listEvents } from './events.js';
import { EventList, PREROLL_US } from './eventlist.js';
import { ExportDialog } from './export.js';
import { ShareDialog } from './share.js';

const SPEEDS = [0.5, 1, 2, 4, 8, 16];
const REFRESH_MS = 5000;
const JUMP_US = 10e6;

const STATE_TEXT = {
	connecting: 'Connecting…',
	loading: 'Loading…',
	nokey: 'No permission: you hold no key for this camera or this period',
	denied: 'No permission to view this camera',
	codec: 'H.265: no browser playback, use the substream',
	error: 'Stream error',
	tamper: 'Verification failed: this footage was altered or is not from your gateway',
	nodata: 'Nothing was recorded from this moment on.',
	paused: 'Records on motion only: nothing has moved. Video resumes with the next motion.',
};

const $ = (id) => document.getElementById(id);

// The browser's time zone at a moment, short ("UTC", "CET", "GMT+2"): every time the console
// shows is the browser's local time, and the clock says which.
const zoneFmt = new Intl.DateTimeFormat('en-GB', { timeZoneName: 'short' });
function zoneName(us) {
	const p = zoneFmt.formatToParts(new Date(us / 1000)).find((x) => x.type === 'timeZoneName');
	return p ? p.value : '';
}

export class CameraView {
	constructor() {
		this.cam = null;
		this.eventStart = null;
		this.mode = null;
		this.feed = null;
		this.archive = null;
		this.na = null;
		this.timer = null;
		this.refreshTimer = null;
		this.viewTimer = null;
		this.aimTimer = null;
		this.onClose = () => {};
		this.liveVideo = $('cam-live');
		this.archVideo = $('cam-archive');
		this.timeline = new Timeline($('timeline'), {
			onPick: (us) => this.pick(us),
			onAim: (us, pressed) => this.aim(us, pressed),
			onView: () => this.viewChanged(),
		});
		this.eventList = new EventList($('cam-events'), { onPlay: (us) => this.playEvent(us) });
		$('cam-back').addEventListener('click', () => this.onClose());
		$('cam-play').addEventListener('click', () => this.togglePlay());
		$('cam-step-back').addEventListener('click', () => this.step(-1));
		$('cam-step-fwd').addEventListener('click', () => this.step(1));
		$('cam-live-btn').addEventListener('click', () => this.goLive());
		$('tl-in').addEventListener('click', () => this.timeline.zoom(0.5));
		$('tl-out').addEventListener('click', () => this.timeline.zoom(2));
		$('tl-back').addEventListener('click', () => this.timeline.pan(-0.5));
		$('tl-fwd').addEventListener('click', () => this.timeline.pan(0.5));
		$('cam-speed').replaceChildren(...SPEEDS.map((s) => {
			const o = document.createElement('option');
			o.value = String(s);
			o.textContent = s + '×';
			o.selected = s === 1;
			return o;
		}));
		$('cam-speed').addEventListener('change', () => this.setRate(Number($('cam-speed').value)));
		$('cam-jump').addEventListener('submit', (e) => {
			e.preventDefault();
			this.jumpTo($('cam-when').value);
		});
		document.addEventListener('keydown', (e) => this.key(e));
		// Export and share (export.js, share.js): dialogs around the playhead.
		this.exportDlg = null;
		this.shareDlg = null;
		for (const [id, text, title, fn] of [['cam-export', 'Export', 'Export a clip as .mp4 (E)', () => this.openExport()],
			['cam-share', 'Share', 'Share a clip by link (S)', () => this.openShare()]]) {
			const b = document.createElement('button');
			Object.assign(b, { id, type: 'button', textContent: text, title });
			b.addEventListener('click', fn);
			document.querySelector('#view-camera .controls').append(b);
		}
	}

	// The moment export and share center on: the frame on screen in the archive, else now.
	dialogCenter() {
		return this.mode === 'archive' ? this.currentWall() : null;
	}

	openExport() {
		if (this.cam === null)
			return;
		if (this.exportDlg === null)
			this.exportDlg = new ExportDialog();
		this.exportDlg.open(this.na, this.cam, this.stream, this.dialogCenter());
	}

	openShare() {
		if (this.cam === null)
			return;
		if (this.shareDlg === null)
			this.shareDlg = new ShareDialog();
		this.shareDlg.open(this.na, this.cam, this.stream, this.dialogCenter());
	}

	// Opens cam ({ id, name, streams, stream, hasKey }) live on its main stream.
	async open(cam) {
		this.na = await sodium();
		this.cam = cam;
		this.stream = Array.isArray(cam.streams) && cam.streams.length > 0 && !cam.streams.includes(0) ? cam.streams[0] : 0;
		$('cam-name').textContent = cam.name;
		$('view-camera').dataset.camera = cam.id;
		$('cam-stream').textContent = this.stream === 0 ? 'main stream' : 'substream ' + this.stream;
		this.rate = 1;
		$('cam-speed').value = '1';
		const now = Date.now() * 1000;
		this.timeline.setView(now - 0.85 * 600e6, now + 0.15 * 600e6);
		this.timer = setInterval(() => this.tick(), 200);
		this.refreshTimer = setInterval(() => this.refresh(), REFRESH_MS);
		this.goLive();
		this.refresh();
	}

	close() {
		clearInterval(this.timer);
		clearInterval(this.refreshTimer);
		this.stopLive();
		this.stopArchive();
		this.cam = null;
		this.mode = null;
		this.eventList.clear();
		forgetSegments();
		// A decrypted export stays reachable by its blob URL until revoked (sign-out too).
		if (this.exportDlg !== null)
			this.exportDlg.forget();
	}

	setState(state, text) {
		const v = $('view-camera');
		v.dataset.state = state;
		const ov = $('cam-overlay');
		const msg = text || STATE_TEXT[state] || '';
		ov.textContent = msg;
		ov.hidden = state === 'live' || state === 'playing' || msg === '';
	}

	setMode(mode) {
		this.mode = mode;
		$('view-camera').dataset.mode = mode;
		$('cam-mode').textContent = mode === 'live' ? 'LIVE' : 'RECORDED';
		$('cam-mode').title = '';
		$('view-camera').dataset.liveOnly = '';
		this.liveVideo.hidden = mode !== 'live';
		this.archVideo.hidden = mode !== 'archive';
		$('cam-live-btn').disabled = mode === 'live';
		for (const id of ['cam-play', 'cam-step-back', 'cam-step-fwd', 'cam-speed'])
			$(id).disabled = mode === 'live';
	}

	stopLive() {
		if (this.feed !== null)
			this.feed.stop();
		this.feed = null;
	}

	stopArchive() {
		if (this.archive !== null)
			this.archive.stop();
		this.archive = null;
	}

	// A line under the controls about what the player did for the person ('' clears it).
	notice(text) {
		$('cam-notice').textContent = text;
		$('cam-notice').hidden = text === '';
	}

	goLive() {
		if (this.cam === null)
			return;
		this.notice('');
		this.stopArchive();
		this.setMode('live');
		$('cam-play').textContent = 'Pause';
		if (!this.cam.hasKey) {
			this.setState('nokey');
			return;
		}
		this.feed = new LiveFeed(this.na, this.cam, this.stream, this.liveVideo, (s, t) => {
			if (this.mode !== 'live')
				return;
			this.setState(s, t);
			// Records on motion only and nothing moves: live video that is not recorded.
			const lo = s === 'live' && this.feed !== null && this.feed.liveOnly;
			$('view-camera').dataset.liveOnly = lo ? '1' : '';
			$('cam-mode').textContent = lo ? 'LIVE · NOT RECORDING' : 'LIVE';
			$('cam-mode').title = lo ? 'Records on motion only: nothing is moving, so this live video is not recorded' : '';
		});
		this.feed.run();
	}

	// The pointer presses, or rests 80 ms on, a past moment: fetch its segment ahead. Resting
	// counts only while the archive already plays (the server audits archive reads: merely
	// moving over the timeline of a live view must not read the archive).
	aim(us, pressed) {
		clearTimeout(this.aimTimer);
		if (this.cam === null || !this.cam.hasKey || us >= Date.now() * 1000 - 1e6 || (!pressed && this.mode !== 'archive'))
			return;
		const cam = this.cam, stream = this.stream;
		if (pressed)
			prefetchAt(cam.id, stream, us);
		else
			this.aimTimer = setTimeout(() => prefetchAt(cam.id, stream, us), 80);
	}

	// Plays the archive from wall time us (a moment in the last second is live);
	// eventStart: the start of the event played from its pre-roll (playEvent), else null.
	pick(us, eventStart = null) {
		if (this.cam === null)
			return;
		this.eventStart = eventStart;
		const now = Date.now() * 1000;
		if (us >= now - 1e6) {
			this.goLive();
			return;
		}
		if (!this.cam.hasKey) {
			this.setState('nokey');
			return;
		}
		this.stopLive();
		this.setMode('archive');
		if (this.archive === null) {
			this.archive = new ArchivePlayer(this.na, this.cam, this.stream, this.archVideo, (s, t) => {
				if (this.mode === 'archive')
					this.setState(s, t);
			});
			this.archive.setRate(this.rate);
			this.archive.onSkip = (asked, at) => {
				// An event played from its own pre-roll: a recording that starts later but
				// still before the event is what was asked for, not a hole to explain.
				if (this.mode !== 'archive' || (this.eventStart !== null && at <= this.eventStart + 1e6))
					return;
				const why = this.timeline.pausedAt(asked) ? 'Nothing moved' : 'Nothing was recorded';
				this.notice(`${why} at ${dateText(asked)} ${clockText(asked, true)}: playing from the next recording, ${dateText(at)} ${clockText(at, true)}.`);
				$('view-camera').dataset.skippedTo = String(at);
				this.timeline.setView(at - this.timeline.span / 2, at + this.timeline.span / 2);
			};
		}
		const view = $('view-camera');
		delete view.dataset.firstFrameMs;
		delete view.dataset.firstFrameAt;
		delete view.dataset.timing;
		view.dataset.pickedUs = String(Math.round(us));
		delete view.dataset.skippedTo;
		this.notice('');
		// The clock shows the moment asked for until a frame says otherwise.
		$('cam-clock').textContent = `${dateText(us)} ${clockText(us, true)} ${zoneName(us)}`;
		$('cam-play').textContent = this.archive.wantPaused ? 'Play' : 'Pause';
		this.timeline.setPlayhead(us);
		this.archive.seek(us);
	}

	// Plays from us (an event's start minus the pre-roll), with the timeline centred on it.
	playEvent(us) {
		if (this.cam === null)
			return;
		if (us < this.timeline.from || us > this.timeline.to)
			this.timeline.setView(us - this.timeline.span / 2, us + this.timeline.span / 2);
		this.pick(us, us + PREROLL_US);
	}

	// N / P: the next or previous listed event from the frame on screen (now when live).
	nextEvent(dir) {
		const wall = this.currentWall();
		const at = this.eventList.neighbour(wall !== null ? wall : Date.now() * 1000, dir);
		if (at !== null)
			this.playEvent(at - PREROLL_US);
	}

	setRate(r) {
		if (!SPEEDS.includes(r))
			return;
		this.rate = r;
		$('cam-speed').value = String(r);
		if (this.archive !== null)
			this.archive.setRate(r);
	}

	togglePlay() {
		if (this.mode !== 'archive' || this.archive === null)
			return;
		const v = this.archVideo;
		if (v.paused) {
			this.archive.wantPaused = false;
			v.play().catch(() => {});
		} else {
			this.archive.wantPaused = true;
			v.pause();
		}
		$('cam-play').textContent = this.archive.wantPaused ? 'Play' : 'Pause';
	}

	// One frame forward or back; pauses first.
	step(dir) {
		if (this.mode !== 'archive' || this.archive === null)
			return;
		const v = this.archVideo;
		if (!v.paused) {
			this.archive.wantPaused = true;
			v.pause();
			$('cam-play').textContent = 'Play';
		}
		const d = this.archive.frameDuration();
		const b = v.buffered;
		if (b.length === 0)
			return;
		v.currentTime = Math.min(b.end(b.length - 1) - d / 2, Math.max(b.start(0), v.currentTime + dir * d));
	}

	jumpTo(value) {
		const ms = Date.parse(value);
		const st = $('cam-jump-status');
		if (!value || Number.isNaN(ms)) {
			st.textContent = 'Enter a date and time.';
			return;
		}
		if (ms > Date.now()) {
			st.textContent = 'That moment is in the future.';
			return;
		}
		st.textContent = '';
		const us = ms * 1000;
		this.timeline.setView(us - this.timeline.span / 2, us + this.timeline.span / 2);
		this.pick(us);
	}

	key(e) {
		if (this.cam === null || $('view-camera').hidden || e.ctrlKey || e.metaKey || e.altKey || document.querySelector('dialog[open]'))
			return;
		const tag = e.target && e.target.tagName;
		if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || (tag === 'BUTTON' && (e.key === ' ' || e.key === 'Enter')))
			return; // typing, or a focused button's own activation
		const playing = this.mode === 'archive' && this.archive !== null && !this.archVideo.paused;
		const wall = this.currentWall();
		switch (e.key) {
		case ' ':
			this.togglePlay();
			break;
		case 'ArrowLeft':
		case 'ArrowRight': {
			const dir = e.key === 'ArrowLeft' ? -1 : 1;
			if (this.mode === 'archive' && !playing)
				this.step(dir);
			else if (wall !== null)
				this.pick(wall + dir * JUMP_US);
			break;
		}
		case 'ArrowUp':
		case 'ArrowDown': {
			const i = SPEEDS.indexOf(this.rate) + (e.key === 'ArrowUp' ? 1 : -1);
			this.setRate(SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, i))]);
			break;
		}
		case 'l':
		case 'L':
			this.goLive();
			break;
		case 'e':
		case 'E':
			this.openExport();
			break;
		case 's':
		case 'S':
			this.openShare();
			break;
		case 'n':
		case 'N':
			this.nextEvent(1);
			break;
		case 'p':
		case 'P':
			this.nextEvent(-1);
			break;
		case '+':
		case '=':
			this.timeline.zoom(0.5);
			break;
		case '-':
			this.timeline.zoom(2);
			break;
		default:
			return;
		}
		e.preventDefault();
	}

	// The wall clock (µs) of the frame on screen, or null.
	currentWall() {
		if (this.mode === 'live' && this.feed !== null)
			return this.feed.wallAt(this.liveVideo.currentTime);
		if (this.mode === 'archive' && this.archive !== null)
			return this.archive.currentWall();
		return null;
	}

	tick() {
		if (this.cam === null)
			return;
		const view = $('view-camera');
		const wall = this.currentWall();
		const v = this.mode === 'live' ? this.liveVideo : this.archVideo;
		const q = v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : null;
		view.dataset.presented = String(q ? q.totalVideoFrames : 0);
		view.dataset.currentTime = v.currentTime.toFixed(3);
		if (wall !== null) {
			view.dataset.wallUs = String(wall);
			$('cam-clock').textContent = `${dateText(wall)} ${clockText(wall, true)} ${zoneName(wall)}`;
			if (this.mode === 'archive' && !this.timeline.dragging) {
				this.timeline.setPlayhead(wall);
				this.timeline.follow(wall);
			}
		}
		if (this.mode === 'live') {
			this.timeline.setPlayhead(null);
			if (!this.timeline.dragging && wall !== null)
				this.timeline.follow(Date.now() * 1000);
		}
		if (this.archive !== null) {
			if (this.archive.firstFrameMs !== null) {
				view.dataset.firstFrameMs = this.archive.firstFrameMs.toFixed(1);
				view.dataset.firstFrameAt = this.archive.firstFrameAt.toFixed(1);
			} else {
				delete view.dataset.firstFrameMs;
				delete view.dataset.firstFrameAt;
			}
			const v = this.archVideo, b = v.buffered;
			view.dataset.timing = JSON.stringify(Object.assign({}, this.archive.timing, {
				rs: v.readyState, ct: Number(v.currentTime.toFixed(3)), await: this.archive.awaitT,
				buf: b.length ? [b.start(0), b.end(b.length - 1)].map((x) => Number(x.toFixed(3))) : [] }));
			const s = this.archive.stats;
			$('cam-foot').textContent = this.mode === 'archive'
				? `${s.segments} segments verified · ${s.frames} frames decrypted · ${this.rate}×` : '';
		} else {
			$('cam-foot').textContent = this.feed !== null ? `${this.feed.frames} frames decrypted` : '';
		}
		this.timeline.draw();
	}

	viewChanged() {
		if (this.timeline === undefined)
			return;
		clearTimeout(this.viewTimer);
		this.viewTimer = setTimeout(() => this.refresh(), 150);
		const sp = this.timeline.span / 1e6;
		$('tl-span').textContent = sp >= 86400 ? `${(sp / 86400).toFixed(sp % 86400 ? 1 : 0)} d`
			: sp >= 3600 ? `${(sp / 3600).toFixed(sp % 3600 ? 1 : 0)} h` : `${Math.round(sp / 60)} min`;
	}

	// Redraws the recorded spans and events of the visible window.
	async refresh() {
		if (this.cam === null)
			return;
		const cam = this.cam, from = this.timeline.from, to = this.timeline.to;
		try {
			// One span per pixel at most: the server merges what is closer than that (a
			// day at most, the server's bound, when the canvas has no width yet).
			const res = Math.min(86400e6, Math.floor((to - from) / Math.max(1, $('timeline').clientWidth)));
			const r = await api.timeline(cam.id, this.stream, from, to, res);
			if (cam !== this.cam)
				return;
			const valid = (a) => Array.isArray(a) ? a.filter((s) => Array.isArray(s) && s.length === 2
				&& Number.isSafeInteger(s[0]) && Number.isSafeInteger(s[1])) : [];
			const spans = valid(r.spans), paused = valid(r.paused);
			this.timeline.setSpans(spans, paused);
			$('timeline').dataset.spans = String(spans.length);
			$('timeline').dataset.paused = String(paused.length);
			$('timeline').dataset.pausedTo = String(paused.reduce((m, s) => Math.max(m, s[1]), 0));
			$('tl-leg-pause').hidden = paused.length === 0;
			$('tl-status').textContent = spans.length > 0 ? ''
				: paused.length > 0 ? 'Nothing moved in this window: this camera records on motion only.'
					: 'Nothing recorded in this window.';
		} catch (e) {
			$('tl-status').textContent = 'Timeline unavailable: ' + e.message;
		}
		// The segment list of a window up to an hour, so that a click fetches only its segment.
		if (to - from <= 3600e6)
			warmSegments(cam.id, this.stream, from, Math.min(to, Date.now() * 1000)).catch(() => {});
		try {
			const evs = await listEvents(this.na, cam.id, from, to);
			if (cam === this.cam) {
				this.timeline.setEvents(evs);
				$('timeline').dataset.eventsOpened = String(evs.filter((e) => e.opened).length);
				this.eventList.set(this.na, evs);
			}
		} catch (e) {
			// Events are optional: a server without them still shows the recordings.
		}
	}
}
