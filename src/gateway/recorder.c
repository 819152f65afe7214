/* recorder.c - the per-stream recording loop: reconnects, cuts segments at keyframes, keeps wall time monotonic, emits gaps. */
#include "gateway/recorder.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libavcodec/avcodec.h>
#include <sodium.h>

#include "common/buf.h"
#include "common/record.h"
#include "common/util.h"
#include "gateway/camera.h"
#include "gateway/cmaf.h"
#include "gateway/liveonly.h"
#include "gateway/motion_tap.h"
#include "gateway/recgate.h"

#define REC_LABEL_MAX 80
/* Records of a segment are written to the spool in pairs of frames when frames come fast:
 * a frame received less than REC_BATCH_US after the previous one, with nothing waiting,
 * waits for the next (at 20 fps and more: one write and one wake-up of the live uploader
 * per two frames); slower streams write every frame at once. Nothing waits longer than
 * about REC_BATCH_WAIT_US (camera_set_idle's hook writes it while the camera is silent),
 * and a batch never grows past REC_BATCH_MAX bytes (unless one frame is larger). */
#define REC_BATCH_US 50000
#define REC_BATCH_WAIT_US 100000
#define REC_BATCH_MAX ((size_t)256 * 1024)

struct recorder {
	pthread_t thread;
	int started;
	atomic_int stop;
	char label[REC_LABEL_MAX];
	char *url;
	struct recorder_params p;
	struct spool_stream *ss;

	/* Chain state: what the next link must carry. */
	uint64_t seq;
	uint8_t prev[CHAIN_HASH_LEN];

	/* Wall time, kept monotonic for this stream. */
	int64_t last_wall;
	int clock_warned;

	/* The open segment, if any. */
	struct seg_writer *w;
	int64_t seg_start;
	int64_t seg_start_dts;  /* 90 kHz media time of its first frame */
	int64_t last_frame;     /* wall time of the last frame stored */
	uint32_t frames;

	/* The live-only segment a paused stream shows its live viewers, if any: forked off
	 * the chain at seq/prev as they were when it began (liveonly.h). */
	struct seg_writer *lw;
	int64_t live_start;
	int live_logged;        /* live-only video of this pause was logged */
	struct buf lout;        /* its records, handed over as each frame is added */

	int64_t offline_since;  /* wall time the camera was last seen, 0 while it is up */
	int64_t idle_since;     /* motion only: recording paused since, 0 while it records */
	int64_t last_seen;      /* wall time of the last packet */
	int blind;              /* motion only: detection was blind at the last frame */
	struct recgate_hold *hold; /* motion only: frames held for the pre-roll */
	int short_preroll;         /* GOPs outgrow this stream's share of the pre-roll budget */
	int64_t start_wall;     /* when the recorder started, until its first connection */
	int64_t media_next;     /* 90 kHz media time where the next session continues */
	int64_t media_end_wall; /* wall time matching media_next */
	AVCodecParameters *last_par;
	int failed;             /* the spool refused a write: this stream stops */

	struct buf out;         /* records not yet written to the spool (see REC_BATCH_US) */
	int64_t pend_mono;      /* mono_us when out got its first unwritten record, 0 if empty */
	int64_t last_arrival;   /* mono_us of the last frame stored, 0 before the first */
	struct buf plain;       /* one chunk plaintext, reused */
	struct motion_tap *mt;  /* motion detection hook (motion_tap.h), may be NULL */

	/* Live reconfiguration (recorder_update): values waiting under mu for the thread. */
	pthread_mutex_t mu;
	int mu_init;
	int pend_keys;          /* pend_epoch, pend_epoch_pk, pend_target_ms are new */
	uint32_t pend_epoch;
	uint8_t pend_epoch_pk[EPOCH_PK_LEN];
	uint32_t pend_target_ms;
	atomic_int pend_mode_set; /* pend_mode replaces p.mode */
	struct recgate_mode pend_mode;
	int pend_url_set;       /* pend_url (NULL = idle) replaces url */
	char *pend_url;
	atomic_int reconnect;   /* end the session: a new url waits */
};

/* Free a camera address, wiped first: it may carry the camera's password. NULL-safe. */
static void rec_url_free(char *u)
{
	if (u != NULL)
		sodium_memzero(u, strlen(u));
	free(u);
}

/* Take a new epoch key and segment length, if any, before a segment begins or while none
 * is open (rec_tap_keys). */
