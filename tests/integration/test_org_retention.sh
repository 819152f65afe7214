#!/usr/bin/env bash
# test_org_retention.sh - an organization's owner sets a camera's retention over the org routes and the server's retention pass deletes exactly the footage older than it; other roles, other orgs and operators are refused, step-up is required, and every change is in the org's audit log. The operator sets an organization's storage quota and only that organization's oldest footage goes.
#
# Real server on loopback, real organizations over HTTP (orgfix.sh: org A and org B, each
# with owner, admin, admin0 without TOTP, viewer, vout, auditor, support, an enrolled
# gateway and a camera). Footage of known ages comes from the test gateway tool
# (server_gwtool link with an old START_US), signed by the org's enrolled gateway and
# ingested through /api/v1/ingest like any upload: links 3 h, 90 min and 1 min old on
# stream 1 of A's camera, and one 3 h old on B's camera. The shortest retention an org may
# set is 1 h, so these ages make the pass's effect visible without a clock hook.
. "$(dirname "$0")/../lib.sh"

SERVER=$BIN/vigil-server
for f in "$SERVER" "$BIN/vigil" "$BIN/../tools/orgtool" "$BIN/../tools/server_gwtool" \
	"$BIN/../tools/totp_code"; do
	[ -x "$f" ] || { fail build "$f missing: run make"; finish; }
done
for c in sqlite3 jq; do
	command -v "$c" >/dev/null || { fail deps "$c missing"; finish; }
done

ADMIN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$ADMIN" >"$T/admin"
# An org quota below what the org holds applies 6 s after it is set (default: a day).
start_bg server "$SERVER" --listen 127.0.0.1:0 --data "$T/data" --admin-token-file "$T/admin" \
	--insecure-test-auth --quota-grace-s 6
URL=$(wait_ready "$T/server.log" '^READY url=(.*)$' 20 "$LAST_PID") || { fail ready; finish; }
pass ready
. "$LIB_ROOT/tests/integration/orgfix.sh"

ofx_org A a || { fail fixture_org_a "see stderr"; finish; }
ofx_org B b || { fail fixture_org_b "see stderr"; finish; }
ofx_account user || { fail fixture_user; finish; }
ofx_operator opacct || { fail fixture_operator; finish; }
ofx_operator opnotp no-totp || { fail fixture_operator_no_totp; finish; }
pass fixtures

OA=${OFX_ORG[A]} OB=${OFX_ORG[B]} CA=${OFX_CAM[A]} CB=${OFX_CAM[B]}
OWN=${OFX_COOKIE[aowner]}
ADM=${OFX_COOKIE[aadmin]}
# $1 cookie ("" none), $2 method, $3 path, $4 body (PUT only): status, body in $T/body.
req() {
	local args=(-s -m 20 -o "$T/body" -w '%{http_code}' -X "$2")
	[ -n "$1" ] && args+=(-H "Cookie: $1")
	[ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
	curl "${args[@]}" "$URL$3"
}
RET=/api/v1/orgs/$OA/retention
PUTA=/api/v1/orgs/$OA/cameras/$CA/retention
# A's camera's row of the owner's retention list: $1 jq expression on the row.
row() { req "$OWN" GET "$RET" >/dev/null; jq -r ".cameras[] | select(.id == \"$CA\") | $1" "$T/body"; }
# Segment links of camera $1 stream $2 (owner $3's session): seqs, space-separated.
seqs() {
	req "$3" GET "/api/v1/cameras/$1/streams/$2/segments?from=0&to=$(( ($(date +%s) + 3600) * 1000000 ))" >/dev/null
	jq -r '[.segments[].seq] | map(tostring) | join(" ")' "$T/body"
}

# ---- footage of known ages
NOW=$(($(date +%s) * 1000000))
HOUR=3600000000
ingest() { # $1 org key, $2 camera, $3 stream, $4 seq, $5 start_us
	"$OFX_GWTOOL" link "${OFX_DIR[$1]}/gw.sk" "$2" "$3" "$4" "$5" 3 >"$T/link" &&
		curl -s -m 20 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${OFX_GWTOK[$1]}" \
			--data-binary @"$T/link" "$URL/api/v1/ingest"
}
ok=1
[ "$(ingest A "$CA" 1 0 $((NOW - 3 * HOUR)))" = 200 ] || ok=0
[ "$(ingest A "$CA" 1 1 $((NOW - 3 * HOUR / 2)))" = 200 ] || ok=0
[ "$(ingest A "$CA" 1 2 $((NOW - 60000000)))" = 200 ] || ok=0
[ "$(ingest B "$CB" 1 0 $((NOW - 3 * HOUR)))" = 200 ] || ok=0
check ingest_aged_footage test "$ok" = 1
check a_stream1_before test "$(seqs "$CA" 1 "$OWN")" = "0 1 2"

# ---- the list
check list_owner test "$(req "$OWN" GET "$RET")" = 200
check list_only_own_cameras test "$(jq -r '[.cameras[].id] | join(",")' "$T/body")" = "$CA"
check list_default_keep test "$(jq -r ".cameras[0] | \"\(.max_age_s) \(.default) \(.name)\"" "$T/body")" = "0 true Cam A"
check list_bounds test "$(jq -r '"\(.min_max_age_s) \(.max_max_age_s) \(.default_max_age_s) \(.quota)"' "$T/body")" = "3600 315619200 0 false"
check list_counts_all_streams test "$(jq -r '.cameras[0].segments' "$T/body")" = 4
OLD0=$(jq -r '.cameras[0].oldest_us' "$T/body")
BYTES0=$(jq -r '.cameras[0].bytes' "$T/body")
check list_oldest_is_3h test "$OLD0" = $((NOW - 3 * HOUR))
check list_bytes test "$BYTES0" -gt 0
check list_admin test "$(req "$ADM" GET "$RET")" = 200

