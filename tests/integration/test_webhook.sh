#!/usr/bin/env bash
# test_webhook.sh - webhooks end to end: an org made with the real flows, a gateway detecting motion on camsim's scripted scene (detection settings and a mask from the signed configuration), the server notifying the owner's receiver once per event, signed, metadata only, and again after the receiver was down.
# test-runs-alone: every event must start within 1 s of a scripted entry (live detection)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/pipeline.sh"

SEED=${SEED:-11}
FIRST_WAIT_S=${FIRST_WAIT_S:-100}   # scripted entries start 8 s in, then every 20-40 s
# The camera's detection settings, sent in the signed configuration: a mask over the
# scene's flicker rectangle (720,40,220,220 per-mille) with a margin.
DETECTION_JSON=${DETECTION_JSON:-'{"sensitivity":50,"min_duration_ms":300,"masks":[[700,20,280,280]]}'}
export VIGIL_PASSWORD=Webhook-owner-passw0rd-42
SINK=$PIPE_TOOLS/webhook_sink
SINK_OUT=$T/deliveries.txt
for tool in "$SINK" "$PIPE_TOOLS/totp_code"; do
	[ -x "$tool" ] || { fail tools "$tool is not built (make -j2)"; finish; }
done
command -v openssl >/dev/null || { skip signature "openssl is not installed"; finish; }

