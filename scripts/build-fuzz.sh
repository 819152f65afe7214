#!/bin/bash
# Builds every tests/fuzz/fuzz_*.c into a libFuzzer binary (clang, ASan+UBSan) in build-fuzz/.
#
# Usage: scripts/build-fuzz.sh [TARGET...]   (TARGET: fuzz_record etc.; default all)
# The sources of src/common, src/server, src/gateway and src/cli (each main.c left out)
# are compiled with coverage instrumentation into per-directory archives under
# build-fuzz/, and each harness links against all four, so a harness may call any
# module (fuzz_http_* the server's parser, fuzz_config* the gateway's, ...). Objects are
# rebuilt only when their source or a header they include changed. A source that does
# not compile fails the build, loudly.
# Run one: build-fuzz/fuzz_record -max_total_time=60 tests/fuzz/corpus/record
set -u

cd "$(dirname "$0")/.." || exit 1
OUT=${FUZZ_BUILD:-build-fuzz}
CC=${FUZZ_CC:-clang}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
DIRS=(common server gateway cli)
PKGS="libsodium jansson libmicrohttpd sqlite3 libavformat libavcodec libavutil libcurl"

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "build-fuzz: $CC not found (Debian packages clang libclang-rt-14-dev)" >&2
	exit 1
fi
PKG_CFLAGS=$(pkg-config --cflags $PKGS) || { echo "build-fuzz: pkg-config failed; run scripts/check-deps.sh" >&2; exit 1; }
PKG_LIBS=$(pkg-config --libs $PKGS) || exit 1

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS="-std=c17 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Wno-unused-parameter -Isrc $SAN $PKG_CFLAGS"
# Module code gets coverage instrumentation without libFuzzer's main().
MOD_CFLAGS="$CFLAGS -fsanitize=fuzzer-no-link"

# True when $2 (an object) is missing or older than any prerequisite in its .d file $3.
stale() {
	local src=$1 obj=$2 dep=$3 words w
	[ -f "$obj" ] && [ -f "$dep" ] || return 0
	[ "$src" -nt "$obj" ] && return 0
	words=$(tr '\\\n' '  ' <"$dep" | tr -s ' ' '\n' | grep -v ':$')
	for w in $words; do
		[ -e "$w" ] || return 0
		[ "$w" -nt "$obj" ] && return 0
	done
	return 1
}

failures=0
running=0
# Runs a compile in the background, at most $JOBS at a time; counts failures.
compile() {
	local src=$1 obj=$2 flags=$3
	if [ "$running" -ge "$JOBS" ]; then
		wait -n || failures=$((failures + 1))
		running=$((running - 1))
	fi
	echo "  CC $src"
	mkdir -p "$(dirname "$obj")"
	# shellcheck disable=SC2086
	$CC $flags -MMD -MP -c "$src" -o "$obj" &
	running=$((running + 1))
}
wait_all() {
	while [ "$running" -gt 0 ]; do
		wait -n || failures=$((failures + 1))
		running=$((running - 1))
	done
}

declare -A dir_objs=()
for d in "${DIRS[@]}"; do
	objs=()
	for src in src/"$d"/*.c; do
		[ -f "$src" ] || continue
		[ "$(basename "$src")" = main.c ] && continue
		obj=$OUT/obj/${src%.c}.o
		objs+=("$obj")
		stale "$src" "$obj" "${obj%.o}.d" && compile "$src" "$obj" "$MOD_CFLAGS"
	done
	dir_objs[$d]="${objs[*]}"
done

targets=()
if [ $# -gt 0 ]; then
	for t in "$@"; do
		t=$(basename "$t" .c)
		[ -f "tests/fuzz/$t.c" ] || { echo "build-fuzz: no tests/fuzz/$t.c" >&2; exit 1; }
		targets+=("$t")
	done
else
	for src in tests/fuzz/fuzz_*.c; do
		[ -f "$src" ] && targets+=("$(basename "$src" .c)")
	done
fi
for t in "${targets[@]}"; do
	src=tests/fuzz/$t.c
	obj=$OUT/obj/tests/fuzz/$t.o
	stale "$src" "$obj" "${obj%.o}.d" && compile "$src" "$obj" "$MOD_CFLAGS"
done
wait_all
if [ "$failures" -gt 0 ]; then
	echo "build-fuzz: $failures source file(s) failed to compile" >&2
	exit 1
fi

libs=()
for d in "${DIRS[@]}"; do
	lib=$OUT/lib$d.a
	rm -f "$lib"
	if [ -n "${dir_objs[$d]}" ]; then
		# shellcheck disable=SC2086
		ar rcs "$lib" ${dir_objs[$d]} || exit 1
		libs+=("$lib")
	fi
done

for t in "${targets[@]}"; do
	echo "  LD $OUT/$t"
	# shellcheck disable=SC2086
	if ! $CC -fsanitize=fuzzer $SAN -o "$OUT/$t" "$OUT/obj/tests/fuzz/$t.o" \
		-Wl,--start-group "${libs[@]}" -Wl,--end-group $PKG_LIBS -pthread; then
		echo "build-fuzz: linking $t failed" >&2
		failures=$((failures + 1))
	fi
done
if [ "$failures" -gt 0 ]; then
	exit 1
fi
echo "build-fuzz: built ${#targets[@]} target(s) in $OUT/: ${targets[*]}"
exit 0