static void rec_take_keys(struct recorder *r)
{
	pthread_mutex_lock(&r->mu);
	if (r->pend_keys) {
		if (r->p.epoch != r->pend_epoch ||
		    memcmp(r->p.epoch_pk, r->pend_epoch_pk, EPOCH_PK_LEN) != 0)
			log_info("recorder", "camera=%s stream=%u event=epoch_changed epoch=%u",
			    r->label, r->p.stream, r->pend_epoch);
		r->p.epoch = r->pend_epoch;
		memcpy(r->p.epoch_pk, r->pend_epoch_pk, EPOCH_PK_LEN);
		if (r->pend_target_ms != 0)
			r->p.segment_target_ms = r->pend_target_ms;
		r->pend_keys = 0;
	}
	pthread_mutex_unlock(&r->mu);
}

/* Before the motion tap sees a packet or the session's end: the key its events are sealed
 * to is the open segment's, which keeps it until it ends; with no segment open, the
 * newest configured one, taken now as the next segment would take it. Waiting for that
 * segment sealed everything a paused motion-only stream reported, the start of the very
 * event that resumes recording included, to a key the rotation had retired. */
static void rec_tap_keys(struct recorder *r)
{
	if (r->w == NULL)
		rec_take_keys(r);
}

/* Take a new recording mode, if any, before a frame. */
static void rec_take_mode(struct recorder *r)
{
	if (!atomic_load(&r->pend_mode_set))
		return;
	pthread_mutex_lock(&r->mu);
	if (atomic_load(&r->pend_mode_set)) {
		if (r->p.mode.motion_only != r->pend_mode.motion_only)
			log_info("recorder", "camera=%s stream=%u event=recording_mode mode=%s",
			    r->label, r->p.stream, r->pend_mode.motion_only ? "motion" : "continuous");
		r->p.mode = r->pend_mode;
		atomic_store(&r->pend_mode_set, 0);
	}
	pthread_mutex_unlock(&r->mu);
}

/* Take a new camera address, if any, between sessions. */
static void rec_take_url(struct recorder *r)
{
	pthread_mutex_lock(&r->mu);
	if (r->pend_url_set) {
		rec_url_free(r->url);
		r->url = r->pend_url;
		r->p.url = r->url;
		r->pend_url = NULL;
		r->pend_url_set = 0;
		log_info("recorder", "camera=%s stream=%u event=%s", r->label, r->p.stream,
		    r->url != NULL ? "address_changed" : "idle");
	}
	atomic_store(&r->reconnect, 0);
	pthread_mutex_unlock(&r->mu);
}

/* Receipt time of a frame: the wall clock, except that it never goes backwards on a
 * stream (a clock stepped back holds at the last value + 1 µs until it catches up). */
static int64_t rec_wall(struct recorder *r)
{
	int64_t t = now_us();

	if (t <= r->last_wall) {
		if (!r->clock_warned && r->last_wall - t > 1000000) {
			log_warn("recorder", "camera=%s stream=%u event=clock_backwards by_us=%lld",
			    r->label, r->p.stream, (long long)(r->last_wall - t));
			r->clock_warned = 1;
		}
		t = r->last_wall + 1;
	} else {
		r->clock_warned = 0;
	}
	r->last_wall = t;
	return t;
}

/* Let wall time jump forward to at least t (a segment end that lies past the clock). */
static void rec_wall_atleast(struct recorder *r, int64_t t)
{
	if (r->last_wall < t)
		r->last_wall = t;
}

static int rec_gap(struct recorder *r, uint16_t reason, int64_t from, int64_t to)
{
	struct gap g;
	uint8_t next[CHAIN_HASH_LEN];
	int ret = -1;

	memset(&g, 0, sizeof(g));
	g.version = SEG_VERSION;
	g.stream = r->p.stream;
	g.reason = reason;
	memcpy(g.camera_id, r->p.camera_id, CAMERA_ID_LEN);
	g.seq = r->seq;
	g.last_seq = r->seq;
	g.from_us = from;
	g.to_us = to;
	memcpy(g.prev_hash, r->prev, CHAIN_HASH_LEN);
	buf_reset(&r->out);
	if (gap_build(r->p.sk, &g, &r->out, next) != 0)
		goto out;
	if (spool_put_link(r->ss, r->seq, r->out.data, r->out.len, r->seq + 1, next, to) != 0)
		goto out;
	log_info("recorder", "camera=%s stream=%u event=gap seq=%llu reason=%u from_us=%lld to_us=%lld",
	    r->label, r->p.stream, (unsigned long long)r->seq, reason, (long long)from,
	    (long long)to);
	r->seq++;
	memcpy(r->prev, next, CHAIN_HASH_LEN);
	ret = 0;
out:
	if (ret != 0) {
		log_err("recorder", "camera=%s stream=%u event=gap_store_failed seq=%llu", r->label,
		    r->p.stream, (unsigned long long)r->seq);
		r->failed = 1;
	}
	return ret;
}

