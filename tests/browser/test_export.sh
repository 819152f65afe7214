#!/usr/bin/env bash
# test_export.sh - export and share links against `vigil demo`: an exported range decodes with ffprobe and covers it; a share link plays only its clip in a fresh browser context and stops working after expiry.
. "$(dirname "$0")/../lib.sh"

NCAM=2
WEB=$LIB_ROOT/${BUILD}/web
case "$BUILD" in /*) WEB=$BUILD/web ;; esac
[ -f "$WEB/vendor/libsodium-wrappers.js" ] || { fail build "$WEB missing: run npm ci, then make"; finish; }
ART=$LIB_ROOT/test-artifacts/browser
mkdir -p "$ART"
command -v node >/dev/null || { fail node "node not installed"; finish; }
command -v ffprobe >/dev/null || { fail ffprobe "ffprobe not installed"; finish; }
[ -d "$LIB_ROOT/node_modules/playwright-core" ] || { fail playwright "run npm ci"; finish; }

start_bg demo "$BIN/vigil" demo --data "$T/demo" --cameras "$NCAM"
DEMO_PID=$LAST_PID
if wait_ready "$T/demo.log" '(Press Ctrl-C to stop)' 180 "$DEMO_PID" >/dev/null; then
	pass demo_ready
else
	fail demo_ready "$(tail -n 5 "$T/demo.log")"
	finish
fi

VIGIL_WEB=$WEB VIGIL_OUT=$T VIGIL_DEMO_JSON=$T/demo/demo.json VIGIL_NCAM=$NCAM VIGIL_ART=$ART \
	VIGIL_TOTP_TOOL=$BIN/../tools/totp_code NODE_PATH=$LIB_ROOT/node_modules \
	timeout -k 5 300 node "$LIB_ROOT/tests/browser/export.mjs" >"$T/browser.out" 2>&1
rc=$?
relay_checks "$T/browser.out" "$rc" browser_script node
stop_bg demo
finish
