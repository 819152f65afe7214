#!/usr/bin/env bash
# test_gw_enroll.sh - a gateway enrolled with a one-time code records only what its org signs: enrollment, signed config, epoch rotation in the segment headers, and a malicious server (edited database) refused at enrollment and at configuration.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/pipeline.sh"

GW=$BIN/vigil-gateway
VIGIL=$BIN/vigil
ADM=$PIPE_TOOLS/gwadmin
TOTP=$PIPE_TOOLS/totp_code
for f in "$GW" "$VIGIL" "$BIN/vigil-server" "$BIN/vigil-camsim" "$ADM" "$TOTP"; do
	[ -x "$f" ] || { fail build "$f missing: run make"; finish; }
done
export VIGIL_PASSWORD='Gw-enroll-pässword-for-tests-42'
PWL=$LIB_ROOT/data/common-passwords.txt
DB=$T/server/accounts.db

C() { curl -s -m 20 "$@"; }
code() { curl -s -m 20 -o /dev/null -w '%{http_code}' "$@"; }
hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

PORT=$(free_port) || { fail port "no free port"; finish; }
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/admin.token"
chmod 600 "$T/admin.token"
mkdir -p "$T/server"
srv_start() {
	start_bg server "$BIN/vigil-server" --listen "127.0.0.1:$PORT" --data "$T/server" \
		--admin-token-file "$T/admin.token" --insecure-test-auth
	URL=$(wait_ready "$T/server.log" '^READY url=(.*)$' 20 "$LAST_PID")
}
# srv_sql SQL...: stop the server, run the statements on its database, start it again.
srv_sql() {
	stop_bg server
	sqlite3 "$DB" "$@" || return 1
	srv_start
}
# wait_exit NAME SECONDS: wait for a start_bg process to end; returns its exit status.
wait_exit() {
	local i
	for i in $(seq 1 $(($2 * 10))); do
		alive "${BG_PID[$1]}" || break
		sleep 0.1
	done
	stop_bg "$1"
}
# wait_for SECONDS CMD...: retry CMD every half second (generous bounds: the machine is
# shared and the sanitizer build is slower; a passing run never waits them out).
wait_for() {
	local t=$1 i
	shift
	for i in $(seq 1 $((t * 2))); do
		"$@" && return 0
		sleep 0.5
	done
	return 1
}

pipe_media || { fail media "could not make the test media"; finish; }
srv_start || { fail server-start "no READY line"; finish; }
pipe_camsim 2 || { fail camsim-start "no READY line"; finish; }
AH="Authorization: Bearer $(cat "$T/admin.token")"

# --- The org owner: an account with TOTP, its org and a site. ---
SIGNUP=$(C -X POST -H "$AH" "$URL/api/v1/signup-codes" | jq -r .code)
"$VIGIL" account register --password-list "$PWL" --server "$URL" --code "$SIGNUP" \
	--username owner --kdf-fast >"$T/reg.out" 2>&1 || { fail register "$(tail -2 "$T/reg.out")"; finish; }
"$VIGIL" account login --server "$URL" --username owner --session "$T/s" --kdf-fast \
	>/dev/null 2>&1 || { fail login "vigil account login failed"; finish; }
CK="Cookie: $(cat "$T/s")"
SECRET=$(C -X POST -H "$CK" "$URL/api/v1/auth/totp/begin" | jq -r .secret)
check totp_enabled test "$(code -H "$CK" -d "{\"code\":\"$("$TOTP" "$SECRET")\"}" \
	"$URL/api/v1/auth/totp/confirm")" = 200
C -H "$CK" "$URL/api/v1/auth/keys" >"$T/keys.json"
mkdir -p "$T/adm" "$T/evil"
"$ADM" org-create "$T/adm" Acme "$(jq -r .user_id "$T/keys.json")" \
	"$(jq -r .sign_pk "$T/keys.json")" "$(jq -r .box_pk "$T/keys.json")" >"$T/org.json" ||
	{ fail org-statements "gwadmin org-create"; finish; }
