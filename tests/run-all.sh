#!/bin/bash
# Runs every Vigil test stage (banned functions, unit, integration, browser, fuzz smoke) and prints one summary.
#
# Usage: tests/run-all.sh [STAGE...]     STAGE: banned unit integration browser fuzz (default all)
# Environment:
#   BUILD=build        tree whose build/tests/test_* and build/bin/* are tested
#                      (BUILD=build-asan for the sanitizer run)
#   SKIP_FUZZ=1        leave out the fuzz stage
#   FUZZ_SECONDS=N     per-target libFuzzer time (default: 10, less when there are many)
#   UNIT_TIMEOUT=120 INTEG_TIMEOUT=600   per-test limits in seconds; a hang fails
#   INTEG_JOBS=2       integration and browser scripts run at a time, in one pool (1: one
#                      after another, output live);
#                      a script with the line "# test-runs-alone" in its first 20 lines
#                      runs with nothing beside it
# Counting: a unit binary counts cmocka's "[  PASSED  ] N" / "[  FAILED  ] N" lines (a
# binary without them counts as one test); an integration script counts its PASS/FAIL
# lines; a binary or script that exits nonzero without reporting a failure (crash,
# timeout, sanitizer report) adds one failure. Logs go to test-artifacts/$BUILD/.
# The last line printed is exactly "N passed, N failed"; the exit status is 1 if any failed.
set -u

cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
BUILD=${BUILD:-build}
export BUILD
UNIT_TIMEOUT=${UNIT_TIMEOUT:-120}
INTEG_TIMEOUT=${INTEG_TIMEOUT:-600}

if [ $# -gt 0 ]; then
	for s in "$@"; do
		case "$s" in
		banned | unit | integration | browser | fuzz) ;;
		*) echo "usage: $0 [banned|unit|integration|browser|fuzz]..." >&2; exit 2 ;;
		esac
	done
	STAGES=" $* "
else
	STAGES=" banned unit integration browser fuzz "
fi
[ "${SKIP_FUZZ:-0}" = 1 ] && STAGES=${STAGES/ fuzz / }

ART=$ROOT/test-artifacts/$(basename "$BUILD")
rm -rf "$ART"
mkdir -p "$ART" || exit 1

# GLib/GStreamer keep process-lifetime allocations that LeakSanitizer reports at exit
# (seen in vigil-camsim); our own leaks are still reported.
if [ -z "${LSAN_OPTIONS:-}" ]; then
	printf '%s\n' 'leak:libglib-2.0.so' 'leak:libgobject-2.0.so' 'leak:libgstreamer-1.0.so' \
		'leak:libgstrtspserver-1.0.so' 'leak:libgstbase-1.0.so' >"$ART/lsan.supp"
	export LSAN_OPTIONS="suppressions=$ART/lsan.supp:print_suppressions=0"
fi

TOTAL_PASS=0
TOTAL_FAIL=0
FAILED_NAMES=()
SUMMARY=()

# Adds one stage's counts to the totals and the summary.
tally() {
	local stage=$1 p=$2 f=$3
	TOTAL_PASS=$((TOTAL_PASS + p))
	TOTAL_FAIL=$((TOTAL_FAIL + f))
	SUMMARY+=("$(printf '%-12s %4d passed, %d failed' "$stage" "$p" "$f")")
}

failed() {
	FAILED_NAMES+=("$1")
	echo "FAIL $1"
}

rc_reason() {
	case "$1" in
	124 | 137) echo "timed out" ;;
	*) if [ "$1" -gt 128 ]; then echo "killed by signal $(($1 - 128))"; else echo "exit status $1"; fi ;;
	esac
}

stage_banned() {
	echo "== banned functions"
	if scripts/check-banned.sh; then
		tally banned 1 0
	else
		failed check-banned
		tally banned 0 1
	fi
}

