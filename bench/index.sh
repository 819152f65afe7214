#!/bin/bash
# bench/index.sh - the timeline and index: a year of 2-second segments for one camera in a fresh index, then a day and a month of timeline and of segment listing, timed.
#
# Usage: bench/index.sh
# Environment:
#   DAYS=365       history written before the queries (one camera, one stream, an outage of
#                  1-30 minutes about every third day)
#   BENCH_TMP=/tmp where the index lives
# Each query runs 21 times at random offsets in the history; the table gives the median
# and the range. There is no peer program here: the goals are absolute (a day <= 10 ms, a
# month <= 50 ms) and the index size per camera-day is reported.
. "$(dirname "$0")/lib.sh"

DAYS=${DAYS:-365}
need "$TOOLS/index_year" || exit 1
note "filling an index with $DAYS days of 2 s segments (one camera)"
out=$("$TOOLS/index_year" "$BT" "$DAYS") || { echo "bench: index_year failed" >&2; exit 1; }
fill=$(echo "$out" | grep '^fill ')
val() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }
echo
echo "Index: $(val "$fill" links) links over $(val "$fill" days) days ($(val "$fill" outages) outages), written at $(val "$fill" links_per_s) links/s; $(awk -v b="$(val "$fill" bytes_per_camera_day)" 'BEGIN { printf "%.1f MiB", b / 1048576 }') per camera-day, $(awk -v b="$(val "$fill" bytes)" 'BEGIN { printf "%.0f MiB", b / 1048576 }') in all"
echo
echo "| query | rows returned | median ms | min ms | max ms | goal |"
echo "|---|---:|---:|---:|---:|---|"
echo "$out" | grep '^query ' | while read -r line; do
	name=$(val "$line" name)
	case $name in
	timeline_day) label="timeline (recorded spans) of a day"; goal="<= 10 ms" ;;
	timeline_month) label="timeline (recorded spans) of a month"; goal="<= 50 ms" ;;
	segments_day) label="every segment of a day"; goal="<= 10 ms" ;;
	segments_hour) label="every segment of an hour"; goal="" ;;
	ingest_lookup) label="ingest's per-link lookups (resend? past the head?)"; goal="" ;;
	camera_list) label="camera list (every stream's first, last, count, bytes)"; goal="" ;;
	retention_pass) label="retention pass, nothing due"; goal="" ;;
	quota_pass) label="retention pass with a quota, nothing due"; goal="" ;;
	total_bytes) label="storage used (/metrics)"; goal="" ;;
	orphan_blobs) label="retention's orphan-blob check, nothing to remove"; goal="" ;;
	expire_batch) label="one batch of a retention cut to half the history (holds the index lock; rows: links)"; goal="" ;;
	camera_remove) label="camera removal, the request's index work (rows: links it held)"; goal="" ;;
	purge_batch) label="one batch of the removed camera's purge (holds the index lock; rows: links)"; goal="" ;;
	*) label=$name goal="" ;;
	esac
	printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$(val "$line" rows)" "$(val "$line" median_ms)" \
		"$(val "$line" min_ms)" "$(val "$line" max_ms)" "$goal"
done
echo
echo "$out" | grep '^deleted ' | while read -r line; do
	echo "- $(val "$line" name): $(val "$line" batches) batches, $(val "$line" links) links, $(val "$line" seconds) s of index work in all"
done
exit 0
