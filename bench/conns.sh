#!/bin/bash
# bench/conns.sh - memory per connection with thousands of mostly idle gateways connected, and whether the server still answers at once.
#
# Usage: bench/conns.sh
# Environment:
#   NS="1000 10000"  connection counts (each an authorized upload that has begun and idles)
#   HOLD_S=15        seconds each count is held (below the 30 s idle timeout)
# Prints, per count: the server's resident memory before and while holding, the increase per
# connection (goal <= 64 KiB), how long /healthz took meanwhile, and how many connections
# the server closed early. Each count runs against a fresh server.
. "$(dirname "$0")/lib.sh"

NS=${NS:-1000 10000}
HOLD_S=${HOLD_S:-15}
need "$BIN/vigil-server" "$TOOLS/idle_conns" "$TOOLS/server_gwtool" || exit 1

# session SKFILE: a gateway session token from the running server.
session() {
	local nonce sig id
	nonce=$(curl -fsS "$SERVER_URL/api/v1/gateway/challenge" | jq -r .nonce) || return 1
	sig=$("$TOOLS/server_gwtool" sign "$1" "$nonce") || return 1
	id=$("$TOOLS/server_gwtool" id "$1") || return 1
	curl -fsS -H 'Content-Type: application/json' \
		-d "{\"gateway_id\":\"$id\",\"nonce\":\"$nonce\",\"signature\":\"$sig\"}" \
		"$SERVER_URL/api/v1/gateway/session" | jq -r .token
}

ROWS=()
for n in $NS; do
	rm -rf "$BT/srv"
	server_start "server-$n" "$BT/srv" || { echo "bench: server did not start" >&2; exit 1; }
	gwid=$("$TOOLS/server_gwtool" keygen "$BT/gw.sk")
	curl -fsS -o /dev/null -H "Authorization: Bearer $(cat "$BT/admin.token")" \
		-H 'Content-Type: application/json' -d "{\"gateway_id\":\"$gwid\"}" \
		"$SERVER_URL/api/v1/gateways" || { echo "bench: gateway registration failed" >&2; exit 1; }
	tok=$(session "$BT/gw.sk") || { echo "bench: no gateway session" >&2; exit 1; }
	sleep 1
	rss0=$(rss_kib "$SERVER_PID")
	port=${SERVER_URL##*:}
	note "holding $n idle uploads for ${HOLD_S}s"
	"$TOOLS/idle_conns" "$port" "$n" "$tok" "$HOLD_S" >"$BT/idle-$n.out" 2>"$BT/idle-$n.log" &
	ipid=$!
	for _ in $(seq 600); do grep -q '^open ' "$BT/idle-$n.out" 2>/dev/null && break; sleep 0.1; done
	sleep $((HOLD_S / 2))
	rss1=$(rss_kib "$SERVER_PID")
	t0=${EPOCHREALTIME/./}
	curl -fsS -o /dev/null --max-time 5 "$SERVER_URL/healthz" || t0=0
	t1=${EPOCHREALTIME/./}
	wait "$ipid"
	opened=$(sed -n 's/^open n=//p' "$BT/idle-$n.out")
	closed=$(sed -n 's/.*closed_by_server=//p' "$BT/idle-$n.out")
	bg_stop "$SERVER_PID"
	ROWS+=("$n ${opened:-0} $rss0 $rss1 $(((t1 - t0) / 1000)) ${closed:-?}")
done

echo
echo "Idle gateway uploads held ${HOLD_S}s against a fresh server (authorized chunked POST /api/v1/ingest, body begun, nothing sent)"
echo
echo "| connections asked | opened | server RSS before (MiB) | RSS holding (MiB) | KiB per connection | /healthz ms meanwhile | closed early by the server |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for row in "${ROWS[@]}"; do
	read -r n opened r0 r1 ms closed <<<"$row"
	awk -v n="$n" -v o="$opened" -v a="$r0" -v b="$r1" -v ms="$ms" -v c="$closed" 'BEGIN {
		printf "| %d | %d | %.1f | %.1f | %.1f | %d | %s |\n", n, o, a / 1024, b / 1024,
			(o > 0) ? (b - a) / o : 0, ms, c }'
done
echo
echo "goal: <= 64 KiB per connection with 10,000 connected"
exit 0
