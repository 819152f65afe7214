#!/usr/bin/env bash
# test_demo.sh - the README's demo as a newcomer meets it: `vigil demo` comes up on the real organization flows and its owner signs in to the console and sees every camera moving.
. "$(dirname "$0")/../lib.sh"

NCAM=4
ART=$LIB_ROOT/test-artifacts/browser
mkdir -p "$ART"
command -v node >/dev/null || { fail node "node not installed"; finish; }
[ -d "$LIB_ROOT/node_modules/playwright-core" ] || { fail playwright "run npm ci"; finish; }

# As `make demo` starts it: substreams too.
start_bg demo "$BIN/vigil" demo --data "$T/demo" --cameras "$NCAM" --substreams
DEMO_PID=$LAST_PID
if wait_ready "$T/demo.log" '(Press Ctrl-C to stop)' 180 "$DEMO_PID" >/dev/null; then
	pass demo_ready
else
	fail demo_ready "$(tail -n 5 "$T/demo.log")"
	finish
fi
[ "$(stat -c %a "$T/demo/demo.json")" = 600 ] && pass demo_json_private || fail demo_json_private "mode $(stat -c %a "$T/demo/demo.json")"
grep -q 'password' "$T/demo.log" && pass password_printed || fail password_printed "not in the output"

VIGIL_DEMO_JSON=$T/demo/demo.json VIGIL_NCAM=$NCAM VIGIL_ART=$ART VIGIL_BIN=$BIN/vigil \
	VIGIL_TOTP_TOOL=$BIN/../tools/totp_code NODE_PATH=$LIB_ROOT/node_modules \
	timeout -k 5 180 node "$LIB_ROOT/tests/browser/demo.mjs" >"$T/browser.out" 2>&1
rc=$?
relay_checks "$T/browser.out" "$rc" browser_script node
stop_bg demo
finish
