#!/usr/bin/env bash
# test_orgs_api.sh - organizations over real HTTP: create, verified statements, gateway and user enrollment, cameras bound to gateways, footage scope, support grants, foreign = 404, per-org audit.
. "$(dirname "$0")/../lib.sh"

SERVER=$BIN/vigil-server
VIGIL=$BIN/vigil
TOOLS=$BIN/../tools
ORG=$TOOLS/orgtool
GW=$TOOLS/server_gwtool
TOTP=$TOOLS/totp_code
for f in "$SERVER" "$VIGIL" "$ORG" "$GW" "$TOTP"; do
	[ -x "$f" ] || { fail build "$f missing: run make"; finish; }
done

ADMIN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$ADMIN" >"$T/admin"
PWL=$LIB_ROOT/data/common-passwords.txt
export VIGIL_PASSWORD='Corr3ct-hörse-battery-stäple-9'

start_bg server "$SERVER" --listen 127.0.0.1:0 --data "$T/data" --admin-token-file "$T/admin" \
	--insecure-test-auth
URL=$(wait_ready "$T/server.log" '^READY url=(.*)$' 20 "$LAST_PID") || { fail ready; finish; }
pass ready

AH="Authorization: Bearer $ADMIN"
C() { curl -s -m 20 "$@"; }
code() { curl -s -m 20 -o /dev/null -w '%{http_code}' "$@"; }
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }
# JSON body POST/PUT with a cookie: $1 cookie, $2 method, $3 path, $4 body; prints the status.
jcode() { code -X "$2" -H "Cookie: $1" -H 'Content-Type: application/json' -d "$4" "$URL$3"; }
jbody() { C -X "$2" -H "Cookie: $1" -H 'Content-Type: application/json' -d "$4" "$URL$3"; }
get() { C -H "Cookie: $1" "$URL$2"; }
getcode() { code -H "Cookie: $1" "$URL$2"; }

# Accounts: alice owns the org, bob is invited as a viewer, carol owns another org and
# is given support access to alice's.
for u in alice bob carol; do
	SC=$(C -X POST -H "$AH" "$URL/api/v1/signup-codes" | field code)
	"$VIGIL" account register --password-list "$PWL" --server "$URL" --code "$SC" --username $u \
		--kdf-fast >/dev/null 2>&1 || fail "register_$u"
	"$VIGIL" account login --server "$URL" --username $u --session "$T/$u.s" --kdf-fast \
		>/dev/null 2>&1 || fail "login_$u"