# ---- who may not (deny by default: 401 no session, 403 a role of A without the right,
# 404 anyone who is not in A, exactly like a missing org)
for p in aviewer avout aauditor asupport aadmin0; do
	check "list_refused_$p" test "$(req "${OFX_COOKIE[$p]}" GET "$RET")" = 403
	check "put_refused_$p" test "$(req "${OFX_COOKIE[$p]}" PUT "$PUTA" '{"max_age_s":3600}')" = 403
done
for p in user opacct bowner badmin; do
	check "list_refused_$p" test "$(req "${OFX_COOKIE[$p]}" GET "$RET")" = 404
	check "put_refused_$p" test "$(req "${OFX_COOKIE[$p]}" PUT "$PUTA" '{"max_age_s":3600}')" = 404
done
check list_refused_anon test "$(req "" GET "$RET")" = 401
check list_refused_optoken test "$(curl -s -m 20 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ADMIN" "$URL$RET")" = 401
check put_refused_optoken test "$(curl -s -m 20 -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' --data-binary '{"max_age_s":3600}' "$URL$PUTA")" = 401
# Nor through the instance route of the interim cameras: an org's camera is the org's.
check legacy_put_refused_org_camera test "$(curl -s -m 20 -o "$T/body" -w '%{http_code}' -X PUT -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' --data-binary '{"max_age_s":1}' "$URL/api/v1/cameras/$CA/retention")" = 403
check legacy_put_refused_says grep -q "retention is set by the organization" "$T/body"

# ---- step-up: a session whose last proof is stale is refused, then a fresh TOTP proof passes
sqlite3 -cmd '.timeout 5000' "$T/data/accounts.db" \
	"UPDATE sessions SET step_up_us = 1 WHERE user_id = '${OFX_ID[aowner]}';" ||
	fail stale_fixture "could not age the owner's step-up"
check put_needs_step_up test "$(req "$OWN" PUT "$PUTA" '{"max_age_s":7200}')" = 403
check put_needs_step_up_says_so grep -q 'step-up required' "$T/body"
check put_stale_nothing_changed test "$(row '.max_age_s')" = 0
check step_up ofx_step_up aowner 1

# ---- bad bodies and cameras
for b in '{}' '{"max_age_s":1}' '{"max_age_s":3599}' '{"max_age_s":-5}' '{"max_age_s":315619201}' \
	'{"max_age_s":"7200"}' '{"max_age_s":7200,"x":1}' '{"max_age_s":7200.5}' 'nope'; do
	check "put_bad_body $b" test "$(req "$OWN" PUT "$PUTA" "$b")" = 400
done
check put_bad_body_no_echo test "$(grep -c 'nope' "$T/body")" = 0
req "$OWN" PUT "/api/v1/orgs/$OA/cameras/$(ofx_hex 16)/retention" '{"max_age_s":7200}' >"$T/st"
cp "$T/body" "$T/missing.body"
check put_missing_camera test "$(cat "$T/st")" = 404
check put_foreign_camera test "$(req "$OWN" PUT "/api/v1/orgs/$OA/cameras/$CB/retention" '{"max_age_s":7200}')" = 404
check put_foreign_like_missing cmp -s "$T/body" "$T/missing.body"
check put_malformed_camera test "$(req "$OWN" PUT "/api/v1/orgs/$OA/cameras/XYZ/retention" '{"max_age_s":7200}')" = 404
check put_malformed_like_missing cmp -s "$T/body" "$T/missing.body"
# B's camera through B's org path with A's owner: B is not theirs.
check put_foreign_org test "$(req "$OWN" PUT "/api/v1/orgs/$OB/cameras/$CB/retention" '{"max_age_s":3600}')" = 404

