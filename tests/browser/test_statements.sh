#!/usr/bin/env bash
# tests/browser/test_statements.sh - the console's org statement verifier and grant opener (web/statements.js, in node) against key material the C library signed.
. "$(dirname "$0")/../lib.sh"

WEB=$LIB_ROOT/${BUILD}/web
case "$BUILD" in /*) WEB=$BUILD/web ;; esac
FX=$BIN/../tools/orgfixture
[ -x "$FX" ] || { fail build "$FX missing: run make"; finish; }
[ -f "$WEB/vendor/libsodium-wrappers.js" ] || { fail build "$WEB missing: run npm ci, then make"; finish; }
command -v node >/dev/null || { fail node "node not installed"; finish; }
check fixture "$FX" "$T"
timeout -k 5 120 node "$LIB_ROOT/tests/browser/statements.test.mjs" "$WEB" "$T" >"$T/out" 2>&1
rc=$?
relay_checks "$T/out" "$rc" statements_script node
finish
