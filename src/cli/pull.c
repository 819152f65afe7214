/* pull.c - the download loop of export and verify: list, fetch each link, verify in order. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "cli/fetch.h"
#include "cli/progress.h"
#include "cli/pull.h"

static int
pull_any(const struct pull_opts *o, const char *cookie, struct clip_stats *st)
{
	struct clip_opts co = { o->v->keys, o->cam, o->stream, o->from_us, o->to_us, o->out,
	    stderr };
	struct fetch_conn fc = { NULL, NULL };
	struct clip *c = NULL;
	struct linkent *list = NULL;
	struct progress pg;
	struct buf b;
	char err[512];
	size_t n = 0, i;
	int rc = 1, e;

	buf_init(&b, HTTPC_MAX_LINK);
	e = cookie != NULL ? apic_new(&fc.a, o->v->server, cookie, NULL) :
	    httpc_new(&fc.h, o->v->server, o->v->token);
	if (e != 0) {
		fprintf(stderr, "error: %s: %s\n", o->v->server, httpc_strerror(e));
		goto out;
	}
	c = clip_new(&co);
	if (c == NULL) {
		fprintf(stderr, "error: out of memory\n");
		goto out;
	}
	if (fetch_list(&fc, o->cam->id, o->stream, o->from_us, o->to_us, &list, &n, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "error: %s\n", err);
		goto out;
	}
	progress_start(&pg, n);
	for (i = 0; i < n; i++) {
		buf_reset(&b);
		e = fetch_link(&fc, o->cam->id, o->stream, list[i].seq, &b, err, sizeof(err));
		progress_clear(&pg);
		if (e == HTTPC_E_PARTIAL) {
			/* A download cut short is treated like a link that ended early. */
			clip_fail(c, SEG_E_INCOMPLETE, list[i].seq);
			fprintf(stderr, "error: %s at seq %" PRIu64 " (download truncated)\n",
			    clip_strerror(SEG_E_INCOMPLETE), list[i].seq);
			rc = EXIT_VERIFY;
			goto out;
		}
		if (e != 0) {
			fprintf(stderr, "error: %s\n", err);
			goto out;
		}
		e = clip_link(c, b.data, b.len);
		if (e != SEG_OK) {
			fprintf(stderr, "error: %s at seq %" PRIu64 " (camera %s, stream %u, "
			    "listed seq %" PRIu64 ")\n", clip_strerror(e), clip_err_seq(c),
			    o->cam->name, (unsigned)o->stream, list[i].seq);
			rc = e == CLIP_E_IO ? 1 : EXIT_VERIFY;
			goto out;
		}
		progress_step(&pg, b.len);
	}
	progress_clear(&pg);
	if ((e = clip_finish(c)) != SEG_OK) {
		fprintf(stderr, "error: %s\n", clip_strerror(e));
		goto out;
	}
	rc = 0;
out:
	if (c != NULL)
		*st = *clip_stats(c);
	clip_free(c);	/* removes the output files unless the clip finished */
	free(list);
	buf_free(&b);
	httpc_free(fc.h);
	apic_free(fc.a);
	return rc;
}

int
pull_run(const struct pull_opts *o, struct clip_stats *st)
{
	return pull_any(o, NULL, st);
}

int
pull_run_session(const struct pull_opts *o, const char *cookie, struct clip_stats *st)
{
	if (cookie == NULL)
		return 1;
	return pull_any(o, cookie, st);
}