stage_unit() {
	local p=0 f=0 bin name log rc np nf line n found=0
	echo "== unit tests ($BUILD/tests, timeout ${UNIT_TIMEOUT}s each)"
	for bin in "$BUILD"/tests/test_*; do
		[ -f "$bin" ] && [ -x "$bin" ] || continue
		found=1
		name=$(basename "$bin")
		log=$ART/unit-$name.log
		timeout -k 5 "$UNIT_TIMEOUT" "$bin" >"$log" 2>&1
		rc=$?
		np=0
		nf=0
		while IFS= read -r line; do
			if [[ $line =~ ^\[\ \ PASSED\ \ \]\ +([0-9]+)\ test ]]; then
				np=$((np + BASH_REMATCH[1]))
			elif [[ $line =~ ^\[\ \ FAILED\ \ \]\ +([0-9]+)\ test ]]; then
				nf=$((nf + BASH_REMATCH[1]))
			fi
		done <"$log"
		if [ $((np + nf)) -eq 0 ]; then
			# Not cmocka output (or it died before its summary): one test.
			if [ $rc -eq 0 ]; then np=1; else nf=1; fi
		elif [ $rc -ne 0 ] && [ $nf -eq 0 ]; then
			nf=1
		fi
		p=$((p + np))
		f=$((f + nf))
		if [ $rc -eq 0 ] && [ $nf -eq 0 ]; then
			echo "ok   $name ($np passed)"
		else
			failed "$name ($nf failed, $(rc_reason $rc)); log: $log"
			tail -n 40 "$log"
		fi
	done
	[ $found = 1 ] || echo "(no unit test binaries in $BUILD/tests)"
	tally unit $p $f
}

# Integration and browser scripts, longest first (measured durations, plain build) so
# that the pool of INTEG_JOBS ends evenly; scripts not named here run after these, in name
# order. Browser scripts are named browser-NAME (tests/browser/run.sh is browser-run).
INTEG_ORDER=(test_motion_eval test_e2e_outages test_ingest_shed browser-test_export test_compromise
	test_motion test_gw_enroll test_motion_record test_webhook browser-test_pause browser-test_player test_e2e_record
	browser-test_admin test_livemux browser-test_revoke browser-run test_slow_viewer test_shares
	test_authz_matrix test_orgs_cli test_org_retention browser-test_demo test_org_audit test_orgs_api test_gw_trust
	test_ops test_accounts test_server_smoke)

# True when one of the script's first 20 lines is the tag "# test-runs-alone" (alone, or
# followed by ": why"): its checks depend on timing under load, so nothing else runs while
# it does.
integ_alone() {
	head -n 20 "$1" | grep -qE '^# test-runs-alone(:.*)?$'
}

# The log of a pooled script: browser scripts keep their browser-NAME.log.
integ_log() {
	case "$1" in
	browser-*) echo "$ART/$1.log" ;;
	*) echo "$ART/integration-$1.log" ;;
	esac
}

# Counts one finished script: integ_done NAME RC SECONDS_TAKEN. Browser scripts count
# towards the browser stage, the others towards the integration stage.
integ_done() {
	local name=$1 rc=$2 took=$3 log np nf
	log=$(integ_log "$name")
	np=$(grep -c '^PASS ' "$log")
	nf=$(grep -c '^FAIL ' "$log")
	if [ "$rc" -ne 0 ] && [ "$nf" -eq 0 ]; then
		nf=1
		echo "FAIL $name: $(rc_reason "$rc") without a FAIL line"
	fi
	if [ "$nf" -gt 0 ]; then
		FAILED_NAMES+=("$name ($nf failed, $(rc_reason "$rc")); log: $log")
	fi
	echo "-- $name took $took s"
	[ $((np + nf)) -gt 0 ] || echo "($name reported no checks)"
	case "$name" in
	browser-*) BROWSER_P=$((BROWSER_P + np)); BROWSER_F=$((BROWSER_F + nf)) ;;
	*) INTEG_P=$((INTEG_P + np)); INTEG_F=$((INTEG_F + nf)) ;;
	esac
}

# Waits for one running script of the pool to end, prints its whole log and counts it.
integ_wait_one() {
	local pid rc name
	wait -n -p pid "${!INTEG_RUNNING[@]}"
	rc=$?
	[ -n "${pid:-}" ] || return 0 # interrupted by a signal: nothing ended
	name=${INTEG_RUNNING[$pid]}
	unset 'INTEG_RUNNING[$pid]'
	echo "-- $name"
	cat "$(integ_log "$name")"
	integ_done "$name" "$rc" $((SECONDS - INTEG_T0[$name]))
}

