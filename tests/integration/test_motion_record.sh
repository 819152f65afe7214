#!/usr/bin/env bash
# test_motion_record.sh - recording on motion only, end to end: camsim's scripted scene ->
# a gateway whose camera has {"recording":{"mode":"motion"}} -> the server holds footage
# around each motion event (from the pre-roll before it to the post-roll after it) and a
# signed "no motion" gap between, on both streams; the chain verifies and exports, and the
# segment before each pause says so in its signed end.
# test-runs-alone: a detector starved for 10 s under load counts as blind and records
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/pipeline.sh"

RECORD_S=${RECORD_S:-80}
SEED=${SEED:-11}
PRE_S=3
POST_S=3
GOP_US=2000000  # camsim's scripted GOP; recording starts and stops at keyframes

pipe_server || { fail server-start "no READY line"; finish; }
pipe_motion_only "$SEED" "$PRE_S" "$POST_S" --truth "$T/truth.txt" || finish
# A configuration that cannot work is refused with its reason, before anything runs.
jq '.cameras[0].detection = {enabled: false}' "$T/site/gateway.json" >"$T/bad.json"
if ! timeout 10 "$BIN/vigil-gateway" run --config "$T/bad.json" >"$T/bad.log" 2>&1 &&
	grep -q 'recording.mode: "motion" needs detection enabled' "$T/bad.log"; then
	pass motion-needs-detection
else
	fail motion-needs-detection "$(tail -n 2 "$T/bad.log")"
fi

gw_start_us=$(date +%s%6N)
pipe_gateway
# A live viewer of the substream for the whole run: while recording pauses it still gets
# video, in live-only segments (never stored).
cam=$(jq -r '.cameras[0].id' "$T/site/keys.json")
ADM="Authorization: Bearer $(cat "$T/admin.token")"
curl -s -m "$((RECORD_S + 2))" -H "$ADM" -o "$T/live1.bin" \
	"$SERVER_URL/api/v1/cameras/$cam/streams/1/live" &
LIVE_CURL=$!
sleep "$RECORD_S"
alive "$GATEWAY_PID" && pass gateway-alive || fail gateway-alive "gateway exited"
# Let the uploads of the last seconds land, then stop: the gateway signs what it holds.
sleep 3
stop_us=$(date +%s%6N)
wait "$LIVE_CURL" 2>/dev/null
live_only_total=$(curl -s -m 10 -H "$ADM" "$SERVER_URL/metrics" | awk '$1 == "vigil_ingest_live_only_total" { print $2 }')
stop_bg gateway
for s in 0 1; do
	curl -s -m 10 -H "$ADM" "$SERVER_URL/api/v1/cameras/$cam/streams/$s/segments?from=$gw_start_us&to=$stop_us" |
		jq -r '.segments[] | "\(.kind) \(.start_us) \(.end_us)"' >"$T/links$s.txt"
done
# Motion as the gateway saw it: start and end of every event, in order.
grep 'event=motion_end ' "$T/gateway.log" | sed 's/.*start_us=\([0-9]*\) end_us=\([0-9]*\).*/\1 \2/' |
	sort -n >"$T/events.txt"
nev=$(wc -l <"$T/events.txt")
[ "$nev" -ge 1 ] || { fail events "no motion event logged: $(grep -c motion "$T/gateway.log")"; finish; }

# Both streams paused and resumed, and the server holds signed gaps between recordings.
for s in 0 1; do
	p=$(grep -c "stream=$s event=recording_paused" "$T/gateway.log")
	r=$(grep -c "stream=$s event=recording_resumed" "$T/gateway.log")
	g=$(awk '$1 == "gap"' "$T/links$s.txt" | wc -l)
	if [ "$p" -ge 1 ] && [ "$r" -ge 1 ] && [ "$g" -ge 1 ]; then
		pass "stream$s-pauses-and-resumes (paused $p, resumed $r, gaps $g)"
	else
		fail "stream$s-pauses-and-resumes" "paused $p resumed $r gaps $g"
	fi
done

