#!/usr/bin/env bash
# test_livemux.sh - GET /api/v1/live (the grid's one connection) with curl against the real pipeline: two cameras' records over one response, a camera out of the viewer's scope and an unknown one denied alike inside the stream, bad lists refused, a viewer whose scope shrinks keeping only the cameras still allowed, a signed-out session's stream and a removed viewer's stream stopped and ended (the player's one-camera route as well), and live.start/live.stop audited per camera.
. "$(dirname "$0")/../lib.sh"

command -v ffmpeg >/dev/null || { skip all "ffmpeg missing"; finish; }
for f in "$BIN/vigil-server" "$BIN/vigil" "$BIN/vigil-gateway" "$BIN/vigil-camsim"; do
	[ -x "$f" ] || { fail build "$f missing: run make"; finish; }
done
export PIPE_ORG=1
. "$LIB_ROOT/tests/integration/pipeline.sh"
pipe_media || { fail media "ffmpeg could not make the source"; finish; }
pipe_server || { fail server "did not start"; finish; }
pipe_camsim 2 || { fail camsim "did not start"; finish; }
pipe_provision 2 || { fail provision "org flows failed"; finish; }
pipe_gateway
pass pipeline_up
URL=$SERVER_URL
OCK=$(cat "$T/site/owner.session")
CAM1=$(sed -n 's/^camera=\([0-9a-f]\{32\}\) name=cam1 .*/\1/p' "$T/site/cameras.out")
CAM2=$(sed -n 's/^camera=\([0-9a-f]\{32\}\) name=cam2 .*/\1/p' "$T/site/cameras.out")
UNKNOWN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
check camera_ids test ${#CAM1} -eq 32 -a ${#CAM2} -eq 32

# muxsum FILE: walks the mux messages (u32 len | u8 type | u8 index | data) and, per
# index, the records inside its DATA bytes; prints one line per index seen:
#   idx=I states=S... hdr=N chunk=N end=N other=N after_deny=N
# and a last line "bad=0|1 cut=0|1" (cut: the last message was cut by curl's time limit).
muxsum() {
	od -An -v -tu1 "$1" | awk '
	{ for (i = 1; i <= NF; i++) b[n++] = $i + 0 }
	END {
		p = 0
		while (p < n) {
			if (p + 6 > n) { cut = 1; break }
			len = b[p] * 16777216 + b[p + 1] * 65536 + b[p + 2] * 256 + b[p + 3]
			t = b[p + 4]; ix = b[p + 5]; seen[ix] = 1
			if (len < 1) { bad = 1; break }
			if (p + 5 + len > n) { cut = 1; break }
			if (t == 17) {
				if (len != 2) { bad = 1; break }
				states[ix] = states[ix] b[p + 6]
				if (b[p + 6] == 2) { denied[ix] = 1; anydeny = 1 }
			} else if (t == 16) {
				if (denied[ix]) after[ix]++
				if (anydeny) post[ix]++
				k = p + 6; e = p + 5 + len
				while (k < e) {
					if (left[ix] > 0) {
						s = e - k; if (s > left[ix]) s = left[ix]
						left[ix] -= s; k += s; continue
					}
					h[ix, have[ix]++] = b[k++]
					if (have[ix] < 5) continue
					have[ix] = 0
					left[ix] = h[ix, 0] * 16777216 + h[ix, 1] * 65536 + h[ix, 2] * 256 + h[ix, 3]
					ty = h[ix, 4]
					if (ty == 1) hdr[ix]++; else if (ty == 2) chunk[ix]++; else if (ty == 3) end_[ix]++; else other[ix]++
				}
			} else { bad = 1; break }
			p += 5 + len
		}
		for (ix = 0; ix < 256; ix++) if (ix in seen)
			printf "idx=%d states=%s hdr=%d chunk=%d end=%d other=%d post=%d after_deny=%d\n", ix, states[ix], hdr[ix], chunk[ix], end_[ix], other[ix], post[ix], after[ix]
		printf "bad=%d cut=%d\n", bad, cut
	}'
}
# field IDX NAME < summary
field() { sed -n "s/^idx=$1 .*$2=\\([0-9]*\\).*/\\1/p"; }

# Wait until both cameras are live on the relay (the per-camera route answers records).
for _ in $(seq 1 60); do
	curl -s -m 2 -o "$T/probe.bin" -H "Cookie: $OCK" "$URL/api/v1/live?cameras=$CAM1:0,$CAM2:0"
	s=$(muxsum "$T/probe.bin")
	[ "$(printf '%s\n' "$s" | field 0 hdr)" -ge 1 ] 2>/dev/null &&
		[ "$(printf '%s\n' "$s" | field 1 hdr)" -ge 1 ] 2>/dev/null && break
	sleep 1
done

# 1. The owner: both cameras over one response, whole records, two segments each in 5 s.
curl -s -m 5 -o "$T/owner.bin" -H "Cookie: $OCK" "$URL/api/v1/live?cameras=$CAM1:0,$CAM2:0"
S=$(muxsum "$T/owner.bin")
echo "$S" | sed 's/^/  owner: /'
printf '%s\n' "$S" | grep -q '^bad=0' && pass owner_framing_valid || fail owner_framing_valid "$S"
for i in 0 1; do
	st=$(printf '%s\n' "$S" | sed -n "s/^idx=$i states=\\([0-9]*\\) .*/\\1/p")
	[ "${st:0:1}" = 1 ] && pass "owner_cam$((i + 1))_state_ok" || fail "owner_cam$((i + 1))_state_ok" "states=$st"
	h=$(printf '%s\n' "$S" | field $i hdr); c=$(printf '%s\n' "$S" | field $i chunk)
	[ "${h:-0}" -ge 2 ] && [ "${c:-0}" -ge 50 ] && pass "owner_cam$((i + 1))_records" ||
		fail "owner_cam$((i + 1))_records" "hdr=$h chunk=$c"
done

# 2. Bad requests.
code() { curl -s -m 5 -o "$T/code.body" -w '%{http_code}' "$@"; }
[ "$(code "$URL/api/v1/live?cameras=$CAM1:0")" = 401 ] && pass no_session_401 || fail no_session_401 "$(cat "$T/code.body")"
for q in "" "cameras=" "cameras=$CAM1" "cameras=$CAM1:0,$CAM1:0" "cameras=$CAM1:256" "cameras=${CAM1^^}:0" \
	"cameras=$CAM1:0,"; do
	c=$(code -H "Cookie: $OCK" "$URL/api/v1/live?$q")
	[ "$c" = 400 ] || { fail "bad_list_400" "'$q' got $c"; BADL=1; continue; }
	grep -q "$CAM1" "$T/code.body" && { fail bad_list_no_echo "'$q' echoed"; BADL=1; }
done
[ -z "${BADL:-}" ] && pass bad_lists_400_without_echo
LIST=$(for i in $(seq 1 65); do printf '%s%032x:0' "$([ "$i" -gt 1 ] && echo ,)" "$i"; done)
[ "$(code -H "Cookie: $OCK" "$URL/api/v1/live?cameras=$LIST")" = 400 ] && pass list_over_64_refused ||
	fail list_over_64_refused "$(cat "$T/code.body")"
LIST=$(for i in $(seq 1 64); do printf '%s%032x:0' "$([ "$i" -gt 1 ] && echo ,)" "$i"; done)
curl -s -m 3 -o "$T/many.bin" -H "Cookie: $OCK" "$URL/api/v1/live?cameras=$LIST"
# 64 unknown cameras: 64 DENIED messages and the end of the body (nothing left to send).
[ "$(stat -c %s "$T/many.bin")" -eq $((64 * 7)) ] && [ "$(muxsum "$T/many.bin" | grep -c 'states=2 ')" -eq 64 ] &&
	pass list_of_64_unknown_all_denied || fail list_of_64_unknown_all_denied "$(stat -c %s "$T/many.bin") bytes"

# 3. A viewer scoped to cam1 (the real member flow with the CLI).
VPW='Livemux-viewer-passw0rd-77'
code_=$(curl -s -m 20 -X POST -H "Authorization: Bearer $(cat "$T/admin.token")" \
	"$URL/api/v1/signup-codes" | sed -n 's/.*"code":"\([0-9a-f]*\)".*/\1/p')
VIGIL_PASSWORD=$VPW "$BIN/vigil" account register --password-list "$LIB_ROOT/data/common-passwords.txt" \
	--server "$URL" --code "$code_" --username viewer1 --kdf-fast >"$T/vreg.out" 2>&1
VIGIL_PASSWORD=$VPW "$BIN/vigil" account login --server "$URL" --username viewer1 \
	--session "$T/viewer.s" --kdf-fast >/dev/null 2>&1
VARGS=(--server "$URL" --session "$T/viewer.s" --pin-dir "$T/vpins" --kdf-fast)
"$BIN/vigil" member invite --org "$PIPE_ORG_ID" --role viewer --scope "$CAM1" "${PIPE_ORGARGS[@]}" >"$T/inv.out" 2>&1
INV=$(sed -n 's/^invitation=\([0-9a-f]*\)$/\1/p' "$T/inv.out")
JC=$(sed -n 's/^vigil join .*--code \([^ ]*\).*/\1/p' "$T/inv.out")
VIGIL_PASSWORD=$VPW "$BIN/vigil" join --code "$JC" --org-fingerprint "$PIPE_SAFETY" "${VARGS[@]}" >/dev/null 2>&1
"$BIN/vigil" member accept --org "$PIPE_ORG_ID" --invitation "$INV" --wait 20 "${PIPE_ORGARGS[@]}" >"$T/acc.out" 2>&1
check viewer_scoped_to_cam1 grep -q "role=viewer scope=1 grants=1" "$T/acc.out"
VCK=$(cat "$T/viewer.s")

curl -s -m 4 -o "$T/viewer.bin" -H "Cookie: $VCK" "$URL/api/v1/live?cameras=$CAM1:0,$CAM2:0,$UNKNOWN:0"
S=$(muxsum "$T/viewer.bin")
echo "$S" | sed 's/^/  viewer: /'
h=$(printf '%s\n' "$S" | field 0 hdr); c=$(printf '%s\n' "$S" | field 0 chunk)
[ "${h:-0}" -ge 1 ] && [ "${c:-0}" -ge 25 ] && pass viewer_cam1_streams || fail viewer_cam1_streams "$S"
printf '%s\n' "$S" | grep -q '^idx=1 states=2 hdr=0 chunk=0 end=0 other=0 ' && pass viewer_cam2_denied ||
	fail viewer_cam2_denied "$S"
printf '%s\n' "$S" | grep -q '^idx=2 states=2 hdr=0 chunk=0 end=0 other=0 ' && pass viewer_unknown_denied ||
	fail viewer_unknown_denied "$S"
# Out of scope and unknown answer alike: the same 7 bytes but for the index.
od -An -v -tx1 "$T/viewer.bin" | tr -s ' \n' ' ' >"$T/viewer.hex"
grep -q " 00 00 00 02 11 01 02 " "$T/viewer.hex" && grep -q " 00 00 00 02 11 02 02 " "$T/viewer.hex" &&
	pass denied_alike || fail denied_alike "$(head -c 120 "$T/viewer.hex")"

# 4. Scope narrowing while streaming. The viewer is granted cam2 as well (`vigil grant`: a
# signed member.role), so both cameras play over one connection; then the scope shrinks
# back to cam1 alone. The CLI has no narrowing command yet, so the test writes into the
# server's membership table what applying a narrower member.role writes there (the row the
# camera-view rule reads). cam2 must get DENIED with nothing after it, while cam1 goes on
# streaming in the same body.
DB=$T/server/accounts.db
VID=$(sqlite3 "$DB" "select id from users where username='viewer1'" 2>/dev/null)
if command -v sqlite3 >/dev/null; then
	"$BIN/vigil" grant --org "$PIPE_ORG_ID" --user viewer1 --camera "$CAM2" "${PIPE_ORGARGS[@]}" >"$T/grant.out" 2>&1
	check viewer_granted_cam2 grep -q "granted user=viewer1 camera=$CAM2" "$T/grant.out"
	curl -s -m 14 -o "$T/narrow.bin" -H "Cookie: $VCK" "$URL/api/v1/live?cameras=$CAM1:0,$CAM2:0" &
	CURL_PID=$!
	sleep 5
	sqlite3 "$DB" "update org_members set scope=X'$CAM1' where org='$PIPE_ORG_ID' and user_id='$VID'" ||
		fail narrow_edit "sqlite3 update failed"
	wait "$CURL_PID" 2>/dev/null
	S=$(muxsum "$T/narrow.bin")
	echo "$S" | sed 's/^/  narrowed: /'
	printf '%s\n' "$S" | grep -q '^bad=0' && pass narrow_framing_valid || fail narrow_framing_valid "$S"
	h=$(printf '%s\n' "$S" | field 1 hdr); c=$(printf '%s\n' "$S" | field 1 chunk)
	printf '%s\n' "$S" | grep -q '^idx=1 states=12 ' && [ "${c:-0}" -ge 25 ] &&
		printf '%s\n' "$S" | grep '^idx=1 ' | grep -q 'after_deny=0$' && pass narrow_cam2_played_then_denied ||
		fail narrow_cam2_played_then_denied "$S"
	p=$(printf '%s\n' "$S" | field 0 post)
	printf '%s\n' "$S" | grep -q '^idx=0 states=1 ' && [ "${p:-0}" -ge 10 ] && pass narrow_cam1_keeps_streaming ||
		fail narrow_cam1_keeps_streaming "$S"
	grep -q "op=mux_deny user=$VID camera=$CAM2" "$T/server.log" && pass narrow_deny_logged ||
		fail narrow_deny_logged "no op=mux_deny for cam2"
else
	skip scope_narrowing "sqlite3 CLI missing"
fi

# A camera id has one spelling: upper-case hex reaches nothing (it would reach the camera
# under a name the audit log does not know), the same id in lower case does.
st=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H "Cookie: $VCK" "$URL/api/v1/cameras/$CAM1/streams/0/segments?from=0&to=1")
st2=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H "Cookie: $VCK" "$URL/api/v1/cameras/${CAM1^^}/streams/0/segments?from=0&to=1")
[ "$st" = 200 ] && [ "$st2" = 404 ] && pass camera_id_one_spelling || fail camera_id_one_spelling "lower $st, upper $st2"

