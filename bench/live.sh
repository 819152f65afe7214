#!/bin/bash
# bench/live.sh - live fan-out: M viewers per camera on several cameras, vigil-server's live relay against nginx-rtmp relaying the same 3 Mbit/s streams.
#
# Usage: bench/live.sh
# Environment:
#   CAMERAS=4          cameras (streams) on each side
#   MS="25 100 250"    viewers per camera, in increasing order
#   RUNS=3             repetitions; tables give the median and the range [min-max]
#   WARMUP=5           seconds after the viewers connect before the window opens
#   DURATION=12        measured seconds per (M, side)
#   BASE_S=8           seconds measuring each server with its publishers and no viewers
#   BENCH_TMP=/tmp     where the server's data and the gateway's spool go
#   LIVE_AUTH_HEADER   the request header a vigil viewer sends; default: the admin bearer
#                      token (set in one place, viewer_auth below)
# Each run starts both sides, side by side on the same machine:
#   vigil  vigil-camsim replays bench_media (720p25 3 Mbit/s H.264, GOP 2 s) as CAMERAS
#          RTSP cameras; one vigil-gateway records, encrypts, signs and uploads them to a
#          vigil-server; viewers are HTTP/1.1 GETs of /api/v1/cameras/{id}/streams/0/live.
#   nginx  nginx with the RTMP module (Debian libnginx-mod-rtmp), one worker (vigil-server
#          serves HTTP from one thread too), `live on`; CAMERAS `ffmpeg -re -stream_loop -1
#          -c copy -f flv` publishers of the same media (remuxed once into MP4 so that it
#          loops); viewers are RTMP players.
# The viewers of one side are a single epoll process, build/tools/live_readers (vigil) or
# build/tools/rtmp_readers (a minimal RTMP player: plain handshake, connect, createStream,
# play; acks and pongs) holding M x CAMERAS connections. Lag: vigil — now minus the
# gateway's wall-clock time carried in each SEG_HEADER (start_us) and SEG_END (end_us) as
# it arrives, so it includes the gateway's cut-and-upload path; nginx-rtmp — now minus each
# video message's timestamp, less the smallest such difference any player of that stream
# saw (the freshest delivery counts as live; the publisher's path is not included). A
# viewer is "within 1 s" when it stayed connected and every sample in the window was
# <= 1000 ms. CPU: utime+stime from /proc of the server's own processes (vigil-server; the
# nginx master and worker) over the window, divided by viewers x seconds ("total"), and
# the same less the CPU the server used with its publishers and no viewers ("marginal").
. "$(dirname "$0")/lib.sh"

CAMERAS=${CAMERAS:-4}
MS=${MS:-25 100 250}
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-5}
DURATION=${DURATION:-12}
BASE_S=${BASE_S:-8}
NGINX_RTMP_MODULE=${NGINX_RTMP_MODULE:-/usr/lib/nginx/modules/ngx_rtmp_module.so}

need "$BIN/vigil-camsim" "$BIN/vigil-server" "$BIN/vigil-gateway" "$TOOLS/ingest_load" \
	"$TOOLS/live_readers" "$TOOLS/rtmp_readers" || exit 1
for c in nginx ffmpeg curl jq; do
	command -v "$c" >/dev/null 2>&1 || { echo "bench: $c is missing (run scripts/deps.sh)" >&2; exit 1; }
done
[ -r "$NGINX_RTMP_MODULE" ] || { echo "bench: $NGINX_RTMP_MODULE is missing (Debian libnginx-mod-rtmp)" >&2; exit 1; }
MEDIA=$(bench_media) || { echo "bench: could not make the test media" >&2; exit 1; }
# The raw H.264 file cannot be looped by ffmpeg (no seeking); the same access units in MP4 can.
MEDIA_MP4=${MEDIA%.h264}.mp4
if [ ! -s "$MEDIA_MP4" ]; then
	ffmpeg -nostdin -hide_banner -loglevel error -y -framerate 25 -i "$MEDIA" -c copy \
		"$MEDIA_MP4.tmp.$$.mp4" && mv "$MEDIA_MP4.tmp.$$.mp4" "$MEDIA_MP4" ||
		{ echo "bench: remuxing the media to MP4 failed" >&2; exit 1; }
fi

# free_port: the tests' port picker (a loopback port nothing listens on).
# shellcheck source=/dev/null
_LIB_PORTS=" "
. <(sed -n '/^free_port()/,/^}/p' tests/lib.sh)

