// eventlist.js - the player's list of the motion events in the timeline's window, newest first: the thumbnail the gateway took of the most active frame, when and how long, the zones touched and the peak score; a click plays from a few seconds before the event.
import { clockText, dateText } from './timeline.js';

// Playing an event starts this long before it, so the person sees what led to it.
export const PREROLL_US = 5e6;
const SHOWN_MAX = 50;

function durationText(us) {
	const s = Math.max(1, Math.round(us / 1e6));
	if (s < 60)
		return `${s} s`;
	const m = Math.floor(s / 60);
	if (m < 60)
		return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
	return `${Math.floor(m / 60)} h ${m % 60} min`;
}

// A data: URL for a JPEG that starts like one (SOI then a marker), else null. The bytes come
// from a payload only the camera's key holders can open; the browser's decoder still sees
// them as untrusted input.
function jpegURL(na, jpeg) {
	if (!(jpeg instanceof Uint8Array) || jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8 || jpeg[2] !== 0xff)
		return null;
	return 'data:image/jpeg;base64,' + na.to_base64(jpeg, na.base64_variants.ORIGINAL);
}

// An element with a class and a text (text only: nothing here is parsed as HTML).
function el(tag, cls, text) {
	const e = document.createElement(tag);
	if (cls)
		e.className = cls;
	if (text !== undefined)
		e.textContent = text;
	return e;
}

export class EventList {
	// root: the list's container; onPlay(wallUs): play the archive from that moment.
	constructor(root, { onPlay }) {
		this.root = root;
		this.onPlay = onPlay;
		this.key = null;
		this.events = [];
	}

	clear() {
		this.key = null;
		this.events = [];
		this.root.replaceChildren();
		delete this.root.dataset.count;
	}

	// evs: events.js listEvents() output. Rebuilds the DOM only when the list changed (the
	// player refreshes every 5 s); a rebuild encodes the thumbnails again (a few KiB each).
	set(na, evs) {
		const shown = evs.slice().sort((a, b) => b.startUs - a.startUs).slice(0, SHOWN_MAX);
		const key = shown.map((e) => `${e.id}:${e.startUs}:${e.endUs}:${e.opened}:${e.unverified}`).join(',') + `/${evs.length}`;
		if (key === this.key)
			return;
		this.key = key;
		this.events = shown;
		this.root.dataset.count = String(evs.length);
		const head = el('h3', '', evs.length === 0 ? 'Motion events'
			: `Motion events in this window: ${evs.length}${evs.length > shown.length ? ` (newest ${shown.length} shown)` : ''}`);
		const kids = [head];
		if (shown.length === 0) {
			kids.push(el('p', 'muted', 'No motion in this window. Zoom out or move the timeline to look further back.'));
		} else {
			const ol = el('ol', 'ev-list');
			// A thumbnail only from a payload that opened and verified in this listing: never
			// one remembered by id, which the server chooses (a forged event could reuse a
			// genuine one's id and borrow its picture).
			for (const e of shown)
				ol.append(this.item(e, e.opened && !e.unverified ? jpegURL(na, e.jpeg) : null));
			kids.push(ol);
		}
		this.root.replaceChildren(...kids);
	}

	item(e, url) {
		const li = el('li');
		const b = el('button', 'ev-item');
		b.type = 'button';
		b.dataset.start = String(e.startUs);
		b.dataset.id = e.id;
		const when = `${dateText(e.startUs)} ${clockText(e.startUs, true)}`;
		b.title = `Play from ${durationText(PREROLL_US)} before ${when}`;
		if (url !== null) {
			const img = document.createElement('img');
			img.src = url;
			img.alt = `Motion at ${when}`;
			img.width = 160;
			img.height = 90;
			b.append(img);
		} else {
			b.append(el('span', 'ev-noimg', e.unverified ? 'not verified' : e.opened ? 'no picture' : 'sealed'));
		}
		const t = el('span', 'ev-text');
		t.append(el('strong', '', when), el('span', '', e.endUs === 0 ? 'ongoing' : durationText(e.endUs - e.startUs)));
		if (e.unverified) {
			t.append(el('span', 'ev-bad', 'not verified: not signed by a gateway of this organization (or recorded before events were signed)'));
		} else if (!e.opened) {
			t.append(el('span', 'muted', 'details not readable with your keys'));
		} else {
			const zones = e.zones.length > 0 ? `zones: ${e.zones.join(', ')}` : 'whole picture';
			t.append(el('span', 'muted', e.score !== null ? `${zones} · peak ${(e.score / 10).toFixed(1)} %` : zones));
		}
		b.append(t);
		b.addEventListener('click', () => this.onPlay(e.startUs - PREROLL_US));
		li.append(b);
		return li;
	}

	// The start of the next event (dir 1) or the previous one (dir -1) from the playhead us,
	// among the listed ones, or null. Measured from us + PREROLL_US: right after playing an
	// event the playhead sits that far before it, and "next" must not pick it again.
	neighbour(us, dir) {
		const ref = us + PREROLL_US;
		let best = null;
		for (const e of this.events) {
			if (dir > 0 && e.startUs > ref + 1e6 && (best === null || e.startUs < best))
				best = e.startUs;
			if (dir < 0 && e.startUs < ref - 1e6 && (best === null || e.startUs > best))
				best = e.startUs;
		}
		return best;
	}
}