# ---- 2 h: the 3 h old link goes at the next pass (every 5 s); the others stay
check put_2h test "$(req "$OWN" PUT "$PUTA" '{"max_age_s":7200}')" = 200
check put_2h_answer test "$(jq -r '"\(.max_age_s) \(.previous_max_age_s) \(.shortened)"' "$T/body")" = "7200 0 true"
got=
for _ in $(seq 1 60); do
	got=$(seqs "$CA" 1 "$OWN")
	[ "$got" = "1 2" ] && break
	sleep 0.5
done
check expired_older_than_2h test "$got" = "1 2"
check stream0_kept test "$(seqs "$CA" 0 "$OWN")" = 0
check other_org_untouched test "$(seqs "$CB" 1 "${OFX_COOKIE[bowner]}")" = 0
check list_after_2h test "$(row '"\(.max_age_s) \(.default) \(.segments)"')" = "7200 false 3"
check list_oldest_moved test "$(row '.oldest_us')" = $((NOW - 3 * HOUR / 2))
check list_bytes_shrank test "$(row '.bytes')" -lt "$BYTES0"

# ---- an admin lengthens to 30 days (not shortened), then the owner shortens to 1 h
check step_up_admin ofx_step_up aadmin 1
check put_admin_30d test "$(req "$ADM" PUT "$PUTA" '{"max_age_s":2592000}')" = 200
check put_admin_not_shortened test "$(jq -r '.shortened' "$T/body")" = false
check put_1h test "$(req "$OWN" PUT "$PUTA" '{"max_age_s":3600}')" = 200
for _ in $(seq 1 60); do
	got=$(seqs "$CA" 1 "$OWN")
	[ "$got" = 2 ] && break
	sleep 0.5
done
check expired_older_than_1h test "$got" = 2
check put_keep test "$(req "$OWN" PUT "$PUTA" '{"max_age_s":0}')" = 200
check list_keep test "$(row '"\(.max_age_s) \(.default)"')" = "0 false"

# ---- the audit log: one settings.retention entry per change, old and new values, actor
req "$OWN" GET "/api/v1/orgs/$OA/audit" >/dev/null
grep '"action":"settings.retention"' "$T/body" >"$T/ret.jsonl"
check audit_entries test "$(wc -l <"$T/ret.jsonl")" = 4
check audit_first test "$(head -n 1 "$T/ret.jsonl" | jq -r '"\(.target) \(.detail.old_max_age_s) \(.detail.old_source) \(.detail.new_max_age_s)"')" = "$CA 0 default 7200"
check audit_admin_actor test "$(sed -n 2p "$T/ret.jsonl" | jq -r '"\(.actor) \(.detail.old_max_age_s) \(.detail.new_max_age_s)"')" = "${OFX_ID[aadmin]} 7200 2592000"
check audit_last test "$(tail -n 1 "$T/ret.jsonl" | jq -r '"\(.detail.old_max_age_s) \(.detail.old_source) \(.detail.new_max_age_s)"')" = "3600 camera 0"
check audit_verifies "$BIN/vigil" audit verify "$T/body" --server-key "$(curl -s -m 20 "$URL/api/v1/audit/key" | jq -r .key)"
req "${OFX_COOKIE[bowner]}" GET "/api/v1/orgs/$OB/audit" >/dev/null
check audit_not_in_other_org test "$(grep -c 'settings.retention' "$T/body")" = 0

