#!/usr/bin/env bash
# test_org_audit.sh - what an organization's audit log must hold, over real HTTP: footage (archive, live, grid, share) is served only after its entry is written (503 and no bytes while audit.db is write-locked, one entry once it is free), the test-only operator footage mode is refused behind TLS, the admin token's camera list leaves org cameras out, live.start names address and request id, support reads and the kill switch are on the org's record.
. "$(dirname "$0")/../lib.sh"

SERVER=$BIN/vigil-server
for f in "$SERVER" "$BIN/vigil" "$BIN/../tools/orgtool" "$BIN/../tools/server_gwtool"; do
	[ -x "$f" ] || { fail build "$f missing: run make"; finish; }
done
command -v python3 >/dev/null || { skip all "python3 missing (holds the audit.db write lock)"; finish; }
command -v jq >/dev/null || { skip all "jq missing"; finish; }

ADMIN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$ADMIN" >"$T/admin"
AH="Authorization: Bearer $ADMIN"

# ---- The test-only operator footage mode is refused with a TLS front: the production setup
# behind nginx listens on 127.0.0.1 too. (timeout: a server that accepts would run on.)
timeout 10 "$SERVER" --listen 127.0.0.1:0 --data "$T/refused" --admin-token-file "$T/admin" \
	--behind-tls-proxy --test-operator-footage >"$T/refused.out" 2>"$T/refused.err"
st=$?
[ $st -eq 2 ] && grep -q 'test-operator-footage' "$T/refused.err" &&
	pass operator_footage_refused_behind_proxy ||
	fail operator_footage_refused_behind_proxy "exit $st: $(head -c 200 "$T/refused.err")"
: >"$T/cert.pem"
: >"$T/key.pem"
timeout 10 "$SERVER" --listen 127.0.0.1:0 --data "$T/refused2" --admin-token-file "$T/admin" \
	--tls-cert "$T/cert.pem" --tls-key "$T/key.pem" --test-operator-footage >"$T/refused2.out" 2>"$T/refused2.err"
st=$?
[ $st -eq 2 ] && grep -q 'test-operator-footage' "$T/refused2.err" &&
	pass operator_footage_refused_with_tls ||
	fail operator_footage_refused_with_tls "exit $st: $(head -c 200 "$T/refused2.err")"

start_bg server "$SERVER" --listen 127.0.0.1:0 --data "$T/data" --admin-token-file "$T/admin" \
	--insecure-test-auth
SPID=$LAST_PID
URL=$(wait_ready "$T/server.log" '^READY url=(.*)$' 20 "$SPID") || { fail ready; finish; }
. "$LIB_ROOT/tests/integration/orgfix.sh"
ofx_org A a || { fail fixture "orgfix"; finish; }
ORG=${OFX_ORG[A]}
CAM=${OFX_CAM[A]}
VC=${OFX_COOKIE[aviewer]}
OC=${OFX_COOKIE[aowner]}
SEG=/api/v1/cameras/$CAM/streams/0/segments/0
now_us() { echo $(($(date +%s%N) / 1000)); }
audit() { curl -s -m 20 -H "Cookie: $OC" "$URL/api/v1/orgs/$ORG/audit"; }
count() { audit | grep -c "\"action\":\"$1\""; }

# ---- The admin token's camera list leaves organizations' cameras out.
curl -s -m 20 -H "$AH" -o "$T/cams.json" -w '%{http_code}' "$URL/api/v1/cameras" >"$T/cams.st"
[ "$(cat "$T/cams.st")" = 200 ] && ! grep -q "$CAM" "$T/cams.json" &&
	pass admin_camera_list_no_org_camera ||
	fail admin_camera_list_no_org_camera "$(cat "$T/cams.st") $(head -c 300 "$T/cams.json")"

# ---- Single-camera live.start carries the viewer's address and the request's id.
# (the server notices the viewer left when a keepalive write fails: 5 to 15 s)
curl -s -m 2 -o /dev/null -H "Cookie: $VC" "$URL/api/v1/cameras/$CAM/streams/0/live"
for _ in $(seq 1 25); do
	audit | grep '"action":"live.stop"' >/dev/null && break
	sleep 1
