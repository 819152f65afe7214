#!/usr/bin/env bash
# test_ops.sh - what operators and the console's timeline see: /metrics (who may read it, what it counts, that no organization or camera id leaks into it) and the recorded-spans timeline.
. "$(dirname "$0")/../lib.sh"

TOOLS=$LIB_ROOT/$BUILD/tools
case "$BUILD" in /*) TOOLS=$BUILD/tools ;; esac
for f in "$BIN/vigil-server" "$TOOLS/ingest_load"; do
	[ -x "$f" ] || { fail build "$f missing (run make)"; finish; }
done

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/admin.token"
chmod 600 "$T/admin.token"
AUTH="Authorization: Bearer $(cat "$T/admin.token")"

# start_server NAME [ARGS...]: a fresh server; sets URL and SPID.
start_server() {
	local name=$1
	shift
	start_bg "$name" "$BIN/vigil-server" --listen "127.0.0.1:$(free_port)" --data "$T/$name" \
		--admin-token-file "$T/admin.token" --test-operator-footage "$@"
	SPID=$LAST_PID
	URL=$(wait_ready "$T/$name.log" 'READY url=(http://[^ ]+)' 20 "$SPID")
}
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

start_server srv || { fail server_ready "no READY"; finish; }

# Who may read /metrics: not anyone, the admin token (an operator) yes.
[ "$(code "$URL/metrics")" = 401 ] && pass metrics_anonymous_refused ||
	fail metrics_anonymous_refused "$(code "$URL/metrics")"
[ "$(code -H "Authorization: Bearer nope" "$URL/metrics")" = 401 ] && pass metrics_bad_token_refused ||
	fail metrics_bad_token_refused "status $(code -H "Authorization: Bearer nope" "$URL/metrics")"

# Some ingest (two cameras, 10 s), then the counters.
"$TOOLS/ingest_load" ingest --server "$URL" --admin-token-file "$T/admin.token" --cameras 2 \
	--duration 10 --bitrate 1000000 >"$T/load.out" 2>"$T/load.log" ||
	{ fail ingest "ingest_load failed"; finish; }
curl -fsS -H "$AUTH" -o "$T/metrics.txt" -D "$T/metrics.hdr" "$URL/metrics" &&
	pass metrics_operator_reads || fail metrics_operator_reads "status $(code -H "$AUTH" "$URL/metrics")"
grep -qi '^content-type: text/plain; version=0.0.4' "$T/metrics.hdr" && pass metrics_content_type ||
	fail metrics_content_type "$(grep -i content-type "$T/metrics.hdr")"
val() { awk -v k="$1" '$1 == k { print $2 }' "$T/metrics.txt"; }
bytes=$(val vigil_ingest_bytes_total)
segs=$(val 'vigil_ingest_links_total{kind="segment"}')
acks=$(val vigil_ingest_ack_seconds_count)
[ "${bytes:-0}" -gt 1000000 ] && [ "${segs:-0}" -ge 8 ] && [ "${acks:-0}" -ge 8 ] &&
	pass metrics_count_ingest "(bytes=$bytes segments=$segs acks=$acks)" ||
	fail metrics_count_ingest "bytes=${bytes:-?} segments=${segs:-?} acks=${acks:-?}"
grep -q '^vigil_http_request_seconds_count{class="ingest"} [1-9]' "$T/metrics.txt" &&
	grep -q '^vigil_storage_free_bytes [1-9]' "$T/metrics.txt" && pass metrics_latency_storage ||
	fail metrics_latency_storage "no ingest latency or free-space line"
# No camera (or gateway) id appears anywhere in the exposition.
mapfile -t CAMS < <(curl -fsS -H "$AUTH" "$URL/api/v1/cameras" | jq -r '.cameras[].id' | sort -u)
leak=0
for c in "${CAMS[@]}"; do grep -q "$c" "$T/metrics.txt" && leak=1; done
[ "${#CAMS[@]}" -ge 2 ] && [ "$leak" = 0 ] && pass metrics_no_ids ||
	fail metrics_no_ids "cameras=${#CAMS[@]} leak=$leak"
# Every label is a fixed word.
bad=$(grep -v '^#' "$T/metrics.txt" | grep -o '{[^}]*}' | grep -Ev '^\{((kind|class)="[a-z]+"(,le="[^"]+")?|le="[^"]+")\}$' | head -n 1)
[ -z "$bad" ] && pass metrics_labels_fixed || fail metrics_labels_fixed "$bad"

# The timeline of one camera: its 10 s as one span, clipped to the window asked.
cam=${CAMS[0]}
now=$(($(date +%s) * 1000000))
tl=$(curl -fsS -H "$AUTH" "$URL/api/v1/cameras/$cam/streams/0/timeline?from=$((now - 3600000000))&to=$((now + 60000000))")
n=$(echo "$tl" | jq '.spans | length')
len=$(echo "$tl" | jq '.spans[0][1] - .spans[0][0]')
[ "$n" = 1 ] && [ "$len" -ge 6000000 ] && [ "$len" -le 14000000 ] && pass timeline_one_span "($len us)" ||
	fail timeline_one_span "$tl"
clip=$(curl -fsS -H "$AUTH" "$URL/api/v1/cameras/$cam/streams/0/timeline?from=$(echo "$tl" | jq '.spans[0][0] + 1000000')&to=$((now + 60000000))" | jq '.spans[0][0] - 0')
[ "$clip" = "$(echo "$tl" | jq '.spans[0][0] + 1000000')" ] && pass timeline_clipped ||
	fail timeline_clipped "$clip"
[ "$(code -H "$AUTH" "$URL/api/v1/cameras/$cam/streams/0/timeline")" = 400 ] &&
	pass timeline_needs_window || fail timeline_needs_window "no 400 without from/to"
# A continuous camera has no "no motion" span; res must be a number of microseconds.
[ "$(echo "$tl" | jq '.paused | length')" = 0 ] && pass timeline_no_pauses ||
	fail timeline_no_pauses "$tl"
bad=
for r in -1 abc 86400000001 ''; do
	c=$(code -H "$AUTH" "$URL/api/v1/cameras/$cam/streams/0/timeline?from=1&to=2&res=$r")
	[ "$c" = 400 ] || bad="$bad res='$r':$c"
done
c=$(code -H "$AUTH" "$URL/api/v1/cameras/$cam/streams/0/timeline?from=1&to=2&res=1000000")
[ -z "$bad" ] && [ "$c" = 200 ] && pass timeline_res_checked || fail timeline_res_checked "$bad ok:$c"
[ "$(code "$URL/api/v1/cameras/$cam/streams/0/timeline?from=1&to=2")" = 401 ] &&
	pass timeline_needs_auth || fail timeline_needs_auth "anonymous timeline answered"
stop_bg srv

# A configured scraper address reads /metrics without a login.
start_server srv2 --metrics-allow 127.0.0.1 || { fail server2_ready "no READY"; finish; }
[ "$(code "$URL/metrics")" = 200 ] && pass metrics_allowed_address ||
	fail metrics_allowed_address "status $(code "$URL/metrics")"
finish
