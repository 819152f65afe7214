# tests/lib.sh - bash helpers shared by the integration tests: ports, background processes, temp dirs, PASS/FAIL.
#
# Source it first thing:   . "$(dirname "$0")/../lib.sh"
# It cds to the repository root, creates $T (a fresh directory under /tmp, removed at
# exit unless KEEP=1) and installs `trap stop_all EXIT INT TERM`-style cleanup, so every
# process started with start_bg is stopped by pid however the script ends.
#
#   BIN                 absolute path of ${BUILD:-build}/bin (run-all sets BUILD=build-asan
#                       for the sanitizer run, so always call binaries as "$BIN/...")
#   free_port           prints a loopback TCP port that nothing listens on
#   start_bg NAME CMD.. runs CMD in the background, stdout+stderr to $T/NAME.log; its pid
#                       is in ${BG_PID[NAME]} and $LAST_PID
#   wait_ready FILE REGEX TIMEOUT [PID]
#                       waits (TIMEOUT seconds) for a line of FILE matching the extended
#                       REGEX and prints its first capture group (or the whole match);
#                       returns 1 on timeout or when PID exits first
#   wait_http URL TIMEOUT  waits until URL answers (any HTTP status)
#   alive PID           true while PID runs (zombies count as dead)
#   stop_bg NAME [SIG]  sends SIG (default TERM), waits up to 5 s, then SIGKILL; returns
#                       the process's exit status
#   stop_all            stops every process start_bg started (TERM, 5 s, KILL)
#   pass NAME / fail NAME REASON / skip NAME REASON
#                       print "PASS name" / "FAIL name: reason" / "SKIP name: reason"
#   check NAME CMD...   pass NAME if CMD succeeds, else fail with its exit status
#   finish              prints this script's totals; exits 1 if anything failed
#
# Programs print their READY line on stdout and must fflush it: stdout to a file is
# fully buffered.

set -u

LIB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$LIB_ROOT" || exit 1

