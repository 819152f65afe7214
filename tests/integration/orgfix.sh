# orgfix.sh - sourced helpers that build real organizations over HTTP (accounts, TOTP, members of every role, sites, an enrolled gateway, a camera with footage, invitations, support grants) for integration tests.
# shellcheck shell=bash
#
# Source it after tests/lib.sh and after the server is ready:
#   URL=http://127.0.0.1:PORT  ADMIN=<admin token>  (and $T, $BIN from lib.sh)
#   . "$(dirname "$0")/orgfix.sh"
# Every helper talks to the server only through its public HTTP API and the test tools
# (tests/tools/orgtool.c signs statements, server_gwtool.c is a gateway's key). Results go
# into the associative arrays below; a helper returns non-zero (and says why on stderr)
# when the server refused a step, so the caller can fail the test with a clear name.
#
#   ofx_account NAME          register and log in twice: $T/NAME.s (main) and $T/NAME.s2
#                             (a spare session, e.g. for a logout probe); fills OFX_ID,
#                             OFX_SIGN, OFX_BOX, OFX_COOKIE[NAME]
#   ofx_totp_on NAME          enables TOTP on NAME's account (secret in $T/NAME.totp)
#   ofx_step_up NAME STEPS    a fresh step-up for NAME's main session with the TOTP code
#                             STEPS windows ahead (codes cannot be replayed)
#   ofx_operator NAME [no-totp]  an account with the operator flag (set in accounts.db: there
#                             is no API for it by design), logged in afterwards, TOTP on
#                             (secret in $T/NAME.totp) unless no-totp
#   ofx_org K PREFIX          builds org K (OFX_ORG[K]) owned by PREFIX"owner", with an
#                             admin (TOTP), admin0 (no TOTP), viewer (scope: the camera),
#                             vout (scope: an empty second site), auditor, support and
#                             sup2 (support grants), site, enrolled gateway with a session,
#                             camera with one stored segment (seq 0) and a pending user
#                             invitation; ids in OFX_SITE, OFX_SITE2, OFX_GW, OFX_GWTOK,
#                             OFX_CAM, OFX_INV [K]
#   ofx_support_grant K NAME  (re)grants NAME support on org K for 600 s; prints the status

declare -A OFX_ID=() OFX_SIGN=() OFX_BOX=() OFX_COOKIE=()
declare -A OFX_ORG=() OFX_SITE=() OFX_SITE2=() OFX_GW=() OFX_GWTOK=() OFX_CAM=() OFX_INV=()
declare -A OFX_OWNER=() OFX_DIR=()

OFX_VIGIL=$BIN/vigil
OFX_ORGTOOL=$BIN/../tools/orgtool
OFX_GWTOOL=$BIN/../tools/server_gwtool
OFX_TOTP=$BIN/../tools/totp_code
OFX_PWL=$LIB_ROOT/data/common-passwords.txt
export VIGIL_PASSWORD=${VIGIL_PASSWORD:-'Corr3ct-hörse-battery-stäple-9'}

ofx_c() { curl -s -m 20 "$@"; }
ofx_field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }
# $1 cookie, $2 method, $3 path, $4 JSON body: prints the status.
ofx_jcode() {
	curl -s -m 20 -o /dev/null -w '%{http_code}' -X "$2" -H "Cookie: $1" \
		-H 'Content-Type: application/json' -d "$4" "$URL$3"
}
ofx_jbody() { ofx_c -X "$2" -H "Cookie: $1" -H 'Content-Type: application/json' -d "$4" "$URL$3"; }
ofx_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
ofx_err() { echo "orgfix: $*" >&2; return 1; }

ofx_login() { # $1 name, $2 session file
	"$OFX_VIGIL" account login --server "$URL" --username "$1" --session "$2" --kdf-fast \
		>/dev/null 2>&1
}

