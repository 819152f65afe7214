#!/usr/bin/env bash
# test_orgs_cli.sh - the vigil CLI as org admin and viewer against a real server: org, site, gateway, camera, member invite/join/accept, grant, support, removal with rotation, camera removal (recordings deleted, gateway stopped), `camera sign` for cameras made before epochs named sites and names, and a malicious server (database edits: keys, statements, sites, camera names) refused by the CLI.
. "$(dirname "$0")/../lib.sh"

SERVER=$BIN/vigil-server
VIGIL=$BIN/vigil
GW=$BIN/vigil-gateway
TOTP=$BIN/../tools/totp_code
CHECK=$BIN/../tools/org_keycheck
SECRETS=$BIN/../tools/org_secrets
OLDEP=$BIN/../tools/org_oldepoch
for f in "$SERVER" "$VIGIL" "$GW" "$TOTP" "$CHECK" "$SECRETS" "$OLDEP"; do
	[ -x "$f" ] || { fail build "$f missing: run make"; finish; }
done
command -v sqlite3 >/dev/null || { skip all "sqlite3 CLI missing"; finish; }

ADMIN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$ADMIN" >"$T/admin"
DATA=$T/data
PWL=$LIB_ROOT/data/common-passwords.txt
export VIGIL_PASSWORD='Org-cli-test-passw0rd-long'

start_server() {
	start_bg server "$SERVER" --listen "127.0.0.1:$PORT" --data "$DATA" \
		--admin-token-file "$T/admin" --insecure-test-auth
	wait_ready "$T/server.log" '^READY url=(.*)$' 20 "$LAST_PID" >/dev/null
}
PORT=$(free_port)
start_server || { fail ready "server did not start"; finish; }
URL=http://127.0.0.1:$PORT
pass ready

AH="Authorization: Bearer $ADMIN"
C() { curl -s -m 20 "$@"; }
newcode() { C -X POST -H "$AH" "$URL/api/v1/signup-codes" | sed -n 's/.*"code":"\([0-9a-f]*\)".*/\1/p'; }
# Run the CLI, keeping its output in $T/out and its exit status in $RC.
run() { "$VIGIL" "$@" >"$T/out" 2>&1; RC=$?; }
# check_refused NAME PATTERN CMD...: the CLI must exit nonzero and say PATTERN.
check_refused() {
	local name=$1 pat=$2
	shift 2
	run "$@"
	if [ "$RC" -ne 0 ] && grep -qE "$pat" "$T/out"; then pass "$name"; else fail "$name" "rc=$RC: $(head -c 400 "$T/out")"; fi
}

