#!/usr/bin/env bash
# test_accounts.sh - accounts end to end: signup code, CLI register/login, identical failures, lockout, sessions, TOTP, kill switch, audit.
. "$(dirname "$0")/../lib.sh"

SERVER=$BIN/vigil-server
VIGIL=$BIN/vigil
TOTP=$BIN/../tools/totp_code
RAUTH_TOOL=$BIN/../tools/recovery_auth
for f in "$SERVER" "$VIGIL" "$TOTP" "$RAUTH_TOOL"; do
	[ -x "$f" ] || { fail build "$f missing: run make"; finish; }
done

ADMIN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$ADMIN" >"$T/admin"
DATA=$T/data
# The list is found relative to the binary too (../../data); a BUILD outside the tree needs it named.
PWL=$LIB_ROOT/data/common-passwords.txt
# A password the server must never see or store, with non-ASCII characters.
export VIGIL_PASSWORD='Corr3ct-hörse-battery-stäple-9'

start_bg server "$SERVER" --listen 127.0.0.1:0 --data "$DATA" --admin-token-file "$T/admin" \
	--insecure-test-auth
URL=$(wait_ready "$T/server.log" '^READY url=(.*)$' 20 "$LAST_PID") || { fail ready; finish; }
pass ready

AH="Authorization: Bearer $ADMIN"
C() { curl -s -m 20 "$@"; }
code() { curl -s -m 20 -o /dev/null -w '%{http_code}' "$@"; }
newcode() { C -X POST -H "$AH" "$URL/api/v1/signup-codes" | sed -n 's/.*"code":"\([0-9a-f]*\)".*/\1/p'; }
# Status line, Retry-After presence and body of a login attempt, for byte comparisons.
login_raw() { # $1 username, $2 auth key hex
	curl -s -m 20 -D "$T/h" -o "$T/b" -H 'Content-Type: application/json' \
		-d "{\"username\":\"$1\",\"auth_key\":\"$2\"}" "$URL/api/v1/auth/login" >/dev/null
	printf '%s|%s|%s' "$(head -1 "$T/h" | tr -d '\r')" \
		"$(grep -ci '^retry-after: [0-9]' "$T/h")" "$(cat "$T/b")"
}
WRONG=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