ofx_account() {
	local n=$1 sc k
	sc=$(ofx_c -X POST -H "Authorization: Bearer $ADMIN" "$URL/api/v1/signup-codes" | ofx_field code)
	"$OFX_VIGIL" account register --password-list "$OFX_PWL" --server "$URL" --code "$sc" \
		--username "$n" --kdf-fast >/dev/null 2>&1 || ofx_err "register $n" || return 1
	ofx_login "$n" "$T/$n.s" || ofx_err "login $n" || return 1
	ofx_login "$n" "$T/$n.s2" || ofx_err "second login $n" || return 1
	OFX_COOKIE[$n]=$(cat "$T/$n.s")
	k=$(ofx_c -H "Cookie: ${OFX_COOKIE[$n]}" "$URL/api/v1/auth/keys")
	OFX_ID[$n]=$(printf '%s' "$k" | ofx_field user_id)
	OFX_SIGN[$n]=$(printf '%s' "$k" | ofx_field sign_pk)
	OFX_BOX[$n]=$(printf '%s' "$k" | ofx_field box_pk)
	[ ${#OFX_ID[$n]} -eq 32 ] || ofx_err "keys of $n" || return 1
}

ofx_totp_on() {
	local n=$1 c=${OFX_COOKIE[$1]} sec
	sec=$(ofx_c -X POST -H "Cookie: $c" "$URL/api/v1/auth/totp/begin" | ofx_field secret)
	printf '%s' "$sec" >"$T/$n.totp"
	[ "$(ofx_jcode "$c" POST /api/v1/auth/totp/confirm "{\"code\":\"$("$OFX_TOTP" "$sec")\"}")" = 200 ] ||
		ofx_err "totp for $n"
}

ofx_step_up() {
	local code
	code=$("$OFX_TOTP" "$(cat "$T/$1.totp")" "$2")
	[ "$(ofx_jcode "${OFX_COOKIE[$1]}" POST /api/v1/auth/step-up "{\"totp\":\"$code\"}")" = 200 ] ||
		ofx_err "step-up for $1"
}

ofx_operator() {
	local n=$1
	ofx_account "$n" || return 1
	sqlite3 -cmd '.timeout 5000' "$T/data/accounts.db" \
		"UPDATE users SET flags = 1 WHERE id = '${OFX_ID[$n]}';" || ofx_err "operator flag" || return 1
	# The flag is read at login: sessions made before it do not carry the role.
	ofx_login "$n" "$T/$n.s" && ofx_login "$n" "$T/$n.s2" || ofx_err "operator login" || return 1
	OFX_COOKIE[$n]=$(cat "$T/$n.s")
	ofx_c -H "Cookie: ${OFX_COOKIE[$n]}" "$URL/api/v1/auth/me" | grep -q '"operator":true' ||
		ofx_err "operator flag not seen by /auth/me" || return 1
	# Operator routes need a second factor on the account (routes.c operator_decide).
	[ "${2:-}" = no-totp ] || ofx_totp_on "$n"
}

ofx_gwsession() { # $1 secret key file: prints a gateway session token
	local nonce sig id
	nonce=$(ofx_c "$URL/api/v1/gateway/challenge" | ofx_field nonce)
	sig=$("$OFX_GWTOOL" sign "$1" "$nonce")
	id=$("$OFX_GWTOOL" id "$1")
	ofx_c -d "{\"gateway_id\":\"$id\",\"nonce\":\"$nonce\",\"signature\":\"$sig\"}" \
		"$URL/api/v1/gateway/session" | ofx_field token
}

ofx_support_grant() { # $1 org key, $2 account name
	ofx_jcode "${OFX_COOKIE[${OFX_OWNER[$1]}]}" POST "/api/v1/orgs/${OFX_ORG[$1]}/support" \
		"{\"username\":\"$2\",\"duration_s\":600}"
}

# member.add (and admin.cert for owner/admin) in org $1 for account $2 with role $3, scope $4..
ofx_member() {
	local k=$1 dir=${OFX_DIR[$1]} n=$2 role=$3 st
	shift 3
	st="\"$("$OFX_ORGTOOL" member "$dir" add "${OFX_ID[$n]}" "${OFX_SIGN[$n]}" "${OFX_BOX[$n]}" \
		"$role" 1 "$@")\""
	case $role in
	owner | admin)
		st="\"$("$OFX_ORGTOOL" admin-cert "$dir" "${OFX_ID[$n]}" "${OFX_SIGN[$n]}" \
			"${OFX_BOX[$n]}" 1)\",$st" ;;
	esac
	[ "$(ofx_jcode "${OFX_COOKIE[${OFX_OWNER[$k]}]}" POST "/api/v1/orgs/${OFX_ORG[$k]}/statements" \
		"{\"statements\":[$st]}")" = 200 ] || ofx_err "member $n ($role) in org $k"
}

ofx_org() {
	local k=$1 p=$2 o dir oc n inv ver gcode fpr req tok cert exp now gwid org
	o=${p}owner
	dir=$T/org$k
	mkdir -p "$dir"
	OFX_DIR[$k]=$dir
	OFX_OWNER[$k]=$o
	for n in owner admin admin0 viewer vout auditor support sup2; do
		ofx_account "$p$n" || return 1
	done
	ofx_totp_on "$o" && ofx_totp_on "${p}admin" || return 1
	oc=${OFX_COOKIE[$o]}
	"$OFX_ORGTOOL" create "$dir" "Org $k" "${OFX_ID[$o]}" "${OFX_SIGN[$o]}" "${OFX_BOX[$o]}" \
		>"$dir/create.json" || ofx_err "orgtool create" || return 1
	org=$(ofx_jbody "$oc" POST /api/v1/orgs "$(cat "$dir/create.json")" | ofx_field org)
	[ ${#org} -eq 64 ] || ofx_err "create org $k" || return 1
	OFX_ORG[$k]=$org
	OFX_SITE[$k]=$(ofx_hex 16)
	OFX_SITE2[$k]=$(ofx_hex 16)
	OFX_CAM[$k]=$(ofx_hex 16)
	for n in "${OFX_SITE[$k]}" "${OFX_SITE2[$k]}"; do
		[ "$(ofx_jcode "$oc" POST "/api/v1/orgs/$org/sites" "{\"id\":\"$n\",\"name\":\"Site\"}")" = 201 ] ||
			ofx_err "site in org $k" || return 1
	done
	# The gateway enrolls with a one-time code, as vigil-gateway enroll does.
	gwid=$("$OFX_GWTOOL" keygen "$dir/gw.sk")
	OFX_GW[$k]=$gwid
	exp=$((($(date +%s) + 3600) * 1000000))
	read -r inv ver gcode fpr <<<"$("$OFX_ORGTOOL" invite "$dir" gateway)"
	[ "$(ofx_jcode "$oc" POST "/api/v1/orgs/$org/invitations" "{\"id\":\"$inv\",\"kind\":\"gateway\",\"verifier\":\"$ver\",\"site\":\"${OFX_SITE[$k]}\",\"expires_us\":$exp}")" = 201 ] ||
		ofx_err "gateway invitation in org $k" || return 1
	read -r req tok <<<"$("$OFX_ORGTOOL" request gateway "$gcode" "$fpr" "$gwid")"
	[ "$(ofx_jcode "" POST /api/v1/enroll "{\"request\":\"$req\"}")" = 202 ] ||
		ofx_err "enroll request in org $k" || return 1
	cert=$("$OFX_ORGTOOL" accept "$dir" "$inv" "$req" 1 gateway "${OFX_SITE[$k]}")
	[ "$(ofx_jcode "$oc" POST "/api/v1/orgs/$org/invitations/$inv/accept" "{\"cert\":\"$cert\"}")" = 200 ] ||
		ofx_err "accept gateway in org $k" || return 1
	OFX_GWTOK[$k]=$(ofx_gwsession "$dir/gw.sk")
	[ ${#OFX_GWTOK[$k]} -eq 64 ] || ofx_err "gateway session in org $k" || return 1
	[ "$(ofx_jcode "$oc" POST "/api/v1/orgs/$org/cameras" "{\"id\":\"${OFX_CAM[$k]}\",\"name\":\"Cam $k\",\"site\":\"${OFX_SITE[$k]}\",\"gateway\":\"$gwid\"}")" = 201 ] ||
		ofx_err "camera in org $k" || return 1
	now=$(($(date +%s) * 1000000))
	"$OFX_GWTOOL" link "$dir/gw.sk" "${OFX_CAM[$k]}" 0 0 "$now" 3 >"$dir/link0"
	[ "$(curl -s -m 20 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${OFX_GWTOK[$k]}" \
		--data-binary @"$dir/link0" "$URL/api/v1/ingest")" = 200 ] || ofx_err "ingest in org $k" || return 1
	# Members of every role.
	ofx_member "$k" "${p}admin" admin || return 1
	ofx_member "$k" "${p}admin0" admin || return 1
	ofx_member "$k" "${p}viewer" viewer "${OFX_CAM[$k]}" || return 1
	ofx_member "$k" "${p}vout" viewer "${OFX_SITE2[$k]}" || return 1
	ofx_member "$k" "${p}auditor" auditor || return 1
	# Support grants (the owner's login is fresh enough for step-up).
	[ "$(ofx_support_grant "$k" "${p}support")" = 201 ] || ofx_err "support grant in org $k" || return 1
	[ "$(ofx_support_grant "$k" "${p}sup2")" = 201 ] || ofx_err "sup2 grant in org $k" || return 1
	# A pending user invitation ({id} of the invitation routes).
	read -r inv ver gcode fpr <<<"$("$OFX_ORGTOOL" invite "$dir" user)"
	[ "$(ofx_jcode "$oc" POST "/api/v1/orgs/$org/invitations" "{\"id\":\"$inv\",\"kind\":\"user\",\"verifier\":\"$ver\",\"expires_us\":$exp}")" = 201 ] ||
		ofx_err "user invitation in org $k" || return 1
	OFX_INV[$k]=$inv
}
