#!/usr/bin/env bash
# test_admin.sh - issue 4's administration view against `vigil demo`: lists equal the server's and verify, the audit log verifies in the page and tampering is reported, support grant and revoke, a camera's retention set in the page (confirmation, step-up) and read back from the API, a gateway enrolled and a camera added from the page (which then records), a member invited, re-scoped, re-roled and removed (while the server names another gateway for the removed camera: the page warns and rotates the gateway whose signed config records it); the webhook receiver set (step-up, secret shown once), refused, replaced and removed; a camera removed (confirmation, proof first, recordings gone, audited); the organization's storage quota shown; screenshots at laptop and phone width.
. "$(dirname "$0")/../lib.sh"

NCAM=2
ART=$LIB_ROOT/test-artifacts/browser
mkdir -p "$ART"
command -v node >/dev/null || { fail node "node not installed"; finish; }
[ -d "$LIB_ROOT/node_modules/playwright-core" ] || { fail playwright "run npm ci"; finish; }
VIGIL=$BIN/vigil
TOTP=$BIN/../tools/totp_code
for f in "$VIGIL" "$TOTP" "$BIN/vigil-gateway"; do
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
signup_code() {
	curl -s -m 20 -X POST -H "Authorization: Bearer $(cat "$T/demo/admin.token")" \
		"$URL/api/v1/signup-codes" | sed -n 's/.*"code":"\([0-9a-f]*\)".*/\1/p'
}

# A second account, not a member: the one the page grants support access to.
SUP_PW="Admin-support-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
CODE=$(signup_code)
check signup_code test ${#CODE} -eq 64
VIGIL_PASSWORD=$SUP_PW "$VIGIL" account register --server "$URL" --code "$CODE" --username support1 >"$T/out" 2>&1
check support_register test $? -eq 0
VIGIL_PASSWORD=$SUP_PW "$VIGIL" account login --server "$URL" --username support1 --session "$T/support.s" >"$T/out" 2>&1
check support_login test $? -eq 0

# A third account, which the page invites as a member (it joins with the CLI).
MEM_PW="Admin-member-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
CODE=$(signup_code)
VIGIL_PASSWORD=$MEM_PW "$VIGIL" account register --server "$URL" --code "$CODE" --username member1 >"$T/out" 2>&1
check member_register test $? -eq 0
VIGIL_PASSWORD=$MEM_PW "$VIGIL" account login --server "$URL" --username member1 --session "$T/member.s" >"$T/out" 2>&1
check member_login test $? -eq 0

# The camera the page adds: the simulator's cam1 again, recorded by the new gateway under a new id.
CAM_URL=$(sed -n 's/.*camera name=cam1 main=\(rtsp:[^ ]*\).*/\1/p' "$T/demo.log" | head -n 1)
check camsim_url test -n "$CAM_URL"
mkdir -p "$T/gw2"
# The server's database, which the script edits to have the server lie about a camera's gateway.
SERVER_DB=
command -v sqlite3 >/dev/null && SERVER_DB=$T/demo/server/accounts.db
VIGIL_SERVER_DB=$SERVER_DB VIGIL_DEMO_JSON=$J VIGIL_ART=$ART VIGIL_SUPPORT_SESSION=$T/support.s VIGIL_GW_DIR=$T/gw2 \
	VIGIL_GATEWAY_BIN=$BIN/vigil-gateway VIGIL_STATE=$T/state.json VIGIL_CAM_URL=$CAM_URL \
	VIGIL_MEMBER_SESSION=$T/member.s VIGIL_MEMBER_PW=$MEM_PW VIGIL_BIN=$VIGIL \
	VIGIL_TOTP_TOOL=$TOTP NODE_PATH=$LIB_ROOT/node_modules \
	timeout -k 5 300 node "$LIB_ROOT/tests/browser/admin.mjs" >"$T/browser.out" 2>&1
rc=$?
relay_checks "$T/browser.out" "$rc" browser_script node

# The enrollment and the join the script started, if they outlived it.
for f in "$T/gw2/enroll.pid" "$T/member.s.pid"; do
	[ -f "$f" ] || continue
	p=$(cat "$f")
	kill -0 "$p" 2>/dev/null && kill "$p"
done

# The gateway enrolled from the page records the camera added from the page: run it with
# the gateway.json its enrollment wrote and wait for the server to acknowledge that camera's
# first segments as durable (the gateway's log: the operator's camera list leaves out an
# organization's cameras, and the page signed every owner session out at its end).
if [ -f "$T/state.json" ] && [ -f "$T/gw2/gateway.json" ]; then
	CAM=$(sed -n 's/.*"camera":"\([0-9a-f]*\)".*/\1/p' "$T/state.json")
	start_bg gw2 "$BIN/vigil-gateway" run --config "$T/gw2/gateway.json"
	GW2_PID=$LAST_PID
	segs=0
	for i in $(seq 1 90); do
		segs=$(grep -c "event=live_sent camera=$CAM .*acked=1" "$T/gw2.log" 2>/dev/null)
		[ "${segs:-0}" -gt 1 ] && break
		alive "$GW2_PID" || break
		sleep 1
	done
	check page_camera_records test "${segs:-0}" -gt 1
	[ "${segs:-0}" -gt 1 ] || tail -n 20 "$T/gw2.log" 2>/dev/null
	stop_bg gw2
else
	skip page_camera_records "no camera was added from the page"
fi
stop_bg demo
finish
