#!/usr/bin/env bash
# tests/browser/test_totpsetup.sh - turning on two-factor in the console (web/totpsetup.js): the panel offers it to an account without it, a wrong code leaves it off, the app's code turns it on, and the next sign-in asks for a code.
. "$(dirname "$0")/../lib.sh"

WEB=$LIB_ROOT/${BUILD}/web
case "$BUILD" in /*) WEB=$BUILD/web ;; esac
[ -f "$WEB/totpsetup.js" ] || { fail build "$WEB has no totpsetup.js: run make"; finish; }
command -v node >/dev/null || { fail node "node not installed"; finish; }
[ -d "$LIB_ROOT/node_modules/playwright-core" ] || { fail playwright "run npm ci"; finish; }

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/admin.token"
chmod 600 "$T/admin.token"
mkdir -p "$T/server"
start_bg server "$BIN/vigil-server" --listen 127.0.0.1:0 --data "$T/server" \
	--admin-token-file "$T/admin.token" --insecure-test-auth --web "$WEB"
URL=$(wait_ready "$T/server.log" 'READY url=(http://[^ ]+)' 20 "$LAST_PID") || { fail server_ready "see $T/server.log"; finish; }
CODE=$(curl -s -m 10 -X POST -H "Authorization: Bearer $(cat "$T/admin.token")" "$URL/api/v1/signup-codes" |
	sed -n 's/.*"code":"\([0-9a-f]*\)".*/\1/p')
export VIGIL_PASSWORD='T0tp-setup-pässphrase-in-the-page'
if "$BIN/vigil" account register --password-list "$LIB_ROOT/data/common-passwords.txt" \
	--server "$URL" --code "$CODE" --username tina --kdf-fast >"$T/reg.out" 2>&1; then
	pass register
else
	fail register "$(tail -1 "$T/reg.out")"
	finish
fi
ART=$LIB_ROOT/test-artifacts/browser
mkdir -p "$ART"
SHOT=${SHOT:-} VIGIL_ART=$ART VIGIL_URL=$URL VIGIL_USER=tina VIGIL_TOTP_TOOL=$BIN/../tools/totp_code NODE_PATH=$LIB_ROOT/node_modules \
	timeout -k 5 120 node "$LIB_ROOT/tests/browser/totpsetup.mjs" >"$T/out" 2>&1
rc=$?
relay_checks "$T/out" "$rc" totpsetup_script node
finish
