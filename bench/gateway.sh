#!/bin/bash
# bench/gateway.sh - CPU and memory per camera of one vigil-gateway (record, encrypt, sign, upload) against one ffmpeg HLS remuxer per camera.
#
# Usage: bench/gateway.sh
# Environment:
#   NS="1 16 48"   camera counts
#   DURATION=60    measured seconds per side, after WARMUP=5 seconds of warm-up
#   RUNS=3         repetitions; tables give the median and the range [min-max]
#   BENCH_TMP=/tmp where the server's data, the gateway's spool and ffmpeg's HLS go
#   DETECTION=off  motion detection in the gateway: off compares like with like (ffmpeg
#                  detects nothing); "on" adds its keyframe decoding (bench/motion.sh
#                  measures detection against Motion)
#   FLOOR=on       also time `ffmpeg -c copy -f null` per camera: the RTSP pull and demux
#                  alone, the part of both sides' cost that libavformat sets
# For each count N and run: vigil-camsim replays a 720p25 3 Mbit/s H.264 file as N cameras;
# (a) one vigil-gateway records all N and uploads to a running vigil-server; (b) N
# `ffmpeg -c copy -f hls` processes, one per camera, record the same streams; (c) with
# FLOOR=on, N `ffmpeg -c copy -f null` processes only pull and demux them. CPU is
# utime+stime from /proc/PID/stat over the window, memory VmRSS at its end and VmHWM.
. "$(dirname "$0")/lib.sh"

NS=${NS:-1 16 48}
DURATION=${DURATION:-60}
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-5}
DETECTION=${DETECTION:-off}
FLOOR=${FLOOR:-on}
case "$DETECTION" in on) DET=true ;; off) DET=false ;; *) echo "bench: DETECTION=on|off" >&2; exit 2 ;; esac

need "$BIN/vigil-camsim" "$BIN/vigil-server" "$BIN/vigil-gateway" "$TOOLS/ingest_load" || exit 1
MEDIA=$(bench_media) || { echo "bench: could not make the test media" >&2; exit 1; }

# provision N DIR: gateway key, N cameras with fresh ids and epoch keys, DIR/gateway.json,
# and the gateway registered with the server. Falls back to `vigil provision` when the
# gateway's id cannot be read from `vigil-gateway keygen`.
provision() {
	local n=$1 dir=$2 gw_id i line cams=
	mkdir -p "$dir/spool" || return 1
	"$BIN/vigil-gateway" keygen --key "$dir/gateway.key" >"$dir/keygen.out" 2>&1 || {
		echo "bench: vigil-gateway keygen failed: $(tail -n 2 "$dir/keygen.out")" >&2
		return 1
	}
	gw_id=$(grep -oE '\b[0-9a-f]{64}\b' "$dir/keygen.out" | head -n 1)
	if [ -z "$gw_id" ]; then
		need "$BIN/vigil" || return 1
		"$BIN/vigil" provision --data "$dir" --cameras "$n" --rtsp-base "rtsp://127.0.0.1:$CAMSIM_PORT" \
			--main-only --server "$SERVER_URL" --admin-token-file "$BT/admin.token" \
			--gateway-key "$dir/gateway.key" --spool "$dir/spool" >"$dir/provision.out" 2>&1 || {
			echo "bench: vigil provision failed: $(tail -n 2 "$dir/provision.out")" >&2
			return 1
		}
		return 0
	fi
	curl -sS -f -o /dev/null -X POST -H "Authorization: Bearer $(cat "$BT/admin.token")" \
		-H 'Content-Type: application/json' -d "{\"gateway_id\":\"$gw_id\"}" \
		"$SERVER_URL/api/v1/gateways" || { echo "bench: registering the gateway failed" >&2; return 1; }
	for ((i = 1; i <= n; i++)); do
		line=$("$TOOLS/ingest_load" camkey) || return 1
		[[ $line =~ camera_id=([0-9a-f]{32})\ epoch_pk=([0-9a-f]{64}) ]] || return 1
		[ -n "$cams" ] && cams+=","
		cams+="{\"name\":\"cam$i\",\"id\":\"${BASH_REMATCH[1]}\",\"epoch\":1,"
		cams+="\"epoch_public_key\":\"${BASH_REMATCH[2]}\",\"streams\":[{\"index\":0,"
		cams+="\"url\":\"rtsp://127.0.0.1:$CAMSIM_PORT/cam$i/main\"}],\"detection\":{\"enabled\":$DET}}"
	done
	printf '{"server":"%s","key_file":"%s","spool_dir":"%s","spool_max_bytes":%d,"segment_target_ms":2000,"cameras":[%s]}\n' \
		"$SERVER_URL" "$dir/gateway.key" "$dir/spool" $((4 * 1024 * 1024 * 1024)) "$cams" \
		>"$dir/gateway.json"
}

