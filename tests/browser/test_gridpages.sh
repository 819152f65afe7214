#!/usr/bin/env bash
# tests/browser/test_gridpages.sh - the live grid's pages (web/gridpages.js, in node): by site, so many per page.
. "$(dirname "$0")/../lib.sh"

WEB=$LIB_ROOT/${BUILD}/web
case "$BUILD" in /*) WEB=$BUILD/web ;; esac
[ -f "$WEB/gridpages.js" ] || { fail build "$WEB missing: run make"; finish; }
command -v node >/dev/null || { fail node "node not installed"; finish; }
timeout -k 5 60 node "$LIB_ROOT/tests/browser/gridpages.test.mjs" "$WEB" >"$T/out" 2>&1
rc=$?
relay_checks "$T/out" "$rc" gridpages_script node
finish
