# tests/integration/pipeline.sh - starts the whole recording pipeline for the end-to-end tests:
# a server, the camera simulator replaying a known file with a canary, and a gateway.
# Source it after tests/lib.sh. Everything it starts goes through start_bg, so lib.sh's exit
# trap stops it by pid.

CANARY=VIGIL-CANARY-$$-e2e
PIPE_TOOLS=$LIB_ROOT/${BUILD}/tools
case "$BUILD" in /*) PIPE_TOOLS=$BUILD/tools ;; esac

# Make $T/src.h264 (10 s, 1280x720, 25 fps, GOP 2 s, High profile, a canary SEI before each
# IDR) and $T/src.hashes (one line per access unit).
pipe_media() {
	ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc2=size=1280x720:rate=25 -t 10 \
		-c:v libx264 -profile:v high -preset veryfast -b:v 2M -bf 0 \
		-x264-params keyint=50:min-keyint=50:scenecut=0:repeat-headers=1 \
		-f h264 "$T/plain.h264" || return 1
	"$PIPE_TOOLS/h264_canary" "$T/plain.h264" "$T/src.h264" "$CANARY" || return 1
	"$PIPE_TOOLS/auhash" "$T/src.h264" >"$T/src.hashes" || return 1
	[ "$(wc -l <"$T/src.hashes")" -eq 250 ]
}

# pipe_server [PORT]: starts (or restarts, same data and port) the server.
pipe_server() {
	local port=${1:-${SERVER_PORT:-}}
	if [ -z "$port" ]; then
		port=$(free_port) || return 1
	fi
	SERVER_PORT=$port
	[ -f "$T/admin.token" ] || { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/admin.token"; chmod 600 "$T/admin.token"; }
	mkdir -p "$T/server"
	# PIPE_ORG=1: accounts are made with the minimum Argon2id cost (tests only) and footage
	# is read through sessions and grants. Otherwise (keys.json, the interim path) the admin
	# token reads footage: --test-operator-footage, a loopback-only test mode.
	local mode=--test-operator-footage
	[ -n "${PIPE_ORG:-}" ] && mode=--insecure-test-auth
	start_bg server "$BIN/vigil-server" --listen "127.0.0.1:$port" --data "$T/server" \
		--admin-token-file "$T/admin.token" "$mode"
	SERVER_URL=$(wait_ready "$T/server.log" 'READY url=(http://[^ ]+)' 20 "$LAST_PID") || return 1
}

pipe_camsim() {
	local n=${1:-2}
	start_bg camsim "$BIN/vigil-camsim" --replay "$T/src.h264" --cameras "$n" --port 0 \
		--control "$T/camctl"
	CAMSIM_PORT=$(wait_ready "$T/camsim.log" 'READY port=([0-9]+)' 20 "$LAST_PID") || return 1
}

# Keys, gateway config and viewer keys under $T/site, registered with the server.
# PIPE_ORG=1 uses the real flows instead (pipe_provision_org).
pipe_provision() {
	local n=${1:-2}
	[ -n "${PIPE_ORG:-}" ] && { pipe_provision_org "$n"; return; }
	mkdir -p "$T/site"
	"$BIN/vigil-gateway" keygen --key "$T/site/gateway.key" >/dev/null || return 1
	"$BIN/vigil" provision --data "$T/site" --cameras "$n" \
		--rtsp-base "rtsp://127.0.0.1:$CAMSIM_PORT" --main-only --server "$SERVER_URL" \
		--admin-token-file "$T/admin.token" --gateway-key "$T/site/gateway.key" \
		--spool "$T/site/spool" || return 1
	[ -f "$T/site/gateway.json" ] && [ -f "$T/site/keys.json" ]
}

# pipe_motion_only SEED PRE_S POST_S [CAMSIM_ARGS...]: camsim's scripted scene (one camera,
# main stream and substream, no flickering region) and keys and a gateway config for it
# under $T/site whose camera records on motion only with that pre- and post-roll.
# 0, or 1 with a FAIL line.
pipe_motion_only() {
	local seed=$1 pre=$2 post=$3
	shift 3
	start_bg camsim "$BIN/vigil-camsim" --scripted "$seed" --cameras 1 --port 0 --no-flicker "$@"
	CAMSIM_PORT=$(wait_ready "$T/camsim.log" 'READY port=([0-9]+)' 20 "$LAST_PID") ||
		{ fail camsim-start "no READY line"; return 1; }
	mkdir -p "$T/site"
	"$BIN/vigil-gateway" keygen --key "$T/site/gateway.key" >/dev/null &&
		"$BIN/vigil" provision --data "$T/site" --cameras 1 \
			--rtsp-base "rtsp://127.0.0.1:$CAMSIM_PORT" --server "$SERVER_URL" \
			--admin-token-file "$T/admin.token" --gateway-key "$T/site/gateway.key" \
			--spool "$T/site/spool" >"$T/provision.log" 2>&1 ||
		{ fail provision "$(tail -n 3 "$T/provision.log")"; return 1; }
	jq --argjson pre "$pre" --argjson post "$post" \
		'.cameras[0].recording = {mode: "motion", preroll_s: $pre, postroll_s: $post}' \
		"$T/site/gateway.json" >"$T/site/gw.tmp" && mv "$T/site/gw.tmp" "$T/site/gateway.json"
}

pipe_gateway() {
	start_bg gateway "$BIN/vigil-gateway" run --config "$T/site/gateway.json"
	GATEWAY_PID=$LAST_PID
}

# The real flows (issue 3): an owner account with TOTP, an org, a site, the gateway
# enrolled with a one-time code (vigil-gateway enroll --dir $T/site writes gateway.json),
# cameras cam1..camN added with signed epoch keys and a signed gateway config. Sets
# PIPE_ORG_ID, PIPE_SAFETY, PIPE_GATEWAY_ID and PIPE_ORGARGS (for vigil org commands).
# PIPE_CAM_USERINFO=user:pass puts camera credentials in the RTSP URLs (camsim ignores them).
pipe_provision_org() {
	local n=${1:-2} i code ck secret inv enr gwe
	export VIGIL_PASSWORD=${VIGIL_PASSWORD:-Pipeline-owner-passw0rd-42}
	mkdir -p "$T/site"
	code=$(curl -s -m 20 -X POST -H "Authorization: Bearer $(cat "$T/admin.token")" \
		"$SERVER_URL/api/v1/signup-codes" | sed -n 's/.*"code":"\([0-9a-f]*\)".*/\1/p')
	"$BIN/vigil" account register --password-list "$LIB_ROOT/data/common-passwords.txt" \
		--server "$SERVER_URL" --code "$code" --username owner --kdf-fast >"$T/site/register.out" 2>&1 || return 1
	"$BIN/vigil" account login --server "$SERVER_URL" --username owner \
		--session "$T/site/owner.session" --kdf-fast >/dev/null || return 1
	ck=$(cat "$T/site/owner.session")
	secret=$(curl -s -m 20 -X POST -H "Cookie: $ck" "$SERVER_URL/api/v1/auth/totp/begin" |
		sed -n 's/.*"secret":"\([A-Z2-7]*\)".*/\1/p')
	curl -s -m 20 -o /dev/null -H "Cookie: $ck" -d "{\"code\":\"$("$PIPE_TOOLS/totp_code" "$secret")\"}" \
		"$SERVER_URL/api/v1/auth/totp/confirm" || return 1
	PIPE_ORGARGS=(--server "$SERVER_URL" --session "$T/site/owner.session" --pin-dir "$T/site/pins" --kdf-fast)
	"$BIN/vigil" org create --name Pipeline "${PIPE_ORGARGS[@]}" >"$T/site/org.out" || return 1
	PIPE_ORG_ID=$(sed -n 's/^org=//p' "$T/site/org.out")
	PIPE_SAFETY=$(sed -n 's/^safety_number=//p' "$T/site/org.out")
	"$BIN/vigil" site add --org "$PIPE_ORG_ID" --name site1 "${PIPE_ORGARGS[@]}" >"$T/site/site.out" || return 1
	"$BIN/vigil" gateway invite --org "$PIPE_ORG_ID" --site "$(sed -n 's/^site=//p' "$T/site/site.out")" \
		"${PIPE_ORGARGS[@]}" >"$T/site/invite.out" || return 1
	inv=$(sed -n 's/^invitation=//p' "$T/site/invite.out")
	enr=$(sed -n 's/^vigil-gateway enroll .*--code \([^ ]*\).*/\1/p' "$T/site/invite.out")
	start_bg gwenroll "$BIN/vigil-gateway" enroll --server "$SERVER_URL" --code "$enr" \
		--org "$PIPE_SAFETY" --dir "$T/site"
	gwe=$LAST_PID
	"$BIN/vigil" gateway accept --org "$PIPE_ORG_ID" --invitation "$inv" --wait 30 \
		"${PIPE_ORGARGS[@]}" >"$T/site/accept.out" || return 1
	PIPE_GATEWAY_ID=$(sed -n 's/^gateway=\([0-9a-f]*\) enrolled$/\1/p' "$T/site/accept.out")
	for i in $(seq 1 50); do alive "$gwe" || break; sleep 0.1; done
	stop_bg gwenroll >/dev/null || return 1
	for i in $(seq 1 "$n"); do
		"$BIN/vigil" camera add --org "$PIPE_ORG_ID" --name "cam$i" --gateway "$PIPE_GATEWAY_ID" \
			--url "rtsp://${PIPE_CAM_USERINFO:+$PIPE_CAM_USERINFO@}127.0.0.1:$CAMSIM_PORT/cam$i/main" "${PIPE_ORGARGS[@]}" \
			>>"$T/site/cameras.out" || return 1
	done
	[ -f "$T/site/gateway.json" ] && [ -f "$T/site/org.pin" ]
}