# Stops the pool's scripts when the runner itself is interrupted: timeout passes the
# signal on to the script's process group.
integ_stop() {
	local pid
	for pid in "${!INTEG_RUNNING[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	exit "$1"
}

# The pooled scripts' name of a script path: test_x for tests/integration/test_x.sh,
# browser-test_y for tests/browser/test_y.sh.
integ_name() {
	case "$1" in
	tests/browser/*) echo "browser-$(basename "$1" .sh)" ;;
	*) basename "$1" .sh ;;
	esac
}

# Runs the integration scripts (tests/integration/test_*.sh) and the console's browser
# scripts (tests/browser/run.sh, tests/browser/test_*.sh) of the selected stages in one
# pool, INTEG_JOBS at a time (default 2): a browser script's chromium works while an
# integration script waits on real time. Scripts tagged "# test-runs-alone" run first,
# one by one with nothing beside them; then the others in INTEG_ORDER. With INTEG_JOBS=1
# every script runs on its own and its output shows as it comes; with more, a script's
# log is printed whole when it ends. Counts are kept per stage.
run_pool() {
	local jobs=${INTEG_JOBS:-2} script name log rc t0 all=() alone=() pool=() ordered=()
	local -A known=() path=() by_itself=()
	INTEG_P=0
	INTEG_F=0
	BROWSER_P=0
	BROWSER_F=0
	declare -gA INTEG_RUNNING=() INTEG_T0=()
	if ! [[ $jobs =~ ^[1-9][0-9]*$ ]]; then
		echo "INTEG_JOBS must be a positive integer, not '$jobs'" >&2
		jobs=1
	fi
	case "$STAGES" in *" integration "*) all+=(tests/integration/test_*.sh) ;; esac
	case "$STAGES" in *" browser "*) all+=(tests/browser/run.sh tests/browser/test_*.sh) ;; esac
	echo "== ${1:-integration} tests (timeout ${INTEG_TIMEOUT}s each, $jobs at a time)"
	for script in "${all[@]}"; do
		[ -f "$script" ] && path[$(integ_name "$script")]=$script
	done
	for name in "${INTEG_ORDER[@]}"; do
		known[$name]=1
		[ -n "${path[$name]:-}" ] && ordered+=("${path[$name]}")
	done
	for script in "${all[@]}"; do
		[ -f "$script" ] || continue
		[ -n "${known[$(integ_name "$script")]:-}" ] || ordered+=("$script")
	done
	for script in "${ordered[@]}"; do
		if [ "$jobs" -gt 1 ] && integ_alone "$script"; then
			alone+=("$script")
			by_itself[$script]=1
		else
			pool+=("$script")
		fi
	done
	[ ${#ordered[@]} -gt 0 ] || echo "(no integration or browser tests)"
	if [ "$jobs" -gt 1 ]; then
		trap 'integ_stop 130' INT
		trap 'integ_stop 143' TERM
	fi
	for script in "${alone[@]}" "${pool[@]}"; do
		name=$(integ_name "$script")
		log=$(integ_log "$name")
		# timeout runs the script in its own process group and signals the whole group,
		# so servers the script started die with it even if its trap cannot run.
		if [ "$jobs" -eq 1 ]; then
			echo "-- $name"
			t0=$SECONDS
			timeout -k 10 "$INTEG_TIMEOUT" bash "$script" </dev/null 2>&1 | tee "$log"
			rc=${PIPESTATUS[0]}
			integ_done "$name" "$rc" $((SECONDS - t0))
			continue
		fi
		if [ -n "${by_itself[$script]:-}" ]; then
			while [ ${#INTEG_RUNNING[@]} -gt 0 ]; do integ_wait_one; done
			echo "-- $name started (alone)"
		else
			while [ ${#INTEG_RUNNING[@]} -ge "$jobs" ]; do integ_wait_one; done
			echo "-- $name started"
		fi
		INTEG_T0[$name]=$SECONDS
		timeout -k 10 "$INTEG_TIMEOUT" bash "$script" </dev/null >"$log" 2>&1 &
		INTEG_RUNNING[$!]=$name
		[ -z "${by_itself[$script]:-}" ] || integ_wait_one
	done
	while [ ${#INTEG_RUNNING[@]} -gt 0 ]; do integ_wait_one; done
	trap - INT TERM
	case "$STAGES" in *" integration "*) tally integration "$INTEG_P" "$INTEG_F" ;; esac
	case "$STAGES" in *" browser "*) tally browser "$BROWSER_P" "$BROWSER_F" ;; esac
}

# The integration stage runs the pool, with the browser scripts in it when that stage is
# selected too; the browser stage alone runs a pool of browser scripts only.
stage_integration() {
	case "$STAGES" in
	*" browser "*) run_pool "integration and browser" ;;
	*) run_pool integration ;;
	esac
}

stage_browser() {
	case "$STAGES" in
	*" integration "*) echo "== browser tests: run in the integration stage's pool" ;;
	*) run_pool browser ;;
	esac
}

stage_fuzz() {
	local p=0 f=0 srcs=() src name bin secs n corpus dirs log rc work
	echo "== fuzz smoke"
	for src in tests/fuzz/fuzz_*.c; do
		[ -f "$src" ] && srcs+=("$src")
	done
	if [ ${#srcs[@]} -eq 0 ]; then
		echo "(no fuzz targets)"
		tally fuzz 0 0
		return
	fi
	if ! scripts/build-fuzz.sh >"$ART/build-fuzz.log" 2>&1; then
		tail -n 40 "$ART/build-fuzz.log"
		failed "build-fuzz; log: $ART/build-fuzz.log"
		tally fuzz 0 1
		return
	fi
	p=1 # the fuzz build itself
	n=${#srcs[@]}
	# About 100 s of fuzzing in all: 10 s each, less when there are many targets.
	if [ -n "${FUZZ_SECONDS:-}" ]; then
		secs=$FUZZ_SECONDS
	else
		secs=$((100 / n))
		[ "$secs" -gt 10 ] && secs=10
		[ "$secs" -lt 2 ] && secs=2
	fi
	work=$(mktemp -d /tmp/vigil-fuzz.XXXXXX) || return
	for src in "${srcs[@]}"; do
		name=$(basename "$src" .c)
		bin=build-fuzz/$name
		log=$ART/$name.log
		# New inputs go to a scratch directory (the first one); seeds are only read.
		mkdir -p "$work/$name"
		dirs=("$work/$name")
		for corpus in "tests/fuzz/corpus/${name#fuzz_}" "tests/fuzz/corpus/$name"; do
			[ -d "$corpus" ] && dirs+=("$corpus")
		done
		timeout -k 5 $((secs + 60)) "$bin" -max_total_time="$secs" -timeout=10 \
			-rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$ART/$name-" \
			"${dirs[@]}" >"$log" 2>&1
		rc=$?
		if [ $rc -eq 0 ]; then
			p=$((p + 1))
			echo "ok   $name (${secs}s, $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs)"
		else
			f=$((f + 1))
			failed "$name ($(rc_reason $rc)); log: $log"
			grep -m5 -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log"
		fi
	done
	rm -rf "$work"
	tally fuzz $p $f
}

for s in banned unit integration browser fuzz; do
	case "$STAGES" in
	*" $s "*)
		t0=$SECONDS
		"stage_$s"
		case "$s $STAGES" in
		"browser "*" integration "*) ;; # ran in the integration stage's pool
		"integration "*" browser "*) echo "== stage integration (with browser) took $((SECONDS - t0)) s" ;;
		*) echo "== stage $s took $((SECONDS - t0)) s" ;;
		esac
		;;
	esac
done

echo
echo "== summary ($BUILD)"
for line in "${SUMMARY[@]}"; do
	echo "$line"
done
for name in "${FAILED_NAMES[@]}"; do
	echo "failed: $name"
done
echo "$TOTAL_PASS passed, $TOTAL_FAIL failed"
[ "$TOTAL_FAIL" -eq 0 ]
