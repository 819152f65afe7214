#!/usr/bin/env bash
# test_pause.sh - a camera that records on motion only, as a person sees it in chromium: the live tile says the pause is signed (live video while paused off), the timeline draws "no motion" apart from outages, a click in a pause says nothing moved there; then, with live video while paused on (the default), the tile and the camera view play live-only video marked "not recording"; screenshots go to test-artifacts/browser/.
# Starts server (with --web), camsim's scripted scene (objects every 20-40 s), a gateway
# whose camera has {"recording":{"mode":"motion"}} with 1 s pre- and post-roll.
# test-runs-alone: a detector starved for 10 s under load counts as blind and records, and the camera never pauses
. "$(dirname "$0")/../lib.sh"
. "$LIB_ROOT/tests/integration/pipeline.sh"

WEB=$LIB_ROOT/${BUILD}/web
case "$BUILD" in /*) WEB=$BUILD/web ;; esac
ART=$LIB_ROOT/test-artifacts/browser
mkdir -p "$ART"
SEED=${SEED:-7}

for f in "$BIN/vigil-server" "$BIN/vigil" "$BIN/vigil-gateway" "$BIN/vigil-camsim"; do
	[ -x "$f" ] || { fail build "$f missing: run make"; finish; }
done
[ -f "$WEB/index.html" ] || { fail build "$WEB/index.html missing: run npm ci, then make"; finish; }
command -v node >/dev/null || { fail node "node not installed"; finish; }
[ -d "$LIB_ROOT/node_modules/playwright-core" ] || { fail playwright "run npm ci"; finish; }

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/admin.token"
chmod 600 "$T/admin.token"
mkdir -p "$T/server"
start_bg server "$BIN/vigil-server" --listen 127.0.0.1:0 --data "$T/server" \
	--admin-token-file "$T/admin.token" --insecure-test-auth --web "$WEB" --test-operator-footage
SERVER_URL=$(wait_ready "$T/server.log" 'READY url=(http://[^ ]+)' 20 "$LAST_PID") ||
	{ fail server_ready "see $T/server.log"; finish; }
ADMIN=$(cat "$T/admin.token")
CODE=$(curl -s -m 10 -X POST -H "Authorization: Bearer $ADMIN" "$SERVER_URL/api/v1/signup-codes" |
	sed -n 's/.*"code":"\([0-9a-f]*\)".*/\1/p')
export VIGIL_PASSWORD='Pause-tëst-pässphrase-42'
"$BIN/vigil" account register --password-list "$LIB_ROOT/data/common-passwords.txt" \
	--server "$SERVER_URL" --code "$CODE" --username viewer1 --kdf-fast >"$T/reg.out" 2>&1 ||
	{ fail register "$(tail -n 1 "$T/reg.out")"; finish; }

pipe_motion_only "$SEED" 1 1 || finish
# First without live video while paused: the tile shows the signed pause.
jq '.cameras[0].recording.live_while_paused = false' "$T/site/gateway.json" >"$T/site/gw.tmp" &&
	mv "$T/site/gw.tmp" "$T/site/gateway.json"
pipe_gateway
# The grid lists the cameras the server knows: wait for the first upload.
n=0
for _ in $(seq 1 60); do
	n=$(curl -s -m 5 -H "Authorization: Bearer $ADMIN" "$SERVER_URL/api/v1/cameras" | grep -o '"id"' | wc -l)
	[ "$n" -ge 1 ] && break
	sleep 0.5
done
[ "$n" -ge 1 ] && pass camera_recording || { fail camera_recording "the server lists no camera after 30 s"; finish; }

VIGIL_URL=$SERVER_URL VIGIL_USER=viewer1 VIGIL_KEYS=$T/site/keys.json VIGIL_ADMIN_FILE=$T/admin.token \
	VIGIL_ART=$ART NODE_PATH=$LIB_ROOT/node_modules \
	timeout -k 5 300 node "$LIB_ROOT/tests/browser/pause.mjs" >"$T/browser.out" 2>&1
rc=$?
relay_checks "$T/browser.out" "$rc" browser_script node
alive "$GATEWAY_PID" && pass gateway_alive || fail gateway_alive "gateway exited"

# Then with live video while paused (the default): the gateway restarts with it.
stop_bg gateway
jq 'del(.cameras[0].recording.live_while_paused)' "$T/site/gateway.json" >"$T/site/gw.tmp" &&
	mv "$T/site/gw.tmp" "$T/site/gateway.json"
pipe_gateway
VIGIL_URL=$SERVER_URL VIGIL_USER=viewer1 VIGIL_KEYS=$T/site/keys.json VIGIL_ADMIN_FILE=$T/admin.token \
	VIGIL_ART=$ART NODE_PATH=$LIB_ROOT/node_modules \
	timeout -k 5 330 node "$LIB_ROOT/tests/browser/pauselive.mjs" >"$T/browser2.out" 2>&1
rc=$?
relay_checks "$T/browser2.out" "$rc" browser_script_live node
# What the gateway did with its streams, for a failure's reader.
grep -E 'event=(recording_paused|recording_resumed|live_only_started|detection_blind_recording|detection_back)' \
	"$T/gateway.log" | sed 's/^.*comp=recorder /  gateway: /' | tail -n 12
alive "$GATEWAY_PID" && pass gateway_alive_live || fail gateway_alive_live "gateway exited"
finish
