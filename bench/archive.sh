#!/bin/bash
# bench/archive.sh - archive serving: recorded segments downloaded by wrk from vigil-server and from nginx serving the same bytes as static files with sendfile.
#
# Usage: bench/archive.sh
# Environment:
#   CONNS="32 256"   wrk connection counts
#   RUNS=3           runs per (program, connection count); medians and ranges are printed
#   WRK_S=10         seconds per wrk run
#   CAMERAS=8 FILL_S=20   what ingest_load records first (3 Mbit/s, 2 s segments)
#   BENCH_TMP=/tmp   where the data lives
# Both servers read the same bytes from the same filesystem: vigil from its blobs (each
# segment is a range of a blob, sent with sendfile), nginx from one file per segment. Peers:
# nginx with one worker (like vigil's one HTTP thread) and with two (its default here,
# worker_processes auto). CPU per MiB counts only the server's own processes.
. "$(dirname "$0")/lib.sh"

CONNS=${CONNS:-32 256}
RUNS=${RUNS:-3}
WRK_S=${WRK_S:-10}
CAMERAS=${CAMERAS:-8}
FILL_S=${FILL_S:-20}

need "$BIN/vigil-server" "$TOOLS/ingest_load" || exit 1
for c in wrk nginx curl jq; do
	command -v "$c" >/dev/null 2>&1 || { echo "bench: $c is missing (run scripts/deps.sh)" >&2; exit 1; }
done

# (a) Record CAMERAS x FILL_S seconds into a fresh server.
server_start server "$BT/srv" || { echo "bench: server did not start" >&2; exit 1; }
note "filling: $CAMERAS cameras x ${FILL_S}s at 3 Mbit/s"
"$TOOLS/ingest_load" ingest --server "$SERVER_URL" --admin-token-file "$BT/admin.token" \
	--cameras "$CAMERAS" --duration "$FILL_S" --bitrate 3000000 >"$BT/fill.out" 2>"$BT/fill.log" ||
	{ echo "bench: ingest_load failed" >&2; tail -n 5 "$BT/fill.log" >&2; exit 1; }
AUTH="Authorization: Bearer $(cat "$BT/admin.token")"

# (b) The same segments as static files for nginx, and the list of paths wrk cycles through.
mkdir -p "$BT/www" || exit 1
: >"$BT/paths"
total=0
for cam in $(curl -fsS -H "$AUTH" "$SERVER_URL/api/v1/cameras" | jq -r '.cameras[] | select(.stream == 0) | .id'); do
	for seq in $(curl -fsS -H "$AUTH" "$SERVER_URL/api/v1/cameras/$cam/streams/0/segments" |
		jq -r '.segments[] | select(.kind == "segment") | .seq'); do
		p="/api/v1/cameras/$cam/streams/0/segments/$seq"
		mkdir -p "$BT/www$(dirname "$p")"
		curl -fsS -H "$AUTH" -o "$BT/www$p" "$SERVER_URL$p" || exit 1
		echo "$p" >>"$BT/paths"
		total=$((total + 1))
	done