# The one place that says how a vigil viewer authenticates (the admin token opens live
# streams during the transition to sessions; switch to a session cookie here).
viewer_auth() {
	if [ -n "${LIVE_AUTH_HEADER:-}" ]; then
		printf '%s\n' "$LIVE_AUTH_HEADER"
	else
		printf 'Authorization: Bearer %s\n' "$(cat "$BT/admin.token")"
	fi
}

# provision N DIR: gateway key, N cameras with fresh ids and epoch keys in DIR/gateway.json,
# the gateway registered with the server (as bench/gateway.sh does).
provision() {
	local n=$1 dir=$2 gw_id i line cams=
	mkdir -p "$dir/spool" || return 1
	"$BIN/vigil-gateway" keygen --key "$dir/gateway.key" >"$dir/keygen.out" 2>&1 || {
		echo "bench: vigil-gateway keygen failed: $(tail -n 2 "$dir/keygen.out")" >&2
		return 1
	}
	gw_id=$(grep -oE '\b[0-9a-f]{64}\b' "$dir/keygen.out" | head -n 1)
	[ -n "$gw_id" ] || { echo "bench: no gateway id from keygen" >&2; return 1; }
	curl -sS -f -o /dev/null -X POST -H "Authorization: Bearer $(cat "$BT/admin.token")" \
		-H 'Content-Type: application/json' -d "{\"gateway_id\":\"$gw_id\"}" \
		"$SERVER_URL/api/v1/gateways" || { echo "bench: registering the gateway failed" >&2; return 1; }
	: >"$dir/cameras"
	for ((i = 1; i <= n; i++)); do
		line=$("$TOOLS/ingest_load" camkey) || return 1
		[[ $line =~ camera_id=([0-9a-f]{32})\ epoch_pk=([0-9a-f]{64}) ]] || return 1
		echo "${BASH_REMATCH[1]}" >>"$dir/cameras"
		[ -n "$cams" ] && cams+=","
		cams+="{\"name\":\"cam$i\",\"id\":\"${BASH_REMATCH[1]}\",\"epoch\":1,"
		cams+="\"epoch_public_key\":\"${BASH_REMATCH[2]}\",\"streams\":[{\"index\":0,"
		cams+="\"url\":\"rtsp://127.0.0.1:$CAMSIM_PORT/cam$i/main\"}]}"
	done
	printf '{"server":"%s","key_file":"%s","spool_dir":"%s","spool_max_bytes":%d,"segment_target_ms":2000,"cameras":[%s]}\n' \
		"$SERVER_URL" "$dir/gateway.key" "$dir/spool" $((1024 * 1024 * 1024)) "$cams" \
		>"$dir/gateway.json"
}

# Cameras of the server that have at least one segment.
cams_recording() {
	curl -sS -f -H "Authorization: Bearer $(cat "$BT/admin.token")" "$SERVER_URL/api/v1/cameras" |
		jq '[.cameras[] | select(.segments > 0)] | length' 2>/dev/null || echo 0
}