register() { # $1 name
	"$VIGIL" account register --password-list "$PWL" --server "$URL" --code "$(newcode)" \
		--username "$1" --kdf-fast >"$T/reg-$1.out" 2>&1
}
login() { # $1 name, $2 session file, [$3 totp]
	if [ $# -ge 3 ]; then
		"$VIGIL" account login --server "$URL" --username "$1" --session "$2" --kdf-fast --totp "$3" >/dev/null 2>&1
	else
		"$VIGIL" account login --server "$URL" --username "$1" --session "$2" --kdf-fast >/dev/null 2>&1
	fi
}
enable_totp() { # $1 session file; prints the secret
	local ck secret
	ck=$(cat "$1")
	secret=$(C -X POST -H "Cookie: $ck" "$URL/api/v1/auth/totp/begin" | sed -n 's/.*"secret":"\([A-Z2-7]*\)".*/\1/p')
	C -H "Cookie: $ck" -d "{\"code\":\"$("$TOTP" "$secret")\"}" "$URL/api/v1/auth/totp/confirm" >/dev/null
	printf '%s' "$secret"
}

for u in alice bob carol dave erin; do check "register_$u" register $u; done
check login_alice login alice "$T/alice.s"
ASEC=$(enable_totp "$T/alice.s")
check totp_alice test -n "$ASEC"
check login_bob login bob "$T/bob.s"
check login_dave login dave "$T/dave.s"

A=(--server "$URL" --session "$T/alice.s" --pin-dir "$T/pin-alice" --kdf-fast)
B=(--server "$URL" --session "$T/bob.s" --pin-dir "$T/pin-bob" --kdf-fast)
D=(--server "$URL" --session "$T/dave.s" --pin-dir "$T/pin-dave" --kdf-fast)

DB=$DATA/accounts.db
q() { sqlite3 "$DB" "$1"; }
qlive() { sqlite3 -cmd '.timeout 5000' "$DB" "$1" >/dev/null || fail sql "$1"; }   # server running
edit() { # $1 SQL: stop the server, apply, start it again on the same port
	stop_bg server >/dev/null 2>&1
	q "$1" || fail sql "$1"
	start_server || { fail restart "server did not restart"; finish; }
}

# --- org, site -----------------------------------------------------------------------
run org create --name Acme "${A[@]}"
check org_create test "$RC" -eq 0
ORG=$(sed -n 's/^org=\([0-9a-f]\{64\}\)$/\1/p' "$T/out")
SAFETY=$(sed -n 's/^safety_number=\(.*\)$/\1/p' "$T/out")
check org_id_printed test ${#ORG} -eq 64
check safety_printed test ${#SAFETY} -eq 47
check pin_written test "$(stat -c %a "$T/pin-alice/orgs/$ORG.pin")" = 600
run org show --org "$ORG" "${A[@]}"
check org_show grep -q "can_sign=root" "$T/out"
check_refused wrong_fingerprint "refused: org root" org show --org "$ORG" "${A[@]}" \
	--org-fingerprint 11111-11111-11111-11111-11111-11111-11111-11111
run site add --org "$ORG" --name hq "${A[@]}"
SITE=$(sed -n 's/^site=\([0-9a-f]\{32\}\)$/\1/p' "$T/out")
check site_add test ${#SITE} -eq 32
run site list --org "$ORG" "${A[@]}"
check site_list grep -q "name=hq" "$T/out"

# An invitation needs a fresh proof: with the session's step-up expired, the CLI steps up
# with the password-derived key and retries.
edit "update sessions set step_up_us=0"
run member invite --org "$ORG" --role viewer "${A[@]}"
check auto_step_up test "$RC" -eq 0
check auto_step_up_logged grep -q "op=step_up result=success" "$T/server.log"

# --- gateway enrollment and cameras ---------------------------------------------------
run gateway invite --org "$ORG" --site "$SITE" "${A[@]}"
check gateway_invite test "$RC" -eq 0
GINV=$(sed -n 's/^invitation=\([0-9a-f]*\)$/\1/p' "$T/out")
ENROLL=$(grep '^vigil-gateway enroll' "$T/out")
check enroll_line_has_org grep -q -- "--org $SAFETY" "$T/out"
CODE=$(printf '%s\n' "$ENROLL" | sed -n 's/.*--code \([^ ]*\).*/\1/p')
mkdir -p "$T/gw"
start_bg gwenroll "$GW" enroll --server "$URL" --code "$CODE" --org "$SAFETY" --dir "$T/gw"
GWE=$LAST_PID
run gateway accept --org "$ORG" --invitation "$GINV" --wait 20 "${A[@]}"
check gateway_accept test "$RC" -eq 0
GWID=$(sed -n 's/^gateway=\([0-9a-f]\{64\}\) enrolled$/\1/p' "$T/out")
check gateway_id test ${#GWID} -eq 64
for _ in $(seq 1 100); do alive "$GWE" || break; sleep 0.1; done
check gateway_enroll_done test "$(stop_bg gwenroll; echo $?)" = 0
check invite_secret_wiped test ! -e "$T/pin-alice/invites/$GINV.json"
run gateway list --org "$ORG" "${A[@]}"
check gateway_list grep -q "$GWID" "$T/out"

run camera add --org "$ORG" --name door --gateway "$GWID" --url rtsp://u:secretpw@127.0.0.1:8554/door "${A[@]}"
check camera_add test "$RC" -eq 0
CAM1=$(sed -n 's/^camera=\([0-9a-f]\{32\}\).*/\1/p' "$T/out")
check_refused camera_add_bad_record "record is continuous or motion" camera add --org "$ORG" --name yard \
	--gateway "$GWID" --url rtsp://127.0.0.1:8554/yard --record sometimes "${A[@]}"
check_refused camera_add_bad_preroll "preroll must be a number of seconds from 0 to 30" camera add \
	--org "$ORG" --name yard --gateway "$GWID" --url rtsp://127.0.0.1:8554/yard --record motion \
	--preroll 31 "${A[@]}"
check_refused camera_add_signed_preroll "preroll must be a number of seconds" camera add \
	--org "$ORG" --name yard --gateway "$GWID" --url rtsp://127.0.0.1:8554/yard --record motion \
	--preroll +4 "${A[@]}"
run camera add --org "$ORG" --name yard --gateway "$GWID" --url rtsp://127.0.0.1:8554/yard \
	--record motion --preroll 4 "${A[@]}"
CAM2=$(sed -n 's/^camera=\([0-9a-f]\{32\}\).*/\1/p' "$T/out")
check camera_add_2 test ${#CAM2} -eq 32
check config_seq_2 grep -q "config_seq=2" "$T/out"
run camera list --org "$ORG" "${A[@]}"
check camera_list grep -q "name=yard" "$T/out"
run gateway config --org "$ORG" --gateway "$GWID" "${A[@]}"
check gateway_config_show grep -q "camera name=door .*stream0=rtsp://\*\*\*@127.0.0.1:8554/door" "$T/out"
check gateway_config_masks_password sh -c "! grep -q secretpw '$T/out'"
check gateway_config_record_mode grep -q "camera name=yard .* record=motion preroll_s=4 postroll_s=10 live_while_paused=yes" "$T/out"
check gateway_config_record_default grep -q "camera name=door .* record=continuous" "$T/out"
# A camera's recording mode changes in the signed config; motion only with detection off is
# refused before anything is registered or signed.
run camera set --org "$ORG" --camera door --record motion --postroll 20 --live no "${A[@]}"
check camera_set_motion grep -q "camera=$CAM1 set record=motion" "$T/out"
run gateway config --org "$ORG" --gateway "$GWID" "${A[@]}"
check camera_set_in_config grep -q "camera name=door .* record=motion preroll_s=5 postroll_s=20 live_while_paused=no" "$T/out"
check_refused camera_set_live_bad "live is yes or no" camera set --org "$ORG" --camera door \
	--record motion --live maybe "${A[@]}"
run camera set --org "$ORG" --camera door --record continuous "${A[@]}"
run gateway config --org "$ORG" --gateway "$GWID" "${A[@]}"
check camera_set_continuous grep -q "camera name=door .* record=continuous" "$T/out"
echo '{"enabled":false}' >"$T/det-off.json"
check_refused camera_set_motion_without_detection "needs motion detection enabled" camera set \
	--org "$ORG" --camera yard --detection "$T/det-off.json" "${A[@]}"
check_refused camera_add_motion_without_detection "needs motion detection enabled" camera add \
	--org "$ORG" --name blind --gateway "$GWID" --url rtsp://127.0.0.1:8554/blind --record motion \
	--detection "$T/det-off.json" "${A[@]}"
run camera list --org "$ORG" "${A[@]}"
check camera_add_refused_registers_nothing sh -c "! grep -q 'name=blind' '$T/out'"
# A server that forges the admin copy (anyone can seal to the root's public key) is refused.
ORIGCOPY=$(q "select hex(admin_copy) from org_gwconfig where gateway='$GWID'")
edit "update org_gwconfig set admin_copy=randomblob(200) where gateway='$GWID'"
check_refused forged_admin_copy "refused: stored gateway config" camera add --org "$ORG" --name evil \
	--gateway "$GWID" --url rtsp://127.0.0.1:1/x "${A[@]}"
edit "update org_gwconfig set admin_copy=X'$ORIGCOPY' where gateway='$GWID'"
check camera_password_not_on_server sh -c "! grep -rqa secretpw '$DATA'"

# --- member invite, join, accept (viewer of door only) --------------------------------
run member invite --org "$ORG" --role viewer --scope "$CAM1" "${A[@]}"
check member_invite test "$RC" -eq 0
UINV=$(sed -n 's/^invitation=\([0-9a-f]*\)$/\1/p' "$T/out")
UCODE=$(sed -n 's/^vigil join .*--code \([^ ]*\).*/\1/p' "$T/out")
check join_line test -n "$UCODE"
run join --code "$UCODE" --org-fingerprint "$SAFETY" "${B[@]}"
check join_requested grep -q "waiting for an admin" "$T/out"
run member accept --org "$ORG" --invitation "$UINV" --wait 10 "${A[@]}"
check member_accept test "$RC" -eq 0
check member_accept_grants grep -q "grants=1" "$T/out"
run join --code "$UCODE" --org-fingerprint "$SAFETY" --wait 10 "${B[@]}"
check join_done grep -q "joined org=$ORG" "$T/out" || cat "$T/out"
run org show --org "$ORG" "${B[@]}"
check bob_keys_opened grep -q "keys_opened=1" "$T/out"
run member list --org "$ORG" "${A[@]}"
check member_list grep -q "username=bob role=viewer scope=1 verified=yes" "$T/out"

# A newcomer told another fingerprint (or a server swapping keys) fails the MAC at accept.
run member invite --org "$ORG" --role viewer "${A[@]}"
DINV=$(sed -n 's/^invitation=\([0-9a-f]*\)$/\1/p' "$T/out")
DCODE=$(sed -n 's/^vigil join .*--code \([^ ]*\).*/\1/p' "$T/out")
run join --code "$DCODE" --org-fingerprint 11111-11111-11111-11111-11111-11111-11111-11111 "${D[@]}"
check_refused accept_wrong_fingerprint_request "refused: user enrollment request.*MAC|refused: user enrollment request" \
	member accept --org "$ORG" --invitation "$DINV" --wait 5 "${A[@]}"

run grant --org "$ORG" --user bob --camera "$CAM2" "${A[@]}"
check grant test "$RC" -eq 0
run org show --org "$ORG" "${B[@]}"
check bob_keys_after_grant grep -q "keys_opened=2" "$T/out"

run member list --org "$ORG" "${A[@]}"
check member_list_after_grant grep -q "username=bob role=viewer scope=2 verified=yes" "$T/out"
BOBID=$(sed -n 's/^user=\([0-9a-f]*\) username=bob .*/\1/p' "$T/out")
check bob_id test ${#BOBID} -eq 32

# --- a malicious server: edit its database between steps (server stopped) ---------------
# 1. A swapped member key: the listing no longer matches the signed member statement.
ORIGBOX=$(q "select hex(box_pk) from org_members where org='$ORG' and user_id='$BOBID'")
edit "update org_members set box_pk=randomblob(32) where org='$ORG' and user_id='$BOBID'"
check_refused swapped_member_key "refused: member bob .*key injection" member list --org "$ORG" "${A[@]}"
check_refused swapped_member_key_no_grant "refused: member bob" grant --org "$ORG" --user bob --site "$SITE" "${A[@]}"
edit "update org_members set box_pk=X'$ORIGBOX' where org='$ORG' and user_id='$BOBID'"
run member list --org "$ORG" "${A[@]}"
check member_key_restored test "$RC" -eq 0

# 2. An injected camera key: the epoch public key in a camera.epoch replaced.
EN=$(q "select min(n) from org_stmts where org='$ORG' and type=6")
ORIGEP=$(q "select hex(raw) from org_stmts where n=$EN")
edit "update org_stmts set raw=substr(raw,1,148)||randomblob(32)||substr(raw,181) where n=$EN"
check_refused injected_epoch_viewer "refused: camera.epoch.*key injection" org show --org "$ORG" "${B[@]}"
check_refused injected_epoch_admin "refused: camera.epoch" camera list --org "$ORG" "${A[@]}"
edit "update org_stmts set raw=X'$ORIGEP' where n=$EN"

# 3. An injected grant: the sealed key inside Bob's grant replaced.
GN=$(q "select min(n) from org_stmts where org='$ORG' and type=7 and subject='$BOBID'")
ORIGGR=$(q "select hex(raw) from org_stmts where n=$GN")
edit "update org_stmts set raw=substr(raw,1,228)||randomblob(80)||substr(raw,309) where n=$GN"
check_refused injected_grant "refused: grant for camera [0-9a-f]+ epoch 1 does not match the signed camera key \(possible key injection by the server\)" org show --org "$ORG" "${B[@]}"
edit "update org_stmts set raw=X'$ORIGGR' where n=$GN"
run org show --org "$ORG" "${B[@]}"
check grant_restored grep -q "keys_opened=2" "$T/out"

# 4. Another org's statement: the org root swapped for a second org's (validly signed).
run org create --name Other "${A[@]}"
ORG2=$(sed -n 's/^org=\([0-9a-f]\{64\}\)$/\1/p' "$T/out")
check org2_create test ${#ORG2} -eq 64
ORIGROOT=$(q "select hex(root_stmt) from orgs where id='$ORG'")
edit "update orgs set root_stmt=(select root_stmt from orgs where id='$ORG2') where id='$ORG'"
check_refused other_org_root "refused: org root.*another organization" org show --org "$ORG" "${A[@]}"
edit "update orgs set root_stmt=X'$ORIGROOT' where id='$ORG'"
# ... and another org's member statement served for Bob.
ALICEID=$(q "select id from users where username='alice'")
ORIGST=$(q "select hex(stmt) from org_members where org='$ORG' and user_id='$BOBID'")
edit "update org_members set stmt=(select stmt from org_members where org='$ORG2' and user_id='$ALICEID') where org='$ORG' and user_id='$BOBID'"
check_refused other_org_member "refused: member bob .*another organization" member list --org "$ORG" "${A[@]}"

# 5. A replayed older statement: Bob's first member.add served instead of the newer member.role.
edit "update org_members set stmt=(select raw from org_stmts where org='$ORG' and type=3 and subject='$BOBID' order by n limit 1) where org='$ORG' and user_id='$BOBID'"
check_refused replayed_member "refused: member bob .*older than a statement already seen" member list --org "$ORG" "${A[@]}"
edit "update org_members set stmt=X'$ORIGST' where org='$ORG' and user_id='$BOBID'"
run member list --org "$ORG" "${A[@]}"
check member_stmt_restored test "$RC" -eq 0

# --- removal rotates every camera Bob could see ------------------------------------------
run member remove --org "$ORG" --user bob "${A[@]}"
check member_remove grep -q "removed=bob rotated_cameras=2" "$T/out"
check remove_new_gateway_config grep -q "config_seq=5" "$T/out"  # 2 cameras added, 2 camera sets, then this
check_refused removed_viewer_no_access "refused by the server \(HTTP 404" org show --org "$ORG" "${B[@]}"
run org show --org "$ORG" "${A[@]}"
check admin_holds_both_epochs grep -q "keys_opened=4" "$T/out"
BSALT=$(sqlite3 "$DB" "select salt from users where id='$BOBID'")
BWRAP=$(sqlite3 "$DB" "select wrapped from users where id='$BOBID'")
BOPS=$(sqlite3 "$DB" "select ops from user_kdf where id='$BOBID'")
BMEM=$(sqlite3 "$DB" "select mem from user_kdf where id='$BOBID'")
q "select hex(raw) from org_stmts where org='$ORG' and type=7" >"$T/grants.hex"
R1=$("$CHECK" "$BOBID" "$BSALT" "$BWRAP" "$BOPS" "$BMEM" 1 <"$T/grants.hex")
R2=$("$CHECK" "$BOBID" "$BSALT" "$BWRAP" "$BOPS" "$BMEM" 2 <"$T/grants.hex")
case "$R1" in *"opened=2") pass removed_viewer_held_epoch1 ;; *) fail removed_viewer_held_epoch1 "$R1" ;; esac
case "$R2" in *"grants=2 opened=0") pass removed_viewer_cannot_open_epoch2 ;; *) fail removed_viewer_cannot_open_epoch2 "$R2" ;; esac

run support grant --org "$ORG" --username carol --duration 600 "${A[@]}"
check support_grant test "$RC" -eq 0
CAROL=$(sed -n 's/^support user=\([0-9a-f]*\).*/\1/p' "$T/out")
run support list --org "$ORG" "${A[@]}"
check support_list grep -q "$CAROL" "$T/out"
# A support grantee holds no member key: the member list still verifies while a grant is active.
run member list --org "$ORG" "${A[@]}"
check member_list_during_support test "$RC" -eq 0
run support revoke --org "$ORG" --user "$CAROL" "${A[@]}"
check support_revoke test "$RC" -eq 0

# --- footage: a camera on the camera simulator, recorded by the enrolled gateway from its
# signed config, exported with keys from the owner's grants over a session --------------
if command -v ffmpeg >/dev/null && [ -x "$BIN/vigil-camsim" ]; then
	. "$LIB_ROOT/tests/integration/pipeline.sh"
	if pipe_media && pipe_camsim 1; then
		run camera add --org "$ORG" --name cam1 --gateway "$GWID" \
			--url "rtsp://127.0.0.1:$CAMSIM_PORT/cam1/main" "${A[@]}"
		check camera_add_camsim test "$RC" -eq 0
		start_bg gateway "$GW" run --config "$T/gw/gateway.json"
		ok=0
		for _ in $(seq 1 40); do
			sleep 1
			run export --org "$ORG" --camera cam1 --from -5m -o "$T/clip.mp4" "${A[@]}"
			if [ "$RC" -eq 0 ] && grep -q "exported segments=[1-9]" "$T/out"; then ok=1; break; fi
		done
		if [ $ok -eq 1 ]; then pass export_with_org_keys; else fail export_with_org_keys "$(tail -3 "$T/out")"; fi
		check export_clip_written test -s "$T/clip.mp4"
		check export_canary_decrypted grep -qa "$CANARY" "$T/clip.mp4"
		check_refused export_non_member "refused by the server \(HTTP 404" export --org "$ORG" \
			--camera cam1 --from -5m -o "$T/clip2.mp4" "${D[@]}"
		# A whole-org viewer exports with keys from her own grant; removing her rotates cam1:
		# the gateway records under the new epoch, which the owner (granted) still exports.
		check login_carol login carol "$T/carol.s"
		CA=(--server "$URL" --session "$T/carol.s" --pin-dir "$T/pin-carol" --kdf-fast)
		run member invite --org "$ORG" --role viewer "${A[@]}"
		CINV=$(sed -n 's/^invitation=\([0-9a-f]*\)$/\1/p' "$T/out")
		CCODE=$(sed -n 's/^vigil join .*--code \([^ ]*\).*/\1/p' "$T/out")
		run join --code "$CCODE" --org-fingerprint "$SAFETY" "${CA[@]}"
		run member accept --org "$ORG" --invitation "$CINV" --wait 10 "${A[@]}"
		check carol_accepted test "$RC" -eq 0
		run join --code "$CCODE" --org-fingerprint "$SAFETY" --wait 10 "${CA[@]}"
		run export --org "$ORG" --camera cam1 --from -5m -o "$T/carol.mp4" "${CA[@]}"
		check export_as_viewer grep -q "exported segments=[1-9]" "$T/out"
		# The server's camera list names a gateway of its own for door (a lie made while the
		# server runs): the rotation goes to the gateway whose signed config records door, the
		# running one, which applies it; else it went on sealing door to carol's epoch.
		DOORID=$(q "select id from org_cameras where org='$ORG' and name='door'")
		qlive "update org_cameras set gateway='$(printf '%064d' 9)' where id='$DOORID'"
		run member remove --org "$ORG" --user carol "${A[@]}"
		check remove_rotates_cam1 grep -q "removed=carol rotated_cameras=3" "$T/out"
		NSEQ=$(sed -n 's/.*config_seq=\([0-9]*\).*/\1/p' "$T/out" | tail -1)
		DOORE=$(q "select count(*) from org_stmts where org='$ORG' and type=6 and subject='$DOORID'")
		check gw_lie_remove_names_real_gateway grep -q "^rotated camera=$DOORID gateway=$GWID config_seq=$NSEQ epoch=$DOORE$" "$T/out"
		check gw_lie_remove_warns grep -q "server names gateway 0\{63\}9 for camera $DOORID" "$T/out"
		qlive "update org_cameras set gateway='$GWID' where id='$DOORID'"
		ok=0
		for _ in $(seq 1 30); do
			grep -q "event=config_applied seq=$NSEQ " "$T/gateway.log" && { ok=1; break; }
			sleep 1
		done
		check gateway_applied_rotation test "$ok" -eq 1
		run gateway config --org "$ORG" --gateway "$GWID" "${A[@]}"
		check gw_lie_remove_real_config grep -q "^camera name=door id=$DOORID epoch=$DOORE " "$T/out"
		ROT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
		sleep 7
		run export --org "$ORG" --camera cam1 --from "$ROT" -o "$T/epoch2.mp4" "${A[@]}"
		check export_new_epoch_as_owner grep -q "exported segments=[1-9]" "$T/out"
		run export --org "$ORG" --camera cam1 --from -5m -o "$T/both.mp4" "${A[@]}"
		check export_across_epochs grep -q "exported segments=[1-9]" "$T/out"
		check_refused removed_viewer_export "refused by the server \(HTTP 404" export --org "$ORG" \
			--camera cam1 --from "$ROT" -o "$T/carol2.mp4" "${CA[@]}"
		# Removing cam1: the gateway gets a signed config without it and stops recording
		# it; the server deletes its recordings, events and shares, its blob files leave the
		# disk, anything still uploaded for it is refused, and the org's log says what went.
		run camera list --org "$ORG" "${A[@]}"
		CAM1=$(sed -n 's/^id=\([0-9a-f]*\) name=cam1 .*/\1/p' "$T/out")
		check cam1_id test ${#CAM1} -eq 32
		check cam1_blobs_before test "$(find "$DATA/blobs/$CAM1" -name '*.blob' | wc -l)" -gt 0
		run camera remove --org "$ORG" --camera cam1 "${A[@]}"
		check camera_remove_needs_yes test "$RC" -eq 2
		check camera_remove_needs_yes_says grep -q -- "--yes" "$T/out"
		run camera remove --org "$ORG" --camera nosuch --yes "${A[@]}"
		check camera_remove_unknown grep -q "no camera nosuch in this org" "$T/out"
		run camera remove --org "$ORG" --camera cam1 --yes "${D[@]}"
		check camera_remove_non_member test "$RC" -ne 0
		run camera remove --org "$ORG" --camera cam1 --yes "${A[@]}"
		check camera_remove test "$RC" -eq 0
		check camera_remove_counts grep -q "^camera=$CAM1 removed segments=[1-9][0-9]* bytes=[1-9]" "$T/out"
		RSEQ=$(sed -n 's/.*config_seq=\([0-9]*\).*/\1/p' "$T/out" | tail -1)
		ok=0
		for _ in $(seq 1 30); do
			grep -q "event=camera_removed camera_id=$CAM1 stream=0" "$T/gateway.log" && { ok=1; break; }
			sleep 1
		done
		check gateway_stopped_cam1 test "$ok" -eq 1
		check gateway_applied_removal grep -q "event=config_applied seq=$RSEQ " "$T/gateway.log"
		run camera list --org "$ORG" "${A[@]}"
		check camera_list_without_cam1 sh -c "! grep -q 'name=cam1 ' '$T/out' && grep -q 'name=yard ' '$T/out'"
		check_refused export_removed_camera "no key for camera '$CAM1'" export --org "$ORG" \
			--camera "$CAM1" --from -5m -o "$T/gone.mp4" "${A[@]}"
		check segments_of_removed_camera_404 test "$(curl -s -m 20 -o /dev/null -w '%{http_code}' \
			-H "Cookie: $(cat "$T/alice.s")" \
			"$URL/api/v1/cameras/$CAM1/streams/0/segments?from=0&to=$(( ($(date +%s) + 60) * 1000000 ))")" = 404
		# At once no camera id maps to its links; retention then deletes them a batch at a
		# time (camera_purge) and forgets the key.
		check index_id_unmapped test "$(sqlite3 -cmd '.timeout 5000' "$DATA/index.db" \
			"SELECT COUNT(*) FROM camera_keys WHERE id = '$CAM1'")" = 0
		ok=0
		for _ in $(seq 1 30); do
			[ "$(sqlite3 -cmd '.timeout 5000' "$DATA/index.db" "SELECT (SELECT COUNT(*) FROM \
				camera_purge) + (SELECT COUNT(*) FROM links WHERE cam NOT IN (SELECT key FROM \
				camera_keys))")" = 0 ] && { ok=1; break; }
			sleep 1
		done
		check index_links_purged test "$ok" -eq 1
		ok=0
		for _ in $(seq 1 30); do
			[ "$(find "$DATA/blobs/$CAM1" -name '*.blob' 2>/dev/null | wc -l)" = 0 ] && { ok=1; break; }
			sleep 1
		done
		check cam1_blob_files_removed test "$ok" -eq 1
		# The gateway keeps nothing of it either: what it still had spooled was sent while
		# the server took it, else dropped once refused (the signed config retired it).
		SPOOL=$(sed -n 's/.*"spool_dir": *"\([^"]*\)".*/\1/p' "$T/gw/gateway.json")
		ok=0
		for _ in $(seq 1 40); do
			[ "$(find "$SPOOL/$CAM1-0" -name '*.link' 2>/dev/null | wc -l)" = 0 ] && { ok=1; break; }
			sleep 1
		done
		check gateway_spool_of_cam1_drained test -n "$SPOOL" -a "$ok" -eq 1
		check server_log_camera_remove grep -q "op=camera_remove org=$ORG camera=$CAM1 by=.* links=[1-9]" "$T/server.log"
		curl -s -m 20 -H "Cookie: $(cat "$T/alice.s")" "$URL/api/v1/orgs/$ORG/audit" >"$T/audit.jsonl"
		check audit_camera_remove sh -c "grep '\"action\":\"camera.remove\"' '$T/audit.jsonl' | grep -q '\"target\":\"$CAM1\"'"
		# A name with a space, as the statements allow and the console offers: the gateway
		# takes the signed config that carries it and records (it refused the whole config).
		run camera add --org "$ORG" --name "Front door" --gateway "$GWID" \
			--url "rtsp://127.0.0.1:$CAMSIM_PORT/cam1/main" "${A[@]}"
		check camera_add_spaced_name test "$RC" -eq 0
		FSEQ=$(sed -n 's/.*config_seq=\([0-9]*\).*/\1/p' "$T/out" | tail -1)
		ok=0
		for _ in $(seq 1 40); do
			sleep 1
			run export --org "$ORG" --camera "Front door" --from -2m -o "$T/front.mp4" "${A[@]}"
			if [ "$RC" -eq 0 ] && grep -q "exported segments=[1-9]" "$T/out"; then ok=1; break; fi
		done
		check spaced_name_recorded test "$ok" -eq 1
		check spaced_name_config_applied grep -q "event=config_applied seq=$FSEQ " "$T/gateway.log"
		check spaced_name_log_label grep -q "camera=Front_door " "$T/gateway.log"
		run camera remove --org "$ORG" --camera "Front door" --yes "${A[@]}"
		check spaced_name_removed test "$RC" -eq 0
		stop_bg gateway >/dev/null
	else
		fail camsim "camera simulator did not start"
	fi
else
	skip export_with_org_keys "ffmpeg or vigil-camsim missing"
fi

# --- a malicious server moves a camera to another site: a viewer scoped to that site must
# not get its keys. The CLI takes a camera's site from its signed camera.epoch (door's names
# hq, from the gateway's certificate), never from the server's camera list. ------------------
run site add --org "$ORG" --name annex "${A[@]}"
ANNEX=$(sed -n 's/^site=\([0-9a-f]*\).*/\1/p' "$T/out")
check site_annex test ${#ANNEX} -eq 32
DOOR=$(q "select id from org_cameras where org='$ORG' and name='door'")
check door_site_is_hq test "$(q "select site from org_cameras where id='$DOOR'")" = "$SITE"
run member invite --org "$ORG" --role viewer --scope "$ANNEX" "${A[@]}"
DINV2=$(sed -n 's/^invitation=\([0-9a-f]*\)$/\1/p' "$T/out")
DCODE2=$(sed -n 's/^vigil join .*--code \([^ ]*\).*/\1/p' "$T/out")
run join --code "$DCODE2" --org-fingerprint "$SAFETY" "${D[@]}"
edit "update org_cameras set site='$ANNEX' where id='$DOOR'"
run member accept --org "$ORG" --invitation "$DINV2" --wait 10 "${A[@]}"
check site_lie_accept test "$RC" -eq 0
check site_lie_no_grant grep -q "grants=0" "$T/out"
run join --code "$DCODE2" --org-fingerprint "$SAFETY" --wait 10 "${D[@]}"
run org show --org "$ORG" "${D[@]}"
check site_lie_viewer_holds_no_key grep -q "keys_opened=0" "$T/out"
run grant --org "$ORG" --user dave --site "$ANNEX" "${A[@]}"
check site_lie_regrant_none grep -q "grants=0" "$T/out"
run camera list --org "$ORG" "${A[@]}"
check site_lie_listed grep -q "name=door" "$T/out"

# --- a malicious server swaps two cameras' names: the CLI lists, finds and acts on each camera
# by the name its camera.epoch statements sign, and rotations carried the names forward. ------
YARD=$(q "select id from org_cameras where org='$ORG' and name='yard'")
check name_lie_yard_id test ${#YARD} -eq 32
check name_lie_rotations_named test "$(q "select count(*) from org_stmts where org='$ORG' and type=6 \
	and subject in ('$DOOR','$YARD') and length(raw) <= 260")" = 0
check name_lie_door_rotated test "$(q "select count(*) from org_stmts where org='$ORG' and type=6 and subject='$DOOR'")" -ge 2
edit "update org_cameras set name=case name when 'door' then 'yard' else 'door' end where org='$ORG' and name in ('door','yard')"
check name_lie_server_swapped test "$(q "select name from org_cameras where id='$DOOR'")" = yard
run camera list --org "$ORG" "${A[@]}"
check name_lie_list_signed grep -q "^id=$DOOR name=door .*name_signed=yes" "$T/out"
check name_lie_list_other grep -q "^id=$YARD name=yard .*name_signed=yes" "$T/out"
run camera set --org "$ORG" --camera door --record continuous "${A[@]}"
check name_lie_set_acts_on_signed grep -q "^camera=$DOOR set" "$T/out"
check_refused camera_add_control_name "name must be 1 to 64 bytes" camera add --org "$ORG" \
	--name "$(printf 'bad\001name')" --gateway "$GWID" --url rtsp://127.0.0.1:8554/x "${A[@]}"

# --- cameras added before camera.epoch named sites and cameras: `camera sign` gives one its
# next epoch, signed with the site of its gateway's certificate and a name, and grants it as a
# rotation does; a viewer of that site then gets its keys. A camera as the old clients made it:
# its epoch 1 re-signed by the org root in the old layout (tests/tools/org_oldepoch), stored
# by the server as it stored them then. ----------------------------------------------------
run camera add --org "$ORG" --name gate --gateway "$GWID" --url rtsp://127.0.0.1:8554/gate "${A[@]}"
GATE=$(sed -n 's/^camera=\([0-9a-f]\{32\}\).*/\1/p' "$T/out")
run camera add --org "$ORG" --name porch --gateway "$GWID" --url rtsp://127.0.0.1:8554/porch "${A[@]}"
PORCH=$(sed -n 's/^camera=\([0-9a-f]\{32\}\).*/\1/p' "$T/out")
check old_cameras_added test ${#GATE} -eq 32 -a ${#PORCH} -eq 32
ROOTSEED=$("$SECRETS" "$ALICEID" "$(q "select salt from users where id='$ALICEID'")" \
	"$(q "select wrapped from users where id='$ALICEID'")" "$(q "select ops from user_kdf where id='$ALICEID'")" \
	"$(q "select mem from user_kdf where id='$ALICEID'")" \
	"$(q "select hex(sealed) from org_sealed where org='$ORG' and user_id='$ALICEID'")" - </dev/null |
	sed -n 's/^org_root_seed //p')
check old_root_seed test ${#ROOTSEED} -eq 64
GEN=$(q "select n from org_stmts where org='$ORG' and type=6 and subject='$GATE'")
PEN=$(q "select n from org_stmts where org='$ORG' and type=6 and subject='$PORCH'")
GOLD=$("$OLDEP" "$ROOTSEED" plain "$(q "select hex(raw) from org_stmts where n=$GEN")")
POLD=$("$OLDEP" "$ROOTSEED" site "$(q "select hex(raw) from org_stmts where n=$PEN")")
edit "update org_stmts set raw=X'$GOLD' where n=$GEN; update org_stmts set raw=X'$POLD' where n=$PEN"
check old_layouts test "$(q "select length(raw) from org_stmts where n in ($GEN,$PEN) order by n" | tr '\n' ' ')" = "244 260 "
run camera list --org "$ORG" "${A[@]}"
check old_gate_name_unsigned grep -q "^id=$GATE name=gate .*name_signed=no" "$T/out"
check old_porch_name_unsigned grep -q "^id=$PORCH name=porch .*name_signed=no" "$T/out"
# Dave (a viewer of annex) is given site hq: its signed cameras come with it, but not gate,
# whose epochs name no site (the gap `camera sign` closes). Porch's site was signed.
DAVEID=$(q "select id from users where username='dave'")
dave_grants() { # $1 camera: how many grants of it are sealed to dave
	q "select count(*) from org_stmts where org='$ORG' and type=7 and subject='$DAVEID' and lower(hex(substr(raw,129,16)))='$1'"
}
run grant --org "$ORG" --user dave --site "$SITE" "${A[@]}"
check old_grant_site_hq test "$RC" -eq 0
check old_gate_not_granted_by_site test "$(dave_grants "$GATE")" = 0
check old_porch_granted_by_site test "$(dave_grants "$PORCH")" = 1

# Refusals: a name the statement rules refuse; a non-owner (a viewer; an admin, who holds a
# certificate but not the root that signs the gateway's config); a gateway the org root never
# certified (no signed site); a certified gateway that does not record the camera in its
# signed config (a server placing the camera in that gateway's site); nothing to sign.
check_refused sign_bad_name "name must be 1 to 64 bytes" camera sign --org "$ORG" --camera gate \
	--name "$(printf 'bad\001name')" "${A[@]}"
check sign_bad_name_usage test "$RC" -eq 2
check_refused sign_long_name "name must be 1 to 64 bytes" camera sign --org "$ORG" --camera gate \
	--name "$(printf 'x%.0s' $(seq 1 65))" "${A[@]}"
check_refused sign_viewer "needs the org root" camera sign --org "$ORG" --camera gate "${D[@]}"
check login_erin login erin "$T/erin.s"
check totp_erin test -n "$(enable_totp "$T/erin.s")"   # the admin role needs a second factor
E=(--server "$URL" --session "$T/erin.s" --pin-dir "$T/pin-erin" --kdf-fast)
run member invite --org "$ORG" --role admin "${A[@]}"
EINV=$(sed -n 's/^invitation=\([0-9a-f]*\)$/\1/p' "$T/out")
ECODE=$(sed -n 's/^vigil join .*--code \([^ ]*\).*/\1/p' "$T/out")
run join --code "$ECODE" --org-fingerprint "$SAFETY" "${E[@]}"
run member accept --org "$ORG" --invitation "$EINV" --wait 10 "${A[@]}"
check erin_admin_accepted test "$RC" -eq 0
# (The admin.cert's buffer was reused for the first grant: the batch was refused as malformed.)
check admin_accept_grants grep -q "role=admin scope=0 grants=[1-9]" "$T/out"
run join --code "$ECODE" --org-fingerprint "$SAFETY" --wait 10 "${E[@]}"
run org show --org "$ORG" "${E[@]}"
check erin_can_sign_as_admin grep -q "can_sign=admin" "$T/out"
check_refused sign_admin_without_root "needs the org root" camera sign --org "$ORG" --camera gate "${E[@]}"
run gateway invite --org "$ORG" --site "$ANNEX" "${A[@]}"
GINV2=$(sed -n 's/^invitation=\([0-9a-f]*\)$/\1/p' "$T/out")
CODE2=$(sed -n 's/^vigil-gateway enroll.*--code \([^ ]*\).*/\1/p' "$T/out")
mkdir -p "$T/gw2"
start_bg gwenroll2 "$GW" enroll --server "$URL" --code "$CODE2" --org "$SAFETY" --dir "$T/gw2"
run gateway accept --org "$ORG" --invitation "$GINV2" --wait 20 "${A[@]}"
GWID2=$(sed -n 's/^gateway=\([0-9a-f]\{64\}\) enrolled$/\1/p' "$T/out")
check gateway2_annex test ${#GWID2} -eq 64
stop_bg gwenroll2 >/dev/null 2>&1
# A camera no gateway records under a signed config: shed, added to the second gateway, then
# removed (its config drops it), and put back into the server's list (its epoch stays signed).
run camera add --org "$ORG" --name shed --gateway "$GWID2" --url rtsp://127.0.0.1:8554/shed "${A[@]}"
SHED=$(sed -n 's/^camera=\([0-9a-f]\{32\}\).*/\1/p' "$T/out")
check shed_added test ${#SHED} -eq 32
run camera remove --org "$ORG" --camera "$SHED" --yes "${A[@]}"
check shed_removed test "$RC" -eq 0
edit "insert into org_cameras(id, org, name, site, gateway, epoch) values('$SHED', '$ORG', 'shed', '$ANNEX', '$GWID2', 1)"
check_refused sign_no_recorder "refused: no gateway the org root certified records camera $SHED" \
	camera sign --org "$ORG" --camera "$SHED" --name "Shed two" "${A[@]}"
DOOREPOCHS=$(q "select count(*) from org_stmts where org='$ORG' and type=6 and subject='$DOOR'")
run camera sign --org "$ORG" --camera door "${A[@]}"
check sign_nothing_to_do test "$RC" -eq 0
check sign_nothing_to_do_says grep -q "^camera=$DOOR name=door site and name signed already: nothing to do" "$T/out"
check sign_nothing_signed test "$(q "select count(*) from org_stmts where org='$ORG' and type=6 and subject='$DOOR'")" = "$DOOREPOCHS"
check sign_refusals_signed_nothing test "$(q "select count(*) from org_stmts where org='$ORG' and type=6 and subject in ('$GATE','$SHED')")" = 2

# Signing gate: the server renamed it meanwhile and names the annex gateway (certified, but
# its signed config does not record gate) in annex; the name signed is the one in the
# recording gateway's signed config (the org signed it at camera add), not the server's, the
# site that gateway's certificate names, and the new epoch goes to that gateway.
GW2SEQ=$(q "select seq from org_gwconfig where gateway='$GWID2'")
edit "update org_cameras set name='evil', gateway='$GWID2', site='$ANNEX' where id='$GATE'"
run camera sign --org "$ORG" --camera "$GATE" "${A[@]}"
check sign_gate test "$RC" -eq 0
check sign_gate_says grep -q "^camera=$GATE signed name=gate name_from=gateway_config site=$SITE epoch=2 grants=" "$T/out"
check sign_gate_config_pushed grep -q "^gateway=$GWID config_seq=" "$T/out"
check sign_gate_lie_real_gateway grep -q "^rotated camera=$GATE gateway=$GWID config_seq=[0-9]* epoch=2$" "$T/out"
check sign_gate_lie_warned grep -q "server names another gateway for camera $GATE .*($GWID)" "$T/out"
check sign_gate_lie_other_untouched test "$(q "select seq from org_gwconfig where gateway='$GWID2'")" = "$GW2SEQ"
edit "update org_cameras set name='gate', gateway='$GWID', site='$SITE' where id='$GATE'"
check sign_gate_epoch_layout test "$(q "select length(raw) from org_stmts where org='$ORG' and type=6 and subject='$GATE' order by n desc limit 1")" = 265
run camera list --org "$ORG" "${A[@]}"
check sign_gate_listed_signed grep -q "^id=$GATE name=gate .*name_signed=yes" "$T/out"
run gateway config --org "$ORG" --gateway "$GWID" "${A[@]}"
check sign_gate_gateway_epoch2 grep -q "camera name=gate id=$GATE epoch=2 " "$T/out"
# Dave, a viewer of hq, now holds gate's keys: the new epoch and, brought in by the signed
# site, its first; his client opens them.
check sign_site_viewer_granted test "$(dave_grants "$GATE")" = 2
run org show --org "$ORG" "${D[@]}"
check sign_site_viewer_opens test "$RC" -eq 0
run camera list --org "$ORG" "${D[@]}"
check sign_site_viewer_sees_name grep -q "^id=$GATE name=gate .*name_signed=yes" "$T/out"
# The newest epoch's name wins: a rename signs epoch 3.
run camera sign --org "$ORG" --camera gate --name "North gate" "${A[@]}"
check sign_rename grep -q "^camera=$GATE signed name=North gate name_from=option site=$SITE epoch=3 " "$T/out"
run camera list --org "$ORG" "${A[@]}"
check sign_rename_listed grep -q "^id=$GATE name=North gate .*name_signed=yes" "$T/out"
run camera set --org "$ORG" --camera "North gate" --record continuous "${A[@]}"
check sign_rename_resolves grep -q "^camera=$GATE set" "$T/out"
# Porch (site signed, no name): signed with its name; dave already held its first key. The
# server names a gateway the org root never certified for it: ignored, porch's is found.
edit "update org_cameras set gateway='$(printf '%064d' 7)' where id='$PORCH'"
run camera sign --org "$ORG" --camera porch "${A[@]}"
check sign_porch grep -q "^camera=$PORCH signed name=porch name_from=gateway_config site=$SITE epoch=2 " "$T/out"
check sign_porch_uncertified_named_real grep -q "^rotated camera=$PORCH gateway=$GWID config_seq=" "$T/out"
edit "update org_cameras set gateway='$GWID' where id='$PORCH'"
check sign_porch_no_second_history test "$(dave_grants "$PORCH")" = 2
run camera list --org "$ORG" "${A[@]}"
check sign_porch_listed_signed grep -q "^id=$PORCH name=porch .*name_signed=yes" "$T/out"

# --- member removal against a server lying about which gateway records a camera: the gateway
# is found in the signed configs of the gateways the org root certified, never taken from the
# server's camera list. Frank, a viewer of gate only; the server names the annex gateway
# (certified, but its signed config lacks gate) for gate: the old CLI sent that gateway an
# unchanged config and exited 0, and the real one went on sealing gate to frank's epoch. ------
check register_frank register frank
check login_frank login frank "$T/frank.s"
F=(--server "$URL" --session "$T/frank.s" --pin-dir "$T/pin-frank" --kdf-fast)
run member invite --org "$ORG" --role viewer --scope "$GATE" "${A[@]}"
FINV=$(sed -n 's/^invitation=\([0-9a-f]*\)$/\1/p' "$T/out")
FCODE=$(sed -n 's/^vigil join .*--code \([^ ]*\).*/\1/p' "$T/out")
run join --code "$FCODE" --org-fingerprint "$SAFETY" "${F[@]}"
run member accept --org "$ORG" --invitation "$FINV" --wait 10 "${A[@]}"
check frank_accepted grep -q "role=viewer scope=1 grants=[1-9]" "$T/out"
GW1SEQ=$(q "select seq from org_gwconfig where gateway='$GWID'")
GW2SEQ=$(q "select seq from org_gwconfig where gateway='$GWID2'")
GATEE=$(q "select count(*) from org_stmts where org='$ORG' and type=6 and subject='$GATE'")
edit "update org_cameras set gateway='$GWID2', site='$ANNEX' where id='$GATE'"
run member remove --org "$ORG" --user frank "${A[@]}"
check gw_lie_remove test "$RC" -eq 0
check gw_lie_remove_count grep -q "^removed=frank rotated_cameras=1$" "$T/out"
check gw_lie_gate_real grep -q "^rotated camera=$GATE gateway=$GWID config_seq=$((GW1SEQ + 1)) epoch=$((GATEE + 1))$" "$T/out"
check gw_lie_gate_warned grep -q "warning: the server names gateway $GWID2 for camera $GATE" "$T/out"
check gw_lie_other_untouched test "$(q "select seq from org_gwconfig where gateway='$GWID2'")" = "$GW2SEQ"
run gateway config --org "$ORG" --gateway "$GWID" "${A[@]}"
check gw_lie_config_seq grep -q "^gateway=$GWID config_seq=$((GW1SEQ + 1)) verified=yes" "$T/out"
check gw_lie_config_gate grep -q "^camera name=gate id=$GATE epoch=$((GATEE + 1)) " "$T/out"

# A config the server withholds (this client saw a newer one) is refused before anything is
# signed: else the cameras it records would look unrecorded and keep the old key.
NSTMTS=$(q "select count(*) from org_stmts where org='$ORG'")
edit "create table gwsave as select * from org_gwconfig where gateway='$GWID'; delete from org_gwconfig where gateway='$GWID'"
check_refused remove_withheld_config "refused: gateway $GWID config seq 0: older than" member remove \
	--org "$ORG" --user dave "${A[@]}"
check remove_withheld_signed_nothing test "$(q "select count(*) from org_stmts where org='$ORG'")" = "$NSTMTS"
edit "insert into org_gwconfig select * from gwsave; drop table gwsave"

# Dave (viewer of hq and annex) sees door, yard, gate, porch and shed. Gate is still said to
# be on the annex gateway, porch on a gateway the root never certified; shed is recorded by
# none: the removal says so and succeeds (nothing records under its old key). The real
# gateway gets one config with all four of its cameras.
GW1SEQ=$(q "select seq from org_gwconfig where gateway='$GWID'")
GATEE=$(q "select count(*) from org_stmts where org='$ORG' and type=6 and subject='$GATE'")
PORCHE=$(q "select count(*) from org_stmts where org='$ORG' and type=6 and subject='$PORCH'")
edit "update org_cameras set gateway='$(printf '%064d' 8)' where id='$PORCH'"
run member remove --org "$ORG" --user dave "${A[@]}"
check gw_lie_remove_dave test "$RC" -eq 0
check gw_lie_remove_dave_count grep -q "^removed=dave rotated_cameras=5$" "$T/out"
check gw_lie_dave_gate_real grep -q "^rotated camera=$GATE gateway=$GWID config_seq=$((GW1SEQ + 1)) epoch=$((GATEE + 1))$" "$T/out"
check gw_lie_dave_porch_real grep -q "^rotated camera=$PORCH gateway=$GWID config_seq=$((GW1SEQ + 1)) epoch=$((PORCHE + 1))$" "$T/out"
check gw_lie_shed_none grep -q "^rotated camera=$SHED gateway=none epoch=2$" "$T/out"
check gw_lie_shed_warned grep -q "warning: camera $SHED is recorded by no gateway" "$T/out"
check gw_lie_gateway_once test "$(grep -c "^gateway=$GWID config_seq=" "$T/out")" = 1
check gw_lie_dave_other_untouched test "$(q "select seq from org_gwconfig where gateway='$GWID2'")" = "$GW2SEQ"
run gateway config --org "$ORG" --gateway "$GWID" "${A[@]}"
check gw_lie_dave_config_gate grep -q "^camera name=gate id=$GATE epoch=$((GATEE + 1)) " "$T/out"
check gw_lie_dave_config_porch grep -q "^camera name=porch id=$PORCH epoch=$((PORCHE + 1)) " "$T/out"

finish
