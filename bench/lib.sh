# bench/lib.sh - bash helpers shared by the benchmark scripts: processes by pid, CPU and memory from /proc, statistics, test media, tables.
# shellcheck shell=bash disable=SC2034
#
# Source it first thing:   . "$(dirname "$0")/lib.sh"
# It cds to the repository root, creates $BT (a fresh directory under ${BENCH_TMP:-/tmp},
# removed at exit unless KEEP=1) and installs an exit trap that stops, by pid, every
# process started with bg_start, however the script ends (error, ^C, TERM).
#
#   BIN, TOOLS          absolute paths of ${BUILD:-build}/bin and ${BUILD:-build}/tools
#   bg_start NAME CMD.. runs CMD in the background, stdout+stderr to $BT/NAME.log; pid in $LAST_PID
#   bg_stop PID         TERM, up to 5 s, then KILL; reaps it
#   wait_ready FILE REGEX TIMEOUT [PID]   prints REGEX's first capture group once a line of
#                       FILE matches; 1 on timeout or when PID died first
#   alive PID           true while PID runs (zombies count as dead)
#   cpu_ticks PID..     sum of utime+stime (clock ticks) of the PIDs; TICKS_PER_S ticks per second
#   rss_kib PID.. / hwm_kib PID..   sum of VmRSS / VmHWM in KiB
#   stats V..           prints "median min max" of the numbers
#   bench_media         makes (once, cached in $BENCH_MEDIA_DIR) a 720p25 3 Mbit/s H.264 Annex-B
#                       file, GOP 2 s, and prints its path
#   machine_desc        prints the machine description (nproc, CPU, memory, kernel, disk)
#   note MSG            prints a progress line on stderr (tables go to stdout)

set -u

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$BENCH_ROOT" || exit 1