# ---- the operator's view and an organization's storage quota (h_opquota.c): the admin
# token or an operator account sees every org by id with counts and bytes, never a name;
# a quota on B deletes B's oldest footage at the next pass and nothing of A's.
opreq() { # $1 method, $2 path, $3 body (PUT): with the admin token
	local args=(-s -m 20 -o "$T/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $ADMIN")
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	curl "${args[@]}" "$URL$2"
}
BOWN=${OFX_COOKIE[bowner]}
[ "$(ingest B "$CB" 1 1 $((NOW - 2 * HOUR)))" = 200 ] && [ "$(ingest B "$CB" 1 2 $((NOW - 60000000)))" = 200 ]
check quota_ingest_b test $? = 0
check quota_b_before test "$(seqs "$CB" 1 "$BOWN")" = "0 1 2"
check op_list test "$(opreq GET /api/v1/operator/orgs)" = 200
cp "$T/body" "$T/oplist.json"
check op_list_both_orgs test "$(jq -r "[.orgs[] | select(.id == \"$OA\" or .id == \"$OB\")] | length" "$T/oplist.json")" = 2
check op_list_counts test "$(jq -r ".orgs[] | select(.id == \"$OB\") | \"\(.cameras) \(.gateways) \(.quota_bytes)\"" "$T/oplist.json")" = "1 1 0"
BB3=$(jq -r ".orgs[] | select(.id == \"$OB\") | .bytes_used" "$T/oplist.json")
check op_list_bytes test "$BB3" -gt 0
check op_list_no_names test "$(grep -c -e 'Cam A' -e 'Cam B' -e '"name"' "$T/oplist.json")" = 0
check op_list_opacct test "$(req "${OFX_COOKIE[opacct]}" GET /api/v1/operator/orgs)" = 200
check op_list_owner_refused test "$(req "$BOWN" GET /api/v1/operator/orgs)" = 403
# An operator's password alone reaches no organization: the account needs its second factor.
check op_without_totp_refused test "$(req "${OFX_COOKIE[opnotp]}" GET /api/v1/operator/orgs)" = 403
check op_without_totp_said grep -q 'second factor' "$T/body"
check quota_op_without_totp_refused test "$(req "${OFX_COOKIE[opnotp]}" PUT "/api/v1/operator/orgs/$OB/quota" '{"quota_bytes":5}')" = 403
check op_list_anon_refused test "$(req "" GET /api/v1/operator/orgs)" = 401
QB=/api/v1/operator/orgs/$OB/quota
for b in '{}' '{"quota_bytes":-1}' '{"quota_bytes":"5"}' '{"quota_bytes":1.5}' '{"quota_bytes":5,"x":1}' \
	'{"quota_bytes":9223372036854775808}' 'nope'; do
	check "quota_bad_body $b" test "$(opreq PUT "$QB" "$b")" = 400
done
check quota_missing_org test "$(opreq PUT "/api/v1/operator/orgs/$(ofx_hex 32)/quota" '{"quota_bytes":5}')" = 404
check quota_malformed_org test "$(opreq PUT /api/v1/operator/orgs/XYZ/quota '{"quota_bytes":5}')" = 404
check quota_owner_refused test "$(req "$BOWN" PUT "$QB" '{"quota_bytes":5}')" = 403
# The B owner's view, to size the quota: room for everything but the oldest link.
req "$BOWN" GET "/api/v1/orgs/$OB/retention" >/dev/null
check quota_b_view_before test "$(jq -r '"\(.org_quota_bytes) \(.org_bytes) \(.quota)"' "$T/body")" = "0 $BB3 false"
ABYTES=$(row '.bytes')
req "$OWN" GET "$RET" >/dev/null
AORG=$(jq -r .org_bytes "$T/body")
# The size of B's oldest link.
req "$BOWN" GET "/api/v1/cameras/$CB/streams/1/segments?from=0&to=$(( ($(date +%s) + 3600) * 1000000 ))" >/dev/null
LEN0=$(jq -r '.segments[] | select(.seq == 0) | .length' "$T/body")
check quota_link_len test "$LEN0" -gt 0
QUOTA=$((BB3 - LEN0))
T_SET=$(($(date +%s) * 1000000))
check quota_set test "$(opreq PUT "$QB" "{\"quota_bytes\":$QUOTA}")" = 200
check quota_set_answer test "$(jq -r '"\(.quota_bytes) \(.previous_quota_bytes) \(.bytes_used)"' "$T/body")" = "$QUOTA 0 $BB3"
EFF=$(jq -r .effective_us "$T/body")
# Below what B holds: it waits the grace period (6 s here), visible to B, nothing deleted yet.
check quota_grace_effective test "$EFF" -ge $((T_SET + 5000000)) -a "$EFF" -le $((T_SET + 8000000))
check quota_grace_nothing_deleted_yet test "$(seqs "$CB" 1 "$BOWN")" = "0 1 2"
req "$BOWN" GET "/api/v1/orgs/$OB/retention" >/dev/null
check quota_grace_visible_to_org test "$(jq -r '"\(.org_quota_bytes) \(.org_quota_effective_us)"' "$T/body")" = "$QUOTA $EFF"
got=
for _ in $(seq 1 60); do
	got=$(seqs "$CB" 1 "$BOWN")
	[ "$got" = "1 2" ] && break
	sleep 0.5
done
check quota_oldest_went test "$got" = "1 2"
req "$BOWN" GET "/api/v1/orgs/$OB/retention" >/dev/null
check quota_b_view test "$(jq -r '"\(.org_quota_bytes) \(.org_bytes) \(.quota)"' "$T/body")" = "$QUOTA $QUOTA true"
check quota_a_untouched test "$(row '.bytes')" = "$ABYTES"
req "$OWN" GET "$RET" >/dev/null
check quota_a_view test "$(jq -r '"\(.org_quota_bytes) \(.org_bytes)"' "$T/body")" = "0 $AORG"
opreq GET /api/v1/operator/orgs >/dev/null
check op_list_after test "$(jq -r ".orgs[] | select(.id == \"$OB\") | \"\(.quota_bytes) \(.bytes_used)\"" "$T/body")" = "$QUOTA $QUOTA"
# The customer sees the operator's act in its own log; the instance log has it too.
req "$BOWN" GET "/api/v1/orgs/$OB/audit" >/dev/null
grep '"action":"settings.quota"' "$T/body" >"$T/quota.jsonl"
check quota_audit_org test "$(jq -r '"\(.actor_kind) \(.actor) \(.detail.old_quota_bytes) \(.detail.new_quota_bytes)"' "$T/quota.jsonl")" = "operator admin-token 0 $QUOTA"
check quota_audit_org_verifies "$BIN/vigil" audit verify "$T/body" --server-key "$(curl -s -m 20 "$URL/api/v1/audit/key" | jq -r .key)"
req "$OWN" GET "/api/v1/orgs/$OA/audit" >/dev/null
check quota_audit_not_in_a test "$(grep -c 'settings.quota' "$T/body")" = 0
opreq GET /api/v1/audit/instance >/dev/null
check quota_audit_instance test "$(grep '"action":"org.quota"' "$T/body" | jq -r .target)" = "$OB quota_bytes=$QUOTA effective_us=$EFF"
check quota_remove test "$(opreq PUT "$QB" '{"quota_bytes":0}')" = 200
req "$BOWN" GET "/api/v1/orgs/$OB/retention" >/dev/null
check quota_removed_view test "$(jq -r '"\(.org_quota_bytes) \(.quota)"' "$T/body")" = "0 false"
# A quota above what B holds deletes nothing and applies at once.
check quota_above_usage test "$(opreq PUT "$QB" '{"quota_bytes":1000000000}')" = 200
check quota_above_usage_at_once test "$(jq -r '.effective_us <= now * 1000000' "$T/body")" = true
check quota_above_usage_removed test "$(opreq PUT "$QB" '{"quota_bytes":0}')" = 200
# The same from the CLI (the operator's client): the list by id, a quota set and removed.
"$BIN/vigil" operator orgs --server "$URL" --token-file "$T/admin" >"$T/opcli" 2>&1
check cli_operator_orgs grep -q "^org=$OB created=.* cameras=1 gateways=1 bytes_used=$QUOTA quota_bytes=0$" "$T/opcli"
check cli_operator_orgs_no_names sh -c "! grep -q -e 'Cam A' -e 'Cam B' '$T/opcli'"
"$BIN/vigil" operator quota --org "$OB" --bytes 1 --server "$URL" --token-file "$T/admin" >"$T/opcli" 2>&1
check cli_operator_quota_pending grep -q "^note: below what the organization holds: applies at " "$T/opcli"
# A quota change by an operator account needs a fresh step-up (its second factor again).
ofx_step_up opacct 1 || fail step_up_opacct
"$BIN/vigil" operator quota --org "$OB" --bytes 0 --server "$URL" --session <(printf '%s\n' "${OFX_COOKIE[opacct]}") >"$T/opcli" 2>&1
check cli_operator_quota_removed_by_session grep -q "^org=$OB quota_bytes=0 previous_quota_bytes=1 " "$T/opcli"
"$BIN/vigil" operator orgs --server "$URL" --session <(printf '%s\n' "${OFX_COOKIE[bowner]}") >"$T/opcli" 2>&1
check cli_operator_refused_to_owner grep -q "refused by the server (HTTP 403)" "$T/opcli"

# ---- the server log: each change, no secrets
check server_log_change grep -q "op=org_set org=$OA camera=$CA by=${OFX_ID[aowner]} old_max_age_s=0 old_source=default max_age_s=7200 shortened=1" "$T/server.log"
leak=0
for n in aowner aadmin; do
	c=${OFX_COOKIE[$n]#*=}
	grep -qF "${c%%;*}" "$T/server.log" && leak=1
done
grep -qF "$ADMIN" "$T/server.log" && leak=1
check server_log_no_secrets test "$leak" = 0
stop_bg server
finish
