/* child.h - starting, watching and stopping the demo's child processes (server, camsim, gateway) by pid. */
#ifndef VIGIL_CLI_CHILD_H
#define VIGIL_CLI_CHILD_H

#include <stddef.h>
#include <sys/types.h>

#define CHILD_LINE_MAX 1024

struct child {
	char name[32];
	pid_t pid;            /* 0 when not running */
	int out_fd;           /* read end of the child's stdout, -1 when closed */
	int exited;
	int status;           /* waitpid status once exited */
	char line[CHILD_LINE_MAX];
	size_t linelen;
};

/* The path of a binary next to this one (same directory as /proc/self/exe). 0 or -1. */
int child_sibling(const char *bin, char *out, size_t n);

/* Start argv[0] (a path) with stdin from /dev/null, stdout to a pipe we read, stderr
 * appended to log_path (mode 0600) or inherited when log_path is NULL, in its own process group (Ctrl-C reaches only us, we stop it) and with
 * SIGTERM as its parent-death signal. 0 or -1 (errno set). */
int child_start(struct child *c, const char *name, char *const argv[], const char *log_path);
/* Read the child's stdout until a line starting with prefix, or timeout_ms. The rest of
 * the line after the prefix goes to out. Other lines are copied to stderr. 0, or -1 on
 * timeout, EOF or the child's exit. */
int child_wait_line(struct child *c, const char *prefix, int timeout_ms, char *out, size_t n);
/* Read and copy to stderr whatever the child printed, without blocking. */
void child_drain(struct child *c);
/* 1 if the child has exited (reaped now or before), else 0. */
int child_exited(struct child *c);
/* Stop the child: SIGTERM, wait up to grace_ms, then SIGKILL and reap. Safe to call twice. */
void child_stop(struct child *c, int grace_ms);
/* Describe how it ended ("exited with status 1", "killed by signal 9") into out. */
void child_describe(const struct child *c, char *out, size_t n);
/* Run argv to completion with stdout captured into out (NUL-terminated, truncated at
 * n-1); 0 if it exited with status 0, else -1. */
int child_run(char *const argv[], char *out, size_t n, int timeout_ms);

#endif
