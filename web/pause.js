// pause.js - a motion-only camera's pause in a live view, from the gateway's signed links: when it began, how far it is signed, and when silence means offline.
import { clockText } from './timeline.js';

// Without a new sign of a pause for this long, a paused view is offline. The gateway signs
// a "no motion" gap every 30 s of the pause (RECGATE_IDLE_TICK_US), up to the oldest frame
// it holds for the pre-roll, so the first one comes 30 s plus that hold after the pause.
export const PAUSE_SILENT_MS = 90000;
const GAP_MOTION_IDLE = 5;

// Follows a motion-only camera's pause from its signed links: the segment whose end carries
// the paused flag starts it, each "no motion" gap carries it on, any other segment ends it.
// link(info) returns the text to show, or null when the link is not about a pause.
export class PauseWatch {
	constructor() {
		this.since = null;
		this.upTo = 0;
		this.signAt = 0;
	}

	link(info) {
		// Live-only video (sent while the pause goes on) neither starts nor ends it.
		if (info.kind === 'segment' && info.liveOnly === true)
			return null;
		if (info.kind === 'segment' && info.paused === true) {
			this.since = this.upTo = info.endUs;
		} else if (info.kind === 'gap' && info.reason === GAP_MOTION_IDLE) {
			if (this.since === null)
				this.since = info.fromUs;
			this.upTo = info.toUs;
		} else {
			if (info.kind === 'segment')
				this.since = null;
			return null;
		}
		this.signAt = Date.now();
		return this.text();
	}

	// What to show for the pause as signed so far.
	text() {
		const upTo = this.upTo > this.since ? ` (signed by the gateway up to ${clockText(this.upTo, true)})` : '';
		return `Records on motion only: nothing has moved since ${clockText(this.since, true)}${upTo}.`;
	}

	// Paused, and no sign of it for PAUSE_SILENT_MS: the text to show as offline, else null.
	silent() {
		if (this.since === null || Date.now() - this.signAt <= PAUSE_SILENT_MS)
			return null;
		return `No video and no sign from the gateway since ${clockText(this.upTo, true)}: the camera or its site is offline (it records on motion only).`;
	}
}
