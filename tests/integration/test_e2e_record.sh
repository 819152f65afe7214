#!/usr/bin/env bash
# test_e2e_record.sh - camera simulator → gateway → server for 60 s; every camera's exported
# 20 s holds the source's access units byte-identical and in order, the server's data and
# logs hold no plaintext video (no marker, no 47 bytes in a row of the source) nor the
# canary, and tampering with the store is reported.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/pipeline.sh"

NCAM=${NCAM:-3}
RECORD_S=${RECORD_S:-60}

pipe_media || { fail media "could not make the test media"; finish; }
pipe_server || { fail server-start "no READY line"; finish; }
pipe_camsim "$NCAM" || { fail camsim-start "no READY line"; finish; }
pipe_provision "$NCAM" || { fail provision "vigil provision failed"; finish; }
pipe_gateway
start_us=$(($(date +%s%N) / 1000))
sleep "$RECORD_S"
alive "$GATEWAY_PID" && pass gateway-alive || fail gateway-alive "gateway exited"

# Export seconds 30..50 of the recording of every camera.
from=$(date -u -d "@$((start_us / 1000000 + RECORD_S - 30))" +%Y-%m-%dT%H:%M:%SZ)
to=$(date -u -d "@$((start_us / 1000000 + RECORD_S - 10))" +%Y-%m-%dT%H:%M:%SZ)
for i in $(seq 1 "$NCAM"); do
	if pipe_export "cam$i" "$from" "$to" "$T/cam$i.mp4" >"$T/export$i.log" 2>&1; then
		out=$(check_aus "$T/cam$i.mp4" 480 0) && pass "cam$i-20s-byte-identical ($out)" ||
			fail "cam$i-20s-byte-identical" "$out"
	else
		fail "cam$i-export" "$(tail -n 3 "$T/export$i.log")"
	fi
done
ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 "$T/cam1.mp4" \
	>"$T/probe.txt" 2>&1 && grep -q '^h264,1280,720' "$T/probe.txt" &&
	pass "ffprobe-opens-export" || fail "ffprobe-opens-export" "$(cat "$T/probe.txt")"

# The scanner must see the plaintext in the export (so it can fail), and none on the server.
"$PIPE_TOOLS/plainscan" --canary "$CANARY" --known "$T/src.h264" "$T/cam1.mp4" >"$T/scan-export.txt"
grep -q 'HIT canary' "$T/scan-export.txt" && grep -q 'HIT mdat' "$T/scan-export.txt" &&
	grep -q 'HIT known' "$T/scan-export.txt" &&
	pass "scanner-sees-plaintext-in-export" || fail "scanner-sees-plaintext-in-export" "no hit"
stop_bg gateway
stop_bg server
if "$PIPE_TOOLS/plainscan" --canary "$CANARY" --known "$T/src.h264" "$T/server" "$T/server.log" \
	>"$T/scan-server.txt"; then
	pass "server-holds-no-plaintext ($(du -sh "$T/server" | cut -f1) scanned)"
else
	fail "server-holds-no-plaintext" "$(head -n 5 "$T/scan-server.txt")"
fi

# Tampering with the store: one flipped byte, one deleted link, two swapped links. Each is
# applied to a copy of the untouched store and must make export fail with status 3.
cp -a "$T/server" "$T/server.orig"
cam1=$(jq -r '.cameras[0].id' "$T/site/keys.json")
db=$T/server/index.db
q() { sqlite3 "$db" "$1"; }
from=$(date -u -d "@$((start_us / 1000000))" +%Y-%m-%dT%H:%M:%SZ)
tamper_case() {
	local name=$1 expect=$2 rc
	pipe_server "$SERVER_PORT" || { fail "$name" "server did not restart"; return; }
	pipe_export cam1 "$from" now "$T/tampered.mp4" >"$T/tamper-$name.log" 2>&1
	rc=$?
	if [ $rc -eq 3 ] && grep -qiE "$expect" "$T/tamper-$name.log" && [ ! -e "$T/tampered.mp4" ]; then
		pass "tamper-$name-detected ($(grep -m1 -i error "$T/tamper-$name.log"))"
	else
		fail "tamper-$name-detected" "rc=$rc $(tail -n 2 "$T/tamper-$name.log")"
	fi
	stop_bg server
	rm -rf "$T/server"
	cp -a "$T/server.orig" "$T/server"
}
# The untouched store verifies (so the cases below fail for their own reason).
pipe_server "$SERVER_PORT" && pipe_export cam1 "$from" now "$T/whole.mp4" >"$T/whole.log" 2>&1 &&
	pass "untouched-store-verifies" || fail "untouched-store-verifies" "$(tail -n 2 "$T/whole.log")"
stop_bg server
mid=$(q "SELECT seq FROM links WHERE cam=(SELECT key FROM camera_keys WHERE id='$cam1') AND stream=0 ORDER BY seq LIMIT 1 OFFSET 10")
read -r blob off len <<<"$(q "SELECT blob, off, length FROM links WHERE cam=(SELECT key FROM camera_keys WHERE id='$cam1') AND stream=0 AND seq=$mid" | tr '|' ' ')"
blobfile=$(find "$T/server/blobs/$cam1" -name "$blob.blob")
pos=$((off + len / 2))
byte=$(od -An -tu1 -j "$pos" -N1 "$blobfile" | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 1)))" | dd of="$blobfile" bs=1 seek="$pos" conv=notrunc status=none
tamper_case flipped-byte 'authentication|signature|hash'
q "DELETE FROM links WHERE cam=(SELECT key FROM camera_keys WHERE id='$cam1') AND stream=0 AND seq=$mid"
tamper_case deleted-link 'missing|deleted'
q "UPDATE links SET off = CASE seq WHEN $mid THEN (SELECT off FROM links WHERE cam=(SELECT key FROM camera_keys WHERE id='$cam1') AND stream=0 AND seq=$((mid + 1))) ELSE (SELECT off FROM links WHERE cam=(SELECT key FROM camera_keys WHERE id='$cam1') AND stream=0 AND seq=$mid) END, length = CASE seq WHEN $mid THEN (SELECT length FROM links WHERE cam=(SELECT key FROM camera_keys WHERE id='$cam1') AND stream=0 AND seq=$((mid + 1))) ELSE (SELECT length FROM links WHERE cam=(SELECT key FROM camera_keys WHERE id='$cam1') AND stream=0 AND seq=$mid) END WHERE cam=(SELECT key FROM camera_keys WHERE id='$cam1') AND stream=0 AND seq IN ($mid, $((mid + 1)))"
tamper_case swapped-links 'order|chain|missing|malformed'

finish