BUILD=${BUILD:-build}
case "$BUILD" in
/*) BIN=$BUILD/bin ;;
*) BIN=$LIB_ROOT/$BUILD/bin ;;
esac
export BUILD

LIB_NAME=$(basename "$0" .sh)
PASSES=0
FAILS=0
LAST_PID=
declare -A BG_PID=()
_LIB_PIDS=()
_LIB_PORTS=" "

tmpdir() {
	T=$(mktemp -d "/tmp/vigil-$LIB_NAME.XXXXXX") || { echo "lib: mktemp failed" >&2; exit 1; }
	export T
}
# Always a fresh one: an inherited $T belongs to someone else and would be removed at exit.
tmpdir

pass() {
	PASSES=$((PASSES + 1))
	echo "PASS $1"
}

fail() {
	FAILS=$((FAILS + 1))
	echo "FAIL $1: ${2:-failed}"
}

skip() {
	echo "SKIP $1: ${2:-skipped}"
}

check() {
	local name=$1 rc
	shift
	"$@"
	rc=$?
	if [ $rc -eq 0 ]; then
		pass "$name"
	else
		fail "$name" "'$*' exited $rc"
	fi
	return $rc
}

# relay_checks OUT RC NAME WHAT: counts the PASS/FAIL lines a child script (node, python)
# wrote to OUT as this script's checks and shows its other lines indented; a nonzero RC
# without a FAIL line fails NAME ("WHAT exited RC").
relay_checks() {
	local out=$1 rc=$2 name=$3 what=$4 line n
	while IFS= read -r line; do
		case "$line" in
		"PASS "*) pass "${line#PASS }" ;;
		"FAIL "*) n=${line#FAIL }; fail "${n%%:*}" "${n#*: }" ;;
		*) echo "  $line" ;;
		esac
	done <"$out"
	[ "$rc" -eq 0 ] || grep -q '^FAIL ' "$out" || fail "$name" "$what exited $rc"
}

finish() {
	echo "$LIB_NAME: $PASSES passed, $FAILS failed"
	[ "$FAILS" -eq 0 ] || exit 1
	exit 0
}

# True while pid $1 exists and is not a zombie.
alive() {
	local s
	[ -r "/proc/$1/stat" ] || return 1
	read -r s <"/proc/$1/stat" 2>/dev/null || return 1
	s=${s##*) }
	[ "${s%% *}" != Z ]
}

_lib_now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

# Ports below the kernel's ephemeral range, so outgoing connections never take them,
# skipping every port that /proc/net/tcp{,6} shows in use and ports already handed out.
free_port() {
	local lo hi base span port used line i fields
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
	if [ "$lo" -gt 21000 ]; then
		base=20000
		span=$((lo - 20000))
	else
		base=$((hi + 1))
		span=$((65535 - hi))
	fi
	used=" "
	for f in /proc/net/tcp /proc/net/tcp6; do
		[ -r "$f" ] || continue
		while read -r -a fields; do
			line=${fields[1]:-}
			[[ $line == *:* ]] || continue
			used+="$((16#${line##*:})) "
		done <"$f"
	done
	for ((i = 0; i < 200; i++)); do
		port=$((base + (RANDOM * 32768 + RANDOM + $$) % span))
		case "$used$_LIB_PORTS" in
		*" $port "*) continue ;;
		esac
		_LIB_PORTS+="$port "
		echo "$port"
		return 0
	done
	echo "lib: no free port found" >&2
	return 1
}

start_bg() {
	local name=$1
	shift
	# Emptied here, not by the child's redirection: a restarted process's wait_ready must
	# not find the READY line of the one before it (the child truncates only once it runs,
	# and a slow start, under ASan, let a test talk to a server not yet listening).
	: >"$T/$name.log"
	"$@" >>"$T/$name.log" 2>&1 </dev/null &
	LAST_PID=$!
	BG_PID[$name]=$LAST_PID
	_LIB_PIDS+=("$LAST_PID")
}

wait_ready() {
	local file=$1 re=$2 timeout=${3:-10} pid=${4:-} deadline line last=0
	deadline=$(($(_lib_now_ms) + timeout * 1000))
	while :; do
		# A dead process gets one last look at its log before we give up.
		if [ -n "$pid" ] && ! alive "$pid"; then
			last=1
		fi
		if [ -f "$file" ]; then
			line=$(grep -m1 -E -- "$re" "$file" 2>/dev/null)
			if [ -n "$line" ] && [[ $line =~ $re ]]; then
				if [ ${#BASH_REMATCH[@]} -gt 1 ]; then
					printf '%s\n' "${BASH_REMATCH[1]}"
				else
					printf '%s\n' "${BASH_REMATCH[0]}"
				fi
				return 0
			fi
		fi
		if [ $last -eq 1 ]; then
			echo "lib: process $pid exited before '$re' appeared in $file" >&2
			return 1
		fi
		if [ "$(_lib_now_ms)" -ge "$deadline" ]; then
			echo "lib: timed out after ${timeout}s waiting for '$re' in $file" >&2
			return 1
		fi
		sleep 0.05
	done
}

wait_http() {
	local url=$1 timeout=${2:-10} deadline
	deadline=$(($(_lib_now_ms) + timeout * 1000))
	until curl -s -o /dev/null --max-time 2 "$url"; do
		if [ "$(_lib_now_ms)" -ge "$deadline" ]; then
			echo "lib: timed out after ${timeout}s waiting for $url" >&2
			return 1
		fi
		sleep 0.1
	done
}

# Waits up to 5 s for pid $1 to end, then kills it; reaps it and returns its status.
_lib_reap() {
	local pid=$1 i
	for ((i = 0; i < 100; i++)); do
		alive "$pid" || break
		sleep 0.05
	done
	if alive "$pid"; then
		echo "lib: pid $pid ignored SIGTERM for 5 s, sending SIGKILL" >&2
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
}

_lib_forget() {
	local pid=$1 i
	for i in "${!_LIB_PIDS[@]}"; do
		[ "${_LIB_PIDS[$i]}" = "$pid" ] && unset '_LIB_PIDS[i]'
	done
}

stop_bg() {
	local name=$1 sig=${2:-TERM} pid rc
	pid=${BG_PID[$name]:-}
	if [ -z "$pid" ]; then
		echo "lib: stop_bg: no process named $name" >&2
		return 1
	fi
	kill "-$sig" "$pid" 2>/dev/null
	_lib_reap "$pid"
	rc=$?
	_lib_forget "$pid"
	unset 'BG_PID[$name]'
	return $rc
}

stop_all() {
	local pid
	for pid in "${_LIB_PIDS[@]}"; do
		alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${_LIB_PIDS[@]}"; do
		_lib_reap "$pid"
	done
	_LIB_PIDS=()
	BG_PID=()
	return 0
}

# At exit: stop everything, show the logs when something failed, remove $T unless KEEP=1.
_lib_exit() {
	local rc=$? f
	# Finish cleaning up even if signalled again (a timeout's SIGKILL is the backstop).
	trap - EXIT
	trap '' INT TERM
	stop_all
	if [ "$FAILS" -gt 0 ] || [ $rc -ne 0 ]; then
		for f in "$T"/*.log; do
			[ -f "$f" ] || continue
			echo "---- last lines of $f" >&2
			tail -n 20 "$f" >&2
		done
	fi
	if [ "${KEEP:-0}" = 1 ]; then
		echo "lib: kept $T" >&2
	else
		rm -rf "$T"
	fi
	exit $rc
}
trap _lib_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