done
CA=$(cat "$T/alice.s"); CB=$(cat "$T/bob.s"); CC=$(cat "$T/carol.s")
get "$CA" /api/v1/auth/keys >"$T/ka"; get "$CB" /api/v1/auth/keys >"$T/kb"; get "$CC" /api/v1/auth/keys >"$T/kc"
A_ID=$(field user_id <"$T/ka"); A_S=$(field sign_pk <"$T/ka"); A_B=$(field box_pk <"$T/ka")
B_ID=$(field user_id <"$T/kb"); B_S=$(field sign_pk <"$T/kb"); B_B=$(field box_pk <"$T/kb")
C_ID=$(field user_id <"$T/kc"); C_S=$(field sign_pk <"$T/kc"); C_B=$(field box_pk <"$T/kc")
check auth_keys test ${#A_ID} -eq 32 -a ${#A_S} -eq 64 -a ${#B_B} -eq 64
check auth_keys_wrapped grep -q '"wrapped":"[0-9a-f]\{20,\}"' "$T/ka"

mkdir -p "$T/orgA" "$T/orgC"
"$ORG" create "$T/orgA" "Acme Works" "$A_ID" "$A_S" "$A_B" >"$T/createA" || fail orgtool_create
check create_needs_totp test "$(jcode "$CA" POST /api/v1/orgs "$(cat "$T/createA")")" = 403

totp_on() { # $1 cookie, $2 name: enables TOTP, keeps the secret in $T/$2.totp
	local sec
	sec=$(C -X POST -H "Cookie: $1" "$URL/api/v1/auth/totp/begin" | field secret)
	printf '%s' "$sec" >"$T/$2.totp"
	test "$(jcode "$1" POST /api/v1/auth/totp/confirm "{\"code\":\"$("$TOTP" "$sec")\"}")" = 200
}
check totp_alice totp_on "$CA" alice
check totp_carol totp_on "$CC" carol

R=$(jbody "$CA" POST /api/v1/orgs "$(cat "$T/createA")")
OA=$(printf '%s' "$R" | field org)
check create_org test ${#OA} -eq 64
check create_org_again test "$(jcode "$CA" POST /api/v1/orgs "$(cat "$T/createA")")" = 409
# A founder whose keys are not the account's is refused.
"$ORG" create "$T/orgC" "Bad" "$C_ID" "$A_S" "$C_B" >"$T/badC"
check create_wrong_keys test "$(jcode "$CC" POST /api/v1/orgs "$(cat "$T/badC")")" = 400
"$ORG" create "$T/orgC" "Carol Co" "$C_ID" "$C_S" "$C_B" >"$T/createC"
OC=$(jbody "$CC" POST /api/v1/orgs "$(cat "$T/createC")" | field org)
check create_org_c test ${#OC} -eq 64

check orgs_list get "$CA" /api/v1/orgs | grep -q "\"org\":\"$OA\",\"name\":\"Acme Works\",\"role\":\"owner\""
check org_get test "$(getcode "$CA" /api/v1/orgs/$OA)" = 200
# Foreign and missing orgs answer the same bytes.
NOPE=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
F1=$(get "$CA" /api/v1/orgs/$OC/keys); F2=$(get "$CA" /api/v1/orgs/$NOPE/keys)
check foreign_is_404 test "$(getcode "$CA" /api/v1/orgs/$OC)" = 404
check foreign_same_as_missing test "$F1" = "$F2" -a "$F1" = '{"error":"not found"}'
check foreign_statements_404 test "$(jcode "$CA" POST /api/v1/orgs/$OC/statements '{"statements":["00"]}')" = 404
check nonmember_404 test "$(getcode "$CB" /api/v1/orgs/$OA)" = 404
# The operator (admin token) holds no session: no keys, no members, no audit.
for p in keys members audit cameras; do
	check "operator_no_$p" test "$(code -H "$AH" "$URL/api/v1/orgs/$OA/$p")" = 401
done

# Statements are verified by the server: a forged one is refused with its index.
FORGED=$("$ORG" forged-member "$T/orgA" "$B_ID" "$B_S" "$B_B")
R=$(jbody "$CA" POST /api/v1/orgs/$OA/statements "{\"statements\":[\"$FORGED\"]}")
case "$R" in *'"index":0'*) pass forged_refused ;; *) fail forged_refused "$R" ;; esac
check forged_not_member test "$(getcode "$CB" /api/v1/orgs/$OA)" = 404

# Bad input gets a clear 400 and the server stays up.
check bad_create_body test "$(jcode "$CA" POST /api/v1/orgs '{"org_root":"zz"}')" = 400
check bad_statements_hex test "$(jcode "$CA" POST /api/v1/orgs/$OA/statements '{"statements":["abc"]}')" = 400
check bad_statements_bytes test "$(jcode "$CA" POST /api/v1/orgs/$OA/statements '{"statements":["00010203"]}')" = 400
check bad_statements_empty test "$(jcode "$CA" POST /api/v1/orgs/$OA/statements '{"statements":[]}')" = 400
check bad_enroll_short test "$(code -d '{"request":"0102"}' "$URL/api/v1/enroll")" = 400
check bad_enroll_json test "$(code -d '{{' "$URL/api/v1/enroll")" = 400
check bad_result_id test "$(code -d '{"token":"00"}' "$URL/api/v1/enroll/zz/result")" = 400
check bad_org_id test "$(getcode "$CA" /api/v1/orgs/not-hex)" = 404
check still_up test "$(code "$URL/healthz")" = 200

# Sites, then a gateway enrolled with a one-time code.
S1=11111111111111111111111111111111
check site_add test "$(jcode "$CA" POST /api/v1/orgs/$OA/sites "{\"id\":\"$S1\",\"name\":\"Plant\"}")" = 201
check site_dup test "$(jcode "$CA" POST /api/v1/orgs/$OA/sites "{\"id\":\"$S1\",\"name\":\"Plant\"}")" = 409
GWID=$("$GW" keygen "$T/gw.sk")
read -r INV VER GCODE FPR <<<"$("$ORG" invite "$T/orgA" gateway)"
EXP=$(( ($(date +%s) + 3600) * 1000000 ))
check invite_gateway test "$(jcode "$CA" POST /api/v1/orgs/$OA/invitations "{\"id\":\"$INV\",\"kind\":\"gateway\",\"verifier\":\"$VER\",\"site\":\"$S1\",\"expires_us\":$EXP}")" = 201
read -r REQ TOK <<<"$("$ORG" request gateway "$GCODE" "$FPR" "$GWID")"
BADTOK=$(printf '%s' "$REQ" | sed 's/^\(.\{164\}\)./\10/')
[ "$BADTOK" = "$REQ" ] && BADTOK=$(printf '%s' "$REQ" | sed 's/^\(.\{164\}\)./\11/')
check enroll_bad_token test "$(code -d "{\"request\":\"$BADTOK\"}" "$URL/api/v1/enroll")" = 403
check enroll_request test "$(code -d "{\"request\":\"$REQ\"}" "$URL/api/v1/enroll")" = 202
check enroll_request_twice test "$(code -d "{\"request\":\"$REQ\"}" "$URL/api/v1/enroll")" = 409
check enroll_pending test "$(code -d "{\"token\":\"$TOK\"}" "$URL/api/v1/enroll/$INV/result")" = 202
check invite_requested get "$CA" /api/v1/orgs/$OA/invitations/$INV | grep -q "\"state\":\"requested\",\"request\":\"$REQ\""
CERT=$("$ORG" accept "$T/orgA" "$INV" "$REQ" 1 gateway "$S1")
check invite_accept test "$(jcode "$CA" POST /api/v1/orgs/$OA/invitations/$INV/accept "{\"cert\":\"$CERT\"}")" = 200
C -d "{\"token\":\"$TOK\"}" "$URL/api/v1/enroll/$INV/result" >"$T/gwresult.json"
check enroll_finish "$ORG" finish gateway "$GCODE" "$FPR" "$GWID" - "$T/gwresult.json"
check enroll_result_wrong_token test "$(code -d "{\"token\":\"$NOPE\"}" "$URL/api/v1/enroll/$INV/result")" = 403
check gateways_list get "$CA" /api/v1/orgs/$OA/gateways | grep -q "\"id\":\"$GWID\""

# The enrolled gateway opens a challenge session and fetches its configuration.
gwsession() { # $1 secret key file
	local nonce sig id
	nonce=$(C "$URL/api/v1/gateway/challenge" | field nonce)
	sig=$("$GW" sign "$1" "$nonce")
	id=$("$GW" id "$1")
	C -d "{\"gateway_id\":\"$id\",\"nonce\":\"$nonce\",\"signature\":\"$sig\"}" \
		"$URL/api/v1/gateway/session" | field token
}
GT=$(gwsession "$T/gw.sk")
check gateway_session test ${#GT} -eq 64
GH="Authorization: Bearer $GT"
check gateway_config_empty C -H "$GH" "$URL/api/v1/gateway/config" | grep -q '"config":null'
"$ORG" gwconfig "$T/orgA" "$GWID" 1 >"$T/cfg1"
check gwconfig_put test "$(jcode "$CA" PUT /api/v1/orgs/$OA/gateways/$GWID/config "$(cat "$T/cfg1")")" = 200
check gwconfig_stale test "$(jcode "$CA" PUT /api/v1/orgs/$OA/gateways/$GWID/config "$(cat "$T/cfg1")")" = 409
check gateway_config C -H "$GH" "$URL/api/v1/gateway/config" | grep -q '"config":"[0-9a-f]'
check gwconfig_get get "$CA" /api/v1/orgs/$OA/gateways/$GWID/config | grep -q '"seq":1'

# Cameras are bound to their gateway: ingest of an unregistered camera is refused.
CAM=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
CAM2=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
NOW=$(($(date +%s) * 1000000))
"$GW" link "$T/gw.sk" $CAM2 0 0 $NOW 3 >"$T/l2"
check ingest_unregistered test "$(code -H "$GH" --data-binary @"$T/l2" "$URL/api/v1/ingest")" = 410
check camera_add test "$(jcode "$CA" POST /api/v1/orgs/$OA/cameras "{\"id\":\"$CAM\",\"name\":\"Gate\",\"site\":\"$S1\",\"gateway\":\"$GWID\"}")" = 201
"$GW" link "$T/gw.sk" $CAM 0 0 $NOW 3 >"$T/l1"
check ingest_registered test "$(code -H "$GH" --data-binary @"$T/l1" "$URL/api/v1/ingest")" = 200
# Another gateway (registered the interim way) may not upload that camera.
GW2=$("$GW" keygen "$T/gw2.sk")
code -H "$AH" -d "{\"gateway_id\":\"$GW2\"}" "$URL/api/v1/gateways" >/dev/null
GT2=$(gwsession "$T/gw2.sk")
"$GW" link "$T/gw2.sk" $CAM 0 1 $((NOW + 2000000)) 3 >"$T/l3"
check ingest_other_gateway test "$(code -H "Authorization: Bearer $GT2" --data-binary @"$T/l3" "$URL/api/v1/ingest")" = 403
# A camera another gateway records (the interim way) cannot be registered into an org: 409,
# and the refused registration leaves nothing behind that would let the org view it.
CAM3=cccccccccccccccccccccccccccccccc
"$GW" link "$T/gw2.sk" $CAM3 0 0 $NOW 3 >"$T/l4"
check ingest_interim_camera test "$(code -H "Authorization: Bearer $GT2" --data-binary @"$T/l4" "$URL/api/v1/ingest")" = 200
check camera_add_bound_elsewhere test "$(jcode "$CA" POST /api/v1/orgs/$OA/cameras "{\"id\":\"$CAM3\",\"name\":\"Other\",\"site\":\"$S1\",\"gateway\":\"$GWID\"}")" = 409
check camera_add_refused_not_listed bash -c "! grep -q '$CAM3' <<<'$(get "$CA" /api/v1/orgs/$OA/cameras)'"
check camera_add_refused_no_footage test "$(getcode "$CA" /api/v1/cameras/$CAM3/streams/0/segments/0)" = 404
check cameras_list get "$CA" /api/v1/orgs/$OA/cameras | grep -q "\"id\":\"$CAM\",\"name\":\"Gate\".*\"segments\":1"

# Footage: the owner may, strangers get 404, the admin token (an operator) may not.
SEG=/api/v1/cameras/$CAM/streams/0/segments
check footage_owner test "$(getcode "$CA" $SEG)" = 200
check footage_owner_read test "$(getcode "$CA" $SEG/0)" = 200
check footage_stranger test "$(getcode "$CB" $SEG)" = 404
check footage_other_org_owner test "$(getcode "$CC" $SEG/0)" = 404
check footage_admin_token_refused test "$(code -H "$AH" "$URL$SEG")" = 401
# Live demand: the gateway's configuration answer names the streams of its own cameras that
# someone watches live (a paused motion-only camera sends live video only for those).
check gateway_watched_none test "$(C -H "$GH" "$URL/api/v1/gateway/config" | grep -o '"watched":\[[^]]*\]')" = '"watched":[]'
curl -s -m 4 -H "Cookie: $CA" -o /dev/null "$URL/api/v1/cameras/$CAM/streams/0/live" &
WPID=$!
sleep 1
check gateway_watched test "$(C -H "$GH" "$URL/api/v1/gateway/config" | grep -o '"watched":\[[^]]*\]')" = "\"watched\":[\"$CAM:0\"]"
wait "$WPID" 2>/dev/null

# Bob joins as a viewer through a user invitation (the request needs his own session).
read -r UINV UVER UCODE UFPR <<<"$("$ORG" invite "$T/orgA" user)"
check invite_user test "$(jcode "$CA" POST /api/v1/orgs/$OA/invitations "{\"id\":\"$UINV\",\"kind\":\"user\",\"verifier\":\"$UVER\",\"expires_us\":$EXP}")" = 201
read -r UREQ UTOK <<<"$("$ORG" request user "$UCODE" "$UFPR" "$B_S" "$B_B")"
check enroll_user_needs_session test "$(code -d "{\"request\":\"$UREQ\"}" "$URL/api/v1/enroll")" = 403
check enroll_user_other_account test "$(jcode "$CC" POST /api/v1/enroll "{\"request\":\"$UREQ\"}")" = 403
check enroll_user test "$(jcode "$CB" POST /api/v1/enroll "{\"request\":\"$UREQ\"}")" = 202
check invite_user_id get "$CA" /api/v1/orgs/$OA/invitations/$UINV | grep -q "\"user_id\":\"$B_ID\""
UCERT=$("$ORG" accept "$T/orgA" "$UINV" "$UREQ" 1 user "$B_ID" viewer)
check accept_user test "$(jcode "$CA" POST /api/v1/orgs/$OA/invitations/$UINV/accept "{\"cert\":\"$UCERT\"}")" = 200
C -d "{\"token\":\"$UTOK\"}" "$URL/api/v1/enroll/$UINV/result" >"$T/uresult.json"
check user_finish "$ORG" finish user "$UCODE" "$UFPR" "$B_S" "$B_B" "$T/uresult.json"
check bob_viewer get "$CB" /api/v1/orgs | grep -q "\"role\":\"viewer\""
check bob_footage test "$(getcode "$CB" $SEG/0)" = 200
check bob_no_members test "$(getcode "$CB" /api/v1/orgs/$OA/members)" = 403
check bob_no_audit test "$(getcode "$CB" /api/v1/orgs/$OA/audit)" = 403
check bob_keys_no_root get "$CB" /api/v1/orgs/$OA/keys | grep -q '"sealed_root":null'
check alice_keys_root get "$CA" /api/v1/orgs/$OA/keys | grep -q '"sealed_root":"[0-9a-f]'
check members_stmt get "$CA" /api/v1/orgs/$OA/members | grep -q "\"user_id\":\"$B_ID\",\"username\":\"bob\",\"role\":\"viewer\""
# An admin without TOTP on the account gets nothing of the admin routes.
AC=$("$ORG" admin-cert "$T/orgA" "$B_ID" "$B_S" "$B_B" 1)
UP=$("$ORG" member "$T/orgA" role "$B_ID" "$B_S" "$B_B" admin 2)
check promote_bob test "$(jcode "$CA" POST /api/v1/orgs/$OA/statements "{\"statements\":[\"$AC\",\"$UP\"]}")" = 200
check admin_needs_totp get "$CB" /api/v1/orgs/$OA/members | grep -q 'enable a second factor (TOTP) for this role'
DOWN=$("$ORG" member "$T/orgA" role "$B_ID" "$B_S" "$B_B" viewer 3)
check demote_bob test "$(jcode "$CA" POST /api/v1/orgs/$OA/statements "{\"statements\":[\"$DOWN\"]}")" = 200
check lookup_admin get "$CA" "/api/v1/users/lookup?username=bob" | grep -q "\"box_pk\":\"$B_B\""
check lookup_other_org_owner test "$(getcode "$CC" "/api/v1/users/lookup?username=alice")" = 200
check lookup_viewer_refused test "$(getcode "$CB" "/api/v1/users/lookup?username=alice")" = 403
# Names cannot be tried in bulk: misses count like failed logins, so an account is held
# back (429 with Retry-After) after its hourly cap of them (100; this test server runs
# without the per-address cap and the backoff, which cut in sooner); another account is
# not affected.
n404=0
for n in $(seq 1 100); do [ "$(getcode "$CC" "/api/v1/users/lookup?username=nobody$n")" = 404 ] && n404=$((n404 + 1)); done
check lookup_misses_counted test "$n404" = 100
check lookup_misses_throttled test "$(getcode "$CC" "/api/v1/users/lookup?username=nobody101")" = 429
check lookup_other_account_unaffected test "$(getcode "$CA" "/api/v1/users/lookup?username=bob")" = 200

# Camera key and a grant to bob: only the grantee receives it.
EP=$("$ORG" epoch "$T/orgA" "$CAM" 1 1)
GR=$("$ORG" grant "$T/orgA" "$CAM" 1 "$B_ID" "$B_B" 1)
check statements_apply test "$(jbody "$CA" POST /api/v1/orgs/$OA/statements "{\"statements\":[\"$EP\",\"$GR\"]}")" = '{"applied":2}'
check epoch_replay test "$(jcode "$CA" POST /api/v1/orgs/$OA/statements "{\"statements\":[\"$EP\"]}")" = 400
check grant_to_bob get "$CB" /api/v1/orgs/$OA/keys | grep -q "\"grants\":\[\"$GR\"\]"
check no_grant_for_alice get "$CA" /api/v1/orgs/$OA/keys | grep -q '"grants":\[\]'

# Step-up: a wrong proof fails, a TOTP code works.
check step_up_wrong test "$(jcode "$CA" POST /api/v1/auth/step-up "{\"auth_key\":\"$NOPE\"}")" = 401
check step_up_totp test "$(jcode "$CA" POST /api/v1/auth/step-up "{\"totp\":\"$("$TOTP" "$(cat "$T/alice.totp")" 1)\"}")" = 200

# Support: carol gets names and state, never keys, footage or audit; revocation is at once.
R=$(jbody "$CA" POST /api/v1/orgs/$OA/support '{"username":"carol","duration_s":600}')
check support_grant test "$(printf '%s' "$R" | field user_id)" = "$C_ID"
check support_org get "$CC" /api/v1/orgs | grep -q "\"org\":\"$OA\",\"name\":\"Acme Works\",\"role\":\"support\",\"expires_us\""
check support_cameras test "$(getcode "$CC" /api/v1/orgs/$OA/cameras)" = 200
check support_gateways test "$(getcode "$CC" /api/v1/orgs/$OA/gateways)" = 200
check support_no_keys test "$(getcode "$CC" /api/v1/orgs/$OA/keys)" = 403
check support_no_members test "$(getcode "$CC" /api/v1/orgs/$OA/members)" = 403
check support_no_audit test "$(getcode "$CC" /api/v1/orgs/$OA/audit)" = 403
check support_no_footage test "$(getcode "$CC" $SEG/0)" = 404
check support_revoke test "$(code -X DELETE -H "Cookie: $CA" "$URL/api/v1/orgs/$OA/support/$C_ID")" = 200
check support_revoked_now test "$(getcode "$CC" /api/v1/orgs/$OA/cameras)" = 404
check support_grant_short test "$(jcode "$CA" POST /api/v1/orgs/$OA/support '{"username":"carol","duration_s":1}')" = 201
check support_short_live test "$(getcode "$CC" /api/v1/orgs/$OA)" = 200
sleep 2
check support_expired test "$(getcode "$CC" /api/v1/orgs/$OA)" = 404
check support_member_refused test "$(jcode "$CA" POST /api/v1/orgs/$OA/support '{"username":"bob"}')" = 409

# Removing bob ends his access at once.
RM=$("$ORG" member "$T/orgA" remove "$B_ID" "$B_S" "$B_B" none 4)
check member_remove test "$(jcode "$CA" POST /api/v1/orgs/$OA/statements "{\"statements\":[\"$RM\"]}")" = 200
check removed_no_org test "$(getcode "$CB" /api/v1/orgs/$OA)" = 404
check removed_no_footage test "$(getcode "$CB" $SEG/0)" = 404
check removed_session_alive test "$(getcode "$CB" /api/v1/auth/me)" = 200

# A live view is logged at start and stop; repeated archive reads of one camera by one
# session fold into one entry.
# (the server notices the viewer left when a keepalive write fails: 5 to 15 s)
curl -s -m 2 -H "Cookie: $CA" -o /dev/null "$URL/api/v1/cameras/$CAM/streams/0/live"
for _ in $(seq 1 25); do
	get "$CA" /api/v1/orgs/$OA/audit | grep -q '"action":"live.stop"' && break
	sleep 1
done
getcode "$CA" $SEG/0 >/dev/null

# The org's own audit log: owner only, verifiable, with the events of this run.
C -H "Cookie: $CA" -o "$T/orgaudit.jsonl" "$URL/api/v1/orgs/$OA/audit"
KEY=$(C "$URL/api/v1/audit/key" | field key)
check org_audit_verify "$VIGIL" audit verify "$T/orgaudit.jsonl" --server-key "$KEY"
for a in org.create gateway.enroll member.enroll camera.add gateway.config archive.read \
	support.grant support.revoke member.remove grant camera.epoch; do
	check "org_audit_$a" grep -q "\"action\":\"$a\"" "$T/orgaudit.jsonl"
done
get "$CC" /api/v1/orgs/$OC/audit >"$T/caudit.jsonl"
check org_audit_live_start grep -q "\"action\":\"live.start\",\"target\":\"$CAM\"" "$T/orgaudit.jsonl"
check org_audit_live_stop grep -q "\"action\":\"live.stop\",\"target\":\"$CAM\"" "$T/orgaudit.jsonl"
check org_audit_reads_aggregated test "$(grep -c '"action":"archive.read"' "$T/orgaudit.jsonl")" = 2
# Each archive.read names the recordings read: a ten-minute band of footage that holds a
# segment of this run (recorded within the last hour).
band=$(grep '"action":"archive.read"' "$T/orgaudit.jsonl" | tail -n 1 | jq -r '.detail | "\(.stream) \(.footage_from_us) \(.footage_to_us)"')
read -r b_stream b_from b_to <<<"$band"
now_us=$(($(date +%s) * 1000000))
check org_audit_read_names_footage test "$b_stream" = 0 -a "$((b_to - b_from))" = 600000000 \
	-a "$b_to" -gt "$((now_us - 3600000000))" -a "$b_from" -le "$now_us"
check org_audit_carol_own grep -q '"action":"org.create"' "$T/caudit.jsonl"
if grep -q 'gateway.enroll' "$T/caudit.jsonl"; then fail org_audit_separate; else pass org_audit_separate; fi

# The operator's kill switch for support (a leaked support credential): every support
# grant of every org ends and its holder's sessions are revoked, at once.
check support_grant_again test "$(jcode "$CA" POST /api/v1/orgs/$OA/support '{"username":"carol","duration_s":600}')" = 201
check support_live_before_kill test "$(getcode "$CC" /api/v1/orgs/$OA)" = 200
R=$(C -X POST -H "$AH" -H 'Content-Type: application/json' -d '{"role":"support"}' "$URL/api/v1/operator/sessions/revoke")
check kill_switch_support grep -q '"revoked":[1-9]' <<<"$R"
check kill_switch_session_gone test "$(getcode "$CC" /api/v1/auth/me)" = 401
check kill_switch_owner_kept test "$(getcode "$CA" /api/v1/orgs/$OA)" = 200
"$VIGIL" account login --server "$URL" --username carol --session "$T/carol2.s" --kdf-fast \
	--totp "$("$TOTP" "$(cat "$T/carol.totp")" 1)" >/dev/null 2>&1
check kill_switch_grant_gone test "$(getcode "$(cat "$T/carol2.s")" /api/v1/orgs/$OA)" = 404

stop_bg server
finish
