/* cmd_account.h - the entry point of `vigil account` (register, login, recover, totp: the zero-knowledge account client). */
#ifndef VIGIL_CLI_CMD_ACCOUNT_H
#define VIGIL_CLI_CMD_ACCOUNT_H

/* `vigil account register|login|recover|totp ...`; argv[0] is "account". Returns the exit code:
 * 0 done, 1 runtime or server error, 2 usage error. */
int cmd_account(int argc, char **argv);

#endif