/* Write the pending records of the open link to the spool. */
static int rec_flush(struct recorder *r)
{
	if (r->out.len == 0)
		return 0;
	r->pend_mono = 0;
	if (spool_link_append(r->ss, r->out.data, r->out.len) != 0) {
		log_err("recorder", "camera=%s stream=%u event=spool_append_failed seq=%llu",
		    r->label, r->p.stream, (unsigned long long)r->seq);
		r->failed = 1;
		buf_reset(&r->out);
		return -1;
	}
	buf_reset(&r->out);
	return 0;
}

/* A frame's records were added to out: write them with whatever waited before them, or,
 * when nothing waited and frames come fast, let them wait for the next frame. */
static int rec_pending(struct recorder *r)
{
	int64_t now = mono_us();
	int fast = r->last_arrival != 0 && now - r->last_arrival < REC_BATCH_US;

	r->last_arrival = now;
	if (r->pend_mono == 0 && fast) {
		r->pend_mono = now;
		return 0;
	}
	return rec_flush(r);
}

/* camera_set_idle's hook: the camera is silent, write what waits for a next frame. */
static void rec_idle(void *arg, int64_t now)
{
	struct recorder *r = arg;

	if (r->pend_mono != 0 && now - r->pend_mono >= REC_BATCH_WAIT_US && !r->failed)
		rec_flush(r);
}

/* Append the session's init chunk (codec string, ftyp+moov) at wall time start to w's
 * records in out. 0 or -1. */
static int rec_init_chunk(struct recorder *r, struct cmaf *cm, struct seg_writer *w,
    int64_t start, struct buf *out)
{
	const uint8_t *init;
	size_t ilen;
	const char *codec = cmaf_codec(cm);
	size_t clen = strlen(codec);

	if (cmaf_init(cm, &init, &ilen) != 0 || clen == 0 || clen > 63)
		return -1;
	/* Signed header inside: a live viewer trusts the segment key before the first frame. */
	return seg_writer_init_chunk(w, start, codec, init, ilen, &r->plain, out);
}

/* Start segment seq at wall time start with the session's init chunk. */
static int rec_seg_begin(struct recorder *r, struct cmaf *cm, int64_t start)
{
	const uint8_t *init;
	size_t ilen;

	if (cmaf_init(cm, &init, &ilen) != 0)
		return -1;
	rec_take_keys(r);
	buf_reset(&r->out);
	if (seg_writer_begin(&r->w, r->p.sk, r->p.camera_id, r->p.stream, r->seq, start,
	    r->p.epoch, r->p.epoch_pk, r->prev, &r->out) != 0) {
		log_err("recorder", "camera=%s stream=%u event=segment_begin_failed", r->label,
		    r->p.stream);
		r->failed = 1;
		return -1;
	}
	if (spool_link_begin(r->ss, r->seq) != 0) {
		log_err("recorder", "camera=%s stream=%u event=spool_begin_failed seq=%llu",
		    r->label, r->p.stream, (unsigned long long)r->seq);
		seg_writer_free(r->w);
		r->w = NULL;
		r->failed = 1;
		return -1;
	}
	r->seg_start = start;
	r->frames = 0;
	if (rec_init_chunk(r, cm, r->w, start, &r->out) != 0)
		return -1;
	/* The header and init chunk wait for the segment's first frame, which follows. */
	if (r->pend_mono == 0)
		r->pend_mono = mono_us();
	return 0;
}

static int rec_seg_frame(struct recorder *r, int64_t wall, int key, const uint8_t *frag,
    size_t len)
{
	/* Keep a batch small: write what waits before a frame that would make it large. */
	if (r->out.len > 0 && r->out.len + len + 1024 > REC_BATCH_MAX && rec_flush(r) != 0)
		return -1;
	buf_reset(&r->plain);
	if (chunk_plain_put(&r->plain, CHUNK_MEDIA, key ? CHUNK_KEYFRAME : 0, wall, frag, len) != 0 ||
	    seg_writer_chunk(r->w, r->plain.data, r->plain.len, &r->out) != 0)
		return -1;
	r->frames++;
	r->last_frame = wall;
	return rec_pending(r);
}

/* Close the open segment at end (signed, final chunk) and commit it to the spool. */
static int rec_seg_end(struct recorder *r, int64_t end)
{
	uint8_t next[CHAIN_HASH_LEN];
	int ret = -1;

	if (r->w == NULL)
		return 0;
	if (end <= r->seg_start)
		end = r->seg_start + 1;
	/* The end record joins the frames still waiting in out. */
	if (seg_writer_end(r->w, end, &r->out, next) != 0 || rec_flush(r) != 0)
		goto out;
	if (spool_link_commit(r->ss, r->seq + 1, next, end) != 0) {
		log_err("recorder", "camera=%s stream=%u event=spool_commit_failed seq=%llu",
		    r->label, r->p.stream, (unsigned long long)r->seq);
		goto out;
	}
	log_info("recorder", "camera=%s stream=%u event=segment seq=%llu start_us=%lld end_us=%lld frames=%u",
	    r->label, r->p.stream, (unsigned long long)r->seq, (long long)r->seg_start,
	    (long long)end, r->frames);
	r->seq++;
	memcpy(r->prev, next, CHAIN_HASH_LEN);
	rec_wall_atleast(r, end);
	ret = 0;
out:
	if (ret != 0)
		r->failed = 1;
	seg_writer_free(r->w);
	r->w = NULL;
	return ret;
}

