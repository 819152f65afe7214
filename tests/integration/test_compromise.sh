#!/usr/bin/env bash
# test_compromise.sh - everything an attacker who owns the cloud would hold, on the real flows (an owner with TOTP, an org, an enrolled gateway, cameras with granted epoch keys): the server's data directory, its configuration, its log and a core dump of the running server while the owner watches. None of it may hold a key that opens footage (the owner's wrap and private keys, the org root, the camera epoch keys, the gateway's keys), plaintext video (markers, or any 47 bytes in a row of the camera's source bitstream), the owner's password or a camera's RTSP password; the same scanner must find them where they do exist (the owner's client, the gateway's memory), so the test can fail.
. "$(dirname "$0")/../lib.sh"
PIPE_ORG=1
. "$(dirname "$0")/pipeline.sh"

SECRETS=$BIN/../tools/org_secrets
# A sanitizer build reserves terabytes of shadow memory that a core dump would walk.
case "$BUILD" in *asan*) skip compromise "core dumps are taken of the plain build only"; finish ;; esac
command -v sqlite3 >/dev/null || { skip compromise "sqlite3 CLI missing"; finish; }
[ -x "$SECRETS" ] || { fail build "$SECRETS missing: run make"; finish; }

VIGIL_PASSWORD="Compromise-owner-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
CAMPW="CamPw$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
PIPE_CAM_USERINFO="vigilcam:$CAMPW"

pipe_media || { fail media "could not make the test media"; finish; }
pipe_server || { fail server-start "no READY line"; finish; }
# Only the site and the owner's client know the password: exported after the server
# started, so that not even the test harness hands it to the server's environment.
export VIGIL_PASSWORD
pipe_camsim 2 || { fail camsim-start "no READY line"; finish; }
pipe_provision_org 2 || { fail provision "the org flows failed: $(tail -n 3 "$T"/site/*.out 2>/dev/null)"; finish; }
pass provision-org
pipe_gateway
sleep 15

# The owner watches: an export fetches the org's keys, grants and segments through the
# server, so they pass through its memory before the core dump.
if pipe_export cam1 -14s now "$T/clip.mp4" >"$T/export.out" 2>&1 &&
	[ -s "$T/clip.mp4" ]; then
	pass "owner-exports-a-clip ($(stat -c %s "$T/clip.mp4") bytes)"
else
	fail owner-exports-a-clip "$(tail -n 3 "$T/export.out")"
fi

# Every secret that opens footage, as the owner's client and the site hold them.
DB=$T/server/accounts.db
OWNER=$(sqlite3 "$DB" "select id from users where username='owner'")
q() { sqlite3 "$DB" "$1"; }
q "select hex(raw) from org_stmts where org='$PIPE_ORG_ID' and type=7" >"$T/grants.hex"
SEALED=$(q "select hex(sealed) from org_sealed where org='$PIPE_ORG_ID' and user_id='$OWNER'")
"$SECRETS" "$OWNER" "$(q "select salt from users where id='$OWNER'")" \
	"$(q "select wrapped from users where id='$OWNER'")" \
	"$(q "select ops from user_kdf where id='$OWNER'")" "$(q "select mem from user_kdf where id='$OWNER'")" \
	"${SEALED:--}" "$T/site/gateway.key" <"$T/grants.hex" >"$T/secrets.txt" 2>"$T/secrets.err"
keys=()
while read -r name hex; do keys+=(--key "$hex"); done <"$T/secrets.txt"
# wrap, box, sign, root, 2 epoch keys, gateway seed and box key: 8 secrets.
if [ "$(grep -c '^epoch_sk ' "$T/secrets.txt")" -eq 2 ] && grep -q '^org_root_seed ' "$T/secrets.txt" &&
	[ ${#keys[@]} -eq 16 ]; then
	pass "key-material-collected ($(cut -d' ' -f1 "$T/secrets.txt" | sort | uniq -c | tr -s ' \n' ' '))"
else
	fail key-material-collected "$(cat "$T/secrets.txt" "$T/secrets.err" | cut -c1-20 | tr '\n' ' ')"
fi
keys+=(--canary "$VIGIL_PASSWORD" --canary "$CAMPW")

# Core dumps of the running server (the attacker's view) and gateway (the control).
if gcore -o "$T/server.core" "${BG_PID[server]}" >"$T/gcore-server.log" 2>&1 &&
	gcore -o "$T/gateway.core" "$GATEWAY_PID" >"$T/gcore-gateway.log" 2>&1; then
	pass "core-dumps-taken"
else
	fail "core-dumps-taken" "$(tail -n 2 "$T/gcore-server.log")"
	finish
fi

# Controls: the scanner finds each kind of secret where it does exist.
printf '%s\n' "$(cut -d' ' -f2 "$T/secrets.txt")" >"$T/client-keys.txt"
"$PIPE_TOOLS/plainscan" "${keys[@]}" "$T/client-keys.txt" >"$T/scan-keys.txt"
[ "$(grep -c 'HIT key-hex' "$T/scan-keys.txt")" -eq 8 ] && pass "scanner-finds-every-key" ||
	fail "scanner-finds-every-key" "$(grep -c 'HIT key-hex' "$T/scan-keys.txt") of 8"
"$PIPE_TOOLS/plainscan" --canary "$CANARY" --known "$T/src.h264" "${keys[@]}" "$T"/gateway.core.* \
	>"$T/scan-gw.txt"
grep -q 'HIT canary' "$T/scan-gw.txt" && grep -q 'HIT key ' "$T/scan-gw.txt" &&
	grep -q 'HIT known' "$T/scan-gw.txt" &&
	pass "scanner-finds-plaintext-and-keys-in-gateway-memory ($(grep -o 'windows=[0-9]*' "$T/scan-gw.txt"))" ||
	fail "scanner-finds-plaintext-and-keys-in-gateway-memory" "$(tail -n 1 "$T/scan-gw.txt")"
# The owner's decrypted clip holds the source's bytes: any 47 of them in a row would be seen.
"$PIPE_TOOLS/plainscan" --known "$T/src.h264" "$T/clip.mp4" >"$T/scan-clip.txt"
grep -q 'HIT known' "$T/scan-clip.txt" &&
	pass "scanner-finds-source-bytes-in-the-owners-clip ($(grep -o 'windows=[0-9]*' "$T/scan-clip.txt"))" ||
	fail "scanner-finds-source-bytes-in-the-owners-clip" "$(tail -n 1 "$T/scan-clip.txt")"
"$PIPE_TOOLS/plainscan" --canary "$CAMPW" "$T/site/sigconfig.last" "$T"/gateway.core.* >"$T/scan-campw.txt"
grep -q 'HIT canary' "$T/scan-campw.txt" && pass "camera-password-reaches-the-gateway" ||
	fail "camera-password-reaches-the-gateway" "not in the gateway's memory: the test would prove nothing"

# The cloud: data directory, token file, log, core dump.
stop_bg gateway
if "$PIPE_TOOLS/plainscan" --canary "$CANARY" --known "$T/src.h264" "${keys[@]}" "$T/server" "$T/admin.token" \
	"$T/server.log" "$T"/server.core.* >"$T/scan-cloud.txt"; then
	pass "cloud-holds-no-key-no-password-and-no-plaintext ($(du -sh "$T/server" | cut -f1) data, $(du -sh "$T"/server.core.* | cut -f1) core)"
else
	fail "cloud-holds-no-key-no-password-and-no-plaintext" "$(head -n 5 "$T/scan-cloud.txt")"
fi
finish
