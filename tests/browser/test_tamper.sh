#!/usr/bin/env bash
# tests/browser/test_tamper.sh - a malicious server against the console's readers (web/*.js, in node): spliced, missing, replayed and reordered links, unsigned and stale live video, a cheap password-hashing cost.
. "$(dirname "$0")/../lib.sh"

WEB=$LIB_ROOT/${BUILD}/web
case "$BUILD" in /*) WEB=$BUILD/web ;; esac
[ -f "$WEB/vendor/libsodium-wrappers.js" ] || { fail build "$WEB missing: run npm ci, then make"; finish; }
command -v node >/dev/null || { fail node "node not installed"; finish; }
timeout -k 5 120 node "$LIB_ROOT/tests/browser/tamper.test.mjs" "$WEB" >"$T/out" 2>&1
rc=$?
relay_checks "$T/out" "$rc" tamper_script node
finish
