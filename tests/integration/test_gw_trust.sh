#!/usr/bin/env bash
# test_gw_trust.sh - a viewer trusts footage only from gateways the org root certified: with the gateway's certificate missing from what the server serves, or swapped for one another org signed, the owner's export is refused with a clear error instead of verifying against the gateway the (unsigned) camera list names.
. "$(dirname "$0")/../lib.sh"
PIPE_ORG=1
. "$(dirname "$0")/pipeline.sh"

command -v sqlite3 >/dev/null || { skip all "sqlite3 CLI missing"; finish; }
pipe_media || { fail media "could not make the test media"; finish; }
pipe_server || { fail server-start "no READY line"; finish; }
pipe_camsim 1 || { fail camsim-start "no READY line"; finish; }
pipe_provision_org 1 || { fail provision "the org flows failed"; finish; }
pipe_gateway
sleep 10
stop_bg gateway >/dev/null

DB=$T/server/accounts.db
# export_as NAME: the owner exports the last minute; prints vigil's status.
export_as() {
	pipe_export cam1 -60s now "$T/$1.mp4" >"$T/$1.out" 2>&1
	echo $?
}
# edit SQL: stop the server, apply, start it again on the same port (a hostile server).
edit() {
	stop_bg server >/dev/null 2>&1
	sqlite3 "$DB" "$1" || return 1
	pipe_server "$SERVER_PORT"
}

rc=$(export_as good)
[ "$rc" -eq 0 ] && [ -s "$T/good.mp4" ] && pass "certified-gateway-footage-exports" ||
	fail certified-gateway-footage-exports "exit $rc: $(tail -n 2 "$T/good.out")"

CERT=$(sqlite3 "$DB" "select hex(cert) from org_gateways where org='$PIPE_ORG_ID'")
GW=$(sqlite3 "$DB" "select id from org_gateways where org='$PIPE_ORG_ID'")

# 1. The server stops serving the certificate: the camera list still names the gateway.
edit "update org_gateways set org='hidden' where id='$GW'" || { fail edit "sqlite3"; finish; }
rc=$(export_as hidden)
if [ "$rc" -ne 0 ] && [ ! -s "$T/hidden.mp4" ] && grep -qi "gateway" "$T/hidden.out"; then
	pass "uncertified-gateway-refused (exit $rc: $(grep -i gateway "$T/hidden.out" | head -n 1 | cut -c1-100))"
else
	fail uncertified-gateway-refused "exit $rc: $(tail -n 2 "$T/hidden.out")"
fi

# 2. The certificate is replaced by one the org root did not sign (a byte of its signature
#    flipped): it is ignored with a warning, and the footage is refused.
BAD="${CERT%?}0"
[ "${CERT: -1}" = 0 ] && BAD="${CERT%?}1"
edit "update org_gateways set org='$PIPE_ORG_ID', cert=x'$BAD' where id='$GW'" || { fail edit "sqlite3"; finish; }
rc=$(export_as forged)
if [ "$rc" -ne 0 ] && [ ! -s "$T/forged.mp4" ] && grep -q "ignored gateway.cert" "$T/forged.out"; then
	pass "forged-gateway-cert-ignored-and-footage-refused (exit $rc)"
else
	fail forged-gateway-cert-ignored-and-footage-refused "exit $rc: $(tail -n 3 "$T/forged.out")"
fi

# 3. Restored, the same footage exports again (the refusals were the check, not damage).
edit "update org_gateways set cert=x'$CERT' where id='$GW'" || { fail edit "sqlite3"; finish; }
rc=$(export_as restored)
[ "$rc" -eq 0 ] && cmp -s <(head -c 4096 "$T/good.mp4") <(head -c 4096 "$T/restored.mp4") &&
	pass "restored-certificate-exports-again" ||
	fail restored-certificate-exports-again "exit $rc: $(tail -n 2 "$T/restored.out")"
finish
