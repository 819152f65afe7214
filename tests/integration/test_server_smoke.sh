#!/usr/bin/env bash
# test_server_smoke.sh - starts vigil-server on a free loopback port and exercises the HTTP API.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BUILD:-$ROOT/build}
SERVER=$BIN/bin/vigil-server
GW=$BIN/tools/server_gwtool
TMP=$(mktemp -d)
PID=
fails=0

cleanup() {
	if [ -n "$PID" ]; then kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; fi
	[ -n "${KEEP:-}" ] && echo "kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1${2:+ ($2)}"; fails=$((fails + 1)); }
check() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2' want '$3'"; fi; }

for f in "$SERVER" "$GW"; do
	[ -x "$f" ] || { echo "FAIL build ($f missing: run make)"; exit 1; }
done

ADMIN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$ADMIN" > "$TMP/admin"

# Refuses a public address without TLS.
"$SERVER" --listen 0.0.0.0:0 --data "$TMP/d0" --admin-token-file "$TMP/admin" >/dev/null 2>&1
check refuse_plain_public "$?" 2

"$SERVER" --listen 127.0.0.1:0 --data "$TMP/data" --admin-token-file "$TMP/admin" \
	--retention-s 86400 --test-operator-footage >"$TMP/out" 2>"$TMP/log" &
PID=$!
for _ in $(seq 50); do grep -q '^READY ' "$TMP/out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/^READY url=//p' "$TMP/out")
[ -n "$URL" ] || { echo "FAIL ready"; cat "$TMP/log"; exit 1; }
pass ready

C() { curl -s -m 10 "$@"; }
code() { curl -s -m 10 -o /dev/null -w '%{http_code}' "$@"; }
AH="Authorization: Bearer $ADMIN"

check healthz "$(C "$URL/healthz")" '{"ok":true}'
check cameras_no_token "$(code "$URL/api/v1/cameras")" 401
check cameras_bad_token "$(code -H 'Authorization: Bearer nope' "$URL/api/v1/cameras")" 401
check not_found "$(code "$URL/nope")" 404
check method "$(code -X DELETE "$URL/healthz")" 405
check ingest_no_token "$(code -X POST --data-binary x "$URL/api/v1/ingest")" 401

GWID=$("$GW" keygen "$TMP/gw.sk")
check register "$(code -H "$AH" -d "{\"gateway_id\":\"$GWID\"}" "$URL/api/v1/gateways")" 201
check register_again "$(code -H "$AH" -d "{\"gateway_id\":\"$GWID\"}" "$URL/api/v1/gateways")" 200
check register_bad "$(code -H "$AH" -d '{"gateway_id":"zz"}' "$URL/api/v1/gateways")" 400
check register_notjson "$(code -H "$AH" -d '{{{' "$URL/api/v1/gateways")" 400

