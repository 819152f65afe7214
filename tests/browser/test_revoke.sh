#!/usr/bin/env bash
# test_revoke.sh - issue 4's revocation check against `vigil demo --cameras 2`: a viewer granted one camera sees one moving tile over the grid's one live connection; once the owner removes them (CLI), the tile says "no permission" and no further frame is decrypted.
. "$(dirname "$0")/../lib.sh"

NCAM=2
ART=$LIB_ROOT/test-artifacts/browser
mkdir -p "$ART"
command -v node >/dev/null || { fail node "node not installed"; finish; }
[ -d "$LIB_ROOT/node_modules/playwright-core" ] || { fail playwright "run npm ci"; finish; }
VIGIL=$BIN/vigil
TOTP=$BIN/../tools/totp_code
for f in "$VIGIL" "$TOTP"; do
	[ -x "$f" ] || { fail build "$f missing: run make"; finish; }
done

start_bg demo "$VIGIL" demo --data "$T/demo" --cameras "$NCAM"
DEMO_PID=$LAST_PID
if wait_ready "$T/demo.log" '(Press Ctrl-C to stop)' 180 "$DEMO_PID" >/dev/null; then
	pass demo_ready
else
	fail demo_ready "$(tail -n 5 "$T/demo.log")"
	finish
fi
J=$T/demo/demo.json
jget() { sed -n "s/^  \"$1\": \"\\(.*\\)\",\\{0,1\\}\$/\\1/p" "$J" | head -n 1; }
URL=$(jget server)
ORG=$(jget org)
SAFETY=$(jget safety_number)
OWNER_PW=$(jget password)
OWNER=(--server "$URL" --session "$(jget session_file)" --pin-dir "$(jget pin_dir)")
check demo_json_read test -n "$URL" -a ${#ORG} -eq 64 -a -n "$SAFETY" -a -n "$OWNER_PW"

# Run the CLI as the owner or the viewer; output in $T/out, status in $RC.
as_owner() { VIGIL_PASSWORD=$OWNER_PW "$VIGIL" "$@" "${OWNER[@]}" >"$T/out" 2>&1; RC=$?; }
VIEWER_PW="Revoke-viewer-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
VIEWER=(--server "$URL" --session "$T/viewer.s" --pin-dir "$T/pin-viewer")
as_viewer() { VIGIL_PASSWORD=$VIEWER_PW "$VIGIL" "$@" >"$T/out" 2>&1; RC=$?; }

# A second account: a signup code from the demo's admin token (the interim bootstrap).
CODE=$(curl -s -m 20 -X POST -H "Authorization: Bearer $(cat "$T/demo/admin.token")" \
	"$URL/api/v1/signup-codes" | sed -n 's/.*"code":"\([0-9a-f]*\)".*/\1/p')
check signup_code test ${#CODE} -eq 64
as_viewer account register --server "$URL" --code "$CODE" --username viewer1
check viewer_register test "$RC" -eq 0
as_viewer account login --server "$URL" --username viewer1 --session "$T/viewer.s"
check viewer_login test "$RC" -eq 0

# The owner invites it as a viewer scoped to cam1 only; it joins; the owner accepts (grant).
curl -s -m 20 -H "Cookie: $(cat "$(jget session_file)")" "$URL/api/v1/orgs/$ORG/cameras" >"$T/cams.json"
camid() { node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	const c = (j.cameras || []).find((x) => x.name === process.argv[2]); console.log(c ? c.id : "");' "$T/cams.json" "$1"; }
CAM1=$(camid cam1)
CAM2=$(camid cam2)
if [ ${#CAM1} -eq 32 ] && [ ${#CAM2} -eq 32 ]; then pass cameras_listed; else
	fail cameras_listed "$(head -c 300 "$T/cams.json")"
	stop_bg demo
	finish
fi
as_owner member invite --org "$ORG" --role viewer --scope "$CAM1"
INV=$(sed -n 's/^invitation=\([0-9a-f]*\)$/\1/p' "$T/out")
JCODE=$(sed -n 's/^vigil join .*--code \([^ ]*\).*/\1/p' "$T/out")
check member_invite test "$RC" -eq 0 -a -n "$INV" -a -n "$JCODE" || cat "$T/out"
as_viewer join --code "$JCODE" --org-fingerprint "$SAFETY" "${VIEWER[@]}"
check viewer_join_requested test "$RC" -eq 0
as_owner member accept --org "$ORG" --invitation "$INV" --wait 20
check member_accept_scoped grep -q "role=viewer scope=1 grants=1" "$T/out" || cat "$T/out"
as_viewer join --code "$JCODE" --org-fingerprint "$SAFETY" --wait 20 "${VIEWER[@]}"
check viewer_joined grep -q "joined org=$ORG" "$T/out"
# Without the scoped membership the rest would test nothing.
if [ "$FAILS" -gt 0 ]; then
	stop_bg demo
	finish
fi

# Curl's view of the same: the mux route with both cameras gives cam1's records and a
# DENIED state for cam2 (out of the viewer's scope).
VCK=$(cat "$T/viewer.s")
curl -s -m 6 -o "$T/mux.bin" -H "Cookie: $VCK" "$URL/api/v1/live?cameras=$CAM1:0,$CAM2:0"
# Message headers: u32 len | u8 type | u8 index; STATE for index 1 (cam2) = 2 (denied).
od -An -v -tx1 "$T/mux.bin" | tr -s ' \n' ' ' >"$T/mux.hex"
grep -q "00 00 00 02 11 01 02" "$T/mux.hex" && pass viewer_mux_denies_out_of_scope ||
	fail viewer_mux_denies_out_of_scope "$(head -c 200 "$T/mux.hex")"
grep -q "10 00 00 00 00 d0 01" "$T/mux.hex" && pass viewer_mux_streams_in_scope ||
	fail viewer_mux_streams_in_scope "no DATA message carrying cam1's SEG_HEADER"

REVOKE=$(node -e 'console.log(JSON.stringify(process.argv.slice(1)))' "$VIGIL" member remove \
	--org "$ORG" --user viewer1 "${OWNER[@]}")
VIGIL_DEMO_JSON=$J VIGIL_NCAM=$NCAM VIGIL_ART=$ART VIGIL_TOTP_TOOL=$TOTP \
	VIGIL_VIEWER=viewer1 VIGIL_VIEWER_PW=$VIEWER_PW VIGIL_REVOKE_CMD=$REVOKE \
	VIGIL_PASSWORD=$OWNER_PW NODE_PATH=$LIB_ROOT/node_modules \
	timeout -k 5 240 node "$LIB_ROOT/tests/browser/revoke.mjs" >"$T/browser.out" 2>&1
rc=$?
relay_checks "$T/browser.out" "$rc" browser_script node

# After the removal the server itself refuses the camera: a DENIED state, and the body ends.
curl -s -m 6 -o "$T/mux2.bin" -H "Cookie: $VCK" "$URL/api/v1/live?cameras=$CAM1:0"
od -An -v -tx1 "$T/mux2.bin" | tr -s ' \n' ' ' >"$T/mux2.hex"
[ "$(tr -d ' ' <"$T/mux2.hex")" = 00000002110002 ] && pass removed_viewer_mux_denied ||
	fail removed_viewer_mux_denied "$(head -c 200 "$T/mux2.hex")"
grep -q "op=mux_deny" "$T/demo/logs/server.log" && pass server_logged_deny ||
	fail server_logged_deny "no op=mux_deny in the server log"
stop_bg demo
finish