# Every event the gateway found (from 8 s in, ending 8 s before the stop) is recorded on the
# main stream from its pre-roll (the keyframe at or before start - PRE_S, so at least
# start - PRE_S) to its end: no hole over 100 ms in between.
bad=$(awk -v a=$((gw_start_us + 8000000)) -v b=$((stop_us - 8000000)) -v pre=$((PRE_S * 1000000)) '
	NR == FNR { if ($1 == "segment") { n++; ss[n] = $2; se[n] = $3 } next }
	$1 >= a && $2 <= b {
		from = $1 - pre; to = $2; at = from
		for (i = 1; i <= n; i++) if (ss[i] <= at + 100000 && se[i] > at) at = se[i]
		if (at < to) printf "event %d-%d covered only to %d (from %d); ", $1, $2, at, from
		checked++ }
	END { if (checked == 0) print "no event inside the window" }' "$T/links0.txt" "$T/events.txt")
[ -z "$bad" ] && pass "events-recorded-with-preroll ($nev events)" || fail events-recorded-with-preroll "$bad"

# Between events nothing is recorded: from one GOP after (end + POST_S + 2 s, the event's
# end is reported end_hold later) to one GOP before (next start - PRE_S), with 0.5 s slack.
bad=$(awk -v g="$GOP_US" -v pre=$((PRE_S * 1000000)) -v post=$((POST_S * 1000000)) \
	-v a="$gw_start_us" -v b=$((stop_us - 3000000)) '
	NR == FNR { if ($1 == "segment") { n++; ss[n] = $2; se[n] = $3 } next }
	{ if (prev_end != "") { lo = prev_end + post + 2000000 + g + 500000; hi = $1 - pre - g - 500000
		if (hi - lo >= 1000000) { idle += hi - lo
			for (i = 1; i <= n; i++) if (ss[i] < hi && se[i] > lo) printf "segment %d-%d in idle %d-%d; ", ss[i], se[i], lo, hi } }
	  prev_end = $2 }
	END { if (prev_end != "" && b - (prev_end + post + 2000000 + g + 500000) >= 1000000) {
		lo = prev_end + post + 2000000 + g + 500000
		for (i = 1; i <= n; i++) if (ss[i] < b && se[i] > lo) printf "segment %d-%d in idle %d-%d; ", ss[i], se[i], lo, b
		idle += b - lo }
	  if (idle == 0) print "no idle stretch to check" }' "$T/links0.txt" "$T/events.txt")
[ -z "$bad" ] && pass idle-not-recorded || fail idle-not-recorded "$bad"

# Less footage than wall time: the point of the mode.
rec=$(awk '$1 == "segment" { t += $3 - $2 } END { print int(t / 1000) }' "$T/links0.txt")
wall=$(((stop_us - gw_start_us) / 1000))
[ "$rec" -gt 0 ] && [ $((rec * 100 / wall)) -le 85 ] && pass "footage-below-wall-time (${rec} of ${wall} ms)" ||
	fail footage-below-wall-time "recorded ${rec} ms of ${wall} ms"

# The timeline tells the pauses from outages: "no motion" spans (the signed idle gaps)
# fill the time between recordings and never overlap them; at a coarse resolution each
# kind is one span.
tl=$(curl -s -m 10 -H "$ADM" "$SERVER_URL/api/v1/cameras/$cam/streams/0/timeline?from=$gw_start_us&to=$stop_us")
echo "$tl" | jq -r '(.spans[] | "r \(.[0]) \(.[1])"), (.paused[] | "p \(.[0]) \(.[1])")' >"$T/tl.txt"
bad=$(awk -v w=$((stop_us - gw_start_us)) '
	{ k[NR] = $1; s[NR] = $2; e[NR] = $3; if ($1 == "r") rt += $3 - $2; else pt += $3 - $2
	  if (first == "" || $2 < first) first = $2; if ($3 > last) last = $3 }
	END { for (i = 1; i <= NR; i++) for (j = 1; j <= NR; j++)
		if (k[i] == "r" && k[j] == "p") { lo = s[i] > s[j] ? s[i] : s[j]; hi = e[i] < e[j] ? e[i] : e[j]
			if (hi > lo) ov += hi - lo }
	  if (pt == 0) print "no paused span"
	  else if (ov > 500000) printf "paused and recorded overlap by %d us; ", ov
	  else if (rt + pt < 0.9 * (last - first)) printf "recorded %d + paused %d us of %d us; ", rt, pt, last - first
	  else printf "ok %d %d %d", rt, pt, NR }' "$T/tl.txt")
coarse=$(curl -s -m 10 -H "$ADM" "$SERVER_URL/api/v1/cameras/$cam/streams/0/timeline?from=$gw_start_us&to=$stop_us&res=100000000" |
	jq -r '"\(.spans | length) \(.paused | length)"')
if [ "${bad%% *}" = ok ] && [ "$coarse" = "1 1" ]; then
	pass "timeline-shows-pauses (recorded, paused us, spans: ${bad#ok }; coarse: $coarse)"
else
	fail timeline-shows-pauses "$bad; coarse $coarse; $(head -c 600 "$T/tl.txt")"
fi

# Live while paused: the live viewer got live-only segments (SEG_HEADER flag bit 0) as
# well as recorded ones, the server counted them, and none was stored (idle-not-recorded
# above, and the chain below verifies: a stored one would break it).
hdrs=$(od -An -v -tu1 "$T/live1.bin" | awk '
	{ for (i = 1; i <= NF; i++) b[n++] = $i + 0 }
	END { p = 0
		while (p + 5 <= n) {
			len = ((b[p] * 256 + b[p + 1]) * 256 + b[p + 2]) * 256 + b[p + 3]; t = b[p + 4]
			if (p + 5 + len > n) break
			if (t == 1 && len == 208) { if (b[p + 5 + 3] % 2 == 1) lo++; else st++ }
			p += 5 + len }
		printf "%d %d", lo + 0, st + 0 }')
read -r nlo nst <<<"$hdrs"
if [ "$nlo" -ge 5 ] && [ "$nst" -ge 1 ] && [ "${live_only_total:-0}" -ge "$nlo" ]; then
	pass "live-while-paused ($nlo live-only and $nst recorded segments seen live; server counted $live_only_total)"
else
	fail live-while-paused "live-only $nlo, recorded $nst, server counted ${live_only_total:-none}"
fi

# The chain verifies across the pauses; the export names the gaps and the signed pauses,
# and the clip decodes.
from=$(date -u -d "@$((gw_start_us / 1000000 + 2))" +%Y-%m-%dT%H:%M:%SZ)
to=$(date -u -d "@$((stop_us / 1000000 - 2))" +%Y-%m-%dT%H:%M:%SZ)
if pipe_export cam1 "$from" "$to" "$T/clip.mp4" >"$T/export.log" 2>&1 &&
	grep -q 'reason=no motion (camera records on motion only)' "$T/export.log" &&
	grep -q 'note: recording paused after segment' "$T/export.log" &&
	ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
		-of csv=p=0 "$T/clip.mp4" >"$T/frames.txt" 2>&1 && [ "$(cat "$T/frames.txt")" -gt 0 ]; then
	pass "chain-verifies-across-pauses ($(grep -c '^gap:' "$T/export.log") gaps, $(cat "$T/frames.txt") frames)"
else
	fail chain-verifies-across-pauses "$(grep -v '^ok' "$T/export.log" | tail -n 4)"
fi
finish