# 5. Signing out while streaming: the session is gone, every camera is denied, the body ends.
VIGIL_PASSWORD=$VPW "$BIN/vigil" account login --server "$URL" --username viewer1 \
	--session "$T/viewer2.s" --kdf-fast >/dev/null 2>&1
VCK2=$(cat "$T/viewer2.s")
curl -s -m 30 -o "$T/logout.bin" -H "Cookie: $VCK2" "$URL/api/v1/live?cameras=$CAM1:0" &
CURL_PID=$!
# The player's one-camera route too: its rule was met when it started and is re-checked
# while it lasts (before, it streamed on after a sign-out or a removal).
curl -s -m 30 -o "$T/logout1.bin" -H "Cookie: $VCK2" "$URL/api/v1/cameras/$CAM1/streams/0/live" &
ONE_PID=$!
sleep 3
st=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST -H "Cookie: $VCK2" "$URL/api/v1/auth/logout")
check logout_200 test "$st" = 200
one_ends() { # $1 = curl pid, $2 = check name, $3 = its output: ends within 10 s, having streamed
	local ended=0 _
	for _ in $(seq 1 100); do
		kill -0 "$1" 2>/dev/null || { ended=1; break; }
		sleep 0.1
	done
	[ "$ended" = 1 ] || kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	if [ "$ended" = 1 ] && [ "$(stat -c %s "$3" 2>/dev/null || echo 0)" -gt 1000 ]; then
		pass "$2"
	else
		fail "$2" "ended=$ended, $(stat -c %s "$3" 2>/dev/null) bytes"
	fi
}
one_ends "$ONE_PID" signed_out_camera_live_ends "$T/logout1.bin"
ended=0
for _ in $(seq 1 200); do
	kill -0 "$CURL_PID" 2>/dev/null || { ended=1; break; }
	sleep 0.1
