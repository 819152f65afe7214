/* The control FIFO: reads "stop camN" / "start camN" lines from a named pipe. */
#include "camsim/control.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>

#include "camsim/log.h"

struct control {
	char *path;
	int rfd;
	int wfd;		/* our own writer: the read end never sees EOF */
	guint watch;
	control_fn fn;
	void *user;
	char line[CONTROL_MAX_LINE + 1];
	size_t len;
	int overlong;		/* dropping bytes until the next newline */
};

static gboolean control_readable(gint fd, GIOCondition cond, gpointer user);

/* control_attach opens both ends of the FIFO and watches the read end. */
static int
control_attach(struct control *ctl)
{
	ctl->rfd = open(ctl->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (ctl->rfd < 0)
		return -1;
	ctl->wfd = open(ctl->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	ctl->watch = g_unix_fd_add(ctl->rfd, G_IO_IN | G_IO_HUP | G_IO_ERR,
	    control_readable, ctl);
	return 0;
}

static void
control_detach(struct control *ctl)
{
	if (ctl->watch != 0)
		g_source_remove(ctl->watch);
	ctl->watch = 0;
	if (ctl->rfd >= 0)
		close(ctl->rfd);
	if (ctl->wfd >= 0)
		close(ctl->wfd);
	ctl->rfd = ctl->wfd = -1;
}

/* control_line splits one line into "verb target" and hands it on. */
static void
control_line(struct control *ctl, char *s)
{
	char *verb, *target, *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (*s == '\0')
		return;
	verb = s;
	target = strchr(s, ' ');
	if (target != NULL) {
		*target++ = '\0';
		while (*target == ' ')
			target++;
	}
	if ((strcmp(verb, "stop") != 0 && strcmp(verb, "start") != 0) ||
	    target == NULL || *target == '\0' || strchr(target, ' ') != NULL) {
		/* Do not echo the line: it is input from outside. */
		log_warn("event=control result=bad_command hint=\"stop|start camN|all\"");
		return;
	}
	ctl->fn(verb, target, ctl->user);
}

static void
control_bytes(struct control *ctl, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			if (!ctl->overlong) {
				ctl->line[ctl->len] = '\0';
				control_line(ctl, ctl->line);
			}
			ctl->len = 0;
			ctl->overlong = 0;
		} else if (ctl->overlong) {
			continue;
		} else if (ctl->len == CONTROL_MAX_LINE || buf[i] == '\0') {
			log_warn("event=control result=line_dropped reason=%s",
			    buf[i] == '\0' ? "nul_byte" : "too_long");
			ctl->overlong = 1;
			ctl->len = 0;
		} else {
			ctl->line[ctl->len++] = buf[i];
		}
	}
}

static gboolean
control_readable(gint fd, GIOCondition cond, gpointer user)
{
	struct control *ctl = user;
	char buf[512];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			control_bytes(ctl, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return G_SOURCE_CONTINUE;
		break;
	}
	/* EOF or error: should not happen while we hold a writer, but reopen so
	 * that later writers are still heard. */
	log_warn("event=control_reopen reason=%s", n == 0 ? "eof" : g_strerror(errno));
	ctl->watch = 0;		/* returning REMOVE destroys this source */
	control_detach(ctl);
	ctl->len = 0;
	ctl->overlong = 0;
	if (control_attach(ctl) != 0)
		log_error("event=control_reopen result=failed error=\"%s\"",
		    g_strerror(errno));
	return G_SOURCE_REMOVE;
}

struct control *
control_open(const char *path, control_fn fn, void *user, char **err)
{
	struct control *ctl = NULL, *ret = NULL;
	struct stat st;

	*err = NULL;
	if (lstat(path, &st) == 0) {
		if (!S_ISFIFO(st.st_mode)) {
			*err = g_strdup_printf("%s exists and is not a FIFO", path);
			goto out;
		}
	} else if (errno != ENOENT || mkfifo(path, 0600) != 0) {
		*err = g_strdup_printf("cannot create FIFO %s: %s", path,
		    g_strerror(errno));
		goto out;
	}
	ctl = g_new0(struct control, 1);
	ctl->path = g_strdup(path);
	ctl->rfd = ctl->wfd = -1;
	ctl->fn = fn;
	ctl->user = user;
	if (control_attach(ctl) != 0) {
		*err = g_strdup_printf("cannot open FIFO %s: %s", path,
		    g_strerror(errno));
		goto out;
	}
	ret = ctl;
	ctl = NULL;
out:
	control_close(ctl);
	return ret;
}

void
control_close(struct control *ctl)
{
	if (ctl == NULL)
		return;
	control_detach(ctl);
	(void)unlink(ctl->path);
	g_free(ctl->path);
	g_free(ctl);
}
