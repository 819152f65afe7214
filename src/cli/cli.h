/* cli.h - the entry points of the vigil command's subcommands (one file each). */
#ifndef VIGIL_CLI_CLI_H
#define VIGIL_CLI_CLI_H

/* Exit codes: 0 ok, 1 runtime error, 2 usage error, 3 verification failure. */
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

/* Each takes the arguments after the subcommand name (argv[0] is the subcommand) and
 * returns the process exit code. */
int cmd_camsim(int argc, char **argv);
int cmd_provision(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_operator(int argc, char **argv);

#endif