done
wait "$CURL_PID" 2>/dev/null
[ "$ended" = 1 ] || kill "$CURL_PID" 2>/dev/null
S=$(muxsum "$T/logout.bin")
echo "$S" | sed 's/^/  signed out: /'
[ "$ended" = 1 ] && printf '%s\n' "$S" | grep -q '^idx=0 states=12 ' && printf '%s\n' "$S" | grep -q 'after_deny=0$' &&
	pass signed_out_stream_ends_denied || fail signed_out_stream_ends_denied "ended=$ended $S"

# 6. Removal while streaming: the stream stops, says DENIED and ends by itself (within the
# 2 s re-check and the next segment start), long before curl's own limit.
curl -s -m 30 -o "$T/revoked.bin" -H "Cookie: $VCK" "$URL/api/v1/live?cameras=$CAM1:0" &
CURL_PID=$!
curl -s -m 30 -o "$T/revoked1.bin" -H "Cookie: $VCK" "$URL/api/v1/cameras/$CAM1/streams/0/live" &
ONE_PID=$!
sleep 3
t0=$SECONDS
"$BIN/vigil" member remove --org "$PIPE_ORG_ID" --user viewer1 "${PIPE_ORGARGS[@]}" >"$T/rm.out" 2>&1
check member_removed grep -q "removed=viewer1" "$T/rm.out"
one_ends "$ONE_PID" removed_camera_live_ends "$T/revoked1.bin"
ended=0
for _ in $(seq 1 200); do
	kill -0 "$CURL_PID" 2>/dev/null || { ended=1; break; }
	sleep 0.1