check org_created test "$(code -H "$CK" -d @"$T/org.json" "$URL/api/v1/orgs")" = 201
ORG=$(cat "$T/adm/org")
FP=$(cat "$T/adm/fingerprint")
SITE=$(hex 16)
check site_created test "$(code -H "$CK" -d "{\"id\":\"$SITE\",\"name\":\"hq\"}" \
	"$URL/api/v1/orgs/$ORG/sites")" = 201
# Another org, made offline: the server never heard of it.
"$ADM" org-create "$T/evil" Acme "$(hex 16)" "$(hex 32)" "$(hex 32)" >/dev/null ||
	{ fail evil-org "gwadmin org-create"; finish; }

# stepup: a fresh second-factor proof (a TOTP code is good once: wait for the next one).
stepup() {
	local i
	for i in $(seq 1 40); do
		[ "$(code -H "$CK" -d "{\"totp\":\"$("$TOTP" "$SECRET")\"}" \
			"$URL/api/v1/auth/step-up")" = 200 ] && return 0
		sleep 1
	done
	return 1
}
# invite: a gateway invitation stored on the server (a step-up route); prints its id.
invite() {
	local st
	"$ADM" invite "$T/adm" "$SITE" >"$T/inv.json" || return 1
	st=$(code -H "$CK" -d @"$T/inv.json" "$URL/api/v1/orgs/$ORG/invitations")
	if [ "$st" = 403 ]; then
		stepup || return 1
		st=$(code -H "$CK" -d @"$T/inv.json" "$URL/api/v1/orgs/$ORG/invitations")
	fi
	[ "$st" = 201 ] || return 1
	jq -r .id "$T/inv.json"
}
# requested ID: true once the newcomer's request is on the server (prints it).
requested() {
	C -H "$CK" "$URL/api/v1/orgs/$ORG/invitations/$1" >"$T/invstate.json"
	[ "$(jq -r .state "$T/invstate.json")" = requested ]
}

# --- Enrollment with the one-time code. ---
INV1=$(invite) || { fail invite "invitation refused"; finish; }
check bad_fingerprint_refused_offline test "$("$GW" enroll --server "$URL" --code "$(cat "$T/adm/code")" \
	--org 12345 --dir "$T/gwbad" 2>&1 >/dev/null | grep -c 'fingerprint is malformed')" = 1
start_bg enroll1 "$GW" enroll --server "$URL" --code "$(cat "$T/adm/code")" --org "$FP" \
	--dir "$T/gw" --wait 60
wait_for 90 requested "$INV1" || { fail enroll-request "no request on the server"; finish; }
"$ADM" accept "$T/adm" "$(jq -r .request "$T/invstate.json")" "$SITE" 1 >"$T/acc.json" ||
	{ fail accept "gwadmin accept"; finish; }
check invitation_accepted test "$(code -H "$CK" -d @"$T/acc.json" \
	"$URL/api/v1/orgs/$ORG/invitations/$INV1/accept")" = 200
wait_exit enroll1 30
check enroll_exit_0 test $? = 0
GWID=$(sed -n 's/^gateway_id=\([0-9a-f]\{64\}\)$/\1/p' "$T/enroll1.log")
check enroll_prints_id test ${#GWID} = 64
check key_0600 test "$(stat -c %a "$T/gw/gateway.key")" = 600
# The org.root statement's issuer (bytes 36..67) is the root key.
check pin_is_root test "$(cat "$T/gw/org.pin")" = "$(jq -r .org_root "$T/org.json" | cut -c 73-136)"
check state_written test "$(stat -c %s "$T/gw/sigconfig.state")" = 48
check local_config_no_cameras test "$(jq '.cameras // [] | length' "$T/gw/gateway.json")" = 0

# --- Signed mode: nothing records before a signed configuration arrives. ---
start_bg gateway "$GW" run --config "$T/gw/gateway.json"
GATEWAY_PID=$LAST_PID
wait_ready "$T/gateway.log" 'event=(running mode=signed)' 10 "$GATEWAY_PID" >/dev/null
check gateway_signed_mode grep -q 'event=running mode=signed' "$T/gateway.log"
sleep 4
check no_camera_before_config test "$(grep -c 'comp=recorder' "$T/gateway.log")" = 0

CAM=$(hex 16)
check camera_registered test "$(code -H "$CK" -d "{\"id\":\"$CAM\",\"name\":\"cam1\",\"site\":\"$SITE\",\"gateway\":\"$GWID\"}" \
	"$URL/api/v1/orgs/$ORG/cameras")" = 201
RTSP="rtsp://127.0.0.1:$CAMSIM_PORT/cam1/main"
# put_config SEQ EPOCH_PK EPOCH DIR GATEWAY: sign and PUT; prints the HTTP status.
body_for() {
	printf '{"segment_target_ms":1000,"cameras":[{"name":"cam1","id":"%s","epoch":%s,"epoch_public_key":"%s","streams":[{"index":0,"url":"%s"}]}]}' \
		"$CAM" "$2" "$1" "$RTSP" >"$T/cfg.body"
}
put_config() {
	body_for "$2" "$3"
	"$ADM" config "${4:-$T/adm}" "${5:-$GWID}" "$1" "$T/cfg.body" >"$T/cfg$1.json" || return 1
	code -X PUT -H "$CK" -d @"$T/cfg$1.json" "$URL/api/v1/orgs/$ORG/gateways/$GWID/config"
}
read -r E1 PK1 < <("$ADM" epoch "$T/adm" "$CAM" 1 1)
check epoch1_stored test "$(code -H "$CK" -d "{\"statements\":[\"$E1\"]}" \
	"$URL/api/v1/orgs/$ORG/statements")" = 200
check config1_stored test "$(put_config 1 "$PK1" 1)" = 200

# segments: the server's segment list of the camera (owner's session).
segments() {
	C -H "$CK" "$URL/api/v1/cameras/$CAM/streams/0/segments?from=0&to=9999999999999999" >"$T/segs.json"
	jq -r '.segments[] | select(.kind == "segment") | .seq' "$T/segs.json" 2>/dev/null
}
# epochs: "seq:epoch" of every stored segment, read from its SEG_HEADER.
epochs() {
	local s
	for s in $(segments); do
		C -H "$CK" -o "$T/link" "$URL/api/v1/cameras/$CAM/streams/0/segments/$s"
		printf '%s:%s\n' "$s" "$("$ADM" segepoch "$T/link")"
	done
}
nsegs_at_least() { [ "$(segments | wc -l)" -ge "$1" ]; }
check config_applied wait_for 90 grep -q 'event=config_applied seq=1' "$T/gateway.log"
check segments_arrive wait_for 90 nsegs_at_least 3
epochs >"$T/ep1"
check first_epoch_1 test "$(grep -vc ':1$' "$T/ep1")" = 0

# --- Rotation: epoch 2, a new signed config; new segments are sealed to epoch 2. ---
read -r E2 PK2 < <("$ADM" epoch "$T/adm" "$CAM" 2 2)
check epoch2_stored test "$(code -H "$CK" -d "{\"statements\":[\"$E2\"]}" \
	"$URL/api/v1/orgs/$ORG/statements")" = 200
check config2_stored test "$(put_config 2 "$PK2" 2)" = 200
check config2_applied wait_for 90 grep -q 'event=config_applied seq=2' "$T/gateway.log"
has_epoch2() { epochs >"$T/ep2"; [ "$(grep -c ':2$' "$T/ep2")" -ge 2 ]; }
check rotated_segments wait_for 90 has_epoch2
# Epochs never go back, and the chain has no hole and no repeat across the change.
check epochs_monotonic test "$(cut -d: -f2 "$T/ep2" | grep -v gap | paste -sd' ')" = \
	"$(cut -d: -f2 "$T/ep2" | grep -v gap | sort -n | paste -sd' ')"
SEQS=$(jq -r '.segments[].seq' "$T/segs.json" | paste -sd' ')
check chain_contiguous test "$SEQS" = "$(seq 0 $(($(jq '.segments | length' "$T/segs.json") - 1)) | paste -sd' ')"
check gateway_running alive "$GATEWAY_PID"

# --- Malicious server, configuration: each edit refused, recording goes on under epoch 2. ---
count_e2() { epochs >"$T/epn"; grep -c ':2$' "$T/epn"; }
still_recording() { [ "$(count_e2)" -gt "$1" ]; }
# malicious NAME SQL_STMT_HEX SEQ REASON_RE
malicious() {
	local before
	before=$(count_e2)
	srv_sql "UPDATE org_gwconfig SET stmt=X'$2', seq=$3 WHERE gateway='$GWID';" ||
		{ fail "$1" "server did not restart"; return; }
	if wait_for 90 grep -qE "event=config_refused seq=$3 error=\"[^\"]*$4" "$T/gateway.log"; then
		pass "$1-refused"
	else
		fail "$1-refused" "$(grep 'comp=cfgfetch' "$T/gateway.log" | tail -2)"
	fi
	if wait_for 90 still_recording "$before"; then pass "$1-keeps-recording"; else
		fail "$1-keeps-recording" "no new epoch-2 segment"; fi
	check "$1-no-new-config" test "$(grep -c 'event=config_applied' "$T/gateway.log")" = 2
}
malicious replayed_old_config "$(jq -r .statement "$T/cfg1.json")" 1 'replayed'
body_for "$PK1" 1
"$ADM" config "$T/evil" "$GWID" 50 "$T/cfg.body" >"$T/cfgevil.json"
malicious other_org_config "$(jq -r .statement "$T/cfgevil.json")" 50 'another organization'
"$GW" keygen --key "$T/other.key" >"$T/other.id"
OTHER=$(sed -n 's/^gateway_id=//p' "$T/other.id")
"$ADM" config "$T/adm" "$OTHER" 51 "$T/cfg.body" >"$T/cfgother.json"
malicious other_gateway_config "$(jq -r .statement "$T/cfgother.json")" 51 'addressed to someone else'
check gateway_survived alive "$GATEWAY_PID"

# --- Live reconfiguration: a camera dropped idles (its chain records the outage), a camera
# added starts, the dropped one comes back on the same chain. ---
CAM2=$(hex 16)
check camera2_registered test "$(code -H "$CK" -d "{\"id\":\"$CAM2\",\"name\":\"cam2\",\"site\":\"$SITE\",\"gateway\":\"$GWID\"}" \
	"$URL/api/v1/orgs/$ORG/cameras")" = 201
cam2_json() {
	printf '{"name":"cam2","id":"%s","epoch":1,"epoch_public_key":"%s","streams":[{"index":0,"url":"rtsp://127.0.0.1:%s/cam2/main"}]}' \
		"$CAM2" "$PK1" "$CAMSIM_PORT"
}
# Seq 60: only cam2 (seq 60 is above the refused 50 and 51: the counter only moved on acceptance).
printf '{"segment_target_ms":1000,"cameras":[%s]}' "$(cam2_json)" >"$T/cfg.body"
"$ADM" config "$T/adm" "$GWID" 60 "$T/cfg.body" >"$T/cfg60.json"
check config60_stored test "$(code -X PUT -H "$CK" -d @"$T/cfg60.json" "$URL/api/v1/orgs/$ORG/gateways/$GWID/config")" = 200
check cam1_removed wait_for 90 grep -q 'event=camera_removed' "$T/gateway.log"
cam2_segments() {
	C -H "$CK" "$URL/api/v1/cameras/$CAM2/streams/0/segments?from=0&to=9999999999999999" |
		jq -r '.segments[] | select(.kind == "segment") | .seq' 2>/dev/null | wc -l
}
cam2_has() { [ "$(cam2_segments)" -ge "$1" ]; }
check cam2_records wait_for 90 cam2_has 2
N1=$(segments | wc -l)
sleep 4
check cam1_idle test "$(segments | wc -l)" -le $((N1 + 1))
body_for "$PK2" 2
printf '{"segment_target_ms":1000,"cameras":[%s,%s]}' "$(jq -c '.cameras[0]' "$T/cfg.body")" "$(cam2_json)" >"$T/cfg.body2"
"$ADM" config "$T/adm" "$GWID" 61 "$T/cfg.body2" >"$T/cfg61.json"
check config61_stored test "$(code -X PUT -H "$CK" -d @"$T/cfg61.json" "$URL/api/v1/orgs/$ORG/gateways/$GWID/config")" = 200
check cam1_resumed wait_for 90 grep -q 'event=camera_resumed camera=cam1' "$T/gateway.log"
cam1_more() { [ "$(segments | wc -l)" -ge $((N1 + 3)) ]; }
check cam1_records_again wait_for 90 cam1_more
SEQS=$(jq -r '.segments[].seq' "$T/segs.json" | paste -sd' ')
check cam1_chain_contiguous test "$SEQS" = "$(seq 0 $(($(jq '.segments | length' "$T/segs.json") - 1)) | paste -sd' ')"
check cam1_outage_recorded test "$(jq '[.segments[] | select(.kind == "gap")] | length' "$T/segs.json")" -ge 1

# --- Malicious server, enrollment: a substituted certificate or org root is refused. ---
INV3=$(invite) || { fail invite3 "invitation refused"; finish; }
start_bg enroll3 "$GW" enroll --server "$URL" --code "$(cat "$T/adm/code")" --org "$FP" \
	--dir "$T/gw3" --wait 60
wait_for 90 requested "$INV3" || fail enroll3-request "no request on the server"
# A genuine cert of our org, but for another gateway's key.
CERT3=$("$ADM" gwcert "$T/adm" "$OTHER" "$SITE" 1)
srv_sql "UPDATE org_invites SET state=2, cert=X'$CERT3', admin_cert=NULL WHERE id='$INV3';"
wait_exit enroll3 30
check substituted_cert_exit_nonzero test $? != 0
check substituted_cert_message grep -q "not for this gateway's key — do not continue" "$T/enroll3.log"
check substituted_cert_no_pin test ! -e "$T/gw3/org.pin"

INV2=$(invite) || { fail invite2 "invitation refused"; finish; }
start_bg enroll2 "$GW" enroll --server "$URL" --code "$(cat "$T/adm/code")" --org "$FP" \
	--dir "$T/gw2" --wait 60
wait_for 90 requested "$INV2" || fail enroll2-request "no request on the server"
# The server's own org root, and a cert it signed for the newcomer's real keys.
"$ADM" accept "$T/adm" "$(jq -r .request "$T/invstate.json")" "$SITE" 1 "$T/evil" >"$T/acc2.json"
ROOT_SAVED=$(sqlite3 "$DB" "SELECT hex(root_stmt) FROM orgs WHERE id='$ORG';")
EVIL_ROOT=$(od -An -tx1 "$T/evil/root.stmt" | tr -d ' \n')
srv_sql "UPDATE orgs SET root_stmt=X'$EVIL_ROOT' WHERE id='$ORG';" \
	"UPDATE org_invites SET state=2, cert=X'$(jq -r .cert "$T/acc2.json")', admin_cert=NULL WHERE id='$INV2';"
wait_exit enroll2 30
check substituted_root_exit_nonzero test $? != 0
check substituted_root_message grep -q "org key does not match the fingerprint you typed — do not continue" "$T/enroll2.log"
check substituted_root_no_pin test ! -e "$T/gw2/org.pin"
srv_sql "UPDATE orgs SET root_stmt=X'$ROOT_SAVED' WHERE id='$ORG';"

# --- Restart: the gateway runs its last good configuration again, re-verified. ---
check gateway_stops_cleanly stop_bg gateway
start_bg gateway2 "$GW" run --config "$T/gw/gateway.json"
check restart_restores_config wait_for 90 grep -q 'event=config_restored seq=61' "$T/gateway2.log"
check restart_records wait_for 90 grep -q 'comp=recorder.*event=started' "$T/gateway2.log"
check no_secret_in_logs test "$(cat "$T"/*.log | grep -cF -e "$(cut -c 1-16 "$T/adm/code")")" = 0

check gateway2_stops_cleanly stop_bg gateway2
stop_bg server
finish
