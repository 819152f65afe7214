/* cmd_org.h - entry points of the org admin's commands: org, site, gateway, camera, member, join, grant, support. */
#ifndef VIGIL_CLI_CMD_ORG_H
#define VIGIL_CLI_CMD_ORG_H

/* Each takes the arguments after the command name (argv[0] is the command) and returns
 * the exit code: 0 done, 1 runtime error or refusal, 2 usage error. */
int cmd_org(int argc, char **argv);
int cmd_site(int argc, char **argv);
int cmd_gateway(int argc, char **argv);
int cmd_camera(int argc, char **argv);
int cmd_member(int argc, char **argv);
int cmd_join(int argc, char **argv);
int cmd_grant(int argc, char **argv);
int cmd_support(int argc, char **argv);

#endif
