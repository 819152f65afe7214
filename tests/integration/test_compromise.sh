#!/usr/bin/env bash
# test_compromise.sh - everything an attacker who owns the cloud would hold: the server's
# data directory, its configuration, its log and a core dump of the running server. None
# of it may contain a camera's epoch secret key, the gateway's signing key, plaintext video
# or the canary; the same scanner must find them where they do exist (the viewer's key
# file, the gateway's memory), so the test can fail.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/pipeline.sh"

# A sanitizer build reserves terabytes of shadow memory that a core dump would walk.
case "$BUILD" in *asan*) skip compromise "core dumps are taken of the plain build only"; finish ;; esac

pipe_media || { fail media "could not make the test media"; finish; }
pipe_server || { fail server-start "no READY line"; finish; }
pipe_camsim 2 || { fail camsim-start "no READY line"; finish; }
pipe_provision 2 || { fail provision "vigil provision failed"; finish; }
pipe_gateway
sleep 15

# The key material that opens footage, as the viewer and the site hold it.
keys=()
for k in $(jq -r '.cameras[].epochs[].secret_key' "$T/site/keys.json"); do keys+=(--key "$k"); done
keys+=(--key "$(tr -d '\n' <"$T/site/gateway.key")")
[ ${#keys[@]} -eq 6 ] && pass "key-material-collected (2 epoch keys, 1 gateway key)" ||
	fail "key-material-collected" "${#keys[@]} arguments"

# Core dumps of the running server (the attacker's view) and gateway (the control).
if gcore -o "$T/server.core" "${BG_PID[server]}" >"$T/gcore-server.log" 2>&1 &&
	gcore -o "$T/gateway.core" "$GATEWAY_PID" >"$T/gcore-gateway.log" 2>&1; then
	pass "core-dumps-taken"
else
	fail "core-dumps-taken" "$(tail -n 2 "$T/gcore-server.log")"
	finish
fi

# Controls: the scanner sees the keys in the viewer's file and plaintext in the gateway.
"$PIPE_TOOLS/plainscan" "${keys[@]}" "$T/site/keys.json" >"$T/scan-keys.txt"
[ "$(grep -c 'HIT key-hex' "$T/scan-keys.txt")" -ge 2 ] && pass "scanner-finds-keys-in-keys.json" ||
	fail "scanner-finds-keys-in-keys.json" "$(tail -n 1 "$T/scan-keys.txt")"
"$PIPE_TOOLS/plainscan" --canary "$CANARY" "$T"/gateway.core.* >"$T/scan-gw.txt"
grep -q 'HIT canary' "$T/scan-gw.txt" && pass "scanner-finds-plaintext-in-gateway-memory" ||
	fail "scanner-finds-plaintext-in-gateway-memory" "$(tail -n 1 "$T/scan-gw.txt")"

# The cloud: data directory, token file, log, core dump.
stop_bg gateway
if "$PIPE_TOOLS/plainscan" --canary "$CANARY" "${keys[@]}" "$T/server" "$T/admin.token" \
	"$T/server.log" "$T"/server.core.* >"$T/scan-cloud.txt"; then
	pass "cloud-holds-no-key-and-no-plaintext ($(du -sh "$T/server" | cut -f1) data, $(du -sh "$T"/server.core.* | cut -f1) core)"
else
	fail "cloud-holds-no-key-and-no-plaintext" "$(head -n 5 "$T/scan-cloud.txt")"
fi
finish
