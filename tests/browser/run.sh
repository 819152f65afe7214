#!/usr/bin/env bash
# tests/browser/run.sh - the console in Debian's chromium: static serving and headers, sign-in with a real account, a 4-camera live grid decrypted in the page.
# Starts server (with --insecure-test-auth and --web), camsim, gateway by pid through tests/lib.sh;
# prints PASS/FAIL lines; screenshots go to test-artifacts/browser/.
. "$(dirname "$0")/../lib.sh"
. "$LIB_ROOT/tests/integration/pipeline.sh"

WEB=$LIB_ROOT/${BUILD}/web
case "$BUILD" in /*) WEB=$BUILD/web ;; esac
ART=$LIB_ROOT/test-artifacts/browser
mkdir -p "$ART"
NCAM=4

for f in "$BIN/vigil-server" "$BIN/vigil" "$BIN/vigil-gateway" "$BIN/vigil-camsim"; do
	[ -x "$f" ] || { fail build "$f missing: run make"; finish; }
done
[ -f "$WEB/index.html" ] || { fail build "$WEB/index.html missing: run npm ci, then make"; finish; }
command -v node >/dev/null || { fail node "node not installed"; finish; }
[ -x /usr/bin/chromium ] || { fail chromium "/usr/bin/chromium not installed"; finish; }
[ -d "$LIB_ROOT/node_modules/playwright-core" ] || { fail playwright "node_modules/playwright-core missing: run npm ci"; finish; }

pipe_media || { fail media "ffmpeg could not make the test video"; finish; }

# The server: like pipe_server, plus the minimal test KDF cost and the console tree.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/admin.token"
chmod 600 "$T/admin.token"
mkdir -p "$T/server"
start_bg server "$BIN/vigil-server" --listen 127.0.0.1:0 --data "$T/server" \
	--admin-token-file "$T/admin.token" --insecure-test-auth --web "$WEB" --test-operator-footage
SERVER_URL=$(wait_ready "$T/server.log" 'READY url=(http://[^ ]+)' 20 "$LAST_PID") || { fail server_ready "see $T/server.log"; finish; }
pass server_ready

# ---- static serving: headers, MIME types, no traversal, caching, published hashes ----
hdr() { curl -s -m 10 -D - -o /dev/null "$@" | tr -d '\r'; }
H=$(hdr "$SERVER_URL/")
check index_200 grep -q '^HTTP/1.1 200' <<<"$H"
check index_html_mime grep -qi '^content-type: text/html; charset=utf-8$' <<<"$H"
check csp_strict grep -qi "^content-security-policy: default-src 'none'; script-src 'self' 'wasm-unsafe-eval';.*frame-ancestors 'none'" <<<"$H"
check csp_no_unsafe_inline test "$(grep -ci "^content-security-policy:.*unsafe-inline" <<<"$H")" = 0
check nosniff grep -qi '^x-content-type-options: nosniff$' <<<"$H"
check referrer_policy grep -qi '^referrer-policy: no-referrer$' <<<"$H"
check cache_revalidate grep -qi '^cache-control: no-cache$' <<<"$H"
check js_mime grep -qi '^content-type: text/javascript; charset=utf-8$' <<<"$(hdr "$SERVER_URL/app.js")"
check css_mime grep -qi '^content-type: text/css; charset=utf-8$' <<<"$(hdr "$SERVER_URL/style.css")"
ETAG=$(grep -i '^etag:' <<<"$H" | cut -d' ' -f2)
check etag_304 test "$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$SERVER_URL/")" = 304
for p in '/../etc/passwd' '/%2e%2e/etc/passwd' '/vendor/../app.js' '/build.sh' '/index.html/' '/vendor/' '/.git/config'; do
	c=$(curl -s -m 10 --path-as-is -o /dev/null -w '%{http_code}' "$SERVER_URL$p")
	case "$c" in 404 | 400 | 405) ;; *) fail no_traversal "$p answered $c"; ;; esac
done
pass no_traversal_checked
HJ=$(curl -s -m 10 "$SERVER_URL/api/v1/console/hashes")
SHA=$(sha256sum "$WEB/app.js" | cut -d' ' -f1)
check hashes_published grep -q "\"path\":\"/app.js\",\"sha256\":\"$SHA\"" <<<"$HJ"
SRI=sha256-$(openssl dgst -sha256 -binary "$WEB/app.js" | base64 -w0)
check index_carries_sri grep -qF "src=\"/app.js\" integrity=\"$SRI\"" "$WEB/index.html"

# ---- an account, cameras, a gateway ----
ADMIN=$(cat "$T/admin.token")
CODE=$(curl -s -m 10 -X POST -H "Authorization: Bearer $ADMIN" "$SERVER_URL/api/v1/signup-codes" |
	sed -n 's/.*"code":"\([0-9a-f]*\)".*/\1/p')