/* Drop the live-only segment unfinished (its viewers drop it too). */
static void rec_live_drop(struct recorder *r)
{
	if (r->lw == NULL)
		return;
	seg_writer_free(r->lw);
	r->lw = NULL;
	buf_reset(&r->lout);
	liveonly_drop(r->p.live);
}

/* Close the live-only segment at end: its final chunk and signed end go out, and the
 * chain does not move (it never held the segment). */
static void rec_live_end(struct recorder *r, int64_t end)
{
	uint8_t next[CHAIN_HASH_LEN];

	if (r->lw == NULL)
		return;
	if (end <= r->live_start)
		end = r->live_start + 1;
	buf_reset(&r->lout);
	if (seg_writer_end(r->lw, end, &r->lout, next) != 0 ||
	    liveonly_append(r->p.live, r->lout.data, r->lout.len) != 0) {
		rec_live_drop(r);
		return;
	}
	liveonly_end(r->p.live);
	buf_reset(&r->lout);
	seg_writer_free(r->lw);
	r->lw = NULL;
}

/*
 * A paused stream's frame for its live viewers: one live-only segment per GOP (signed,
 * sealed to the current epoch key, never spooled or stored), forked off the chain at the
 * seq and prev_hash the next stored link will carry, so the stored chain stays whole
 * without it. Not when the camera's "recording" object turns it off, or there is nowhere
 * to send it. Nothing here can end the session: a failure drops the live-only segment.
 */
static void rec_live_frame(struct recorder *r, struct cmaf *cm, int64_t wall, int key,
    const uint8_t *frag, size_t flen)
{
	if (r->p.live == NULL || !r->p.mode.live_while_paused) {
		rec_live_drop(r);
		return;
	}
	if (key) {
		rec_live_end(r, wall);
		/* Nobody watches (an enrolled gateway hears it from the server): upload nothing
		 * until someone does, from the next keyframe. */
		if (!liveonly_wanted(r->p.live))
			return;
		rec_take_keys(r);   /* no stored segment is open while paused */
		buf_reset(&r->lout);
		if (seg_writer_begin_live(&r->lw, r->p.sk, r->p.camera_id, r->p.stream, r->seq,
		    wall, r->p.epoch, r->p.epoch_pk, r->prev, &r->lout) != 0)
			return;
		r->live_start = wall;
		if (rec_init_chunk(r, cm, r->lw, wall, &r->lout) != 0 ||
		    liveonly_begin(r->p.live) != 0) {
			seg_writer_free(r->lw);
			r->lw = NULL;
			return;
		}
		if (!r->live_logged) {
			log_info("recorder", "camera=%s stream=%u event=live_only_started seq=%llu",
			    r->label, r->p.stream, (unsigned long long)r->seq);
			r->live_logged = 1;
		}
	}
	if (r->lw == NULL)
		return;
	buf_reset(&r->plain);
	if (chunk_plain_put(&r->plain, CHUNK_MEDIA, key ? CHUNK_KEYFRAME : 0, wall, frag,
	    flen) != 0 || seg_writer_chunk(r->lw, r->plain.data, r->plain.len, &r->lout) != 0 ||
	    liveonly_append(r->p.live, r->lout.data, r->lout.len) != 0)
		rec_live_drop(r);
	buf_reset(&r->lout);
}

/* Sleep up to ms, waking early when asked to stop. */
static void rec_sleep(struct recorder *r, int ms)
{
	struct timespec ts = { 0, 50 * 1000000L };

	while (ms > 0 && !atomic_load(&r->stop) && !atomic_load(&r->reconnect)) {
		nanosleep(&ts, NULL);
		ms -= 50;
	}
}

/* Sign the gaps that end where recording starts again, at wall time to: a camera outage
 * (when longer than RECORDER_GAP_MIN_US) and a pause for want of motion. 0 or -1. */
static int rec_cover(struct recorder *r, int64_t to)
{
	if (r->offline_since != 0 && to - r->offline_since > RECORDER_GAP_MIN_US &&
	    rec_gap(r, GAP_CAMERA_OFFLINE, r->offline_since, to) != 0)
		return -1;
	r->offline_since = 0;
	if (r->idle_since != 0 && to > r->idle_since &&
	    rec_gap(r, GAP_MOTION_IDLE, r->idle_since, to) != 0)
		return -1;
	r->idle_since = 0;
	return 0;
}

