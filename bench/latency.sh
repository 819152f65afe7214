#!/bin/bash
# bench/latency.sh - the console's live latency (gateway's stamp of a frame -> frame presented in the page) with 4 and 16 cameras, and click-to-first-frame of the archive in the one-camera player, in Debian's chromium against `vigil demo`.
#
# Usage: bench/latency.sh
# Environment:
#   NS="4 16"      camera counts; each gets a fresh `vigil demo --cameras N`
#   RUNS=1         repetitions; tables give the median and the range [min-max] over runs
#   LIVE_S=60      seconds of live samples per (N, run), after WARM_S=5 s with every tile live
#   CLICKS=20      archive clicks per run, done with the first N of NS only (0: none)
#   AGO_S=30       clicked moments are AGO_S ± 10 s in the past
#   PRESS_MS=0     how long the mouse button is held (pointerdown -> pointerup)
#   HOVER_MS=0     how long the pointer rests on the moment before the press (the console
#                  fetches the segment under a pointer resting 80 ms, and on pointerdown)
#   DEMO_FLAGS=--substreams   `vigil demo` flags: by default the replayed 720p main stream and a
#                  replayed 640x360 substream per camera (the grid plays substreams); set it
#                  empty for main streams only, or --synthetic (live-encoded: costly)
# What is measured (bench/latency.mjs, playwright-core):
#   live    every frame each grid tile presents: requestVideoFrameCallback's
#           expectedDisplayTime (performance.timeOrigin-based wall clock) minus the wall time
#           the gateway stamped on that frame's chunk (web/mse.js, one 'framelatency' event per
#           frame); raw samples of all tiles pooled, not the tiles' rolling medians.
#   click   the player open on one camera, the timeline (10 min window) clicked at a moment in
#           the past; from the pointerdown and from the pointerup event (the click) to the
#           requestVideoFrameCallback of the first frame of that moment (web/archive.js's
#           firstFrameAt). Each click's steps (ms after the seek began: list, verified, open,
#           placed, frame) are printed to stderr.
# Everything (demo: server, camsim, gateway; chromium) runs on this machine's cores.
. "$(dirname "$0")/lib.sh"

NS=${NS:-4 16}
RUNS=${RUNS:-1}
LIVE_S=${LIVE_S:-60}
WARM_S=${WARM_S:-5}
CLICKS=${CLICKS:-20}
AGO_S=${AGO_S:-30}
PRESS_MS=${PRESS_MS:-0}
HOVER_MS=${HOVER_MS:-0}
DEMO_FLAGS=${DEMO_FLAGS---substreams}

need "$BIN/vigil" "$BIN/vigil-server" "$BIN/vigil-gateway" "$BIN/vigil-camsim" "$TOOLS/totp_code" || exit 1
command -v node >/dev/null || { echo "bench: node is not installed" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "bench: /usr/bin/chromium is missing (apt-get install chromium)" >&2; exit 1; }
[ -d "$BENCH_ROOT/node_modules/playwright-core" ] || { echo "bench: node_modules/playwright-core is missing (npm ci)" >&2; exit 1; }
[ -f "$BENCH_ROOT/${BUILD}/web/index.html" ] || [ -f "$BUILD/web/index.html" ] ||
	{ echo "bench: the console is not built (make)" >&2; exit 1; }

first_n=${NS%% *}
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# run_one N RUN: a fresh demo with N cameras, the driver against it; its output in $BT/out.N.RUN.
run_one() {
	local n=$1 run=$2 clicks=0 pid rc stream=
	# With substreams, the live window starts once every tile plays its substream.
	[[ " $DEMO_FLAGS " == *" --substreams "* ]] && stream=1
	[ "$n" = "$first_n" ] && clicks=$CLICKS
	note "N=$n run $run: starting vigil demo"
	# shellcheck disable=SC2086
	bg_start "demo.$n.$run" "$BIN/vigil" demo --data "$BT/demo.$n.$run" --cameras "$n" $DEMO_FLAGS
	pid=$LAST_PID
	wait_ready "$BT/demo.$n.$run.log" '(Press Ctrl-C to stop)' 240 "$pid" >/dev/null || { bg_stop "$pid"; return 1; }
	note "N=$n run $run: demo ready; ${LIVE_S}s of live samples, then $clicks clicks"
	VIGIL_DEMO_JSON=$BT/demo.$n.$run/demo.json VIGIL_TOTP_TOOL=$TOOLS/totp_code NCAM=$n STREAM=$stream \
		LIVE_S=$LIVE_S WARM_S=$WARM_S CLICKS=$clicks AGO_S=$AGO_S PRESS_MS=$PRESS_MS HOVER_MS=$HOVER_MS \
		NODE_PATH=$BENCH_ROOT/node_modules \
		timeout -k 5 $((LIVE_S + WARM_S + clicks * 15 + 240)) \
		node "$BENCH_ROOT/bench/latency.mjs" >"$BT/out.$n.$run" 2>&1
	rc=$?
	grep -E "^(CLICK |note|ERROR|PROFILE|PLAYBACK)" "$BT/out.$n.$run" >&2
	bg_stop "$pid"
	[ $rc -eq 0 ] || { note "N=$n run $run: driver exited $rc"; return 1; }
}