export VIGIL_PASSWORD='Br0wser-tëst-pässphrase-42'
if "$BIN/vigil" account register --password-list "$LIB_ROOT/data/common-passwords.txt" \
	--server "$SERVER_URL" --code "$CODE" --username viewer1 --kdf-fast >"$T/reg.out" 2>&1; then
	pass register
else
	fail register "vigil account register: $(tail -1 "$T/reg.out")"
fi

# A second account with TOTP enabled, for the two-step sign-in in the page.
CODE2=$(curl -s -m 10 -X POST -H "Authorization: Bearer $ADMIN" "$SERVER_URL/api/v1/signup-codes" |
	sed -n 's/.*"code":"\([0-9a-f]*\)".*/\1/p')
TOTP_SECRET=
if "$BIN/vigil" account register --password-list "$LIB_ROOT/data/common-passwords.txt" \
	--server "$SERVER_URL" --code "$CODE2" --username viewer2 --kdf-fast >"$T/reg2.out" 2>&1 &&
	"$BIN/vigil" account login --server "$SERVER_URL" --username viewer2 --session "$T/s2" --kdf-fast >/dev/null 2>&1; then
	CK2=$(cat "$T/s2")
	TOTP_SECRET=$(curl -s -m 10 -X POST -H "Cookie: $CK2" "$SERVER_URL/api/v1/auth/totp/begin" |
		sed -n 's/.*"secret":"\([A-Z2-7]*\)".*/\1/p')
	c=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H "Cookie: $CK2" \
		-d "{\"code\":\"$("$BIN/../tools/totp_code" "$TOTP_SECRET")\"}" "$SERVER_URL/api/v1/auth/totp/confirm")
	[ "$c" = 200 ] && pass totp_account_ready || { fail totp_account_ready "confirm answered $c"; TOTP_SECRET=; }
else
	fail totp_account_ready "register or login failed"
fi

pipe_camsim "$NCAM" || { fail camsim "see $T/camsim.log"; finish; }
pipe_provision "$NCAM" || { fail provision "provision failed"; finish; }
pipe_gateway
n=0
for _ in $(seq 1 60); do
	n=$(curl -s -m 5 -H "Authorization: Bearer $ADMIN" "$SERVER_URL/api/v1/cameras" | grep -o '"id"' | wc -l)
	[ "$n" -ge "$NCAM" ] && break
	sleep 0.5
done
check cameras_recording test "$n" -ge "$NCAM"

# ---- the browser ----
VIGIL_URL=$SERVER_URL VIGIL_USER=viewer1 VIGIL_KEYS=$T/site/keys.json VIGIL_ADMIN_FILE=$T/admin.token \
	VIGIL_ART=$ART VIGIL_NCAM=$NCAM VIGIL_CAMCTL=$T/camctl VIGIL_ORGFIXTURE=$BIN/../tools/orgfixture \
	VIGIL_TOTP_SECRET=$TOTP_SECRET VIGIL_TOTP_TOOL=$BIN/../tools/totp_code \
	VIGIL_RECOVERY_KEY=$(grep -A1 '^recovery key' "$T/reg.out" | tail -n 1) \
	timeout -k 5 240 node "$LIB_ROOT/tests/browser/console.mjs" >"$T/browser.out" 2>&1
rc=$?
relay_checks "$T/browser.out" "$rc" browser_script node
finish
