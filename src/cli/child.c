/* child.c - fork/exec of the demo's processes with a stdout pipe, READY lines, and stopping by pid. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cli/child.h"
#include "common/util.h"

int
child_sibling(const char *bin, char *out, size_t n)
{
	char self[PATH_MAX];
	ssize_t len;
	char *slash;

	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0)
		return -1;
	self[len] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL)
		return -1;
	*slash = '\0';
	if (snprintf(out, n, "%s/%s", self, bin) >= (int)n)
		return -1;
	return 0;
}

/* In the child after fork: set up fds and exec; never returns. */
static void
exec_child(int out_w, char *const argv[], pid_t parent, const char *log_path)
{
	int devnull, logfd;

	(void)setpgid(0, 0);
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		close(devnull);
	}
	if (log_path != NULL) {
		logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (logfd < 0 || dup2(logfd, STDERR_FILENO) < 0)
			_exit(127);
		close(logfd);
	}
	if (dup2(out_w, STDOUT_FILENO) < 0)
		_exit(127);
	close(out_w);
	signal(SIGPIPE, SIG_DFL);
	execv(argv[0], argv);
	fprintf(stderr, "vigil: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int
child_start(struct child *c, const char *name, char *const argv[], const char *log_path)
{
	int p[2];
	pid_t parent = getpid(), pid;

	memset(c, 0, sizeof(*c));
	c->out_fd = -1;
	snprintf(c->name, sizeof(c->name), "%s", name);
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		exec_child(p[1], argv, parent, log_path);
	}
	close(p[1]);
	(void)fcntl(p[0], F_SETFL, O_NONBLOCK);
	c->pid = pid;
	c->out_fd = p[0];
	return 0;
}

/* Pull bytes from the pipe into line; hand each whole line to fn. Returns 0, or -1 at EOF. */
static int
read_lines(struct child *c, const char *prefix, char *out, size_t n, int *found)
{
	char tmp[512];
	ssize_t r;
	size_t i;

	for (;;) {
		r = read(c->out_fd, tmp, sizeof(tmp));
		if (r < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (r == 0) {
			close(c->out_fd);
			c->out_fd = -1;
			return -1;
		}
		for (i = 0; i < (size_t)r; i++) {
			if (tmp[i] != '\n') {
				if (c->linelen < sizeof(c->line) - 1)
					c->line[c->linelen++] = tmp[i];
				continue;
			}
			c->line[c->linelen] = '\0';
			c->linelen = 0;
			if (prefix != NULL && !*found &&
			    strncmp(c->line, prefix, strlen(prefix)) == 0) {
				snprintf(out, n, "%s", c->line + strlen(prefix));
				*found = 1;
			} else {
				fprintf(stderr, "%s: %s\n", c->name, c->line);
			}
		}
		if (prefix != NULL && *found)
			return 0;
	}
}

int
child_wait_line(struct child *c, const char *prefix, int timeout_ms, char *out, size_t n)
{
	int64_t deadline = mono_us() + (int64_t)timeout_ms * 1000;
	struct pollfd pfd;
	int found = 0;

	while (!found) {
		int64_t left = (deadline - mono_us()) / 1000;

		if (left <= 0 || c->out_fd < 0 || child_exited(c))
			return -1;
		pfd.fd = c->out_fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left > 200 ? 200 : (int)left) < 0 && errno != EINTR)
			return -1;
		if (read_lines(c, prefix, out, n, &found) != 0 && !found)
			return -1;
	}
	return 0;
}

void
child_drain(struct child *c)
{
	int found = 0;

	if (c->out_fd >= 0)
		(void)read_lines(c, NULL, NULL, 0, &found);
}

int
child_exited(struct child *c)
{
	pid_t r;

	if (c->pid <= 0 || c->exited)
		return c->exited;
	r = waitpid(c->pid, &c->status, WNOHANG);
	if (r == c->pid)
		c->exited = 1;
	return c->exited;
}

void
child_stop(struct child *c, int grace_ms)
{
	int64_t deadline;

	if (c->pid > 0 && !child_exited(c)) {
		kill(c->pid, SIGTERM);
		deadline = mono_us() + (int64_t)grace_ms * 1000;
		while (!child_exited(c) && mono_us() < deadline) {
			struct timespec ts = { 0, 50 * 1000 * 1000 };

			child_drain(c);
			nanosleep(&ts, NULL);
		}
		if (!child_exited(c)) {
			fprintf(stderr, "vigil: %s (pid %d) did not stop in %d ms: killing it\n",
			    c->name, (int)c->pid, grace_ms);
			kill(c->pid, SIGKILL);
			if (waitpid(c->pid, &c->status, 0) == c->pid)
				c->exited = 1;
		}
	}
	child_drain(c);
	if (c->out_fd >= 0) {
		close(c->out_fd);
		c->out_fd = -1;
	}
}

void
child_describe(const struct child *c, char *out, size_t n)
{
	if (WIFEXITED(c->status))
		snprintf(out, n, "exited with status %d", WEXITSTATUS(c->status));
	else if (WIFSIGNALED(c->status))
		snprintf(out, n, "killed by signal %d", WTERMSIG(c->status));
	else
		snprintf(out, n, "stopped");
}

int
child_run(char *const argv[], char *out, size_t n, int timeout_ms)
{
	struct child c;
	int64_t deadline = mono_us() + (int64_t)timeout_ms * 1000;
	char tmp[512];
	size_t len = 0;
	ssize_t r;
	struct pollfd pfd;

	if (n > 0)
		out[0] = '\0';
	if (child_start(&c, argv[0], argv, NULL) != 0)
		return -1;
	while (c.out_fd >= 0 && mono_us() < deadline) {
		pfd.fd = c.out_fd;
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, 200);
		r = read(c.out_fd, tmp, sizeof(tmp));
		if (r == 0) {
			close(c.out_fd);
			c.out_fd = -1;
		} else if (r > 0 && n > 0) {
			size_t k = (size_t)r < n - 1 - len ? (size_t)r : n - 1 - len;

			memcpy(out + len, tmp, k);
			len += k;
			out[len] = '\0';
		}
	}
	/* EOF on stdout comes just before the exit: give it until the deadline. */
	while (!child_exited(&c) && mono_us() < deadline) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	child_stop(&c, 5000);
	return c.exited && WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0 ? 0 : -1;
}