# field NAME LINE: the value of NAME=... in LINE.
field() {
	local re="(^| )$1=([^ ]+)"
	[[ $2 =~ $re ]] && echo "${BASH_REMATCH[2]}"
}

# cell V..: "median [min–max]" of the values (or "-" without any).
cell() {
	local s
	read -r -a s <<<"$(stats "$@")"
	[ "${s[0]}" = - ] && { echo -; return; }
	[ $# -eq 1 ] && { echo "${s[0]}"; return; }
	echo "${s[0]} [${s[1]}–${s[2]}]"
}

status=0
for ((run = 1; run <= RUNS; run++)); do
	for n in $NS; do
		run_one "$n" "$run" || status=1
	done
done

echo "Console latency: \`vigil demo\` (DEMO_FLAGS='${DEMO_FLAGS}'), Debian chromium headless, ${RUNS} run(s); median [min–max] over runs"
echo
echo "| cameras | live tiles | samples per run | latency p50 ms | latency p95 ms | min ms | max ms | goal p95 <= 500 ms |"
echo "|---:|---:|---:|---:|---:|---:|---:|---|"
for n in $NS; do
	p50=() p95=() mn=() mx=() cnt=() tiles=
	for ((run = 1; run <= RUNS; run++)); do
		line=$(grep -m1 '^LIVE all ' "$BT/out.$n.$run" 2>/dev/null) || continue
		p50+=("$(field p50 "$line")") p95+=("$(field p95 "$line")")
		mn+=("$(field min "$line")") mx+=("$(field max "$line")") cnt+=("$(field n "$line")")
		tiles+="$(field tiles "$line") "
	done
	if [ ${#p50[@]} -eq 0 ]; then
		why=$(grep -h -m1 '^ERROR' "$BT"/out."$n".* 2>/dev/null | cut -c7-)
		echo "| $n | - | - | - | - | - | - | not measured: ${why:-see the messages above} |"
		continue
	fi
	worst=$(printf '%s\n' "${p95[@]}" | sort -g | tail -n 1)
	verdict=$(awk -v w="$worst" 'BEGIN { print (w <= 500) ? "met (worst run " w ")" : "missed (worst run " w ")" }')
	echo "| $n | ${tiles% } | $(cell "${cnt[@]}") | $(cell "${p50[@]}") | $(cell "${p95[@]}") | $(cell "${mn[@]}") | $(cell "${mx[@]}") | $verdict |"
done

if [ "$CLICKS" -gt 0 ]; then
	echo
	echo "Click to first frame in the player ($first_n cameras, main stream, moments ${AGO_S} ± 10 s ago, pointer resting ${HOVER_MS} ms then button held ${PRESS_MS} ms), ms; median [min–max] over runs"
	echo
	echo "| from | clicks per run | p50 | p95 | min | max | failed | goal p95 <= 300 ms |"
	echo "|---|---:|---:|---:|---:|---:|---:|---|"
	dp50=() dp95=() up50=() up95=() umin=() umax=() cn=() fl=()
	for ((run = 1; run <= RUNS; run++)); do
		line=$(grep -m1 '^CLICKS ' "$BT/out.$first_n.$run" 2>/dev/null) || continue
		dp50+=("$(field down_p50 "$line")") dp95+=("$(field down_p95 "$line")")
		up50+=("$(field up_p50 "$line")") up95+=("$(field up_p95 "$line")")
		umin+=("$(field up_min "$line")") umax+=("$(field up_max "$line")")
		cn+=("$(field n "$line")") fl+=("$(field failed "$line")")
	done
	if [ ${#up50[@]} -eq 0 ]; then
		echo "| - | - | - | - | - | - | - | not measured (see the messages above) |"
	else
		worst=$(printf '%s\n' "${up95[@]}" | sort -g | tail -n 1)
		verdict=$(awk -v w="$worst" 'BEGIN { print (w <= 300) ? "met (worst run " w ")" : "missed (worst run " w ")" }')
		echo "| click (pointerup) | $(cell "${cn[@]}") | $(cell "${up50[@]}") | $(cell "${up95[@]}") | $(cell "${umin[@]}") | $(cell "${umax[@]}") | $(cell "${fl[@]}") | $verdict |"
		echo "| pointerdown | $(cell "${cn[@]}") | $(cell "${dp50[@]}") | $(cell "${dp95[@]}") | | | | |"
	fi
fi
echo
echo "load average: $load_start at start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (2 cores shared with the demo, chromium and other work)"
exit $status
