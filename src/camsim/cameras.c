/* The simulated cameras: their mount points and taking them down and up on command. */
#include "camsim/cameras.h"

#include <stdio.h>
#include <string.h>

#include "camsim/log.h"

struct camera {
	char name[16];
	char main_path[32];
	char sub_path[32];
	GstRTSPMediaFactory *main;
	GstRTSPMediaFactory *sub;	/* NULL when the camera has no substream */
	int up;
};

struct cameras {
	GstRTSPServer *server;
	GstRTSPMountPoints *mounts;
	struct camera *cam;
	unsigned n;
};

/* What the session filters look for: the mount paths of one camera. */
struct kick {
	const char *paths[2];
	GList *sessions;	/* matching sessions, referenced */
};

struct cameras *
cameras_new(GstRTSPServer *server, unsigned n)
{
	struct cameras *cams = g_new0(struct cameras, 1);
	unsigned i;

	cams->server = g_object_ref(server);
	cams->mounts = gst_rtsp_server_get_mount_points(server);
	cams->cam = g_new0(struct camera, n);
	cams->n = n;
	for (i = 0; i < n; i++) {
		struct camera *c = &cams->cam[i];

		snprintf(c->name, sizeof(c->name), "cam%u", i + 1);
		snprintf(c->main_path, sizeof(c->main_path), "/%s/main", c->name);
		snprintf(c->sub_path, sizeof(c->sub_path), "/%s/sub", c->name);
	}
	return cams;
}

void
cameras_set_factory(struct cameras *cams, unsigned idx, const char *stream,
    GstRTSPMediaFactory *factory)
{
	struct camera *c = &cams->cam[idx];
	GstRTSPMediaFactory **slot = strcmp(stream, "sub") == 0 ? &c->sub : &c->main;

	if (*slot != NULL)
		g_object_unref(*slot);
	*slot = factory;
}

unsigned
cameras_count(const struct cameras *cams)
{
	return cams->n;
}

const char *
cameras_name(const struct cameras *cams, unsigned idx)
{
	return cams->cam[idx].name;
}

int
cameras_has_sub(const struct cameras *cams, unsigned idx)
{
	return cams->cam[idx].sub != NULL;
}

int
cameras_find(const struct cameras *cams, const char *name)
{
	unsigned i;

	for (i = 0; i < cams->n; i++)
		if (strcmp(cams->cam[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
cameras_start(struct cameras *cams, unsigned idx)
{
	struct camera *c = &cams->cam[idx];

	if (c->up)
		return 0;
	if (c->main != NULL)
		gst_rtsp_mount_points_add_factory(cams->mounts, c->main_path,
		    g_object_ref(c->main));
	if (c->sub != NULL)
		gst_rtsp_mount_points_add_factory(cams->mounts, c->sub_path,
		    g_object_ref(c->sub));
	c->up = 1;
	return 1;
}

/* sm_matches says whether a session media plays exactly one of kick's paths. */
static gboolean
sm_matches(GstRTSPSessionMedia *sm, const struct kick *k)
{
	size_t i;
	gint matched;

	for (i = 0; i < G_N_ELEMENTS(k->paths); i++) {
		if (k->paths[i] == NULL)
			continue;
		/* matches() is a prefix test: insist on the whole path. */
		matched = 0;
		if (gst_rtsp_session_media_matches(sm, k->paths[i], &matched) &&
		    (size_t)matched == strlen(k->paths[i]))
			return TRUE;
	}
	return FALSE;
}

static GstRTSPFilterResult
sm_find(GstRTSPSession *sess, GstRTSPSessionMedia *sm, gpointer user)
{
	return sm_matches(sm, user) ? GST_RTSP_FILTER_REF : GST_RTSP_FILTER_KEEP;
}

static GstRTSPFilterResult
sm_remove(GstRTSPSession *sess, GstRTSPSessionMedia *sm, gpointer user)
{
	return sm_matches(sm, user) ? GST_RTSP_FILTER_REMOVE : GST_RTSP_FILTER_KEEP;
}

/* session_find keeps a reference on each of a client's sessions that plays k. */
static GstRTSPFilterResult
session_find(GstRTSPClient *client, GstRTSPSession *sess, gpointer user)
{
	struct kick *k = user;
	GList *hits;

	hits = gst_rtsp_session_filter(sess, sm_find, k);
	if (hits == NULL)
		return GST_RTSP_FILTER_KEEP;
	g_list_free_full(hits, g_object_unref);
	k->sessions = g_list_prepend(k->sessions, g_object_ref(sess));
	return GST_RTSP_FILTER_REF;
}

/* client_find refs every client connection that has a session playing k. */
static GstRTSPFilterResult
client_find(GstRTSPServer *server, GstRTSPClient *client, gpointer user)
{
	GList *hits;

	hits = gst_rtsp_client_session_filter(client, session_find, user);
	if (hits == NULL)
		return GST_RTSP_FILTER_KEEP;
	g_list_free_full(hits, g_object_unref);
	return GST_RTSP_FILTER_REF;
}

int
cameras_stop(struct cameras *cams, unsigned idx)
{
	struct camera *c = &cams->cam[idx];
	struct kick k = { { NULL, NULL }, NULL };
	GstRTSPSessionPool *pool = NULL;
	GList *clients = NULL, *l;
	int n = 0;

	if (!c->up)
		return -1;
	/* First unmount, so that a client reconnecting right away gets 404. */
	if (c->main != NULL)
		gst_rtsp_mount_points_remove_factory(cams->mounts, c->main_path);
	if (c->sub != NULL)
		gst_rtsp_mount_points_remove_factory(cams->mounts, c->sub_path);
	c->up = 0;

	/* Find first, change after: no filter callback modifies what it walks. */
	k.paths[0] = c->main_path;
	k.paths[1] = c->sub != NULL ? c->sub_path : NULL;
	clients = gst_rtsp_server_client_filter(cams->server, client_find, &k);

	/* Release the camera's media from each session (this stops their
	 * pipelines once no one else plays them), then drop the session. */
	pool = gst_rtsp_server_get_session_pool(cams->server);
	for (l = k.sessions; l != NULL; l = l->next) {
		GstRTSPSession *sess = l->data;

		g_list_free_full(gst_rtsp_session_filter(sess, sm_remove, &k),
		    g_object_unref);
		if (pool != NULL)
			(void)gst_rtsp_session_pool_remove(pool, sess);
	}
	/* Closing the connection is what an RTSP client over TCP notices. */
	for (l = clients; l != NULL; l = l->next) {
		gst_rtsp_client_close(GST_RTSP_CLIENT(l->data));
		n++;
	}

	g_list_free_full(k.sessions, g_object_unref);
	g_list_free_full(clients, g_object_unref);
	if (pool != NULL)
		g_object_unref(pool);
	return n;
}

void
cameras_free(struct cameras *cams)
{
	unsigned i;

	if (cams == NULL)
		return;
	for (i = 0; i < cams->n; i++) {
		if (cams->cam[i].main != NULL)
			g_object_unref(cams->cam[i].main);
		if (cams->cam[i].sub != NULL)
			g_object_unref(cams->cam[i].sub);
	}
	g_free(cams->cam);
	g_object_unref(cams->mounts);
	g_object_unref(cams->server);
	g_free(cams);
}
