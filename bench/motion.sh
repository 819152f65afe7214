#!/bin/bash
# bench/motion.sh - motion detection CPU per camera: the gateway's detector against Motion (Debian's `motion`, detection only, no output files) on the same RTSP streams in one run.
#
# Usage: bench/motion.sh
# Environment:
#   DURATION=30    measured seconds, after WARMUP=5 seconds of warm-up
#   RUNS=3         repetitions; tables give the median and the range [min-max]
#   KINDS="sub main"   sub = 640x360 15 fps substream; main = 1920x1080 30 fps main stream
# Input: 60 s of the scripted test scene (objects crossing, noise, light ramp, flicker),
# encoded once with libx264 (High profile, GOP 2 s; about 0.6 Mbit/s for sub, 3.4 Mbit/s
# for main) and looped by vigil-camsim --replay; both detectors read the same camsim URL
# at the same time. The gateway's side is bench/tools/motion_rtsp: the gateway's own
# detector code (RTSP read, libavcodec decode, grid, background model, events,
# thumbnails) — every frame of the substream, only the keyframes of a main stream (the
# gateway's policy when a camera has no substream); for the main stream it also runs
# once decoding every frame, for reference. CPU is utime+stime over the window.
# motion_rtsp also splits its detection CPU into the detector proper (grid, background
# model, events: "grid") and the rest ("decode": libavcodec, plus the rare thumbnail), so
# the decode's own share of Motion's CPU (the floor for any detector that decodes the
# stream) is measured in the same run. For the substream a third reader decodes with
# the deblocking filter on (motion_rtsp --deblock, libavcodec's defaults, as Motion
# decodes): its decode is about what Motion pays for decoding alone.
. "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-30}
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-5}
KINDS=${KINDS:-sub main}

need "$BIN/vigil-camsim" "$TOOLS/motion_rtsp" "$TOOLS/motion_eval" || exit 1
command -v motion >/dev/null 2>&1 || { echo "bench: motion not installed (Debian package motion; scripts/deps.sh)" >&2; exit 1; }

# media KIND: prints the path of the cached scene file for KIND.
media() {
	local size fps f
	case $1 in
	sub) size=640x360 fps=15 ;;
	main) size=1920x1080 fps=30 ;;
	esac
	f=$BENCH_MEDIA_DIR/motion-scene-$size-$fps.h264
	if [ ! -s "$f" ]; then
		mkdir -p "$BENCH_MEDIA_DIR" || return 1
		note "encoding the scripted scene at $size $fps fps (once)"
		"$TOOLS/motion_eval" --write "$f.tmp" --seconds 60 --size "$size" --fps "$fps" &&
			mv "$f.tmp" "$f" || return 1
	fi
	echo "$f"
}

# motion_conf URL W H FPS DIR: a Motion configuration that detects and writes nothing.
motion_conf() {
	mkdir -p "$5/out"
	cat >"$5/motion.conf" <<EOF
daemon off
setup_mode off
log_level 4
target_dir $5/out
netcam_url $1
netcam_use_tcp on
width $2
height $3
framerate $4
emulate_motion off
threshold 1500
despeckle_filter EedDl
picture_output off
movie_output off
movie_output_motion off
picture_output_motion off
snapshot_interval 0
webcontrol_port 0
stream_port 0
EOF
}

ticks_of() { cpu_ticks "$1"; }