# The server: loopback, webhooks to loopback allowed, cheap Argon2id for test accounts.
SERVER_PORT=$(free_port)
[ -f "$T/admin.token" ] || { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/admin.token"; chmod 600 "$T/admin.token"; }
mkdir -p "$T/server"
start_bg server "$BIN/vigil-server" --listen "127.0.0.1:$SERVER_PORT" --data "$T/server" \
	--admin-token-file "$T/admin.token" --insecure-test-auth --webhook-allow-private
SERVER_URL=$(wait_ready "$T/server.log" 'READY url=(http://[^ ]+)' 20 "$LAST_PID") ||
	{ fail server-start "no READY line"; finish; }

# The receiver answers 503 to its first request: the first event is retried.
SINK_PORT=$(free_port)
start_sink() { # [FAIL_FIRST]
	start_bg sink "$SINK" --port "$SINK_PORT" --out "$SINK_OUT" --fail-first "${1:-0}"
	wait_ready "$T/sink.log" 'READY port=([0-9]+)' 10 "$LAST_PID" >/dev/null
}
start_sink 1 || { fail sink-start "$(tail -n 3 "$T/sink.log")"; finish; }

# camsim starts only just before the gateway (its port is chosen now for the camera's
# URLs): a detector that starts while a scripted object is in view learns it into the
# background and keeps one "ghost" event open for a minute or two.
CAMSIM_PORT=$(free_port)
# The owner: account, TOTP, org, site; the gateway enrolled with a one-time code; the
# camera added with its detection settings.
setup_org() {
	local code ck inv enr gwe i
	mkdir -p "$T/site"
	code=$(curl -s -m 20 -X POST -H "Authorization: Bearer $(cat "$T/admin.token")" \
		"$SERVER_URL/api/v1/signup-codes" | jq -r .code)
	"$BIN/vigil" account register --password-list "$LIB_ROOT/data/common-passwords.txt" \
		--server "$SERVER_URL" --code "$code" --username owner --kdf-fast >"$T/register.out" 2>&1 || return 1
	"$BIN/vigil" account login --server "$SERVER_URL" --username owner \
		--session "$T/owner.session" --kdf-fast >/dev/null || return 1
	ck=$(cat "$T/owner.session")
	TOTP_SECRET=$(curl -s -m 20 -X POST -H "Cookie: $ck" "$SERVER_URL/api/v1/auth/totp/begin" | jq -r .secret)
	curl -s -m 20 -o /dev/null -H "Cookie: $ck" \
		-d "{\"code\":\"$("$PIPE_TOOLS/totp_code" "$TOTP_SECRET")\"}" \
		"$SERVER_URL/api/v1/auth/totp/confirm" || return 1
	ORGARGS=(--server "$SERVER_URL" --session "$T/owner.session" --pin-dir "$T/pins" --kdf-fast)
	"$BIN/vigil" org create --name Hooks "${ORGARGS[@]}" >"$T/org.out" || return 1
	ORG_ID=$(sed -n 's/^org=//p' "$T/org.out")
	"$BIN/vigil" site add --org "$ORG_ID" --name site1 "${ORGARGS[@]}" >"$T/site.out" || return 1
	"$BIN/vigil" gateway invite --org "$ORG_ID" --site "$(sed -n 's/^site=//p' "$T/site.out")" \
		"${ORGARGS[@]}" >"$T/invite.out" || return 1
	inv=$(sed -n 's/^invitation=//p' "$T/invite.out")
	enr=$(sed -n 's/^vigil-gateway enroll .*--code \([^ ]*\).*/\1/p' "$T/invite.out")
	start_bg gwenroll "$BIN/vigil-gateway" enroll --server "$SERVER_URL" --code "$enr" \
		--org "$(sed -n 's/^safety_number=//p' "$T/org.out")" --dir "$T/site"
	gwe=$LAST_PID
	"$BIN/vigil" gateway accept --org "$ORG_ID" --invitation "$inv" --wait 30 \
		"${ORGARGS[@]}" >"$T/accept.out" || return 1
	GATEWAY_ID=$(sed -n 's/^gateway=\([0-9a-f]*\) enrolled$/\1/p' "$T/accept.out")
	for i in $(seq 1 50); do alive "$gwe" || break; sleep 0.1; done
	stop_bg gwenroll >/dev/null || return 1
	printf '%s\n' "$DETECTION_JSON" >"$T/detection.json"
	"$BIN/vigil" camera add --org "$ORG_ID" --name cam1 --gateway "$GATEWAY_ID" \
		--url "rtsp://127.0.0.1:$CAMSIM_PORT/cam1/main" \
		--url1 "rtsp://127.0.0.1:$CAMSIM_PORT/cam1/sub" --detection "$T/detection.json" \
		"${ORGARGS[@]}" >"$T/camera.out" 2>&1 || return 1
	CAMERA_ID=$(sed -n 's/^camera=\([0-9a-f]*\) .*/\1/p' "$T/camera.out")
	[ ${#ORG_ID} -eq 64 ] && [ ${#CAMERA_ID} -eq 32 ] && [ -f "$T/site/gateway.json" ]
}
setup_org >"$T/setup.log" 2>&1 && pass org-setup ||
	{ fail org-setup "$(tail -n 5 "$T/setup.log")"; finish; }
CK=$(cat "$T/owner.session")
# A --detection file that is not a JSON object is refused before anything is registered.
printf '[[0,0,10,10]]\n' >"$T/bad-detection.json"
if "$BIN/vigil" camera add --org "$ORG_ID" --name cam2 --gateway "$GATEWAY_ID" \
	--url "rtsp://127.0.0.1:$CAMSIM_PORT/cam2/main" --detection "$T/bad-detection.json" \
	"${ORGARGS[@]}" >"$T/camera-bad.out" 2>&1; then
	fail detection-file-refused "camera add accepted a detection file that is not an object"
else
	grep -q 'not a JSON object' "$T/camera-bad.out" && pass detection-file-refused ||
		fail detection-file-refused "$(tail -n 2 "$T/camera-bad.out")"
fi

# The owner sets the receiver: a fresh second factor first (step-up).
put_hook() {
	curl -s -m 20 -o "$T/hook.json" -w '%{http_code}' -X PUT -H "Cookie: $CK" \
		-H 'Content-Type: application/json' \
		-d "{\"url\":\"http://127.0.0.1:$SINK_PORT/hook\"}" "$SERVER_URL/api/v1/orgs/$ORG_ID/webhook"
}
s_up=$(curl -s -m 20 -o /dev/null -w '%{http_code}' -H "Cookie: $CK" -H 'Content-Type: application/json' \
	-d "{\"totp\":\"$("$PIPE_TOOLS/totp_code" "$TOTP_SECRET" 1)\"}" "$SERVER_URL/api/v1/auth/step-up")
s_put=$(put_hook)
SECRET=$(jq -r '.secret // empty' "$T/hook.json")
[ "$s_up $s_put" = "200 200" ] && [ ${#SECRET} -eq 64 ] && pass "webhook-set (step-up $s_up, put $s_put)" ||
	{ fail webhook-set "step-up $s_up, put $s_put: $(head -c 200 "$T/hook.json")"; finish; }
curl -s -m 20 -H "Cookie: $CK" "$SERVER_URL/api/v1/orgs/$ORG_ID/webhook" |
	jq -e --arg u "http://127.0.0.1:$SINK_PORT/hook" '.url == $u' >/dev/null &&
	pass webhook-get || fail webhook-get "the stored URL differs"

# The scene: objects entering and leaving (the first 8 s in), noise, a light ramp and a
# flickering region that only the mask of the signed configuration hides (NO_FLICKER=1
# leaves it out).
start_bg camsim "$BIN/vigil-camsim" --scripted "$SEED" --truth "$T/truth.txt" --cameras 1 \
	--port "$CAMSIM_PORT" $([ "${NO_FLICKER:-0}" = 1 ] && echo --no-flicker)
wait_ready "$T/camsim.log" 'READY port=([0-9]+)' 20 "$LAST_PID" >/dev/null ||
	{ fail camsim-start "no READY line"; finish; }
# The gateway takes its cameras and detection settings from the signed configuration.
start_bg gateway "$BIN/vigil-gateway" run --config "$T/site/gateway.json"
GATEWAY_PID=$LAST_PID
if wait_ready "$T/gateway.log" 'event=detection_configured camera=cam1 own=1 .*masks=1' 60 \
	"$GATEWAY_PID" >/dev/null; then
	pass detection-from-signed-config
else
	fail detection-from-signed-config "$(grep -E 'detection|signed|config' "$T/gateway.log" | tail -n 3)"
fi

# server_events: the ids of the events the server created (one line each).
server_events() { grep 'op=put' "$T/server.log" | grep 'new=1' | sed -n 's/.* event=\([0-9a-f]*\) .*/\1/p'; }
# delivered_ok: event ids of deliveries answered 200 (one line per delivery).
delivered_ok() { grep ' status=200 ' "$SINK_OUT" 2>/dev/null | sed -n 's/.*"event":"\([0-9a-f]*\)".*/\1/p'; }
wait_for() { # SECONDS CMD...: polls CMD every 0.5 s
	local deadline=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt $deadline ]; do
		"$@" && return 0
		sleep 0.5
	done
	return 1
}
two_delivered() { [ "$(delivered_ok | sort -u | wc -l)" -ge 2 ]; }
if wait_for "$FIRST_WAIT_S" two_delivered; then
	pass "deliveries ($(delivered_ok | sort -u | wc -l) events, $(wc -l <"$SINK_OUT") requests)"
else
	fail deliveries "$(server_events | wc -l) events on the server, $(wc -l <"$SINK_OUT" 2>/dev/null) requests at the receiver"
fi
grep -q ' status=503 ' "$SINK_OUT" && pass retried-after-503 || fail retried-after-503 "no 503 answered"

# The receiver goes down; an event happens; it comes back on the same port.
stop_bg sink >/dev/null
n_before=$(server_events | wc -l)
more_events() { [ "$(server_events | wc -l)" -gt "$n_before" ]; }
if wait_for 60 more_events; then
	MISSED=$(server_events | sed -n "$((n_before + 1))p")
	sleep 4   # a few refused attempts
	fails=$(grep 'op=deliver' "$T/server.log" | grep -c 'ok=0')
	start_sink 0 || fail sink-restart "$(tail -n 3 "$T/sink.log")"
	got_missed() { delivered_ok | grep -qx "$MISSED"; }
	if wait_for 60 got_missed; then
		pass "missed-event-delivered (event $MISSED after $fails failed attempts)"
	else
		fail missed-event-delivered "event $MISSED never reached the receiver"
	fi
else
	fail missed-event "no event while the receiver was down"
fi

# An invalid detection object (a mask outside the frame: the CLI only checks that it is
# an object) makes the gateway refuse the whole new configuration: cam2 never starts and
# cam1 keeps its detector (no second detection_configured).
printf '{"masks":[[900,0,200,100]]}\n' >"$T/outside.json"
"$BIN/vigil" camera add --org "$ORG_ID" --name cam2 --gateway "$GATEWAY_ID" \
	--url "rtsp://127.0.0.1:$CAMSIM_PORT/cam2/main" --detection "$T/outside.json" \
	"${ORGARGS[@]}" >"$T/camera2.out" 2>&1 || fail camera2-add "$(tail -n 2 "$T/camera2.out")"
if wait_ready "$T/gateway.log" 'event=config_refused seq=[0-9]+ error="[^"]*cameras\[1\]\.detection\.masks\[0\]' \
	30 "$GATEWAY_PID" >/dev/null; then
	sleep 1
	if grep -q 'camera=cam2' "$T/gateway.log" || [ "$(grep -c 'event=detection_configured' "$T/gateway.log")" -ne 1 ] ||
		! alive "$GATEWAY_PID"; then
		fail invalid-detection-refused "cam2 started, cam1 reconfigured or the gateway exited"
	else
		pass invalid-detection-refused
	fi
else
	fail invalid-detection-refused "$(grep 'cfgfetch' "$T/gateway.log" | tail -n 2)"
fi

# Stop the gateway; everything the server created must have reached the receiver.
stop_bg gateway >/dev/null
all_delivered() {
	local e
	for e in $(server_events); do delivered_ok | grep -qx "$e" || return 1; done
	return 0
}
wait_for 60 all_delivered || fail all-delivered "an event never reached the receiver"
server_events | sort >"$T/server-ids.txt"
delivered_ok | sort >"$T/delivered-ids.txt"
if [ -s "$T/server-ids.txt" ] && cmp -s "$T/server-ids.txt" "$T/delivered-ids.txt"; then
	pass "exactly-once ($(wc -l <"$T/server-ids.txt") events, each delivered once)"
else
	fail exactly-once "server: $(wc -l <"$T/server-ids.txt") ids, receiver: $(wc -l <"$T/delivered-ids.txt") deliveries ($(uniq -d "$T/delivered-ids.txt" | wc -l) duplicated)"
fi

# The mask works: every event starts within 1 s of a scripted entry, none comes from
# the flicker.
grep 'op=put' "$T/server.log" | grep 'new=1' | sed -n 's/.* start_us=\([0-9]*\) .*/\1/p' >"$T/starts.txt"
false_ev=$(awk 'NR == FNR { if ($1 == "entry") e[n++] = $2; next }
	{ ok = 0; for (i = 0; i < n; i++) if ($1 >= e[i] - 1000000 && $1 <= e[i] + 1000000) ok = 1
	  if (!ok) bad++ }
	END { print bad + 0 }' "$T/truth.txt" "$T/starts.txt")
[ -s "$T/starts.txt" ] && [ "$false_ev" -eq 0 ] &&
	pass "events-match-entries ($(wc -l <"$T/starts.txt") events, flicker masked)" ||
	fail events-match-entries "$false_ev of $(wc -l <"$T/starts.txt") events start away from every entry"

# Every request, retries included: a valid signature over T "." body, a recent T, the
# same delivery id for the same event, and a body with exactly the metadata keys.
sig_bad=0 keys_bad=0 ts_bad=0 n=0
now=$(date +%s)
while IFS= read -r line; do
	n=$((n + 1))
	ts=$(sed -n 's/.* ts=\([0-9]*\) .*/\1/p' <<<"$line")
	sig=$(sed -n 's/.* sig=v1=\([0-9a-f]*\) .*/\1/p' <<<"$line")
	body=${line#* body=}
	want=$(printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$SECRET" -r | cut -d' ' -f1)
	[ -n "$sig" ] && [ "$sig" = "$want" ] || sig_bad=$((sig_bad + 1))
	[ -n "$ts" ] && [ $((now - ts)) -lt 600 ] && [ $((ts - now)) -lt 60 ] || ts_bad=$((ts_bad + 1))
	jq -e --arg org "$ORG_ID" --arg cam "$CAMERA_ID" \
		'(keys == ["camera","end_us","event","org","start_us","type"]) and .type == "motion" and
		 .org == $org and .camera == $cam and (.event | test("^[0-9a-f]{32}$")) and
		 (.start_us | type == "number") and (.end_us == null or (.end_us | type == "number"))' \
		<<<"$body" >/dev/null 2>&1 || keys_bad=$((keys_bad + 1))
done <"$SINK_OUT"
[ "$n" -gt 0 ] && [ "$sig_bad" -eq 0 ] && pass "signatures ($n requests)" ||
	fail signatures "$sig_bad of $n requests have a wrong signature"
[ "$n" -gt 0 ] && [ "$ts_bad" -eq 0 ] && pass timestamps || fail timestamps "$ts_bad of $n stale or missing"
[ "$n" -gt 0 ] && [ "$keys_bad" -eq 0 ] && pass metadata-only || fail metadata-only "$keys_bad of $n bodies have other keys"
# A wrong secret must not verify (the check above can fail).
line=$(head -n 1 "$SINK_OUT")
ts=$(sed -n 's/.* ts=\([0-9]*\) .*/\1/p' <<<"$line")
wrong=$(printf '%s.%s' "$ts" "${line#* body=}" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$(printf '%064d' 0)" -r | cut -d' ' -f1)
grep -q "sig=v1=$wrong " "$SINK_OUT" && fail signature-control "a zero key verifies" || pass signature-control
# Retries keep their delivery id: one delivery id per event.
pairs=$(sed -n 's/.* delivery=\([^ ]*\) .*"event":"\([0-9a-f]*\)".*/\1 \2/p' "$SINK_OUT" | sort -u)
[ "$(cut -d' ' -f1 <<<"$pairs" | sort -u | wc -l)" -eq "$(cut -d' ' -f2 <<<"$pairs" | sort -u | wc -l)" ] &&
	[ "$(wc -l <<<"$pairs")" -eq "$(cut -d' ' -f2 <<<"$pairs" | sort -u | wc -l)" ] &&
	pass delivery-ids ||
	fail delivery-ids "X-Vigil-Delivery must be one id per event (webhooks.md), got (delivery event): $(tr '\n' ';' <<<"$pairs")"
# The server logs deliveries without the receiver's URL.
grep -q "127.0.0.1:$SINK_PORT" "$T/server.log" && fail url-not-logged "the receiver URL is in the log" ||
	pass url-not-logged
finish
