#!/usr/bin/env bash
# tests/browser/test_adminops.sh - the console's admin cryptography (web/adminops.js, in node) against statements, an enrollment request and an audit log made by the C library (tests/tools/stmt_vectors).
. "$(dirname "$0")/../lib.sh"

WEB=$LIB_ROOT/${BUILD}/web
case "$BUILD" in /*) WEB=$BUILD/web ;; esac
VEC=$BIN/../tools/stmt_vectors
[ -x "$VEC" ] || { fail build "$VEC missing: run make"; finish; }
[ -f "$WEB/vendor/libsodium-wrappers.js" ] || { fail build "$WEB missing: run npm ci, then make"; finish; }
command -v node >/dev/null || { fail node "node not installed"; finish; }
check vectors sh -c "'$VEC' >'$T/vectors.json'"
timeout -k 5 120 node "$LIB_ROOT/tests/browser/adminops.test.mjs" "$WEB" "$T/vectors.json" >"$T/out" 2>&1
rc=$?
relay_checks "$T/out" "$rc" adminops_script node
finish