: >"$BT/rows"
for kind in $KINDS; do
	case $kind in
	sub) w=640 h=360 fps=15 ;;
	main) w=1920 h=1080 fps=30 ;;
	*) echo "bench: unknown kind $kind" >&2; exit 1 ;;
	esac
	file=$(media "$kind") || { echo "bench: could not make the $kind media" >&2; exit 1; }
	for run in $(seq 1 "$RUNS"); do
		bg_start "camsim-$kind-$run" "$BIN/vigil-camsim" --replay "$file" --cameras 1 --fps "$fps" --port 0
		cs=$LAST_PID
		port=$(wait_ready "$BT/camsim-$kind-$run.log" 'READY port=([0-9]+)' 20 "$cs") || exit 1
		url="rtsp://127.0.0.1:$port/cam1/main"
		total=$((WARMUP + DURATION + 5))
		mode=
		[ "$kind" = main ] && mode=--keyframes-only
		bg_start "vigil-$kind-$run" "$TOOLS/motion_rtsp" "$url" "$total" $mode
		vp=$LAST_PID
		fp= dp=
		if [ "$kind" = main ]; then
			bg_start "vigilfull-$kind-$run" "$TOOLS/motion_rtsp" "$url" "$total"
			fp=$LAST_PID
		else
			bg_start "vigildb-$kind-$run" "$TOOLS/motion_rtsp" "$url" "$total" --deblock
			dp=$LAST_PID
		fi
		motion_conf "$url" "$w" "$h" "$fps" "$BT/motion-$kind-$run"
		bg_start "motion-$kind-$run" motion -n -c "$BT/motion-$kind-$run/motion.conf"
		mp=$LAST_PID
		wait_ready "$BT/vigil-$kind-$run.log" '(READY)' 20 "$vp" >/dev/null || exit 1
		sleep "$WARMUP"
		v0=$(ticks_of "$vp") m0=$(ticks_of "$mp")
		f0=0
		[ -n "$fp" ] && f0=$(ticks_of "$fp")
		sleep "$DURATION"
		v1=$(ticks_of "$vp") m1=$(ticks_of "$mp")
		f1=0
		[ -n "$fp" ] && f1=$(ticks_of "$fp")
		alive "$mp" || { echo "bench: motion exited: $(tail -n 3 "$BT/motion-$kind-$run.log")" >&2; exit 1; }
		vc=$(calc "($v1 - $v0) / $TICKS_PER_S / $DURATION")
		mc=$(calc "($m1 - $m0) / $TICKS_PER_S / $DURATION")
		fc=-
		[ -n "$fp" ] && fc=$(calc "($f1 - $f0) / $TICKS_PER_S / $DURATION")
		ratio=-
		awk "BEGIN { exit !($mc > 0) }" && ratio=$(calc "$vc / $mc")
		echo "$kind $run $vc $mc $ratio $fc" >>"$BT/rows"
		note "$kind run $run: vigil $vc motion $mc ratio $ratio (vigil full decode $fc)"
		for p in $mp $vp $fp $dp $cs; do bg_stop "$p"; done
		# The detector's own CPU (what detection adds to a gateway that reads the stream
		# to record it anyway), measured inside motion_rtsp over its whole run.
		dc=$(sed -n 's/.*detect_cpu_s=\([0-9.]*\) grid_cpu_s=\([0-9.]*\) stream_s=\([0-9.]*\).*/\1 \2 \3/p' "$BT/vigil-$kind-$run.log")
		dm=- dr=- gm=- dd=- ddr=-
		if [ -n "$dc" ]; then
			dm=$(echo "$dc" | awk '{ if ($3 > 0) printf "%.4g\n", $1 / $3; else print "-" }')
			gm=$(echo "$dc" | awk '{ if ($3 > 0) printf "%.4g\n", $2 / $3; else print "-" }')
			dd=$(echo "$dc" | awk '{ if ($3 > 0) printf "%.4g\n", ($1 - $2) / $3; else print "-" }')
		fi
		if [ "$dm" != - ] && awk "BEGIN { exit !($mc > 0) }"; then
			dr=$(calc "$dm / $mc")
			ddr=$(calc "$dd / $mc")
		fi
		# decode with deblocking (as Motion decodes), and its share of Motion
		db=- dbr=-
		if [ -n "$dp" ]; then
			db=$(sed -n 's/.*detect_cpu_s=\([0-9.]*\) grid_cpu_s=\([0-9.]*\) stream_s=\([0-9.]*\).*/\1 \2 \3/p' "$BT/vigildb-$kind-$run.log" |
				awk '{ if ($3 > 0) printf "%.4g\n", ($1 - $2) / $3; else print "-" }')
			[ -n "$db" ] || db=-
			[ "$db" != - ] && awk "BEGIN { exit !($mc > 0) }" && dbr=$(calc "$db / $mc")
		fi
		echo "$kind $run $vc $mc $ratio $fc $dm $dr $gm $dd $ddr $db $dbr" >"$BT/row.tmp"
		sed -i '$d' "$BT/rows"
		cat "$BT/row.tmp" >>"$BT/rows"
		note "$kind run $run: vigil detector alone $dm (ratio $dr): grid+model $gm, decode $dd (ratio $ddr); decode with deblocking $db (ratio $dbr)"
	done