/* Store one frame of the session (cmaf fragment frag, media time dts), cutting segments
 * at keyframes. 0, or -1 to end the session. */
static int rec_store(struct recorder *r, struct cmaf *cm, int64_t wall, int64_t dts, int key,
    const uint8_t *frag, size_t flen)
{
	/* Cut at a keyframe once the segment is long enough by either clock: the camera's
	 * clock spaces keyframes exactly, so receipt jitter cannot push a 2 s GOP into the
	 * next one; the wall clock covers a camera clock that runs slow. */
	int64_t target = (int64_t)r->p.segment_target_ms * 1000;

	if (r->w != NULL && key && (wall - r->seg_start >= target ||
	    (dts - r->seg_start_dts) * 100 / 9 >= target)) {
		if (rec_seg_end(r, wall) != 0)
			return -1;
	}
	if (r->w == NULL) {
		if (!key)
			return 0;
		if (rec_cover(r, wall) != 0 || rec_seg_begin(r, cm, wall) != 0)
			return -1;
		r->seg_start_dts = dts;
	}
	return rec_seg_frame(r, wall, key, frag, flen);
}

/* Recording on motion only: hold the frame while nothing moves, pause at a keyframe when
 * motion is over, resume with the held pre-roll when it starts. 1 when the frame was held
 * (nothing more to do), 0 when it is to be stored, -1 to end the session. */
static int rec_gate(struct recorder *r, struct cmaf *cm, int64_t wall, int64_t dts, int key,
    const uint8_t *frag, size_t flen)
{
	struct recgate_frame f;
	struct recgate_motion a;
	int64_t preroll = (int64_t)r->p.mode.preroll_ms * 1000;
	int64_t upto;
	size_t pos = 0;
	int blind, hr;

	motion_tap_activity(r->mt, &a);
	blind = recgate_blind(&a, wall);
	if (blind != r->blind) {
		/* Not analysed is not "no motion": record until detection sees again. */
		log_info("recorder", "camera=%s stream=%u event=%s", r->label, r->p.stream,
		    blind ? "detection_blind_recording" : "detection_back");
		r->blind = blind;
	}
	if (recgate_want(&r->p.mode, &a, wall)) {
		/* Recording takes over from the live-only segment, from the held pre-roll on. */
		rec_live_end(r, wall);
		r->live_logged = 0;
		if (r->w == NULL && r->hold != NULL && recgate_hold_frames(r->hold) > 0) {
			/* From the keyframe at or before (start of the motion - pre-roll). */
			recgate_hold_trim(r->hold, recgate_resume_from(&a, wall) - preroll);
			if (recgate_hold_next(r->hold, &pos, &f))
				log_info("recorder", "camera=%s stream=%u event=recording_resumed "
				    "from_us=%lld held_frames=%zu", r->label, r->p.stream,
				    (long long)f.wall, recgate_hold_frames(r->hold));
			pos = 0;
			while (recgate_hold_next(r->hold, &pos, &f))
				if (rec_store(r, cm, f.wall, f.dts, f.key, f.data, f.len) != 0)
					return -1;
		}
		/* A hold lives while its stream pauses: its share of the gateway's budget goes
		 * back to the streams still paused. */
		recgate_hold_free(r->hold);
		r->hold = NULL;
		return 0;
	}
	if (r->w != NULL) {
		if (!key)
			return 0; /* motion is over: the segment ends at the next keyframe */
		seg_writer_set_end_flags(r->w, SEG_END_PAUSED);
		if (rec_seg_end(r, wall) != 0)
			return -1;
		r->idle_since = wall;
		log_info("recorder", "camera=%s stream=%u event=recording_paused at_us=%lld",
		    r->label, r->p.stream, (long long)wall);
	}
	/* A camera back from an outage while nothing moves: the outage is on the record now,
	 * the pause starts with its first frame. */
	if (r->offline_since != 0) {
		if (rec_cover(r, wall) != 0)
			return -1;
		r->idle_since = wall;
	}
	if (r->idle_since == 0)
		r->idle_since = wall;
	if (r->hold == NULL &&
	    (r->hold = recgate_hold_new(RECGATE_HOLD_MAX_BYTES, r->p.hold_budget)) == NULL) {
		rec_live_frame(r, cm, wall, key, frag, flen);
		return 1;
	}
	/* A frame not held leaves a hole in its GOP (the hold dropped it whole): start again
	 * at the next keyframe. */
	hr = recgate_hold_add(r->hold, wall, dts, key, frag, flen);
	/* A GOP larger than this stream's share of the pre-roll budget: no pre-roll. Said
	 * once when it starts, and once when a whole GOP is held again. */
	if (hr == RECGATE_HOLD_BUDGET && !r->short_preroll) {
		r->short_preroll = 1;
		log_warn("recorder", "camera=%s stream=%u event=preroll_over_share share_bytes=%zu "
		    "frame_bytes=%zu hint=\"the gateway's pre-roll budget is shared by its paused "
		    "streams; a GOP larger than a share is not held\"", r->label, r->p.stream,
		    recgate_hold_limit(r->hold), flen);
	} else if (hr == 0 && key && r->short_preroll && recgate_hold_frames(r->hold) > 1) {
		r->short_preroll = 0;
		log_info("recorder", "camera=%s stream=%u event=preroll_within_share share_bytes=%zu",
		    r->label, r->p.stream, recgate_hold_limit(r->hold));
	}
	/* An event's start is known up to its minimum duration (and the slack) late. */
	recgate_hold_trim(r->hold, wall - preroll - RECGATE_DETECT_SLACK_US - a.delay_us);
	/* The pause so far, up to the oldest frame held (a resume may still record it; with
	 * nothing held, up to this frame, which no resume can record), as a signed gap every
	 * RECGATE_IDLE_TICK_US: live viewers see the pause go on, and an outage stops the
	 * gaps. While a live-only segment runs, at its keyframe, once it has ended: the gap
	 * moves the chain on, and a live-only segment forked before it would be overtaken
	 * mid-GOP by the stored link at its seq. */
	pos = 0;
	upto = recgate_hold_next(r->hold, &pos, &f) ? f.wall : wall;
	if (key)
		rec_live_end(r, wall);
	if (upto - r->idle_since >= RECGATE_IDLE_TICK_US && r->lw == NULL) {
		if (rec_gap(r, GAP_MOTION_IDLE, r->idle_since, upto) != 0)
			return -1;
		r->idle_since = upto;
	}
	rec_live_frame(r, cm, wall, key, frag, flen);
	return 1;
}

