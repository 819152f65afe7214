#!/usr/bin/env bash
# tests/browser/test_decrypt.sh - the console's record parser and segment decryption (web/*.js, in node) against a chain the C code wrote.
. "$(dirname "$0")/../lib.sh"

WEB=$LIB_ROOT/${BUILD}/web
case "$BUILD" in /*) WEB=$BUILD/web ;; esac
FX=$BIN/../tools/segfixture
[ -x "$FX" ] || { fail build "$FX missing: run make"; finish; }
[ -f "$WEB/vendor/libsodium-wrappers.js" ] || { fail build "$WEB missing: run npm ci, then make"; finish; }
command -v node >/dev/null || { fail node "node not installed"; finish; }
check fixture "$FX" "$T"
timeout -k 5 120 node "$LIB_ROOT/tests/browser/decrypt.test.mjs" "$WEB" "$T" >"$T/out" 2>&1
rc=$?
relay_checks "$T/out" "$rc" decrypt_script node
finish