nginx_start() {
	local port=$1 dir=$BT/nginx i
	mkdir -p "$dir" || return 1
	cat >"$dir/nginx.conf" <<EOF
load_module $NGINX_RTMP_MODULE;
worker_processes 1;
worker_rlimit_nofile 65536;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
daemon off;
events { worker_connections 16384; }
rtmp {
	server {
		listen 127.0.0.1:$port;
		chunk_size 4096;
		application live { live on; wait_key on; wait_video on; }
	}
}
EOF
	bg_start nginx nginx -e "$dir/error.log" -c "$dir/nginx.conf"
	NGINX_PID=$LAST_PID
	for ((i = 0; i < 100; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		alive "$NGINX_PID" || break
		sleep 0.1
	done
	echo "bench: nginx did not start" >&2
	return 1
}

# All pids of a process tree rooted at $1 (nginx master and its workers).
tree_pids() {
	echo "$1"
	pgrep -P "$1" 2>/dev/null
}

_now_s() { echo "${EPOCHREALTIME}"; }

# readers NAME CMD..: runs a reader, samples the CPU of $SRV_PIDS and of the reader itself at
# its window lines; sets R_CPU and R_RCPU (the reader's, CPU seconds), R_WALL (seconds), R_SUM (its summary).
readers() {
	local name=$1 c0 c1 w0 w1 pid i
	shift
	bg_start "$name" "$@"
	pid=$LAST_PID
	wait_ready "$BT/$name.log" '^(WINDOW start)' $((WARMUP + 30)) "$pid" >/dev/null || return 1
	c0=$(cpu_ticks $SRV_PIDS) w0=$(_now_s)
	wait_ready "$BT/$name.log" '^(WINDOW end)' $((DURATION + 30)) "$pid" >/dev/null || return 1
	c1=$(cpu_ticks $SRV_PIDS) w1=$(_now_s)
	for ((i = 0; i < 200; i++)); do
		alive "$pid" || break
		sleep 0.05
	done
	bg_stop "$pid"
	R_SUM=$(grep -m1 '^viewers=' "$BT/$name.log")
	[ -n "$R_SUM" ] || { echo "bench: $name printed no summary" >&2; return 1; }
	R_CPU=$(calc "($c1 - $c0) / $TICKS_PER_S")
	R_RCPU=$(kv self_cpu_s "$R_SUM")  # the reader's own getrusage over its window
	R_WALL=$(calc "$w1 - $w0")
}

# Field KEY of a summary line.
kv() { echo "$2" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }

# One run: both sides up, baseline CPU without viewers, then every M on each side. Appends
# "run m side viewers cpu_total_per_vs cpu_marginal_per_vs within failed p50 p99 max kbps
# skips+gaps cpu_ms_per_mib reader_cores" rows to $BT/rows.
run_once() {
	local r=$1 dir=$BT/run-$r i n port c0 s0 w0 c1 s1 w1 vbase nbase m nv side cams=() names=()
	mkdir -p "$dir" || return 1
	bg_start "camsim-$r" "$BIN/vigil-camsim" --replay "$MEDIA" --cameras "$CAMERAS" --port 0 --fps 25
	CAMSIM_PID=$LAST_PID
	CAMSIM_PORT=$(wait_ready "$BT/camsim-$r.log" 'READY port=([0-9]+)' 30 "$CAMSIM_PID") || return 1
	server_start "server-$r" "$dir/server" || { echo "bench: server did not start" >&2; return 1; }
	provision "$CAMERAS" "$dir" || return 1
	mapfile -t cams <"$dir/cameras"
	bg_start "gateway-$r" "$BIN/vigil-gateway" run --config "$dir/gateway.json"
	GW_PID=$LAST_PID
	viewer_auth >"$dir/auth.hdr" && chmod 600 "$dir/auth.hdr" || return 1

	port=$(free_port) || return 1
	nginx_start "$port" || return 1
	PUB_PIDS=()
	for ((i = 1; i <= CAMERAS; i++)); do
		bg_start "ffmpeg-$r-$i" ffmpeg -nostdin -loglevel error -re -stream_loop -1 -i "$MEDIA_MP4" \
			-c copy -f flv "rtmp://127.0.0.1:$port/live/cam$i"
		PUB_PIDS+=("$LAST_PID")
		names+=(--stream "cam$i")
	done

	for ((i = 0; i < 200; i++)); do
		[ "$(cams_recording)" -ge "$CAMERAS" ] && break
		sleep 0.1
	done
	[ "$i" -lt 200 ] || { echo "bench: the gateway did not upload every camera within 20 s" >&2; return 1; }

	note "run $r: baseline, publishers only, ${BASE_S}s"
	c0=$(cpu_ticks "$SERVER_PID") n0=$(cpu_ticks $(tree_pids "$NGINX_PID")) w0=$(_now_s)
	sleep "$BASE_S"
	c1=$(cpu_ticks "$SERVER_PID") n1=$(cpu_ticks $(tree_pids "$NGINX_PID")) w1=$(_now_s)
	vbase=$(calc "($c1 - $c0) / $TICKS_PER_S / ($w1 - $w0)")
	nbase=$(calc "($n1 - $n0) / $TICKS_PER_S / ($w1 - $w0)")
	note "  vigil-server $vbase CPU s/s, nginx $nbase CPU s/s"
	echo "$r base vigil $vbase" >>"$BT/base"
	echo "$r base nginx $nbase" >>"$BT/base"

	for m in $MS; do
		nv=$((m * CAMERAS))
		for side in vigil nginx; do
			note "run $r: $side, $m viewers x $CAMERAS cameras, ${WARMUP}s + ${DURATION}s"
			if [ "$side" = vigil ]; then
				SRV_PIDS=$SERVER_PID
				readers "live-$r-$m" "$TOOLS/live_readers" --port "${SERVER_URL##*:}" \
					$(printf -- '--camera %s ' "${cams[@]}") --viewers "$m" \
					--warmup "$WARMUP" --duration "$DURATION" --header-file "$dir/auth.hdr" || return 1
				base=$vbase
			else
				SRV_PIDS=$(tree_pids "$NGINX_PID")
				readers "rtmp-$r-$m" "$TOOLS/rtmp_readers" --port "$port" --app live "${names[@]}" \
					--viewers "$m" --warmup "$WARMUP" --duration "$DURATION" || return 1
				base=$nbase
			fi
			note "  cpu_s=$R_CPU reader_cpu_s=$R_RCPU wall_s=$R_WALL $R_SUM"
			gaps=$(kv gaps "$R_SUM")
			echo "$r $m $side $nv $(calc "$R_CPU / ($nv * $R_WALL)")" \
				"$(calc "($R_CPU - $base * $R_WALL) / ($nv * $R_WALL)")" \
				"$(kv within_1s "$R_SUM") $(kv failed "$R_SUM") $(kv lag_p50_ms "$R_SUM")" \
				"$(kv lag_p99_ms "$R_SUM") $(kv lag_max_ms "$R_SUM") $(kv mean_kbps "$R_SUM")" \
				"$(kv skips "$R_SUM")+${gaps:-0}" \
				"$(calc "$R_CPU * 1000 / ($nv * ($(kv mean_kbps "$R_SUM") + 1e-9) * 1000 / 8 * $DURATION / 1048576)")" \
				"$(calc "$R_RCPU / $R_WALL")" >>"$BT/rows"
			alive "$SERVER_PID" && alive "$GW_PID" && alive "$NGINX_PID" ||
				{ echo "bench: a server or the gateway exited" >&2; return 1; }
		done
	done
	bg_stop "${PUB_PIDS[@]}"
	bg_stop "$NGINX_PID" "$GW_PID" "$SERVER_PID" "$CAMSIM_PID"
	rm -rf "$dir"
}

: >"$BT/rows"
: >"$BT/base"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
status=0
for ((r = 1; r <= RUNS; r++)); do
	run_once "$r" || { echo "bench: run $r failed" >&2; status=1; break; }
done

col() { awk -v m="$1" -v s="$2" -v c="$3" '$2 == m && $3 == s { print $c }' "$BT/rows"; }
fmt() { # "median min max" -> "median [min-max]"
	local md lo hi
	read -r md lo hi <<<"$1"
	echo "$md [$lo–$hi]"
}

echo
machine_desc
echo "  load:   $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (1/5/15 min load average)"
echo
echo "Live fan-out: $CAMERAS cameras, 720p25 3 Mbit/s H.264 (GOP 2 s), M viewers per camera;"
echo "${WARMUP}s warm-up + ${DURATION}s window per (M, side); $RUNS runs; median [min-max]"
echo
echo "| M per camera | viewers | server | CPU ms per viewer-s (total) | CPU ms per viewer-s (marginal) | CPU ms per MiB delivered | viewers within 1 s (worst run) | failed (worst) | lag p50 ms | lag p99 ms | lag max ms | kbit/s per viewer | skips+gaps (all runs) | reader CPU (cores) |"
echo "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for m in $MS; do
	for side in vigil nginx; do
		mapfile -t tot < <(col "$m" "$side" 5)
		[ ${#tot[@]} -gt 0 ] || continue
		mapfile -t mar < <(col "$m" "$side" 6)
		mapfile -t p50 < <(col "$m" "$side" 9)
		mapfile -t p99 < <(col "$m" "$side" 10)
		mapfile -t mx < <(col "$m" "$side" 11)
		mapfile -t kb < <(col "$m" "$side" 12)
		within=$(col "$m" "$side" 7 | sort -n | head -n1)
		failed=$(col "$m" "$side" 8 | sort -n | tail -n1)
		skips=$(col "$m" "$side" 13 | awk -F+ '{ s += $1; g += $2 } END { print s + 0 "+" g + 0 }')
		mapfile -t mib < <(col "$m" "$side" 14)
		mapfile -t rc < <(col "$m" "$side" 15)
		label=vigil-server
		[ "$side" = nginx ] && label="nginx-rtmp, 1 worker"
		echo "| $m | $((m * CAMERAS)) | $label |" \
			"$(fmt "$(stats $(printf '%s\n' "${tot[@]}" | awk '{ print $1 * 1000 }'))") |" \
			"$(fmt "$(stats $(printf '%s\n' "${mar[@]}" | awk '{ print $1 * 1000 }'))") |" \
			"$(fmt "$(stats "${mib[@]}")") |" \
			"$within / $((m * CAMERAS)) | $failed | $(fmt "$(stats "${p50[@]}")") |" \
			"$(fmt "$(stats "${p99[@]}")") | $(fmt "$(stats "${mx[@]}")") | $(fmt "$(stats "${kb[@]}")") | $skips |" \
			"$(fmt "$(stats "${rc[@]}")") |"
	done
done
echo
for side in vigil nginx; do
	mapfile -t b < <(awk -v s="$side" '$3 == s { print $4 }' "$BT/base")
	echo "baseline CPU with publishers and no viewers, $side: $(fmt "$(stats "${b[@]}")") CPU s per s"
done
echo
echo "Goals"
# Largest M (of those measured) at which, in every run, every viewer stayed within 1 s.
declare -A HELD
for side in vigil nginx; do
	best=none
	for m in $MS; do
		ok=$(awk -v m="$m" -v s="$side" -v nv=$((m * CAMERAS)) \
			'$2 == m && $3 == s { n++; if ($7 != nv || $8 != 0) bad = 1 } END { print (n > 0 && !bad) ? 1 : 0 }' "$BT/rows")
		[ "$ok" = 1 ] && best=$m && HELD[$side,$m]=1
	done
	echo "  largest M per camera with every viewer within 1 s of live in every run, $side: $best (of: $MS)"
done
# Per viewer, compared where both servers kept up (a server that falls behind sends less
# and looks cheaper per viewer-second), and per MiB delivered at the largest M.
mboth=
for m in $MS; do
	[ -n "${HELD[vigil,$m]:-}" ] && [ -n "${HELD[nginx,$m]:-}" ] && mboth=$m
done
mtop=$(echo "$MS" | awk '{ print $NF }')
if [ -n "$mboth" ]; then
	read -r vt _ <<<"$(stats $(col "$mboth" vigil 5))"
	read -r nt _ <<<"$(stats $(col "$mboth" nginx 5))"
	read -r vm _ <<<"$(stats $(col "$mboth" vigil 6))"
	read -r nm _ <<<"$(stats $(col "$mboth" nginx 6))"
	awk -v vt="$vt" -v nt="$nt" -v vm="$vm" -v nm="$nm" -v m="$mboth" 'BEGIN {
		printf "  ahead of nginx-rtmp per viewer, at M=%s (the largest M both kept within 1 s): vigil/nginx CPU per viewer-s = %.2f total, %.2f marginal -> %s\n",
			m, vt / nt, (nm > 0) ? vm / nm : 0, (vt < nt) ? "met" : "NOT met" }'
else
	echo "  ahead of nginx-rtmp per viewer: no M at which both kept every viewer within 1 s"
fi
read -r vb _ <<<"$(stats $(col "$mtop" vigil 14))"
read -r nb _ <<<"$(stats $(col "$mtop" nginx 14))"
read -r vt _ <<<"$(stats $(col "$mtop" vigil 5))"
read -r nt _ <<<"$(stats $(col "$mtop" nginx 5))"
read -r vm _ <<<"$(stats $(col "$mtop" vigil 6))"
awk -v vb="$vb" -v nb="$nb" -v vt="$vt" -v nt="$nt" -v vm="$vm" -v m="$mtop" 'BEGIN {
	if (vb == "-" || nb == "-" || vb <= 0 || nb <= 0 || vt <= 0) { print "  (no complete measurement at M=" m ")"; exit }
	printf "  per MiB delivered at M=%s: vigil/nginx CPU = %.2f -> %s\n", m, vb / nb, (vb < nb) ? "ahead" : "behind"
	printf "  >= 1,000 concurrent 3 Mbit/s viewer streams per core (M=%s): vigil %.0f (total), %.0f (marginal) -> %s; nginx-rtmp %.0f (total, at the rate it managed)\n",
		m, 1 / vt, (vm > 0) ? 1 / vm : 0, (1 / vt >= 1000) ? "met" : "NOT met", 1 / nt
}'
echo "note: viewer processes (live_readers, rtmp_readers) and the publishers share the $(nproc) cores"
echo "      with the servers under test; CPU counts only each server's own processes."
exit $status