done
line=$(audit | grep '"action":"live.start"' | tail -n 1)
addr=$(printf '%s' "$line" | jq -r .address 2>/dev/null)
rid=$(printf '%s' "$line" | jq -r .request_id 2>/dev/null)
[ "$addr" = 127.0.0.1 ] && [ ${#rid} -ge 8 ] && pass live_start_address_request_id ||
	fail live_start_address_request_id "address='$addr' request_id='$rid'"
line=$(audit | grep '"action":"live.stop"' | tail -n 1)
[ "$(printf '%s' "$line" | jq -r .address 2>/dev/null)" = 127.0.0.1 ] && pass live_stop_address ||
	fail live_stop_address "$line"

# ---- A share link of the stored segment, for the share.view check below (the owner's login
# is fresh enough for the step-up).
NOW=$(now_us)
MAN=$(head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n')
# The link's open proof (a console derives it from the link's key) and the hash sent of it.
PROOF=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
PH=$(printf '%s' "$PROOF" | xxd -r -p | b2sum -l 256 | cut -d' ' -f1)
SH=$(curl -s -m 20 -H "Cookie: $OC" -H 'Content-Type: application/json' --data-binary \
	"{\"camera\":\"$CAM\",\"stream\":\"main\",\"from_us\":$((NOW - 600000000)),\"to_us\":$NOW,\"expires_us\":$((NOW + 3600000000)),\"max_views\":10,\"manifest\":\"$MAN\",\"open_proof_hash\":\"$PH\"}" \
	"$URL/api/v1/orgs/$ORG/shares" | jq -r .id 2>/dev/null)
[ ${#SH} -eq 32 ] && pass share_created || fail share_created "no share id"

# ---- Fail closed: while audit.db is write-locked by another connection (as a full disk or a
# stuck writer would), footage routes answer 503 with Retry-After and send no footage; a
# failed write does not take the ten-minute dedup slot.
NA=$(count archive.read)
NL=$(count live.start)
NS=$(count share.view)
python3 - "$T/data/audit.db" "$T/unlock" "$T/locked" <<'PY' &
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[3], "w").close()
t = time.time()
while not os.path.exists(sys.argv[2]) and time.time() - t < 90:
	time.sleep(0.1)
c.execute("ROLLBACK")
PY
LOCKER=$!
for _ in $(seq 1 50); do [ -e "$T/locked" ] && break; sleep 0.1; done
# One after the other: each waits out the server's 5 s busy timeout (and maybe the
# checkpoint timer's before it). A server that serves anyway answers 200, or nothing
# while a stream runs on (000).
curl -s -m 30 -D "$T/seg.hdr" -o "$T/seg.bin" -w '%{http_code}' -H "Cookie: $VC" "$URL$SEG" >"$T/seg.st"
curl -s -m 30 -o "$T/live.bin" -w '%{http_code}' -H "Cookie: $VC" \
	"$URL/api/v1/cameras/$CAM/streams/0/live" >"$T/live.st"
curl -s -m 30 -o "$T/mux.bin" -w '%{http_code}' -H "Cookie: $VC" \
	"$URL/api/v1/live?cameras=$CAM:0" >"$T/mux.st"
curl -s -m 30 -X POST -o "$T/open.json" -w '%{http_code}' --data-binary "{\"proof\":\"$PROOF\"}" \
	"$URL/api/v1/shares/$SH/open" >"$T/open.st"
NOW=$(now_us)
curl -s -m 30 -o "$T/create.json" -w '%{http_code}' -H "Cookie: $OC" -H 'Content-Type: application/json' --data-binary \
	"{\"camera\":\"$CAM\",\"stream\":\"main\",\"from_us\":$((NOW - 600000000)),\"to_us\":$NOW,\"expires_us\":$((NOW + 3600000000)),\"max_views\":10,\"manifest\":\"$MAN\",\"open_proof_hash\":\"$PH\"}" \
	"$URL/api/v1/orgs/$ORG/shares" >"$T/create.st"
touch "$T/unlock"
wait "$LOCKER"
[ "$(cat "$T/seg.st")" = 503 ] && grep -qi '^retry-after:' "$T/seg.hdr" &&
	grep -q '"error":"audit log unavailable' "$T/seg.bin" &&
	pass archive_audit_fail_503 ||
	fail archive_audit_fail_503 "status $(cat "$T/seg.st"), $(stat -c %s "$T/seg.bin") bytes"
[ "$(cat "$T/live.st")" = 503 ] && pass live_audit_fail_503 ||
	fail live_audit_fail_503 "status $(cat "$T/live.st"), $(stat -c %s "$T/live.bin") bytes"
[ "$(cat "$T/mux.st")" = 503 ] && pass livemux_audit_fail_503 ||
	fail livemux_audit_fail_503 "status $(cat "$T/mux.st"), $(stat -c %s "$T/mux.bin") bytes"
[ "$(cat "$T/open.st")" = 503 ] && ! grep -q '"token"' "$T/open.json" && pass share_audit_fail_503 ||
	fail share_audit_fail_503 "status $(cat "$T/open.st") $(head -c 120 "$T/open.json")"
# A link the org's log cannot name is not handed out: 503, no url, and no live link made.
LIVE_SHARES=$(curl -s -m 20 -H "Cookie: $OC" "$URL/api/v1/orgs/$ORG/shares" | jq '[.shares[] | select(.revoked == false)] | length')
[ "$(cat "$T/create.st")" = 503 ] && ! grep -q '"url"' "$T/create.json" && [ "$LIVE_SHARES" = 1 ] &&
	pass share_create_audit_fail_503 ||
	fail share_create_audit_fail_503 "status $(cat "$T/create.st") $(head -c 120 "$T/create.json"), live shares $LIVE_SHARES"

# Once the log is writable: one read, one entry (the failed write left no slot behind).
st=$(curl -s -m 20 -o "$T/seg2.bin" -w '%{http_code}' -H "Cookie: $VC" "$URL$SEG")
[ "$st" = 200 ] && [ "$(count archive.read)" -eq $((NA + 1)) ] && pass archive_read_after_release ||
	fail archive_read_after_release "status $st, archive.read $NA -> $(count archive.read)"
[ "$(count live.start)" -eq "$NL" ] && pass live_no_entry_while_locked ||
	fail live_no_entry_while_locked "live.start $NL -> $(count live.start)"
st=$(curl -s -m 20 -X POST -o "$T/open2.json" -w '%{http_code}' --data-binary "{\"proof\":\"$PROOF\"}" \
	"$URL/api/v1/shares/$SH/open")
[ "$st" = 200 ] && [ "$(count share.view)" -eq $((NS + 1)) ] && pass share_view_after_release ||
	fail share_view_after_release "status $st, share.view $NS -> $(count share.view)"

# ---- Support reads are on the org's record; a grant names its expiry.
audit | grep '"action":"support.grant"' | tail -n 1 | jq -e '.detail.expires_us > 0' >/dev/null &&
	pass support_grant_expiry || fail support_grant_expiry "$(audit | grep '"action":"support.grant"' | tail -n 1)"
SC=${OFX_COOKIE[asupport]}
n0=$(audit | grep -c '"actor_kind":"support"')
st=$(curl -s -m 20 -o /dev/null -w '%{http_code}' -H "Cookie: $SC" "$URL/api/v1/orgs/$ORG/cameras")
audit >"$T/org.jsonl"
[ "$st" = 200 ] && grep '"actor_kind":"support"' "$T/org.jsonl" | grep -q '"action":"support.read"' &&
	[ "$(grep -c '"actor_kind":"support"' "$T/org.jsonl")" -gt "$n0" ] &&
	pass support_read_audited || fail support_read_audited "status $st, support entries $n0"
for p in "" /sites /gateways "/gateways/${OFX_GW[A]}/config" /support; do
	curl -s -m 20 -o /dev/null -H "Cookie: $SC" "$URL/api/v1/orgs/$ORG$p"
done
audit >"$T/org.jsonl"
miss=""
for c in org sites cameras gateways gateway_config support_grants; do
	grep '"action":"support.read"' "$T/org.jsonl" | jq -r .detail.route | grep -qx "$c" || miss+=" $c"
done
[ -z "$miss" ] && pass support_read_route_classes || fail support_read_route_classes "missing:$miss"
k0=$(grep -c '"action":"support.read"' "$T/org.jsonl")
curl -s -m 20 -o /dev/null -H "Cookie: $SC" "$URL/api/v1/orgs/$ORG/cameras"
[ "$(count support.read)" -eq "$k0" ] && pass support_read_dedup ||
	fail support_read_dedup "support.read $k0 -> $(count support.read)"
# The operator's kill switch ends every grant: each affected org's log says so.
st=$(curl -s -m 20 -o /dev/null -w '%{http_code}' -H "$AH" -d '{"role":"support"}' \
	"$URL/api/v1/operator/sessions/revoke")
audit >"$T/org.jsonl"
kill_n=$(grep '"action":"support.revoke"' "$T/org.jsonl" | grep -c '"actor_kind":"operator"')
[ "$st" = 200 ] && [ "$kill_n" -eq 2 ] && pass kill_switch_in_org_log ||
	fail kill_switch_in_org_log "status $st, operator support.revoke entries $kill_n"
"$BIN/vigil" audit verify "$T/org.jsonl" --server-key "$(curl -s "$URL/api/v1/audit/key" | jq -r .key)" \
	>/dev/null && pass org_log_verifies || fail org_log_verifies "vigil audit verify"

stop_bg server
finish