# What the server holds: "cameras_with_segments segments bytes".
server_holdings() {
	curl -sS -f -H "Authorization: Bearer $(cat "$BT/admin.token")" "$SERVER_URL/api/v1/cameras" |
		node -e 'let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
const c = JSON.parse(s).cameras || [], n = (x, k) => x[k] || 0;
console.log(c.filter(x => n(x, "segments") > 0).length,
	c.reduce((a, x) => a + n(x, "segments"), 0), c.reduce((a, x) => a + n(x, "bytes"), 0)); })' \
		2>/dev/null || echo "? ? ?"
}

# Measures the processes given as pids for DURATION s after WARMUP s; sets M_CPU (CPU
# seconds), M_RSS and M_HWM (KiB), and M_SRV (server CPU seconds, when SRV_PID is set).
measure() {
	local t0 t1 s0=0 s1=0 pid
	sleep "$WARMUP"
	t0=$(cpu_ticks "$@")
	[ -n "${SRV_PID:-}" ] && s0=$(cpu_ticks "$SRV_PID")
	sleep "$DURATION"
	t1=$(cpu_ticks "$@")
	[ -n "${SRV_PID:-}" ] && s1=$(cpu_ticks "$SRV_PID")
	M_RSS=$(rss_kib "$@")
	M_HWM=$(hwm_kib "$@")
	M_CPU=$(calc "($t1 - $t0) / $TICKS_PER_S")
	M_SRV=$(calc "($s1 - $s0) / $TICKS_PER_S")
	M_DEAD=0
	for pid in "$@"; do
		alive "$pid" || M_DEAD=$((M_DEAD + 1))
	done
}