done
wait "$CURL_PID" 2>/dev/null
echo "  removal -> end of stream: $((SECONDS - t0)) s"
[ "$ended" = 1 ] && pass revoked_stream_ends || { kill "$CURL_PID" 2>/dev/null; fail revoked_stream_ends "still open 20 s after removal"; }
S=$(muxsum "$T/revoked.bin")
echo "$S" | sed 's/^/  revoked: /'
printf '%s\n' "$S" | grep -q '^idx=0 states=12 ' && printf '%s\n' "$S" | grep -q 'after_deny=0$' &&
	printf '%s\n' "$S" | grep -q '^bad=0 cut=0' && pass revoked_denied_last_no_data_after ||
	fail revoked_denied_last_no_data_after "$S"
[ "$(tail -c 7 "$T/revoked.bin" | od -An -tx1 | tr -d ' \n')" = 00000002110002 ] &&
	pass revoked_last_message_is_denied || fail revoked_last_message_is_denied "$(tail -c 7 "$T/revoked.bin" | od -An -tx1)"
grep -q "op=mux_deny user=.* camera=$CAM1" "$T/server.log" && pass deny_logged || fail deny_logged "no op=mux_deny"

# 7. The audit: every camera the mux played has live.start and, once it stopped (denied,
# narrowed, removed or closed), live.stop, in the org's log under the viewer's id and
# with the address the request came from.
curl -s -m 20 -H "Cookie: $OCK" "$URL/api/v1/orgs/$PIPE_ORG_ID/audit" >"$T/audit.jsonl"
for a in live.start live.stop; do
	for c in "$CAM1" "$CAM2"; do
		grep "\"action\":\"$a\",\"target\":\"$c\"" "$T/audit.jsonl" | grep "\"$VID\"" | grep -q '"address":"127.0.0.1"' ||
			{ fail "audit_mux_$a" "no $a of $c by the viewer"; AUD=1; }
	done
done
if [ -z "$VID" ]; then skip audit_mux "sqlite3 CLI missing"; elif [ -z "${AUD:-}" ]; then pass audit_mux_start_stop_per_camera; fi
finish
