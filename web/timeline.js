// timeline.js - the player's timeline: recorded spans, the live edge, "no motion" pauses, holes, events, the date, the now marker and the playhead on a canvas, zoomable from a week to a minute; click or drag to pick a moment.

export const MIN_SPAN_US = 60e6;
export const MAX_SPAN_US = 7 * 86400e6;
const STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
const HEIGHT = 72;
// A recording whose last span ended this recently is drawn as still going (being uploaded).
const EDGE_US = 30e6;
// A camera recording on motion only signs "no motion" every 30 s while nothing moves
// (RECGATE_IDLE_TICK_US), up to the oldest frame it holds for the pre-roll (up to 30 s,
// plus a GOP and the detector's delay): a pause whose last sign is this recent is drawn
// up to now.
const PAUSE_EDGE_US = 75e6;
const PAUSE_COLOUR = '#2b3a4a';

const pad = (n) => String(n).padStart(2, '0');

export function clockText(us, withSeconds) {
	const d = new Date(us / 1000);
	return `${pad(d.getHours())}:${pad(d.getMinutes())}${withSeconds ? ':' + pad(d.getSeconds()) : ''}`;
}

export function dateText(us) {
	const d = new Date(us / 1000);
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export class Timeline {
	// onPick(wallUs): a click or the end of a drag; onView(fromUs, toUs): the window moved;
	// onAim(wallUs, pressed): the pointer is over (or pressed at) a moment, so that its
	// footage can be fetched ahead of the click.
	constructor(canvas, { onPick, onView, onAim }) {
		this.canvas = canvas;
		this.onPick = onPick || (() => {});
		this.onAim = onAim || (() => {});
		this.onView = onView || (() => {});
		this.spans = [];
		this.paused = [];
		this.events = [];
		this.playhead = null;
		this.cursor = null;
		this.dragging = false;
		const now = Date.now() * 1000;
		this.setView(now - 600e6 * 0.85, now + 600e6 * 0.15);
		canvas.addEventListener('pointerdown', (e) => this.down(e));
		canvas.addEventListener('pointermove', (e) => this.move(e));
		canvas.addEventListener('pointerup', (e) => this.up(e));
		canvas.addEventListener('pointerleave', () => {
			if (!this.dragging) {
				this.cursor = null;
				this.draw();
			}
		});
		canvas.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
		this.ro = new ResizeObserver(() => this.draw());
		this.ro.observe(canvas);
	}

	get span() {
		return this.to - this.from;
	}

	// Sets the visible window (clamped to a minute .. a week, not past now + a fifth).
	setView(from, to) {
		let span = Math.min(MAX_SPAN_US, Math.max(MIN_SPAN_US, to - from));
		const now = Date.now() * 1000;
		let end = from + span;
		if (end > now + span * 0.2)
			end = now + span * 0.2;
		this.from = Math.round(end - span);
		this.to = Math.round(end);
		this.canvas.dataset.from = String(this.from);
		this.canvas.dataset.to = String(this.to);
		this.draw();
		this.onView(this.from, this.to);
	}

	// Zooms by factor (< 1 in) around wall time at (the middle by default).
	zoom(factor, at) {
		const c = at === undefined ? (this.playhead !== null && this.playhead > this.from && this.playhead < this.to
			? this.playhead : (this.from + this.to) / 2) : at;
		const f = (c - this.from) / this.span;
		const span = Math.min(MAX_SPAN_US, Math.max(MIN_SPAN_US, this.span * factor));
		this.setView(c - f * span, c - f * span + span);
	}

	pan(fraction) {
		this.setView(this.from + this.span * fraction, this.to + this.span * fraction);
	}

	// Keeps wall time us on screen, moving the window when it nears an edge.
	follow(us) {
		if (us < this.from || us > this.from + this.span * 0.9)
			this.setView(us - this.span * 0.5, us + this.span * 0.5);
	}

	// recorded: [[startUs, endUs]...]; paused: the same for time the gateway signed as "no
	// motion" (a camera that records on motion only).
	setSpans(spans, paused = []) {
		this.spans = spans;
		this.paused = paused;
		this.draw();
	}

	// True when wallUs lies in a "no motion" pause (or its edge up to now).
	pausedAt(wallUs) {
		const now = Date.now() * 1000;
		return this.paused.some(([a, b]) => wallUs >= a && (wallUs < b || (now - b < PAUSE_EDGE_US && wallUs <= now)));
	}

	setEvents(evs) {
		this.events = evs;
		this.canvas.dataset.events = String(evs.length);
		this.draw();
	}

	setPlayhead(us) {
		this.playhead = us;
		this.draw();
	}

	timeAt(clientX) {
		const r = this.canvas.getBoundingClientRect();
		const x = Math.min(r.width, Math.max(0, clientX - r.left));
		return Math.round(this.from + (x / r.width) * this.span);
	}

	down(e) {
		if (e.button !== 0)
			return;
		this.dragging = true;
		this.canvas.setPointerCapture(e.pointerId);
		this.cursor = this.timeAt(e.clientX);
		this.onAim(this.cursor, true);
		this.draw();
	}

	move(e) {
		this.cursor = this.timeAt(e.clientX);
		this.onAim(this.cursor, false);
		this.draw();
	}

	up(e) {
		if (!this.dragging)
			return;
		this.dragging = false;
		const t = Math.min(this.timeAt(e.clientX), Date.now() * 1000);
		this.cursor = null;
		this.onPick(t);
		this.draw();
	}

	wheel(e) {
		e.preventDefault();
		if (Math.abs(e.deltaX) > Math.abs(e.deltaY) || e.shiftKey) {
			const d = e.deltaX || e.deltaY;
			this.pan(Math.sign(d) * 0.1);
			return;
		}
		this.zoom(e.deltaY > 0 ? 1.25 : 0.8, this.timeAt(e.clientX));
	}

	draw() {
		const cv = this.canvas, dpr = window.devicePixelRatio || 1;
		const w = Math.max(1, Math.round(cv.clientWidth)), h = HEIGHT;
		if (cv.width !== w * dpr || cv.height !== h * dpr) {
			cv.width = w * dpr;
			cv.height = h * dpr;
		}
		const g = cv.getContext('2d');
		g.setTransform(dpr, 0, 0, dpr, 0, 0);
		const X = (us) => ((us - this.from) / this.span) * w;
		const now = Date.now() * 1000;
		// Holes: everything not recorded, up to now.
		g.fillStyle = '#11161c';
		g.fillRect(0, 0, w, h);
		g.fillStyle = '#3a1f24';
		g.fillRect(0, 18, Math.max(0, Math.min(w, X(now))), 26);
		// Spans in the band, each at least a pixel wide; the latest end, or null.
		const band = (list, colour) => {
			let end = null;
			g.fillStyle = colour;
			for (const [a, b] of list) {
				const x0 = Math.max(0, X(a)), x1 = Math.min(w, X(b));
				if (x1 > x0)
					g.fillRect(x0, 18, Math.max(1, x1 - x0), 26);
				if (end === null || b > end)
					end = b;
			}
			return end;
		};
		// Pauses of a camera that records on motion only: signed "no motion", not an outage.
		const lastPause = band(this.paused, PAUSE_COLOUR);
		const last = band(this.spans, '#2f9e5b');
		// The live edge: a recording that ended less than EDGE_US ago is most likely still
		// going, its newest segment on its way (a segment is indexed once it closes) —
		// unless a signed pause follows it. Likewise a pause whose last sign is recent and
		// after which nothing was recorded goes on.
		if (last !== null && now > last && now - last < EDGE_US && (lastPause === null || last > lastPause))
			band([[last, now]], '#1f5f3b');
		else if (lastPause !== null && now > lastPause && now - lastPause < PAUSE_EDGE_US && (last === null || lastPause >= last))
			band([[lastPause, now]], PAUSE_COLOUR);
		// Events: a band above the recordings.
		for (const ev of this.events) {
			const x0 = Math.max(0, X(ev.startUs)), x1 = Math.min(w, X(ev.endUs > 0 ? ev.endUs : now));
			if (x1 < 0 || x0 > w)
				continue;
			g.fillStyle = ev.opened ? '#e0a100' : '#8a6d1a';
			g.fillRect(x0, 6, Math.max(3, x1 - x0), 10);
		}
		// Ticks and labels.
		const pxPerS = w / (this.span / 1e6);
		const step = STEPS_S.find((s) => s * pxPerS >= 70) || 86400;
		const withSec = step < 60;
		const tz = new Date().getTimezoneOffset() * 60;
		g.fillStyle = '#9aa5b1';
		g.strokeStyle = '#2a323c';
		g.font = '11px system-ui, sans-serif';
		g.textBaseline = 'bottom';
		let t = Math.ceil((this.from / 1e6 - tz) / step) * step + tz;
		for (; t * 1e6 < this.to; t += step) {
			const x = Math.round(X(t * 1e6)) + 0.5;
			g.beginPath();
			g.moveTo(x, 44);
			g.lineTo(x, 52);
			g.stroke();
			const us = t * 1e6;
			const d = new Date(t * 1000);
			const label = step >= 86400 || (d.getHours() === 0 && d.getMinutes() === 0 && d.getSeconds() === 0)
				? dateText(us).slice(5) : clockText(us, withSec);
			// A label that would run past the right edge is left out, not cut.
			if (x + 3 + g.measureText(label).width <= w)
				g.fillText(label, x + 3, h - 2);
		}
		// The date, when the window is not all today: tick labels carry only the time.
		const today = dateText(now);
		if (dateText(this.from) !== today || dateText(Math.min(this.to, now)) !== today) {
			const a = dateText(this.from), b = dateText(this.to);
			const label = a === b ? a : `${a} – ${b}`;
			g.font = '11px system-ui, sans-serif';
			g.textBaseline = 'top';
			const tw = g.measureText(label).width + 8;
			g.fillStyle = '#11161cdd';
			g.fillRect(2, 2, tw, 14);
			g.fillStyle = '#e6e9ed';
			g.fillText(label, 6, 3);
			this.canvas.dataset.dateLabel = label;
		} else {
			delete this.canvas.dataset.dateLabel;
		}
		// Now.
		const xn = X(now);
		if (xn >= 0 && xn <= w) {
			g.fillStyle = '#e5484d';
			g.fillRect(xn - 1, 0, 2, 52);
		}
		// Playhead.
		if (this.playhead !== null) {
			const xp = X(this.playhead);
			if (xp >= 0 && xp <= w) {
				g.fillStyle = '#ffffff';
				g.fillRect(xp - 1, 2, 2, 48);
				g.beginPath();
				g.moveTo(xp - 5, 0);
				g.lineTo(xp + 5, 0);
				g.lineTo(xp, 6);
				g.fill();
			}
		}
		// Cursor (hover or drag) with its time.
		if (this.cursor !== null) {
			const xc = X(this.cursor);
			g.fillStyle = '#3d8bfd';
			g.fillRect(xc - 1, 0, 2, 52);
			const label = clockText(this.cursor, true);
			const tw = g.measureText(label).width + 8;
			const lx = Math.min(w - tw, Math.max(0, xc - tw / 2));
			g.fillStyle = '#3d8bfd';
			g.fillRect(lx, 20, tw, 16);
			g.fillStyle = '#fff';
			g.textBaseline = 'middle';
			g.fillText(label, lx + 4, 28);
		}
	}

	destroy() {
		this.ro.disconnect();
	}
}