check signup_code_needs_admin test "$(code -X POST "$URL/api/v1/signup-codes")" = 401
CODE=$(newcode)
check signup_code test ${#CODE} -eq 64

KEY=$(C "$URL/api/v1/audit/key" | sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p')
check audit_key_served test ${#KEY} -eq 64
check audit_key_logged grep -q "op=audit_key key=$KEY" "$T/server.log"

check register "$VIGIL" account register --password-list "$PWL" --server "$URL" --code "$CODE" --username Alice --kdf-fast >"$T/reg.out" 2>&1
check recovery_key_shown grep -qE '^[0-9A-Z]{4}(-[0-9A-Z]{4}){13}$' "$T/reg.out"
check code_single_use test "$("$VIGIL" account register --password-list "$PWL" --server "$URL" --code "$CODE" --username carol --kdf-fast >/dev/null 2>&1; echo $?)" = 1
check weak_password_refused test "$(VIGIL_PASSWORD=password1234 "$VIGIL" account register --password-list "$PWL" --server "$URL" --code "$(newcode)" --username dave --kdf-fast >/dev/null 2>&1; echo $?)" = 2

check login "$VIGIL" account login --server "$URL" --username alice --session "$T/s1" --kdf-fast
check session_file_0600 test "$(stat -c %a "$T/s1")" = 600
CK=$(cat "$T/s1")
check me test "$(code -H "Cookie: $CK" "$URL/api/v1/auth/me")" = 200
check me_no_cookie test "$(code "$URL/api/v1/auth/me")" = 401
check default_kdf_refused_without_flag test "$("$VIGIL" account login --server "$URL" --username alice --session "$T/sx" >/dev/null 2>&1; echo $?)" = 1

# Wrong password of a real user and any password of no user: the same bytes.
A=$(login_raw alice "$WRONG")
B=$(login_raw nobody-here "$WRONG")
check identical_failures test "$A" = "$B"
case "$A" in *" 401"*) pass failure_is_401 ;; *) fail failure_is_401 "$A" ;; esac
P1=$(C -H 'Content-Type: application/json' -d '{"username":"alice"}' "$URL/api/v1/auth/prelogin")
P2=$(C -H 'Content-Type: application/json' -d '{"username":"alice"}' "$URL/api/v1/auth/prelogin")
check prelogin_stable test "$P1" = "$P2"

# Sessions: a second login, the list, logout, sign out everywhere.
"$VIGIL" account login --server "$URL" --username alice --session "$T/s2" --kdf-fast >/dev/null
CK2=$(cat "$T/s2")
N=$(C -H "Cookie: $CK" "$URL/api/v1/auth/sessions" | grep -o '"sid"' | wc -l)
check sessions_listed test "$N" -ge 2
check logout test "$(code -X POST -H "Cookie: $CK2" "$URL/api/v1/auth/logout")" = 200
check logged_out_cookie_dead test "$(code -H "Cookie: $CK2" "$URL/api/v1/auth/me")" = 401
check other_session_alive test "$(code -H "Cookie: $CK" "$URL/api/v1/auth/me")" = 200
"$VIGIL" account login --server "$URL" --username alice --session "$T/s3" --kdf-fast >/dev/null
CK3=$(cat "$T/s3")
check sign_out_everywhere test "$(code -X DELETE -H "Cookie: $CK" "$URL/api/v1/auth/sessions")" = 200
check everywhere_1 test "$(code -H "Cookie: $CK" "$URL/api/v1/auth/me")" = 401
check everywhere_2 test "$(code -H "Cookie: $CK3" "$URL/api/v1/auth/me")" = 401

# TOTP: enroll, then a login needs a code, and a code works once.
"$VIGIL" account login --server "$URL" --username alice --session "$T/s4" --kdf-fast >/dev/null
CK4=$(cat "$T/s4")
SECRET=$(C -X POST -H "Cookie: $CK4" "$URL/api/v1/auth/totp/begin" | sed -n 's/.*"secret":"\([A-Z2-7]*\)".*/\1/p')
check totp_begin test -n "$SECRET"
check totp_confirm test "$(code -H "Cookie: $CK4" -d "{\"code\":\"$("$TOTP" "$SECRET")\"}" "$URL/api/v1/auth/totp/confirm")" = 200
check totp_required test "$("$VIGIL" account login --server "$URL" --username alice --session "$T/s5" --kdf-fast >/dev/null 2>&1; echo $?)" = 1
NEXT=$("$TOTP" "$SECRET" 1)
check totp_login "$VIGIL" account login --server "$URL" --username alice --session "$T/s5" --kdf-fast --totp "$NEXT"
check totp_replay test "$("$VIGIL" account login --server "$URL" --username alice --session "$T/s6" --kdf-fast --totp "$NEXT" >/dev/null 2>&1; echo $?)" = 1
CK5=$(cat "$T/s5")

# The kill switch revokes every session of the role.
check kill_switch_needs_admin test "$(code -H "Cookie: $CK5" -d '{"role":"user"}' "$URL/api/v1/operator/sessions/revoke")" = 401
check kill_switch test "$(code -H "$AH" -d '{"role":"user"}' "$URL/api/v1/operator/sessions/revoke")" = 200
check kill_switch_revoked test "$(code -H "Cookie: $CK5" "$URL/api/v1/auth/me")" = 401

# A forgotten password, over HTTP (the console's flow, web/recover.js, is in
# tests/browser/console.mjs): the recovery key's auth half gets the recovery-wrapped bundle,
# then sets a new password over the same keys. alice has TOTP by now: she needs a code.
RKEY=$(grep -E '^[0-9A-Z]{4}(-[0-9A-Z]{4}){13}$' "$T/reg.out")
RAUTH=$("$RAUTH_TOOL" "$RKEY")
check recovery_auth_derived test ${#RAUTH} -eq 64
rec() { curl -s -m 20 -o "$T/rb" -w '%{http_code}' -H 'Content-Type: application/json' -d "$2" "$URL/api/v1/auth/recover$1"; }
check recover_keys_wrong_key_401 test "$(rec /keys "{\"username\":\"alice\",\"recovery_auth\":\"$WRONG\"}")|$(cat "$T/rb")" = '401|{"error":"login failed"}'
check recover_keys_unknown_user_same test "$(rec /keys "{\"username\":\"nobody-here\",\"recovery_auth\":\"$WRONG\"}")|$(cat "$T/rb")" = '401|{"error":"login failed"}'
check recover_keys_ok test "$(rec /keys "{\"username\":\"alice\",\"recovery_auth\":\"$RAUTH\"}")" = 200
check recover_keys_bundle grep -qE '"recovery_wrapped":"[0-9a-f]{274}".*"totp_required":true' "$T/rb"
NSALT=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
NAUTH=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
NWRAP=$(head -c 137 /dev/urandom | od -An -tx1 | tr -d ' \n')
NEW="\"salt\":\"$NSALT\",\"auth_key\":\"$NAUTH\",\"wrapped\":\"$NWRAP\",\"kdf_ops\":1,\"kdf_mem\":8192"
check recover_needs_totp test "$(rec '' "{\"username\":\"alice\",\"recovery_auth\":\"$RAUTH\",$NEW}")" = 401
check recover_needs_totp_said grep -q '"totp_required":true' "$T/rb"
check recover_wrong_key_401 test "$(rec '' "{\"username\":\"alice\",\"recovery_auth\":\"$WRONG\",$NEW}")" = 401
check recover_zero_cost_refused test "$(rec '' "{\"username\":\"alice\",\"recovery_auth\":\"$RAUTH\",\"salt\":\"$NSALT\",\"auth_key\":\"$NAUTH\",\"wrapped\":\"$NWRAP\",\"kdf_ops\":0,\"kdf_mem\":0}")" = 400
# erin has no second factor: her recovery key alone sets the new password.
check register_erin "$VIGIL" account register --password-list "$PWL" --server "$URL" --code "$(newcode)" --username erin --kdf-fast >"$T/reg-erin.out" 2>&1
"$VIGIL" account login --server "$URL" --username erin --session "$T/se" --kdf-fast >/dev/null 2>&1
CKE=$(cat "$T/se")
RAUTH_E=$("$RAUTH_TOOL" "$(grep -E '^[0-9A-Z]{4}(-[0-9A-Z]{4}){13}$' "$T/reg-erin.out")")
check recover_sets_password test "$(rec '' "{\"username\":\"erin\",\"recovery_auth\":\"$RAUTH_E\",$NEW}")" = 200
check recover_ends_sessions test "$(code -H "Cookie: $CKE" "$URL/api/v1/auth/me")" = 401
check recover_old_password_refused test "$("$VIGIL" account login --server "$URL" --username erin --session "$T/se2" --kdf-fast >/dev/null 2>&1; echo $?)" = 1
check recover_new_auth_key_works test "$(curl -s -m 20 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "{\"username\":\"erin\",\"auth_key\":\"$NAUTH\"}" "$URL/api/v1/auth/login")" = 200

# The same from the CLI (vigil account recover): frank forgets his password.
check register_frank "$VIGIL" account register --password-list "$PWL" --server "$URL" --code "$(newcode)" --username frank --kdf-fast >"$T/reg-frank.out" 2>&1
FKEY=$(grep -E '^[0-9A-Z]{4}(-[0-9A-Z]{4}){13}$' "$T/reg-frank.out")
EKEY=$(grep -E '^[0-9A-Z]{4}(-[0-9A-Z]{4}){13}$' "$T/reg-erin.out")
[ "${FKEY:0:1}" = A ] && BADKEY="B${FKEY:1}" || BADKEY="A${FKEY:1}"
FPW='An0ther-long-passphrase-for-frank'
cli_recover() { VIGIL_RECOVERY_KEY=$1 VIGIL_PASSWORD=$2 "$VIGIL" account recover --password-list "$PWL" --server "$URL" --username "$3" --kdf-fast "${@:4}"; }
check cli_recover_mistyped_key test "$(cli_recover "$BADKEY" "$FPW" frank >/dev/null 2>"$T/rm.err"; echo $?)" = 2
check cli_recover_mistyped_said grep -q 'mistyped' "$T/rm.err"
check cli_recover_other_users_key test "$(cli_recover "$EKEY" "$FPW" frank >/dev/null 2>"$T/rm.err"; echo $?)" = 1
check cli_recover_other_users_key_said grep -q 'recovery refused (HTTP 401' "$T/rm.err"
check cli_recover_asks_second_factor test "$(cli_recover "$RKEY" "$FPW" alice >/dev/null 2>"$T/rm.err"; echo $?)" = 2
check cli_recover_asks_second_factor_said grep -q 'give --totp' "$T/rm.err"
check cli_recover_weak_password test "$(cli_recover "$FKEY" password1234 frank >/dev/null 2>&1; echo $?)" = 2
check cli_recover cli_recover "$FKEY" "$FPW" frank
check cli_recover_new_password_opens_keys env VIGIL_PASSWORD="$FPW" "$VIGIL" account login --server "$URL" --username frank --session "$T/sf" --kdf-fast
check cli_recover_old_password_refused test "$("$VIGIL" account login --server "$URL" --username frank --session "$T/sf2" --kdf-fast >/dev/null 2>&1; echo $?)" = 1
check cli_recover_key_stays_valid cli_recover "$FKEY" "$FPW-2" frank

# TOTP from the CLI (vigil account totp): frank turns on his second factor. A code that is
# not 6 digits and a wrong code leave it off; the right code from his app turns it on.
VIGIL_PASSWORD="$FPW-2" "$VIGIL" account login --server "$URL" --username frank --session "$T/sf3" --kdf-fast >/dev/null
check cli_totp_malformed_code test "$(VIGIL_TOTP_CODE=12ab "$VIGIL" account totp --server "$URL" --session "$T/sf3" >/dev/null 2>&1; echo $?)" = 2
check cli_totp_wrong_code test "$(VIGIL_TOTP_CODE=000000 "$VIGIL" account totp --server "$URL" --session "$T/sf3" >/dev/null 2>"$T/ct.err"; echo $?)|$(grep -c 'code was refused' "$T/ct.err")" = '1|1'
check cli_totp_still_off env VIGIL_PASSWORD="$FPW-2" "$VIGIL" account login --server "$URL" --username frank --session "$T/sf4" --kdf-fast
coproc CT { "$VIGIL" account totp --server "$URL" --session "$T/sf3" 2>"$T/ct.err"; }
FSEC=
while read -r -t 20 line <&"${CT[0]}"; do
	case $line in secret:*) FSEC=${line#secret: }; break ;; esac
done
check cli_totp_prints_secret test -n "$FSEC"
echo "$("$TOTP" "$FSEC")" >&"${CT[1]}"
read -r -t 20 line <&"${CT[0]}"
read -r -t 20 line <&"${CT[0]}"
wait "$CT_PID"
check cli_totp_on test "$?|$line" = '0|second factor on: sign-ins now ask for a code (vigil account login --totp CODE)'
check cli_totp_login_needs_code test "$(VIGIL_PASSWORD="$FPW-2" "$VIGIL" account login --server "$URL" --username frank --session "$T/sf5" --kdf-fast >/dev/null 2>&1; echo $?)" = 1
check cli_totp_login_with_code env VIGIL_PASSWORD="$FPW-2" "$VIGIL" account login --server "$URL" --username frank --session "$T/sf5" --kdf-fast --totp "$("$TOTP" "$FSEC" 1)"

# Changing a password from the CLI (vigil account password): gina's current password must
# open her keys here, a weak new one is refused, then every session ends and only the new
# one signs in, to the same keys.
GPW='Gina-first-passphrase-0001' GPW2='Gina-second-passphrase-0002'
check register_gina env VIGIL_PASSWORD="$GPW" "$VIGIL" account register --password-list "$PWL" --server "$URL" --code "$(newcode)" --username gina --kdf-fast
VIGIL_PASSWORD=$GPW "$VIGIL" account login --server "$URL" --username gina --session "$T/sg" --kdf-fast >"$T/gina1.out"
cli_password() { VIGIL_PASSWORD=$1 VIGIL_NEW_PASSWORD=$2 "$VIGIL" account password --password-list "$PWL" --server "$URL" --session "$T/sg" --kdf-fast; }
check cli_password_wrong_current test "$(cli_password "$GPW-x" "$GPW2" >/dev/null 2>"$T/pw.err"; echo $?)|$(grep -c 'does not open your keys' "$T/pw.err")" = '1|1'
check cli_password_weak_new test "$(cli_password "$GPW" password1234 >/dev/null 2>&1; echo $?)" = 2
check cli_password cli_password "$GPW" "$GPW2"
check cli_password_sessions_end test "$(code -H "Cookie: $(cat "$T/sg")" "$URL/api/v1/auth/me")" = 401
check cli_password_old_refused test "$(VIGIL_PASSWORD=$GPW "$VIGIL" account login --server "$URL" --username gina --session "$T/sg2" --kdf-fast >/dev/null 2>&1; echo $?)" = 1
check cli_password_new_same_keys test "$(VIGIL_PASSWORD=$GPW2 "$VIGIL" account login --server "$URL" --username gina --session "$T/sg2" --kdf-fast | cut -d' ' -f2-3)" = "$(cut -d' ' -f2-3 "$T/gina1.out")"

# Lockout: 100 failures lock bob; the 101st attempt and an unknown name get the same 429.
check register_bob "$VIGIL" account register --password-list "$PWL" --server "$URL" --code "$(newcode)" --username bob --kdf-fast >/dev/null
for i in $(seq 100); do login_raw bob "$WRONG" >/dev/null; login_raw ghost "$WRONG" >/dev/null; done
A=$(login_raw bob "$WRONG")
B=$(login_raw ghost "$WRONG")
case "$A" in *" 429"*"|1|"*) pass locked_429_retry_after ;; *) fail locked_429_retry_after "$A" ;; esac
check locked_identical test "$A" = "$B"
check locked_even_right_password test "$("$VIGIL" account login --server "$URL" --username bob --session "$T/s7" --kdf-fast >/dev/null 2>&1; echo $?)" = 1