session() { # $1 = secret key file, prints a session token
	local nonce sig id
	nonce=$(C "$URL/api/v1/gateway/challenge" | sed -n 's/.*"nonce":"\([0-9a-f]*\)".*/\1/p')
	sig=$("$GW" sign "$1" "$nonce")
	id=$("$GW" id "$1")
	C -d "{\"gateway_id\":\"$id\",\"nonce\":\"$nonce\",\"signature\":\"$sig\"}" \
		"$URL/api/v1/gateway/session" | sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p'
}
TOK=$(session "$TMP/gw.sk")
if [ ${#TOK} -eq 64 ]; then pass session; else fail session; fi
# A replayed nonce is refused.
NONCE=$(C "$URL/api/v1/gateway/challenge" | sed -n 's/.*"nonce":"\([0-9a-f]*\)".*/\1/p')
SIG=$("$GW" sign "$TMP/gw.sk" "$NONCE")
BODY="{\"gateway_id\":\"$GWID\",\"nonce\":\"$NONCE\",\"signature\":\"$SIG\"}"
code -d "$BODY" "$URL/api/v1/gateway/session" >/dev/null
check nonce_replay "$(code -d "$BODY" "$URL/api/v1/gateway/session")" 401
GH="Authorization: Bearer $TOK"

CAM=00112233445566778899aabbccddeeff
NOW=$(($(date +%s) * 1000000))
"$GW" link "$TMP/gw.sk" $CAM 0 0 $NOW 5 > "$TMP/l0"
"$GW" link "$TMP/gw.sk" $CAM 0 1 $((NOW + 2000000)) 5 > "$TMP/l1"
"$GW" gap "$TMP/gw.sk" $CAM 0 2 $((NOW + 4000000)) $((NOW + 5000000)) > "$TMP/l2"
cat "$TMP/l0" "$TMP/l1" "$TMP/l2" > "$TMP/body"
R=$(C -H "$GH" --data-binary @"$TMP/body" "$URL/api/v1/ingest")
check ingest "$R" "{\"acked\":[{\"camera\":\"$CAM\",\"stream\":0,\"seq\":0},{\"camera\":\"$CAM\",\"stream\":0,\"seq\":1},{\"camera\":\"$CAM\",\"stream\":0,\"seq\":2}]}"
R=$(C -H "$GH" --data-binary @"$TMP/l1" "$URL/api/v1/ingest")
check ingest_dup "$R" "{\"acked\":[{\"camera\":\"$CAM\",\"stream\":0,\"seq\":1}]}"
R=$(C -H "$GH" -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/l0" "$URL/api/v1/ingest")
check ingest_chunked "$R" "{\"acked\":[{\"camera\":\"$CAM\",\"stream\":0,\"seq\":0}]}"

check ingest_garbage "$(code -H "$GH" --data-binary 'garbage-not-records' "$URL/api/v1/ingest")" 400
head -c 300 "$TMP/l0" > "$TMP/trunc"
check ingest_truncated "$(code -H "$GH" --data-binary @"$TMP/trunc" "$URL/api/v1/ingest")" 400
printf '\x7f\xff\xff\xff\x02' > "$TMP/huge"
check ingest_oversized "$(code -H "$GH" --data-binary @"$TMP/huge" "$URL/api/v1/ingest")" 400
head -c 70000 /dev/zero | tr '\0' ' ' > "$TMP/bigjson"
check json_too_large "$(code -H "$AH" --data-binary @"$TMP/bigjson" "$URL/api/v1/gateways")" 413
BIGH=$(head -c 100000 /dev/zero | tr '\0' a)
R=$(code -H "X-Big: $BIGH" "$URL/healthz")
case "$R" in 4*|000) pass header_too_large ;; *) fail header_too_large "$R" ;; esac
check healthz_after_bad "$(C "$URL/healthz")" '{"ok":true}'

# Another gateway may not upload this camera, nor forge the first gateway's links.
GW2=$("$GW" keygen "$TMP/gw2.sk")
code -H "$AH" -d "{\"gateway_id\":\"$GW2\"}" "$URL/api/v1/gateways" >/dev/null
TOK2=$(session "$TMP/gw2.sk")
"$GW" link "$TMP/gw2.sk" $CAM 0 3 $((NOW + 6000000)) 2 > "$TMP/l3"
check ingest_other_owner "$(code -H "Authorization: Bearer $TOK2" --data-binary @"$TMP/l3" "$URL/api/v1/ingest")" 403
check ingest_wrong_gateway "$(code -H "Authorization: Bearer $TOK2" --data-binary @"$TMP/l0" "$URL/api/v1/ingest")" 400

R=$(C -H "$AH" "$URL/api/v1/cameras")
case "$R" in *"\"id\":\"$CAM\""*"\"segments\":3"*) pass cameras ;; *) fail cameras "$R" ;; esac
R=$(C -H "$AH" "$URL/api/v1/cameras/$CAM/streams/0/segments?from=0&to=$((NOW + 3000000))")
case "$R" in *'"seq":0'*'"seq":1'*) case "$R" in *'"seq":2'*) fail segments_range "$R" ;; *) pass segments_range ;; esac ;; *) fail segments_range "$R" ;; esac
C -H "$AH" -o "$TMP/got1" "$URL/api/v1/cameras/$CAM/streams/0/segments/1"
if cmp -s "$TMP/got1" "$TMP/l1"; then pass download; else fail download; fi
C -H "$AH" -H 'Range: bytes=5-14' -o "$TMP/part" -D "$TMP/hdr" "$URL/api/v1/cameras/$CAM/streams/0/segments/1"
if head -1 "$TMP/hdr" | grep -q 206 && cmp -s "$TMP/part" <(tail -c +6 "$TMP/l1" | head -c 10); then pass range; else fail range; fi
check range_416 "$(code -H "$AH" -H 'Range: bytes=999999-' "$URL/api/v1/cameras/$CAM/streams/0/segments/1")" 416
check segment_404 "$(code -H "$AH" "$URL/api/v1/cameras/$CAM/streams/0/segments/99")" 404
check retention_put "$(code -X PUT -H "$AH" -d '{"max_age_s":3600}' "$URL/api/v1/cameras/$CAM/retention")" 200
check retention_bad "$(code -X PUT -H "$AH" -d '{"max_age_s":-1}' "$URL/api/v1/cameras/$CAM/retention")" 400