# One run with N cameras; appends "n run side cpu_per_stream_s rss_mib_per_cam hwm_mib_per_cam
# server_cpu_per_stream_s extra" lines to $BT/rows.
run_once() {
	local n=$1 r=$2 dir i pids=() held
	dir=$BT/run-$n-$r
	mkdir -p "$dir" || return 1
	bg_start "camsim-$n-$r" "$BIN/vigil-camsim" --replay "$MEDIA" --cameras "$n" --port 0 --fps 25
	CAMSIM_PID=$LAST_PID
	CAMSIM_PORT=$(wait_ready "$BT/camsim-$n-$r.log" 'READY port=([0-9]+)' 30 "$CAMSIM_PID") ||
		return 1

	# (a) vigil: one gateway for all N cameras, uploading to a server.
	server_start "server-$n-$r" "$dir/server" || { echo "bench: server did not start" >&2; return 1; }
	provision "$n" "$dir" || return 1
	bg_start "gateway-$n-$r" "$BIN/vigil-gateway" run --config "$dir/gateway.json"
	GW_PID=$LAST_PID
	note "N=$n run $r: vigil-gateway (pid $GW_PID) warm-up ${WARMUP}s + ${DURATION}s"
	SRV_PID=$SERVER_PID measure "$GW_PID"
	[ "$M_DEAD" -eq 0 ] || { echo "bench: the gateway exited during the window" >&2; return 1; }
	held=$(server_holdings)
	bg_stop "$GW_PID"
	bg_stop "$SERVER_PID"
	echo "$n $r vigil $(calc "$M_CPU / ($DURATION * $n)") $(calc "$M_RSS / 1024 / $n")" \
		"$(calc "$M_HWM / 1024 / $n") $(calc "$M_SRV / ($DURATION * $n)") ${held// /,}" >>"$BT/rows"
	note "  vigil cpu_s=$M_CPU rss_kib=$M_RSS hwm_kib=$M_HWM server_cpu_s=$M_SRV server_holds(cams,segs,bytes)=$held"

	# (b) the peer: one ffmpeg HLS remuxer per camera.
	for ((i = 1; i <= n; i++)); do
		mkdir -p "$dir/hls/cam$i" || return 1
		bg_start "ffmpeg-$n-$r-$i" ffmpeg -nostdin -loglevel error -rtsp_transport tcp \
			-i "rtsp://127.0.0.1:$CAMSIM_PORT/cam$i/main" -c copy -f hls -hls_time 2 \
			-hls_list_size 5 -hls_flags delete_segments "$dir/hls/cam$i/index.m3u8"
		pids+=("$LAST_PID")
	done
	note "N=$n run $r: $n ffmpeg warm-up ${WARMUP}s + ${DURATION}s"
	SRV_PID='' measure "${pids[@]}"
	[ "$M_DEAD" -eq 0 ] || { echo "bench: $M_DEAD ffmpeg processes exited during the window" >&2; return 1; }
	held=$(find "$dir/hls" -name index.m3u8 | wc -l)
	bg_stop "${pids[@]}"
	echo "$n $r ffmpeg $(calc "$M_CPU / ($DURATION * $n)") $(calc "$M_RSS / 1024 / $n")" \
		"$(calc "$M_HWM / 1024 / $n") - playlists=$held" >>"$BT/rows"
	note "  ffmpeg cpu_s=$M_CPU rss_kib=$M_RSS hwm_kib=$M_HWM playlists=$held"

	# (c) the floor: the same RTSP pull and demux with nothing written (-f null). Any
	# recorder built on libavformat, as the gateway must be, pays at least about this.
	if [ "$FLOOR" = on ]; then
		pids=()
		for ((i = 1; i <= n; i++)); do
			bg_start "demux-$n-$r-$i" ffmpeg -nostdin -loglevel error -rtsp_transport tcp \
				-i "rtsp://127.0.0.1:$CAMSIM_PORT/cam$i/main" -c copy -f null -
			pids+=("$LAST_PID")
		done
		note "N=$n run $r: $n ffmpeg -f null (demux only) warm-up ${WARMUP}s + ${DURATION}s"
		SRV_PID='' measure "${pids[@]}"
		[ "$M_DEAD" -eq 0 ] || { echo "bench: $M_DEAD demux-only ffmpeg processes exited" >&2; return 1; }
		bg_stop "${pids[@]}"
		echo "$n $r demux $(calc "$M_CPU / ($DURATION * $n)") $(calc "$M_RSS / 1024 / $n")" \
			"$(calc "$M_HWM / 1024 / $n") - -" >>"$BT/rows"
		note "  demux-only cpu_s=$M_CPU"
	fi
	bg_stop "$CAMSIM_PID"
	rm -rf "$dir"
}

: >"$BT/rows"
status=0
for n in $NS; do
	for ((r = 1; r <= RUNS; r++)); do
		run_once "$n" "$r" || { echo "bench: N=$n run $r failed" >&2; status=1; break 2; }
	done
done

FLOORS=()
# Per-run ratios of column 4 (CPU) of side a over side b, n cameras.
ratio_of() {
	awk -v n="$1" -v a="$2" -v b="$3" '$1 == n { v[$2 " " $3] = $4 }
		END { for (k in v) { split(k, x, " "); if (x[2] == a && ((x[1] " " b) in v) && v[x[1] " " b] > 0)
			print v[k] / v[x[1] " " b] } }' "$BT/rows"
}
# Column c (1-based) of the rows of side s with n cameras.
col() { awk -v n="$1" -v s="$2" -v c="$3" '$1 == n && $3 == s { print $c }' "$BT/rows"; }
fmt() { # "median min max" -> "median [min-max]"
	local m lo hi
	read -r m lo hi <<<"$1"
	echo "$m [$lo–$hi]"
}