# The instance audit log verifies with the served key and lists the logins.
C -H "$AH" -o "$T/audit.jsonl" "$URL/api/v1/audit/instance"
check audit_needs_admin test "$(code "$URL/api/v1/audit/instance")" = 401
check audit_verify "$VIGIL" audit verify "$T/audit.jsonl" --server-key "$KEY"
check audit_login_success grep -q '"action":"login.success"' "$T/audit.jsonl"
check audit_login_failure_anonymous grep -q '"actor":"","actor_kind":"anonymous","action":"login.failure"' "$T/audit.jsonl"
check audit_logout grep -q '"action":"logout"' "$T/audit.jsonl"
check audit_totp grep -q '"action":"totp.enable"' "$T/audit.jsonl"
if grep -q 'ghost\|nobody-here' "$T/audit.jsonl"; then fail audit_no_typed_names; else pass audit_no_typed_names; fi

# The password never reaches the server: not in its files, not in its log.
stop_bg server
if grep -rqF "$VIGIL_PASSWORD" "$DATA" "$T/server.log"; then fail password_not_stored; else pass password_not_stored; fi
if grep -rqF "${CK#*=}" "$DATA" "$T/server.log"; then fail token_not_stored; else pass token_not_stored; fi
check secret_0600 test "$(stat -c %a "$DATA/server.secret")" = 600
finish