# Live: a viewer gets the current segment from its SEG_HEADER when a newer link arrives.
C -H "$AH" -o "$TMP/live" "$URL/api/v1/cameras/$CAM/streams/0/live" -m 3 &
LIVEPID=$!
sleep 0.5
"$GW" link "$TMP/gw.sk" $CAM 0 3 $((NOW + 6000000)) 3 > "$TMP/l3"
C -H "$GH" --data-binary @"$TMP/l3" "$URL/api/v1/ingest" >/dev/null
wait $LIVEPID 2>/dev/null
# It joined at the newest segment in the window (seq 1), with the gap after it (gaps go
# live: a motion-only camera's "no motion" gaps say that its pause goes on), then got seq 3
# as it arrived.
if cmp -s "$TMP/live" <(cat "$TMP/l1" "$TMP/l2" "$TMP/l3"); then pass live_with_gap; else fail live_with_gap "$(stat -c %s "$TMP/live" 2>/dev/null) bytes"; fi

# Live only (a motion-only camera watched while it is paused): a live-only segment forks off
# the chain at the seq the next stored link takes (4). It reaches the live viewer, is not
# acknowledged (the gateway spools none) and is never stored: the camera's counts and bytes
# do not move, and seq 4 is the stored link that came after it, which also went live.
C -H "$AH" -o "$TMP/live2" "$URL/api/v1/cameras/$CAM/streams/0/live" -m 3 &
LIVEPID=$!
sleep 0.5
BEFORE=$(C -H "$AH" "$URL/api/v1/cameras")
"$GW" live "$TMP/gw.sk" $CAM 0 4 $((NOW + 8000000)) 3 > "$TMP/lo4"
check live_only_not_acked "$(C -H "$GH" --data-binary @"$TMP/lo4" "$URL/api/v1/ingest")" '{"acked":[]}'
AFTER=$(C -H "$AH" "$URL/api/v1/cameras")
if [ -n "$BEFORE" ] && [ "$BEFORE" = "$AFTER" ]; then pass live_only_not_stored; else fail live_only_not_stored "$BEFORE / $AFTER"; fi
check segment_4_absent "$(code -H "$AH" "$URL/api/v1/cameras/$CAM/streams/0/segments/4")" 404
"$GW" link "$TMP/gw.sk" $CAM 0 4 $((NOW + 9000000)) 3 > "$TMP/l4"
check stored_4_acked "$(C -H "$GH" --data-binary @"$TMP/l4" "$URL/api/v1/ingest")" "{\"acked\":[{\"camera\":\"$CAM\",\"stream\":0,\"seq\":4}]}"
wait $LIVEPID 2>/dev/null
if cmp -s "$TMP/live2" <(cat "$TMP/l3" "$TMP/lo4" "$TMP/l4"); then pass live_only_relayed; else fail live_only_relayed "$(stat -c %s "$TMP/live2" 2>/dev/null) bytes"; fi
C -H "$AH" -o "$TMP/got4" "$URL/api/v1/cameras/$CAM/streams/0/segments/4"
if cmp -s "$TMP/got4" "$TMP/l4"; then pass stored_4_is_the_stored_link; else fail stored_4_is_the_stored_link; fi

# Retention: an old link of a camera whose max age is then lowered is expired by the next pass.
CAM2=ffeeddccbbaa99887766554433221100
"$GW" link "$TMP/gw.sk" $CAM2 0 0 $((NOW - 1000000000)) 2 > "$TMP/old"
C -H "$GH" --data-binary @"$TMP/old" "$URL/api/v1/ingest" >/dev/null
check retention_cam2 "$(code -X PUT -H "$AH" -d '{"max_age_s":60}' "$URL/api/v1/cameras/$CAM2/retention")" 200
R=
for _ in $(seq 80); do
	R=$(C -H "$AH" "$URL/api/v1/cameras/$CAM2/streams/0/segments")
	[ "$R" = '{"segments":[]}' ] && break
	sleep 0.1
done
check retention_expired "$R" '{"segments":[]}'
check retention_other_kept "$(code -H "$AH" "$URL/api/v1/cameras/$CAM/streams/0/segments/1")" 200

if grep -q "$TOK\|$ADMIN" "$TMP/log"; then fail no_secrets_in_log; else pass no_secrets_in_log; fi
kill -TERM "$PID"
if wait "$PID"; then pass clean_shutdown; else fail clean_shutdown; fi
PID=
[ "$fails" -eq 0 ]
