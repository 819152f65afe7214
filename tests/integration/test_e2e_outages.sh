#!/usr/bin/env bash
# test_e2e_outages.sh - kill -9 of the server mid-ingest, kill -9 of the gateway, the server
# unreachable for 60 s and a camera outage: the export afterwards has no gap but the camera
# outage and the gateway's own downtime (both signed gaps), and no duplicate.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/pipeline.sh"

OUTAGE_S=${OUTAGE_S:-60}

spool_links() { find "$T/site/spool" -name '*.link' -o -name '*.open' 2>/dev/null | wc -l; }

pipe_media || { fail media "could not make the test media"; finish; }
pipe_server || { fail server-start "no READY line"; finish; }
pipe_camsim 1 || { fail camsim-start "no READY line"; finish; }
pipe_provision 1 || { fail provision "vigil provision failed"; finish; }
t0=$(date +%s)
pipe_gateway
sleep 12

# 1. The server dies mid-ingest and comes back on the same port and data.
kill -KILL "${BG_PID[server]}"; stop_bg server KILL >/dev/null 2>&1
sleep 3
pipe_server "$SERVER_PORT" && pass "server-restarts-after-kill-9" || fail "server-restarts-after-kill-9" "no READY"
sleep 10

# 2. The gateway dies at an arbitrary instant and is started again.
kill -KILL "$GATEWAY_PID"; stop_bg gateway KILL >/dev/null 2>&1
sleep 2
pipe_gateway
sleep 10

# 3. The camera goes away for 6 s.
echo "stop cam1" >"$T/camctl"
sleep 6
echo "start cam1" >"$T/camctl"
sleep 10

# 4. The server is unreachable for OUTAGE_S seconds: the gateway spools, then backfills.
stop_bg server
sleep 2
held=$(spool_links)
sleep $((OUTAGE_S - 2))
[ "$(spool_links)" -gt "$held" ] && pass "gateway-spools-while-server-down ($(spool_links) links)" ||
	fail "gateway-spools-while-server-down" "spool did not grow"
pipe_server "$SERVER_PORT" || fail "server-restart" "no READY"
for _ in $(seq 1 90); do
	[ "$(spool_links)" -le 1 ] && break
	sleep 1
done
[ "$(spool_links)" -le 1 ] && pass "backfill-drains-spool" || fail "backfill-drains-spool" "$(spool_links) links left"
sleep 4

from=$(date -u -d "@$((t0 + 2))" +%Y-%m-%dT%H:%M:%SZ)
if pipe_export cam1 "$from" -6s "$T/all.mp4" >"$T/export.log" 2>&1; then
	pass "export-verifies-after-outages"
	gaps=$(grep -ci 'gap' "$T/export.log")
	grep -i 'gap' "$T/export.log" | head -n 5
	# Jumps allowed: the gateway's downtime and the camera's outage; nothing else.
	out=$(check_aus "$T/all.mp4" 1500 2) && pass "no-loss-no-duplicate ($out)" ||
		fail "no-loss-no-duplicate" "$out"
	grep -qi 'restart' "$T/export.log" && pass "gateway-restart-gap-reported" ||
		fail "gateway-restart-gap-reported" "no restart gap in: $(tail -n 5 "$T/export.log")"
	grep -qi 'offline' "$T/export.log" && pass "camera-outage-gap-reported" ||
		fail "camera-outage-gap-reported" "no offline gap ($gaps gap lines)"
else
	fail "export-verifies-after-outages" "$(tail -n 5 "$T/export.log")"
fi
finish
