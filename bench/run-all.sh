#!/bin/bash
# bench/run-all.sh - runs every benchmark (gateway vs ffmpeg, ingest vs disk, archive serving vs nginx, timeline and index, idle connections, live fan-out vs nginx-rtmp, motion vs Motion, the console's live latency and click to first frame) and prints the machine and the tables.
#
# Usage: bench/run-all.sh        (what `make bench` runs, after building)
# The environment of bench/gateway.sh (NS, DURATION, RUNS, WARMUP) and bench/ingest.sh
# (STEPS, STEP_S, BITRATE, DISK_MIB, BUDGET_S) passes through; BENCH_TMP picks the
# filesystem. Tables go to stdout, progress to stderr. Exit status 1 if a benchmark failed.
. "$(dirname "$0")/lib.sh"

status=0
echo "# Vigil recording-pipeline benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo
machine_desc
echo "  load:   $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min load average at start)"

echo
echo "## Gateway: one vigil-gateway vs one ffmpeg per camera (NS=\"${NS:-1 16 48}\" DURATION=${DURATION:-60} RUNS=${RUNS:-3})"
bench/gateway.sh || { status=1; echo; echo "gateway benchmark FAILED (see the messages above)"; }

echo
echo "## Server ingest vs raw fsync'd disk writes (STEPS=\"${STEPS:-8 32 64 128 256 512}\" STEP_S=${STEP_S:-20})"
bench/ingest.sh || { status=1; echo; echo "ingest benchmark FAILED (see the messages above)"; }

echo
echo "## Archive serving: vigil-server vs nginx with sendfile (CONNS=\"${CONNS:-32 256}\" RUNS=${RUNS:-3} WRK_S=${WRK_S:-10})"
bench/archive.sh || { status=1; echo; echo "archive benchmark FAILED (see the messages above)"; }

echo
echo "## Timeline and index (DAYS=${DAYS:-365})"
bench/index.sh || { status=1; echo; echo "index benchmark FAILED (see the messages above)"; }

echo
echo "## Idle gateway connections (NS=\"${NS_CONNS:-1000 10000}\")"
NS=${NS_CONNS:-1000 10000} bench/conns.sh || { status=1; echo; echo "connections benchmark FAILED (see the messages above)"; }

echo
echo "## Live fan-out: vigil-server vs nginx-rtmp"
bench/live.sh || { status=1; echo; echo "live benchmark FAILED (see the messages above)"; }

echo
echo "## Motion detection: the gateway vs Debian's motion"
bench/motion.sh || { status=1; echo; echo "motion benchmark FAILED (see the messages above)"; }

echo
echo "## Console: live latency in the page (4 and 16 cameras) and click to first frame"
NS=${NS_LATENCY:-4 16} bench/latency.sh || { status=1; echo; echo "console latency benchmark FAILED (see the messages above)"; }

echo
echo "  load:   $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min load average at the end)"
exit $status