/* One packet of a connected session, received at wall (rec_wall). 0, or -1 to end the
 * session. */
static int rec_packet(struct recorder *r, struct cmaf *cm, AVPacket *pkt, int64_t wall)
{
	int key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
	int holding = r->hold != NULL && recgate_hold_frames(r->hold) > 0;
	const uint8_t *frag;
	size_t flen;
	int rc;

	rec_take_mode(r);
	/* Continuous, with nothing held left to record: the hold's share of the gateway's
	 * pre-roll budget goes back to the other streams. */
	if (!r->p.mode.motion_only && r->hold != NULL && !holding) {
		recgate_hold_free(r->hold);
		r->hold = NULL;
	}
	/* Continuous again: recording takes over from live-only at once. */
	if (!r->p.mode.motion_only && !holding)
		rec_live_end(r, wall);
	r->last_seen = wall;
	/* A segment starts at a keyframe: wait for one, unless a live-only segment runs (a
	 * paused stream that holds nothing, its GOPs over its pre-roll share, still shows
	 * every frame live). */
	if (r->w == NULL && !key && !holding && r->lw == NULL)
		return 0;
	rc = cmaf_frame(cm, pkt, &frag, &flen);
	if (rc == CMAF_E_NOINIT)
		return 0; /* no parameter sets yet: the next keyframe may carry them */
	if (rc != 0) {
		log_warn("recorder", "camera=%s stream=%u event=remux_failed err=%d", r->label,
		    r->p.stream, rc);
		return -1;
	}
	if (r->p.mode.motion_only || holding) {
		rc = rec_gate(r, cm, wall, cmaf_last_dts(cm), key, frag, flen);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
	return rec_store(r, cm, wall, cmaf_last_dts(cm), key, frag, flen);
}

/* Media time continues across sessions: the next session starts where the last ended
 * plus the wall time spent offline, on the 90 kHz clock. */
static int64_t rec_media_base(struct recorder *r)
{
	int64_t off;

	if (r->media_end_wall == 0)
		return r->media_next;
	off = now_us() - r->media_end_wall;
	if (off < 0)
		off = 0;
	return r->media_next + off * 9 / 100;
}

static void rec_session(struct recorder *r, struct camera *cam)
{
	const AVCodecParameters *par = camera_codecpar(cam);
	struct cmaf *cm = NULL;
	AVPacket *pkt = av_packet_alloc();
	int64_t wall;
	int rc;

	if (pkt == NULL)
		goto out;
	if (r->last_par != NULL && !camera_same_codec(r->last_par, par))
		log_info("recorder", "camera=%s stream=%u event=codec_changed codec=%s width=%d height=%d",
		    r->label, r->p.stream, avcodec_get_name(par->codec_id), par->width,
		    par->height);
	if (r->last_par == NULL)
		r->last_par = avcodec_parameters_alloc();
	if (r->last_par != NULL)
		avcodec_parameters_copy(r->last_par, par);
	/* Every session gets its own muxer, so a new codec or size always brings a new
	 * init chunk; a segment never spans two sessions. */
	if (cmaf_new(&cm, par, camera_time_base(cam), camera_frame_rate(cam),
	    rec_media_base(r)) != 0)
		goto out;
	camera_set_idle(cam, rec_idle, r);
	while (!atomic_load(&r->stop) && !r->failed && !atomic_load(&r->reconnect)) {
		rc = camera_read(cam, pkt);
		if (rc != 0)
			break;
		/* Detection and recording share the frame's time, so an event ends no later
		 * than the footage around it. */
		wall = rec_wall(r);
		rec_tap_keys(r);
		motion_tap_packet(r->mt, par, pkt, wall, r->p.epoch, r->p.epoch_pk);
		rc = rec_packet(r, cm, pkt, wall);
		av_packet_unref(pkt);
		if (rc != 0)
			break;
	}
out:
	/* The session is over, whatever ended it: an open motion event ends at the last
	 * packet seen, before the gap, and is sent now rather than when the camera returns. */
	rec_tap_keys(r);
	motion_tap_stream_ended(r->mt, r->p.epoch, r->p.epoch_pk);
	/* Held frames belong to this session's muxer: a paused stream's pause ends at its
	 * last packet, and what follows is an outage. So does its live-only segment. */
	recgate_hold_free(r->hold);
	r->hold = NULL;
	rec_live_drop(r);
	if (r->w == NULL && r->idle_since != 0 && !r->failed) {
		if (r->last_seen > r->idle_since)
			rec_gap(r, GAP_MOTION_IDLE, r->idle_since, r->last_seen);
		r->offline_since = r->last_seen > r->idle_since ? r->last_seen : r->idle_since;
		r->idle_since = 0;
	}
	if (r->w != NULL) {
		int64_t end = r->last_frame + (cm != NULL ? cmaf_last_duration_us(cm) : 40000);
		rec_seg_end(r, end);
		r->offline_since = end;
	} else if (r->offline_since == 0) {
		r->offline_since = r->start_wall != 0 ? r->start_wall : rec_wall(r);
	}
	if (cm != NULL) {
		r->media_next = cmaf_next_dts(cm);
		r->media_end_wall = r->offline_since;
	}
	cmaf_free(cm);
	av_packet_free(&pkt);
}

static void *rec_main(void *arg)
{
	struct recorder *r = arg;
	int backoff = RECORDER_BACKOFF_MIN_MS;
	struct camera *cam = NULL;
	int rc;

	while (!atomic_load(&r->stop) && !r->failed) {
		if (atomic_load(&r->reconnect)) {
			rec_take_url(r);
			backoff = RECORDER_BACKOFF_MIN_MS;
		}
		if (r->url == NULL) {
			/* Removed from the configuration: idle, the outage is on the record. */
			if (r->offline_since == 0)
				r->offline_since = rec_wall(r);
			rec_sleep(r, 200);
			continue;
		}
		rc = camera_open(&cam, r->url, r->label, &r->stop);
		if (rc == CAMERA_E_STOPPED)
			break;
		if (rc == 0) {
			int64_t t0 = mono_us();
			rec_session(r, cam);
			camera_close(cam);
			cam = NULL;
			if (mono_us() - t0 >= RECORDER_GOOD_SESSION_US)
				backoff = RECORDER_BACKOFF_MIN_MS;
		} else if (r->offline_since == 0) {
			/* Down at start: the outage began when the recorder did. */
			r->offline_since = r->start_wall != 0 ? r->start_wall : rec_wall(r);
		}
		r->start_wall = 0;
		if (atomic_load(&r->stop) || r->failed)
			break;
		if (atomic_load(&r->reconnect))
			continue;
		log_info("recorder", "camera=%s stream=%u event=reconnect_wait ms=%d", r->label,
		    r->p.stream, backoff);
		rec_sleep(r, backoff);
		backoff = backoff * 2 > RECORDER_BACKOFF_MAX_MS ? RECORDER_BACKOFF_MAX_MS : backoff * 2;
	}
	/* Shutting down while the camera is away: record the outage so far. */
	if (!r->failed && r->w == NULL && r->offline_since != 0) {
		int64_t now = rec_wall(r);
		if (now - r->offline_since > RECORDER_GAP_MIN_US)
			rec_gap(r, GAP_CAMERA_OFFLINE, r->offline_since, now);
	}
	if (r->failed)
		log_err("recorder", "camera=%s stream=%u event=stream_stopped reason=spool_error",
		    r->label, r->p.stream);
	return NULL;
}

int recorder_start(struct recorder **out, struct spool *sp, const struct recorder_params *p)
{
	struct recorder *r = NULL;
	int64_t last_end = 0, now;
	int ret = -1;

	*out = NULL;
	if (p == NULL || p->url == NULL || p->sk == NULL || p->segment_target_ms == 0)
		return -1;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto out;
	r->p = *p;
	atomic_init(&r->stop, 0);
	atomic_init(&r->reconnect, 0);
	atomic_init(&r->pend_mode_set, 0);
	if (pthread_mutex_init(&r->mu, NULL) != 0)
		goto out;
	r->mu_init = 1;
	snprintf(r->label, sizeof(r->label), "%s", p->label != NULL ? p->label : "camera");
	r->p.label = r->label;
	/* A batch below REC_BATCH_MAX plus one frame of up to a record, plus the end record. */
	buf_init(&r->out, REC_BATCH_MAX + RECORD_MAX_PAYLOAD + 65536);
	buf_init(&r->plain, RECORD_MAX_PAYLOAD);
	buf_init(&r->lout, RECORD_MAX_PAYLOAD + 65536);
	if ((r->url = strdup(p->url)) == NULL)
		goto out;
	r->p.url = r->url;
	if (spool_stream_open(sp, p->camera_id, p->stream, p->sk, &r->ss, &r->seq, r->prev,
	    &last_end) != 0) {
		log_err("recorder", "camera=%s stream=%u event=spool_open_failed", r->label,
		    p->stream);
		goto out;
	}
	now = now_us();
	r->last_wall = last_end > now ? last_end : now;
	if (last_end > 0 && last_end < now && rec_gap(r, GAP_GATEWAY_RESTART, last_end, now) != 0)
		goto out;
	/* A camera that cannot be reached at start is offline since now; one that answers
	 * gets no gap for the time to its first keyframe. */
	r->start_wall = rec_wall(r);
	r->mt = motion_tap_open(p->camera_id, p->stream, r->label, p->sk);
	if (pthread_create(&r->thread, NULL, rec_main, r) != 0)
		goto out;
	r->started = 1;
	log_info("recorder", "camera=%s stream=%u event=started next_seq=%llu", r->label,
	    p->stream, (unsigned long long)r->seq);
	*out = r;
	r = NULL;
	ret = 0;
out:
	recorder_stop(r);
	return ret;
}

struct spool_stream *recorder_spool_stream(const struct recorder *r)
{
	return r->ss;
}

void recorder_signal(struct recorder *r)
{
	if (r != NULL)
		atomic_store(&r->stop, 1);
}

void recorder_stop(struct recorder *r)
{
	if (r == NULL)
		return;
	recorder_signal(r);
	if (r->started)
		pthread_join(r->thread, NULL);
	motion_tap_close(r->mt);
	seg_writer_free(r->w);
	recgate_hold_free(r->hold);
	avcodec_parameters_free(&r->last_par);
	seg_writer_free(r->lw);
	buf_free(&r->lout);
	buf_free(&r->out);
	buf_free(&r->plain);
	rec_url_free(r->url);
	rec_url_free(r->pend_url);
	if (r->mu_init)
		pthread_mutex_destroy(&r->mu);
	free(r);
}

void recorder_set_mode(struct recorder *r, const struct recgate_mode *m)
{
	if (r == NULL || m == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->pend_mode = *m;
	atomic_store(&r->pend_mode_set, 1);
	pthread_mutex_unlock(&r->mu);
}

int recorder_update(struct recorder *r, const char *url, uint32_t epoch,
    const uint8_t epoch_pk[EPOCH_PK_LEN], uint32_t segment_target_ms)
{
	char *u = NULL;
	int url_changed;

	if (r == NULL || epoch_pk == NULL)
		return -1;
	if (url != NULL && (u = strdup(url)) == NULL)
		return -1;
	pthread_mutex_lock(&r->mu);
	/* A removal (url NULL) carries no keys: the segment in progress, or one that begins
	 * before the thread sees the removal, keeps the current epoch key. Taking the
	 * placeholder key here sealed that segment to nothing and stopped the stream. */
	if (url != NULL) {
		r->pend_keys = 1;
		r->pend_epoch = epoch;
		memcpy(r->pend_epoch_pk, epoch_pk, EPOCH_PK_LEN);
		r->pend_target_ms = segment_target_ms;
	}
	/* Compare with what the thread will use next: a pending address, else its own. */
	{
		const char *cur = r->pend_url_set ? r->pend_url : r->url;
		url_changed = (cur == NULL) != (u == NULL) || (cur != NULL && strcmp(cur, u) != 0);
	}
	if (url_changed) {
		rec_url_free(r->pend_url);
		r->pend_url = u;
		u = NULL;
		r->pend_url_set = 1;
		atomic_store(&r->reconnect, 1);
	}
	pthread_mutex_unlock(&r->mu);
	rec_url_free(u);
	return 0;
}