BUILD=${BUILD:-build}
case "$BUILD" in
/*) BIN=$BUILD/bin TOOLS=$BUILD/tools ;;
*) BIN=$BENCH_ROOT/$BUILD/bin TOOLS=$BENCH_ROOT/$BUILD/tools ;;
esac
BENCH_MEDIA_DIR=${BENCH_MEDIA_DIR:-/tmp/vigil-bench-media}
TICKS_PER_S=$(getconf CLK_TCK)
BENCH_NAME=$(basename "$0" .sh)
LAST_PID=
_BENCH_PIDS=()

BT=$(mktemp -d "${BENCH_TMP:-/tmp}/vigil-bench-$BENCH_NAME.XXXXXX") ||
	{ echo "bench: mktemp failed" >&2; exit 1; }

note() {
	echo "[$BENCH_NAME $(date +%H:%M:%S)] $*" >&2
}

alive() {
	local s
	[ -r "/proc/$1/stat" ] || return 1
	read -r s <"/proc/$1/stat" 2>/dev/null || return 1
	s=${s##*) }
	[ "${s%% *}" != Z ]
}

bg_start() {
	local name=$1
	shift
	"$@" >"$BT/$name.log" 2>&1 </dev/null &
	LAST_PID=$!
	_BENCH_PIDS+=("$LAST_PID")
}

bg_stop() {
	local pid i
	for pid in "$@"; do
		[ -n "$pid" ] || continue
		alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for pid in "$@"; do
		[ -n "$pid" ] || continue
		for ((i = 0; i < 100; i++)); do
			alive "$pid" || break
			sleep 0.05
		done
		if alive "$pid"; then
			echo "bench: pid $pid ignored SIGTERM for 5 s, sending SIGKILL" >&2
			kill -KILL "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
		for i in "${!_BENCH_PIDS[@]}"; do
			[ "${_BENCH_PIDS[$i]}" = "$pid" ] && unset '_BENCH_PIDS[i]'
		done
	done
	return 0
}

_bench_now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

wait_ready() {
	local file=$1 re=$2 timeout=${3:-10} pid=${4:-} deadline line last=0
	deadline=$(($(_bench_now_ms) + timeout * 1000))
	while :; do
		if [ -n "$pid" ] && ! alive "$pid"; then
			last=1
		fi
		if [ -f "$file" ]; then
			line=$(grep -m1 -E -- "$re" "$file" 2>/dev/null)
			if [ -n "$line" ] && [[ $line =~ $re ]]; then
				printf '%s\n' "${BASH_REMATCH[1]:-${BASH_REMATCH[0]}}"
				return 0
			fi
		fi
		if [ $last -eq 1 ]; then
			echo "bench: process $pid exited before '$re' appeared in $file" >&2
			return 1
		fi
		if [ "$(_bench_now_ms)" -ge "$deadline" ]; then
			echo "bench: timed out after ${timeout}s waiting for '$re' in $file" >&2
			return 1
		fi
		sleep 0.05
	done
}

# Fields 14 and 15 of /proc/PID/stat, counted after the ")" that ends the command name.
cpu_ticks() {
	local pid s f sum=0
	for pid in "$@"; do
		read -r s <"/proc/$pid/stat" 2>/dev/null || continue
		s=${s##*) }
		read -r -a f <<<"$s"
		sum=$((sum + f[11] + f[12]))
	done
	echo "$sum"
}

_status_kib() { # FIELD PID..
	local field=$1 pid sum=0 v
	shift
	for pid in "$@"; do
		v=$(awk -v k="$field:" '$1 == k { print $2 }' "/proc/$pid/status" 2>/dev/null)
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}
rss_kib() { _status_kib VmRSS "$@"; }
hwm_kib() { _status_kib VmHWM "$@"; }

# Arithmetic with awk: calc EXPR (awk syntax), printed with 4 significant digits.
calc() {
	awk "BEGIN { v = $1; printf \"%.4g\\n\", v }"
}

stats() {
	printf '%s\n' "$@" | grep -E '^-?[0-9.]+(e-?[0-9]+)?$' | sort -g | awk '
		{ v[++n] = $1 }
		END {
			if (n == 0) { print "- - -"; exit }
			m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			printf "%.4g %.4g %.4g\n", m, v[1], v[n]
		}'
}

bench_media() {
	local media=$BENCH_MEDIA_DIR/main-720p25-3M.h264
	if [ ! -s "$media" ]; then
		mkdir -p "$BENCH_MEDIA_DIR" || return 1
		ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi \
			-i testsrc2=size=1280x720:rate=25 -t 10 -c:v libx264 -profile:v high \
			-pix_fmt yuv420p -preset veryfast -bf 0 -threads 1 -b:v 3M -maxrate 3M \
			-bufsize 3M -x264-params keyint=50:min-keyint=50:scenecut=0:repeat-headers=1 \
			-f h264 "$media.tmp.$$" || return 1
		mv "$media.tmp.$$" "$media" || return 1
	fi
	echo "$media"
}

machine_desc() {
	local dev
	echo "machine:"
	echo "  nproc:  $(nproc)"
	echo "  cpu:    $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "  memory: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "  kernel: $(uname -srm)"
	dev=$(df -P "${BENCH_TMP:-/tmp}" | awk 'NR == 2 { printf "%s (%.0f GiB, fs ", $1, $2 / 1048576 }')
	echo "  disk:   $dev$(stat -f -c %T "${BENCH_TMP:-/tmp}")) holding ${BENCH_TMP:-/tmp}"
	echo "  ffmpeg: $(ffmpeg -hide_banner -version 2>/dev/null | awk 'NR == 1 { print $3 }')" \
		"libsodium: $(pkg-config --modversion libsodium 2>/dev/null)"
}

# server_start NAME DATA_DIR: a vigil-server on a run-time loopback port with a fresh admin
# token in $BT/admin.token; sets SERVER_PID and SERVER_URL.
server_start() {
	local name=$1 data=$2
	[ -f "$BT/admin.token" ] || {
		head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$BT/admin.token"
		chmod 600 "$BT/admin.token"
	}
	mkdir -p "$data" || return 1
	# The benchmarks read recorded and live ciphertext with the admin token: a loopback-only
	# test mode of the server (production never lets an operator read footage).
	bg_start "$name" "$BIN/vigil-server" --listen 127.0.0.1:0 --data "$data" \
		--admin-token-file "$BT/admin.token" --test-operator-footage
	SERVER_PID=$LAST_PID
	SERVER_URL=$(wait_ready "$BT/$name.log" 'READY url=(http://[^ ]+)' 20 "$SERVER_PID")
}

# need FILE..: fails with a clear message when a binary has not been built.
need() {
	local f
	for f in "$@"; do
		[ -x "$f" ] || { echo "bench: $f is missing (run make)" >&2; return 1; }
	done
}

_bench_exit() {
	local rc=$? pid
	trap - EXIT INT TERM
	for pid in "${_BENCH_PIDS[@]}"; do
		alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	bg_stop "${_BENCH_PIDS[@]}"
	if [ $rc -ne 0 ]; then
		for f in "$BT"/*.log; do
			[ -f "$f" ] || continue
			echo "---- last lines of $f" >&2
			tail -n 10 "$f" >&2
		done
	fi
	if [ "${KEEP:-0}" = 1 ]; then
		echo "bench: kept $BT" >&2
	else
		rm -rf "$BT"
	fi
	exit $rc
}
trap _bench_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
