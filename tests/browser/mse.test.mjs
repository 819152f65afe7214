// mse.test.mjs - the live player (web/mse.js) in chromium on a real H.264 stream: after a backlog arrives at once it catches up with the live edge by playing from a keyframe, never from between keyframes (which makes the decoder decode the frames before, unseen); and sourceBufferAbort, the archive player's seek, during a removal of old frames.
// Usage: node mse.test.mjs WEBDIR FIXTUREDIR   (FIXTUREDIR/frag.mp4: 25 fps, a keyframe every 50 frames, one moof+mdat per frame; prints PASS/FAIL lines)
import { chromium } from 'playwright-core';
import http from 'node:http';
import { readFileSync } from 'node:fs';

const [webDir, fixDir] = process.argv.slice(2);
let failures = 0;
const check = (name, ok, why) => {
	if (ok) {
		console.log(`PASS ${name}`);
	} else {
		failures++;
		console.log(`FAIL ${name}: ${why}`);
	}
};

// The page: one LivePlayer fed the fixture's frames from the test (window.feed).
const PAGE = `<!doctype html><html><body><video id="v" width="640" height="360"></video>
<script type="module">
import { LivePlayer, sourceBufferAbort } from './mse.js';
const sizeAt = (u, o) => ((u[o] << 24) >>> 0) + (u[o + 1] << 16) + (u[o + 2] << 8) + u[o + 3];
const u = new Uint8Array(await (await fetch('frag.mp4')).arrayBuffer());
const boxes = [];
for (let o = 0; o + 8 <= u.length; ) {
	const n = sizeAt(u, o);
	boxes.push({ type: String.fromCharCode(...u.subarray(o + 4, o + 8)), start: o, end: o + n });
	o += Math.max(n, 8);
}
const first = boxes.findIndex((b) => b.type === 'moof');
const init = u.slice(0, boxes[first].start);
const frames = [];
for (let i = first; i + 1 < boxes.length && boxes[i].type === 'moof'; i += 2)
	frames.push(u.slice(boxes[i].start, boxes[i + 1].end));
const v = document.getElementById('v');
const player = new LivePlayer(v);
window.seeks = [];
v.addEventListener('seeking', () => window.seeks.push(v.currentTime));
let next = 0;
player.init('avc1.64001e', init);
// count frames at once, as a backlog after a stalled connection arrives
window.feed = (count) => {
	for (let i = 0; i < count; i++, next++)
		player.media(frames[next % frames.length], next % 50 === 0, next);
};
// The player notes where it placed each frame ({ t, wallUs }); here wallUs is the frame's
// index in the feed, so a keyframe's is a multiple of 50. The frame shown at moment s is the
// last one placed at or before it.
window.frameAt = (s) => {
	let f = null;
	for (const p of player.placed)
		if (p.t <= s + 1e-6 && (f === null || p.t >= f.t))
			f = p;
	return f === null ? null : f.wallUs;
};
window.lag = () => {
	const b = v.buffered;
	return b.length ? b.end(b.length - 1) - v.currentTime : -1;
};
window.state = () => ({ t: v.currentTime, lag: window.lag(), jumps: player.jumps, seeks: window.seeks.slice(),
	seekFrames: window.seeks.map(window.frameAt) });
// A second source: the whole fixture appended, then a removal of old frames (the archive
// player's trim) in flight when a seek resets the buffer. sb.abort() alone throws there
// (a timeline click in the player ended in "error"); sourceBufferAbort waits it out.
window.abortDuringRemove = async (useHelper) => {
	const ms = new MediaSource(), v2 = document.createElement('video');
	v2.src = URL.createObjectURL(ms);
	await new Promise((r) => ms.addEventListener('sourceopen', r, { once: true }));
	const sb = ms.addSourceBuffer('video/mp4; codecs="avc1.64001e"');
	sb.mode = 'sequence';
	const done = () => new Promise((r) => sb.addEventListener('updateend', r, { once: true }));
	sb.appendBuffer(init);
	await done();
	sb.appendBuffer(await new Blob(frames).arrayBuffer());
	await done();
	const before = sb.buffered.start(0);
	sb.remove(0, 4);
	const removing = sb.updating;
	let err = null;
	try {
		if (useHelper)
			await sourceBufferAbort(sb);
		else
			sb.abort();
	} catch (e) {
		err = e.name;
	}
	if (sb.updating)
		await done();
	const r = { removing, err, updating: sb.updating, before, start: sb.buffered.length ? sb.buffered.start(0) : -1 };
	URL.revokeObjectURL(v2.src);
	return r;
};
window.ready = true;
</script></body></html>`;

const files = { '/': [PAGE, 'text/html'], '/mse.js': [readFileSync(`${webDir}/mse.js`), 'text/javascript'],
	'/frag.mp4': [readFileSync(`${fixDir}/frag.mp4`), 'video/mp4'] };
const srv = http.createServer((req, res) => {
	const f = files[req.url];
	res.writeHead(f ? 200 : 404, { 'content-type': f ? f[1] : 'text/plain' });
	res.end(f ? f[0] : '');
}).listen(0, '127.0.0.1');
await new Promise((r) => srv.on('listening', r));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
	args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'] });
try {
	const page = await browser.newPage();
	page.on('pageerror', (e) => check('no_page_error', false, e.message));
	await page.goto(`http://127.0.0.1:${srv.address().port}/`);
	await page.waitForFunction(() => window.ready === true, null, { timeout: 20000 });
	// Live: a frame every 40 ms for 3 s.
	const tick = async (n) => {
		for (let i = 0; i < n; i++) {
			await page.evaluate(() => window.feed(1));
			await page.waitForTimeout(40);
		}
	};
	await tick(75);
	const before = await page.evaluate(() => window.state());
	check('plays_near_live', before.lag >= 0 && before.lag < 0.6, JSON.stringify(before));
	// A backlog of 3.3 s arrives at once (a stalled connection that resumes), then live again.
	await page.evaluate(() => window.feed(82));
	await tick(100);
	const after = await page.evaluate(() => window.state());
	check('caught_up_with_live', after.lag >= 0 && after.lag < 0.6 && after.jumps > before.jumps, JSON.stringify(after));
	// Every seek lands on a keyframe (the frame placed at or just before it), none between.
	const off = after.seekFrames.filter((i) => i === null || i % 50 !== 0);
	check('seeks_land_on_keyframes', after.seeks.length > 0 && off.length === 0,
		JSON.stringify({ seeks: after.seeks, frames: after.seekFrames }));
	// The archive player's seek while old frames are being removed.
	const plain = await page.evaluate(() => window.abortDuringRemove(false));
	check('plain_abort_throws_during_remove', plain.removing && plain.err === 'InvalidStateError', JSON.stringify(plain));
	const safe = await page.evaluate(() => window.abortDuringRemove(true));
	check('source_buffer_abort_during_remove', safe.removing && safe.err === null && !safe.updating && safe.start >= 3.9,
		JSON.stringify(safe));
} finally {
	await browser.close();
	srv.close();
}
process.exit(failures > 0 ? 1 : 0);
