#!/usr/bin/env bash
# test_player.sh - the single-camera player against `vigil demo`: open a camera, play the archive from a clicked moment (click to first frame measured), speeds, frame steps, a date jump and back to live.
. "$(dirname "$0")/../lib.sh"

NCAM=2
ART=$LIB_ROOT/test-artifacts/browser
mkdir -p "$ART"
command -v node >/dev/null || { fail node "node not installed"; finish; }
[ -d "$LIB_ROOT/node_modules/playwright-core" ] || { fail playwright "run npm ci"; finish; }

start_bg demo "$BIN/vigil" demo --data "$T/demo" --cameras "$NCAM"
DEMO_PID=$LAST_PID
if wait_ready "$T/demo.log" '(Press Ctrl-C to stop)' 180 "$DEMO_PID" >/dev/null; then
	pass demo_ready
else
	fail demo_ready "$(tail -n 5 "$T/demo.log")"
	finish
fi

VIGIL_DEMO_JSON=$T/demo/demo.json VIGIL_NCAM=$NCAM VIGIL_ART=$ART \
	VIGIL_TOTP_TOOL=$BIN/../tools/totp_code NODE_PATH=$LIB_ROOT/node_modules \
	timeout -k 5 300 node "$LIB_ROOT/tests/browser/player.mjs" >"$T/browser.out" 2>&1
rc=$?
relay_checks "$T/browser.out" "$rc" browser_script node
stop_bg demo
finish
