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
	start_bg server "$BIN/vigil-server" --listen "127.0.0.1:$port" --data "$T/server" \
		--admin-token-file "$T/admin.token"
	SERVER_URL=$(wait_ready "$T/server.log" 'READY url=(http://[^ ]+)' 20 "$LAST_PID") || return 1
}

pipe_camsim() {
	local n=${1:-2}
	start_bg camsim "$BIN/vigil-camsim" --replay "$T/src.h264" --cameras "$n" --port 0 \
		--control "$T/camctl"
	CAMSIM_PORT=$(wait_ready "$T/camsim.log" 'READY port=([0-9]+)' 20 "$LAST_PID") || return 1
}

# Keys, gateway config and viewer keys under $T/site, registered with the server.
pipe_provision() {
	local n=${1:-2}
	mkdir -p "$T/site"
	"$BIN/vigil-gateway" keygen --key "$T/site/gateway.key" >/dev/null || return 1
	"$BIN/vigil" provision --data "$T/site" --cameras "$n" \
		--rtsp-base "rtsp://127.0.0.1:$CAMSIM_PORT" --main-only --server "$SERVER_URL" \
		--admin-token-file "$T/admin.token" --gateway-key "$T/site/gateway.key" \
		--spool "$T/site/spool" || return 1
	[ -f "$T/site/gateway.json" ] && [ -f "$T/site/keys.json" ]
}

pipe_gateway() {
	start_bg gateway "$BIN/vigil-gateway" run --config "$T/site/gateway.json"
	GATEWAY_PID=$LAST_PID
}

# pipe_export CAMERA FROM TO OUT: exports with the pinned keys; returns vigil's status.
pipe_export() {
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