done
[ "$total" -gt 0 ] || { echo "bench: no segments were recorded" >&2; exit 1; }
# nginx's workers drop root for an unprivileged user: let it read (only) the copies.
chmod o+x "$BT" && chmod -R o+rX "$BT/www" || exit 1
bytes=$(find "$BT/www" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
note "$total segments, $(calc "$bytes / $total / 1024") KiB mean"

# wrk: every connection walks the path list from its own offset.
cat >"$BT/paths.lua" <<EOF
local paths = {}
for l in io.lines("$BT/paths") do paths[#paths + 1] = l end
local auth = os.getenv("WRK_AUTH")
local n = 0
function setup(thread) n = n + 1; thread:set("off", n * 7919) end
function init(args) i = off end
function request()
	i = i + 1
	local h = {}
	if auth ~= nil and auth ~= "" then h["Authorization"] = auth end
	return wrk.format("GET", paths[(i % #paths) + 1], h)
end
EOF

nginx_start() {
	local workers=$1 port
	port=$(free_port)
	mkdir -p "$BT/nginx-$workers"
	cat >"$BT/nginx-$workers/nginx.conf" <<EOF
worker_processes $workers;
pid $BT/nginx-$workers/nginx.pid;
error_log $BT/nginx-$workers/error.log;
daemon off;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	default_type application/octet-stream;
	client_body_temp_path $BT/nginx-$workers;
	proxy_temp_path $BT/nginx-$workers;
	fastcgi_temp_path $BT/nginx-$workers;
	uwsgi_temp_path $BT/nginx-$workers;
	scgi_temp_path $BT/nginx-$workers;
	server { listen 127.0.0.1:$port; root $BT/www; }
}
EOF
	bg_start "nginx-$workers" nginx -e "$BT/nginx-$workers/error.log" -c "$BT/nginx-$workers/nginx.conf"
	NGINX_PID=$LAST_PID
	NGINX_URL=http://127.0.0.1:$port
	local i
	for ((i = 0; i < 100; i++)); do
		curl -fsS -o /dev/null "$NGINX_URL$(head -n1 "$BT/paths")" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench: nginx did not start" >&2
	return 1
}

# free_port: the tests' port picker (a loopback port nothing listens on).
# shellcheck source=/dev/null
_LIB_PORTS=" "
. <(sed -n '/^free_port()/,/^}/p' tests/lib.sh)

# All pids of a process tree rooted at $1 (nginx master and its workers).
tree_pids() {
	echo "$1"
	pgrep -P "$1" 2>/dev/null
}

# run_wrk NAME URL AUTH CONNS PIDS..: one wrk run; prints "rps mib_s cpu_ms_per_mib errors".
run_wrk() {
	local name=$1 url=$2 auth=$3 conns=$4 t0 t1 out rps bps errs
	shift 4
	t0=$(cpu_ticks "$@")
	out=$(WRK_AUTH=$auth wrk -t2 -c"$conns" -d"${WRK_S}s" --latency -s "$BT/paths.lua" "$url" 2>&1)
	t1=$(cpu_ticks "$@")
	echo "$out" >>"$BT/wrk-$name.log"
	rps=$(echo "$out" | awk '/^Requests\/sec:/ { print $2 }')
	bps=$(echo "$out" | awk '/^Transfer\/sec:/ { v = $2; u = substr(v, length(v) - 1); n = v + 0;
		m = (u == "GB") ? 1024 : (u == "MB") ? 1 : (u == "KB") ? 1 / 1024 : 1 / 1048576; print n * m }')
	errs=$(echo "$out" | awk '/Non-2xx|Socket errors/ { s = s $0 " " } END { print (s == "") ? "none" : "yes" }')
	awk -v r="$rps" -v b="$bps" -v c="$((t1 - t0))" -v hz="$TICKS_PER_S" -v d="$WRK_S" -v e="$errs" \
		'BEGIN { mib = b * d; printf "%s %s %.3f %s\n", r, b, (mib > 0) ? c / hz * 1000 / mib : -1, e }'
}

declare -A RES
# The machine is shared: the load average before and after the runs goes with the table.
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for conns in $CONNS; do
	for ((r = 1; r <= RUNS; r++)); do
		note "run $r/$RUNS, $conns connections"
		RES[vigil,$conns]+="$(run_wrk vigil "$SERVER_URL" "${AUTH#Authorization: }" "$conns" "$SERVER_PID")"$'\n'
		for w in 1 2; do
			nginx_start "$w" || exit 1
			RES[nginx$w,$conns]+="$(run_wrk "nginx$w" "$NGINX_URL" "" "$conns" $(tree_pids "$NGINX_PID"))"$'\n'
			bg_stop "$NGINX_PID"
		done
	done
done

echo
echo "Archive serving: $total recorded segments ($(calc "$bytes / $total / 1024") KiB mean), wrk -t2 for ${WRK_S}s per run, $RUNS runs; median [min-max]"
echo
echo "| server | connections | requests/s | MiB/s | server CPU ms per MiB | errors | vs nginx (1 worker): throughput, CPU/MiB |"
echo "|---|---:|---:|---:|---:|:---:|---|"
for conns in $CONNS; do
	for who in vigil nginx1 nginx2; do
		rows=${RES[$who,$conns]}
		read -r rmed rmin rmax <<<"$(stats $(echo "$rows" | awk 'NF { print $1 }'))"
		read -r bmed bmin bmax <<<"$(stats $(echo "$rows" | awk 'NF { print $2 }'))"
		read -r cmed cmin cmax <<<"$(stats $(echo "$rows" | awk 'NF { print $3 }'))"
		errs=$(echo "$rows" | awk 'NF && $4 != "none" { e = 1 } END { print e ? "yes" : "none" }')
		case $who in
		vigil) label="vigil-server" VB=$bmed VC=$cmed ;;
		nginx1) label="nginx, 1 worker" ;;
		nginx2) label="nginx, 2 workers" ;;
		esac
		ratio=""
		if [ "$who" = nginx1 ]; then
			ratio=$(awk -v vb="$VB" -v vc="$VC" -v nb="$bmed" -v nc="$cmed" \
				'BEGIN { printf "vigil %.2fx throughput, %.2fx CPU/MiB", vb / nb, vc / nc }')
		fi
		printf '| %s | %s | %.0f [%.0f-%.0f] | %.0f [%.0f-%.0f] | %.3f [%.3f-%.3f] | %s | %s |\n' \
			"$label" "$conns" "$rmed" "$rmin" "$rmax" "$bmed" "$bmin" "$bmax" "$cmed" "$cmin" "$cmax" "$errs" "$ratio"
	done
done
echo
echo "goal: vigil >= 0.9x nginx's throughput at <= 1.2x its CPU per MiB; wrk shares the $(nproc) cores with the server under test"
echo "load average (1, 5, 15 min): $LOAD0 before the runs, $(cut -d' ' -f1-3 /proc/loadavg) after"
exit 0