echo
echo "Per-run measurements (${DURATION}s window after ${WARMUP}s warm-up; 720p25 3 Mbit/s H.264 replayed by vigil-camsim)"
echo
echo "| cameras | run | side | CPU s per stream-s | RSS MiB per camera | HWM MiB per camera | server CPU s per stream-s | check |"
echo "|---:|---:|---|---:|---:|---:|---:|---|"
awk '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8 }' "$BT/rows"
echo "(check: vigil = cameras with segments,segments,bytes on the server; ffmpeg = playlists written)"

echo
echo "Summary: median [range] over runs; ratio = vigil / ffmpeg per camera (goal CPU <= 0.5)"
echo
echo "| cameras | runs | vigil CPU s/stream-s | ffmpeg CPU s/stream-s | CPU ratio | vigil RSS MiB/cam | ffmpeg RSS MiB/cam | RSS ratio | vigil HWM MiB/cam | server CPU s/stream-s |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $NS; do
	mapfile -t vc < <(col "$n" vigil 4)
	mapfile -t fc < <(col "$n" ffmpeg 4)
	if [ ${#vc[@]} -eq 0 ] || [ ${#fc[@]} -eq 0 ]; then
		continue
	fi
	mapfile -t vr < <(col "$n" vigil 5)
	mapfile -t fr < <(col "$n" ffmpeg 5)
	mapfile -t vh < <(col "$n" vigil 6)
	mapfile -t sc < <(col "$n" vigil 7)
	# Ratios per run (vigil and ffmpeg of the same run), then their median and range.
	mapfile -t cr < <(awk -v n="$n" '$1 == n { v[$2 " " $3] = $4 }
		END { for (k in v) { split(k, a, " "); if (a[2] == "vigil" && ((a[1] " ffmpeg") in v) && v[a[1] " ffmpeg"] > 0)
			print v[k] / v[a[1] " ffmpeg"] } }' "$BT/rows")
	mapfile -t rr < <(awk -v n="$n" '$1 == n { v[$2 " " $3] = $5 }
		END { for (k in v) { split(k, a, " "); if (a[2] == "vigil" && ((a[1] " ffmpeg") in v) && v[a[1] " ffmpeg"] > 0)
			print v[k] / v[a[1] " ffmpeg"] } }' "$BT/rows")
	# The floor: demux-only over HLS per run; the goal is out of reach of any libavformat
	# recorder once this passes 0.5.
	mapfile -t dr < <(ratio_of "$n" demux ffmpeg)
	floor="-"
	[ ${#dr[@]} -gt 0 ] && floor=$(fmt "$(stats "${dr[@]}")")
	FLOORS+=("| $n | $floor |")
	echo "| $n | ${#cr[@]} | $(fmt "$(stats "${vc[@]}")") | $(fmt "$(stats "${fc[@]}")") |" \
		"$(fmt "$(stats "${cr[@]}")") | $(fmt "$(stats "${vr[@]}")") | $(fmt "$(stats "${fr[@]}")") |" \
		"$(fmt "$(stats "${rr[@]}")") | $(fmt "$(stats "${vh[@]}")") | $(fmt "$(stats "${sc[@]}")") |"
done
if [ "$FLOOR" = on ]; then
	echo
	echo "Floor: ffmpeg -c copy -f null (RTSP pull and demux only) / ffmpeg -c copy -f hls, per camera, median [range] over runs"
	echo
	echo "| cameras | demux-only / HLS CPU |"
	echo "|---:|---:|"
	printf '%s\n' "${FLOORS[@]}"
fi
echo "note: CPU is utime+stime of the process(es) over the window divided by cameras x seconds;"
echo "      vigil's figure includes RTSP, CMAF, encryption, signing and upload; the server's CPU is shown apart."
exit $status