done

machine_desc
echo
echo "Per-run CPU seconds per stream-second (${DURATION}s window after ${WARMUP}s warm-up)"
echo
echo "| stream | run | vigil process (RTSP + detection) | Motion 4.5 | ratio | vigil detection alone | ratio | of which grid+model | of which decode | decode / Motion | decode with deblocking (as Motion) | its / Motion | vigil process decoding every frame |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
awk '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $7, $8, $9, $10, $11, $12, $13, $6 }' "$BT/rows"
echo
echo "Summary: median [min-max] over runs (goal: ratio <= 0.33)"
echo
echo "| stream | runs | vigil process CPU s/stream-s | Motion CPU s/stream-s | ratio | vigil detection alone | ratio | decode alone / Motion | decode with deblocking / Motion | vigil process, every frame decoded |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
fmt() { set -- $1; echo "$1 [$2-$3]"; }
for kind in $KINDS; do
	mapfile -t v < <(awk -v k="$kind" '$1 == k { print $3 }' "$BT/rows")
	mapfile -t m < <(awk -v k="$kind" '$1 == k { print $4 }' "$BT/rows")
	mapfile -t r < <(awk -v k="$kind" '$1 == k { print $5 }' "$BT/rows")
	mapfile -t f < <(awk -v k="$kind" '$1 == k && $6 != "-" { print $6 }' "$BT/rows")
	mapfile -t d < <(awk -v k="$kind" '$1 == k && $7 != "-" { print $7 }' "$BT/rows")
	mapfile -t dr < <(awk -v k="$kind" '$1 == k && $8 != "-" { print $8 }' "$BT/rows")
	mapfile -t ddr < <(awk -v k="$kind" '$1 == k && $11 != "-" { print $11 }' "$BT/rows")
	mapfile -t dbr < <(awk -v k="$kind" '$1 == k && $13 != "-" { print $13 }' "$BT/rows")
	[ ${#v[@]} -gt 0 ] || continue
	full=- dbs=-
	[ ${#f[@]} -gt 0 ] && full=$(fmt "$(stats "${f[@]}")")
	[ ${#dbr[@]} -gt 0 ] && dbs=$(fmt "$(stats "${dbr[@]}")")
	case $kind in
	sub) label="360p15 substream (vigil: every frame)" ;;
	main) label="1080p30 main stream (vigil: keyframes only)" ;;
	esac
	echo "| $label | ${#v[@]} | $(fmt "$(stats "${v[@]}")") | $(fmt "$(stats "${m[@]}")") | $(fmt "$(stats "${r[@]}")") |" \
		"$(fmt "$(stats "${d[@]}")") | $(fmt "$(stats "${dr[@]}")") | $(fmt "$(stats "${ddr[@]}")") | $dbs | $full |"
done
echo "note: 'vigil process' is a standalone reader (libavformat RTSP + detection), like Motion;"
echo "      in the gateway the stream is read anyway for recording, so detection adds only"
echo "      'detection alone' (decode, grid, background model, events, thumbnails);"
echo "      'decode' is detection alone minus the detector proper (libavcodec's H.264 decode);"
echo "      'decode with deblocking' is the same decode with libavcodec's defaults, as Motion decodes."
