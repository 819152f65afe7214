/* cmd_audit.h - the entry point of `vigil audit` (verify a downloaded audit log offline). */
#ifndef VIGIL_CLI_CMD_AUDIT_H
#define VIGIL_CLI_CMD_AUDIT_H

/* `vigil audit verify FILE --server-key HEX`. argv[0] is "audit". Returns the exit code:
 * 0 the log verifies, 1 the file cannot be read, 2 usage error, 3 tampering found. */
int cmd_audit(int argc, char **argv);

#endif
