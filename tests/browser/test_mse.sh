#!/usr/bin/env bash
# tests/browser/test_mse.sh - the live player's catch-up in chromium (mse.test.mjs) on a real H.264 stream made here with ffmpeg.
. "$(dirname "$0")/../lib.sh"

WEB=$LIB_ROOT/${BUILD}/web
case "$BUILD" in /*) WEB=$BUILD/web ;; esac
[ -f "$WEB/mse.js" ] || { fail build "$WEB missing: run make"; finish; }
command -v node >/dev/null || { fail node "node not installed"; finish; }
[ -d "$LIB_ROOT/node_modules/playwright-core" ] || { fail playwright "run npm ci"; finish; }
# 8 s of 640x360 at 25 fps, a keyframe every 50 frames, one moof+mdat per frame (as the gateway cuts).
if ffmpeg -nostdin -loglevel error -f lavfi -i testsrc2=size=640x360:rate=25:duration=8 \
	-c:v libx264 -profile:v high -preset veryfast -tune zerolatency -g 50 -keyint_min 50 -sc_threshold 0 -bf 0 \
	-pix_fmt yuv420p -movflags empty_moov+default_base_moof+frag_every_frame -f mp4 "$T/frag.mp4"; then
	pass fixture
else
	fail fixture "ffmpeg could not make it"
	finish
fi
NODE_PATH=$LIB_ROOT/node_modules timeout -k 5 120 node "$LIB_ROOT/tests/browser/mse.test.mjs" "$WEB" "$T" >"$T/out" 2>&1
rc=$?
relay_checks "$T/out" "$rc" mse_script node
finish
