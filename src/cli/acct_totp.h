/* acct_totp.h - `vigil account totp`: turning on the account's second factor (TOTP) from a terminal. */
#ifndef VIGIL_CLI_ACCT_TOTP_H
#define VIGIL_CLI_ACCT_TOTP_H

/*
 * With the session in session_file (from `vigil account login`, less than 5 minutes old):
 * asks the server for a new TOTP secret, prints it and its otpauth:// URI for an
 * authenticator app, reads a code from $VIGIL_TOTP_CODE or a line of standard input, and
 * confirms it. Returns the exit code: 0 done, 1 runtime or server error, 2 usage error.
 */
int account_totp(const char *server, const char *session_file);

#endif