# pipe_export CAMERA FROM TO OUT: exports with the pinned keys; returns vigil's status.
# PIPE_ORG=1: with the owner's session and the keys of the owner's grants.
pipe_export() {
	if [ -n "${PIPE_ORG:-}" ]; then
		"$BIN/vigil" export --org "$PIPE_ORG_ID" --camera "$1" --from "$2" --to "$3" -o "$4" \
			"${PIPE_ORGARGS[@]}"
		return
	fi
	"$BIN/vigil" export --server "$SERVER_URL" --token-file "$T/admin.token" \
		--keys "$T/site/keys.json" --camera "$1" --from "$2" --to "$3" -o "$4"
}

# check_aus CLIP MIN_FRAMES ALLOWED_JUMPS: the clip's access units, in order, must be the
# source's looped sequence, byte-identical, with at most ALLOWED_JUMPS discontinuities (each
# one a gap the export reported) and no duplicate. Prints frames= and jumps=.
check_aus() {
	local clip=$1 min=$2 jumps_ok=$3
	"$PIPE_TOOLS/auhash" "$clip" >"$clip.hashes" || { echo "auhash failed on $clip"; return 1; }
	awk -v min="$min" -v jumps_ok="$jumps_ok" '
		NR == FNR { pos[$3] = $1; n++; next }
		{
			if (!($3 in pos)) { printf "frame %d is not in the source\n", FNR - 1; bad = 1; exit }
			p = pos[$3]
			if (frames > 0 && p != (last + 1) % n) {
				jumps++
				if (p == last) { printf "duplicate frame at %d\n", FNR - 1; bad = 1; exit }
			}
			last = p; frames++
		}
		END {
			if (bad) exit 1
			printf "frames=%d jumps=%d\n", frames, jumps
			if (frames < min) { printf "too few frames (%d < %d)\n", frames, min; exit 1 }
			if (jumps > jumps_ok) { printf "%d discontinuities (allowed %d)\n", jumps, jumps_ok; exit 1 }
		}' "$T/src.hashes" "$clip.hashes"
}
