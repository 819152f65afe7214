/* test_gw_sigconfig.c - unit tests of the gateway's signed configuration: each forged, foreign, replayed or tampered statement refused; a valid one parsed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/orgkeys.h"
#include "common/statement.h"
#include "gateway/config.h"
#include "gateway/motion.h"
#include "gateway/motion_tap.h"
#include "gateway/sigconfig.h"

#define NOW INT64_C(1700000000000000)
#define ID1 "00112233445566778899aabbccddeeff"
#define PK1 "0101010101010101010101010101010101010101010101010101010101010101"

static const char *body_good =
    "{\"segment_target_ms\":3000,\"retention_days\":30,"
    "\"detection\":{\"enabled\":true,\"sensitivity\":70},"
    "\"cameras\":[{\"name\":\"dock\",\"id\":\"" ID1 "\",\"epoch\":4,"
    "\"epoch_public_key\":\"" PK1 "\",\"streams\":["
    "{\"index\":0,\"url\":\"rtsp://admin:s3cret-pw@10.0.0.5:554/main\"}]}]}";

struct fx {
	struct stmt_signer root, admin;
	struct buf org_root, admin_cert;
	uint8_t gpk[32], gsk[64];
	char dir[64], state[128];
	struct config local;
	char server[32], key_file[32], spool[32];
	struct sigconfig *sc;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct stmt_admin_cert ac;
	uint8_t sk[64], pk[32];

	assert_int_equal(sodium_init() >= 0, 1);
	buf_init(&f->org_root, STMT_MAX_LEN);
	buf_init(&f->admin_cert, STMT_MAX_LEN);
	assert_int_equal(orgkeys_org_create("Acme", NOW, &f->root, &f->org_root), 0);
	crypto_sign_keypair(pk, sk);
	orgkeys_signer_init(&f->admin, sk, f->root.org_id);
	sodium_memzero(sk, sizeof(sk));
	memset(&ac, 0, sizeof(ac));
	memcpy(ac.sign_pk, f->admin.pk, 32);
	ac.active = 1;
	assert_int_equal(orgkeys_admin_certify(&f->root, &ac, 1, NOW, &f->admin_cert), 0);
	crypto_sign_keypair(f->gpk, f->gsk);
	memcpy(f->dir, "/tmp/vigil-sigconfig.XXXXXX", 28);
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->state, sizeof(f->state), "%s/sigconfig.state", f->dir);
	memcpy(f->server, "http://127.0.0.1:8080", 22);
	memcpy(f->key_file, "/var/lib/vigil/gw.key", 22);
	memcpy(f->spool, "/var/lib/vigil/spool", 21);
	f->local.server = f->server;
	f->local.key_file = f->key_file;
	f->local.spool_dir = f->spool;
	f->local.spool_max_bytes = 1u << 30;
	f->local.segment_target_ms = 2000;
	assert_int_equal(sigconfig_open(&f->sc, f->root.pk, f->gsk, f->state), 0);
	assert_int_equal(sigconfig_trust_admin(f->sc, f->admin_cert.data, f->admin_cert.len, NOW), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	sigconfig_close(f->sc);
	unlink(f->state);
	rmdir(f->dir);
	statement_signer_wipe(&f->root);
	statement_signer_wipe(&f->admin);
	sodium_memzero(f->gsk, sizeof(f->gsk));
	buf_free(&f->org_root);
	buf_free(&f->admin_cert);
	free(f);
	return 0;
}

/* A gateway.config statement from signer, for gateway gpk, with seq and expiry. */
static void make_config(const struct stmt_signer *signer, const uint8_t gpk[32], uint64_t seq,
    int64_t expires, const char *body, struct buf *out)
{
	buf_reset(out);
	assert_int_equal(orgkeys_gateway_sealed(signer, STMT_GATEWAY_CONFIG, gpk, seq, NOW,
	    expires, body, strlen(body), out), 0);
}

static int apply(struct fx *f, const struct buf *b, struct config **c, char *err, size_t errlen)
{
	struct sigconfig_settings st;
	int r = sigconfig_apply_config(f->sc, b->data, b->len, NOW, &f->local, c, &st, err, errlen);

	if (r != 0)
		assert_null(*c);
	return r;
}

static void test_valid_config(void **state)
{
	struct fx *f = *state;
	struct sigconfig_settings st;
	struct config *c = NULL;
	struct buf b;
	char err[256];
	int has;

	buf_init(&b, STMT_MAX_LEN);
	make_config(&f->admin, f->gpk, 5, 0, body_good, &b);
	/* The camera password travels sealed: not in the statement the server stores. */
	assert_null(memmem(b.data, b.len, "s3cret-pw", 9));
	assert_int_equal(sigconfig_last_seq(f->sc, &has), 0);
	assert_int_equal(has, 0);
	assert_int_equal(sigconfig_apply_config(f->sc, b.data, b.len, NOW, &f->local, &c, &st, err,
	    sizeof(err)), 0);
	assert_string_equal(err, "ok");
	assert_string_equal(c->server, "http://127.0.0.1:8080");
	assert_string_equal(c->spool_dir, "/var/lib/vigil/spool");
	assert_true(c->spool_max_bytes == (1u << 30));
	assert_int_equal(c->segment_target_ms, 3000);
	assert_int_equal(c->ncameras, 1);
	assert_string_equal(c->cameras[0].name, "dock");
	assert_int_equal(c->cameras[0].epoch, 4);
	assert_int_equal(c->cameras[0].id[15], 0xff);
	assert_int_equal(c->cameras[0].epoch_pk[0], 1);
	assert_string_equal(c->cameras[0].streams[0].url, "rtsp://admin:s3cret-pw@10.0.0.5:554/main");
	assert_int_equal(st.retention_days, 30);
	assert_int_equal(st.detection_enabled, 1);
	assert_int_equal(st.detection_sensitivity, 70);
	assert_int_equal(sigconfig_last_seq(f->sc, &has), 5);
	assert_int_equal(has, 1);
	config_free(c);
	/* Signed by the root itself also goes, with a higher seq. */
	make_config(&f->root, f->gpk, 6, 0, body_good, &b);
	assert_int_equal(apply(f, &b, &c, err, sizeof(err)), 0);
	config_free(c);
	buf_free(&b);
}

static void test_refusals(void **state)
{
	struct fx *f = *state;
	struct config *c = NULL;
	struct buf b, ok;
	char err[256];
	int has;

	buf_init(&b, STMT_MAX_LEN);
	buf_init(&ok, STMT_MAX_LEN);

	/* Unsigned: signature zeroed, or cut off. */
	make_config(&f->admin, f->gpk, 10, 0, body_good, &b);
	memset(b.data + b.len - STMT_SIG_LEN, 0, STMT_SIG_LEN);
	assert_int_equal(apply(f, &b, &c, err, sizeof(err)), STMT_E_SIGNATURE);
	assert_non_null(strstr(err, "gateway.config statement refused: bad signature"));
	assert_int_equal(apply(f, &(struct buf){ .data = b.data, .len = b.len - STMT_SIG_LEN }, &c,
	    err, sizeof(err)), STMT_E_FORMAT);
	assert_non_null(strstr(err, "malformed"));

	/* Wrong signer: a key the org never certified, claiming the org. */
	{
		struct stmt_signer stranger;
		crypto_sign_keypair(stranger.pk, stranger.sk);
		memcpy(stranger.org_id, f->root.org_id, STMT_ORG_ID_LEN);
		make_config(&stranger, f->gpk, 10, 0, body_good, &b);
		assert_int_equal(apply(f, &b, &c, err, sizeof(err)), STMT_E_ISSUER);
		assert_non_null(strstr(err, "unknown issuer"));
		statement_signer_wipe(&stranger);
	}

	/* Other org: its root signs a config for this very gateway. */
	{
		struct stmt_signer other;
		struct buf ob;
		buf_init(&ob, STMT_MAX_LEN);
		assert_int_equal(orgkeys_org_create("Other", NOW, &other, &ob), 0);
		make_config(&other, f->gpk, 10, 0, body_good, &b);
		assert_int_equal(apply(f, &b, &c, err, sizeof(err)), STMT_E_ORG);
		assert_non_null(strstr(err, "another organization"));
		statement_signer_wipe(&other);
		buf_free(&ob);
	}

	/* Other gateway: genuinely signed, addressed to another gateway. */
	{
		uint8_t opk[32], osk[64];
		crypto_sign_keypair(opk, osk);
		make_config(&f->admin, opk, 10, 0, body_good, &b);
		assert_int_equal(apply(f, &b, &c, err, sizeof(err)), STMT_E_TARGET);
		assert_non_null(strstr(err, "addressed to someone else"));
		sodium_memzero(osk, sizeof(osk));
	}

	/* Tampered body: one bit of the sealed configuration flipped. */
	make_config(&f->admin, f->gpk, 10, 0, body_good, &b);
	b.data[STMT_HEADER_LEN + 40] ^= 0x01;
	assert_int_equal(apply(f, &b, &c, err, sizeof(err)), STMT_E_SIGNATURE);

	/* Expired. */
	make_config(&f->admin, f->gpk, 10, NOW, body_good, &b);
	assert_int_equal(apply(f, &b, &c, err, sizeof(err)), STMT_E_EXPIRED);

	/* Wrong type: a command offered as a configuration, a grant, the org root. */
	buf_reset(&b);
	assert_int_equal(orgkeys_gateway_sealed(&f->admin, STMT_GATEWAY_COMMAND, f->gpk, 10, NOW,
	    0, "{\"command\":\"restart\"}", 21, &b), 0);
	assert_int_equal(apply(f, &b, &c, err, sizeof(err)), STMT_E_TYPE);
	assert_int_equal(apply(f, &f->org_root, &c, err, sizeof(err)), STMT_E_TYPE);

	/* Nothing so far moved the counter. */
	assert_int_equal(sigconfig_last_seq(f->sc, &has), 0);
	assert_int_equal(has, 0);

	/* Replayed: the same statement twice. Out of order: seq 10 then seq 9. */
	make_config(&f->admin, f->gpk, 10, 0, body_good, &ok);
	assert_int_equal(apply(f, &ok, &c, err, sizeof(err)), 0);
	config_free(c);
	assert_int_equal(apply(f, &ok, &c, err, sizeof(err)), STMT_E_REPLAY);
	assert_non_null(strstr(err, "replayed or out-of-order"));
	make_config(&f->admin, f->gpk, 9, 0, body_good, &b);
	assert_int_equal(apply(f, &b, &c, err, sizeof(err)), STMT_E_REPLAY);
	/* A command shares the sequence. */
	buf_reset(&b);
	assert_int_equal(orgkeys_gateway_sealed(&f->admin, STMT_GATEWAY_COMMAND, f->gpk, 10, NOW,
	    0, "{\"command\":\"restart\"}", 21, &b), 0);
	{
		struct sigconfig_command cmd;
		assert_int_equal(sigconfig_apply_command(f->sc, b.data, b.len, NOW, &cmd, err,
		    sizeof(err)), STMT_E_REPLAY);
	}

	/* The counter survives a restart: the replay is still refused. */
	sigconfig_close(f->sc);
	assert_int_equal(sigconfig_open(&f->sc, f->root.pk, f->gsk, f->state), 0);
	assert_int_equal(sigconfig_last_seq(f->sc, &has), 10);
	/* So do the certified admins: the cert is known already (and its admin trusted). */
	assert_int_equal(sigconfig_trust_admin(f->sc, f->admin_cert.data, f->admin_cert.len, NOW),
	    STMT_E_REPLAY);
	assert_int_equal(apply(f, &ok, &c, err, sizeof(err)), STMT_E_REPLAY);

	/* Signed by an admin the gateway was never told about. */
	{
		struct stmt_signer a2;
		uint8_t sk[64], pk[32];
		crypto_sign_keypair(pk, sk);
		orgkeys_signer_init(&a2, sk, f->root.org_id);
		make_config(&a2, f->gpk, 11, 0, body_good, &b);
		assert_int_equal(apply(f, &b, &c, err, sizeof(err)), STMT_E_ISSUER);
		statement_signer_wipe(&a2);
		sodium_memzero(sk, sizeof(sk));
	}
	buf_free(&b);
	buf_free(&ok);
}

static void test_bad_bodies(void **state)
{
	struct fx *f = *state;
	struct config *c = NULL;
	struct buf b;
	char err[256];
	int has;

	buf_init(&b, STMT_MAX_LEN);
	/* The org cannot move the gateway's uploads elsewhere. */
	make_config(&f->admin, f->gpk, 1, 0,
	    "{\"server\":\"http://evil\",\"cameras\":[]}", &b);
	assert_int_equal(apply(f, &b, &c, err, sizeof(err)), STMT_E_CONFIG);
	assert_non_null(strstr(err, "local-only"));
	make_config(&f->admin, f->gpk, 1, 0, "not json", &b);
	assert_int_equal(apply(f, &b, &c, err, sizeof(err)), STMT_E_CONFIG);
	make_config(&f->admin, f->gpk, 1, 0, "{\"cameras\":[]}", &b);
	assert_int_equal(apply(f, &b, &c, err, sizeof(err)), STMT_E_CONFIG);
	assert_non_null(strstr(err, "cameras"));
	make_config(&f->admin, f->gpk, 1, 0, "{\"retention_days\":-1,\"cameras\":[]}", &b);
	assert_int_equal(apply(f, &b, &c, err, sizeof(err)), STMT_E_CONFIG);
	assert_non_null(strstr(err, "retention_days"));
	make_config(&f->admin, f->gpk, 1, 0, "{\"detection\":{\"sensitivity\":0},\"cameras\":[]}",
	    &b);
	assert_int_equal(apply(f, &b, &c, err, sizeof(err)), STMT_E_CONFIG);
	assert_non_null(strstr(err, "sensitivity"));
	/* A bad URL is named without echoing the credentials. */
	make_config(&f->admin, f->gpk, 1, 0,
	    "{\"cameras\":[{\"name\":\"a\",\"id\":\"" ID1 "\",\"epoch\":1,\"epoch_public_key\":\""
	    PK1 "\",\"streams\":[{\"index\":0,\"url\":\"http://u:pw9@x/\"}]}]}", &b);
	assert_int_equal(apply(f, &b, &c, err, sizeof(err)), STMT_E_CONFIG);
	assert_null(strstr(err, "pw9"));
	/* Sealed to another gateway's key but addressed to this one (a confused client). */
	{
		uint8_t opk[32], osk[64], xpk[32];
		struct stmt *s = NULL;
		struct buf sealed, out;
		crypto_sign_keypair(opk, osk);
		buf_init(&sealed, STMT_MAX_LEN);
		buf_init(&out, STMT_MAX_LEN);
		make_config(&f->admin, opk, 1, 0, body_good, &sealed);
		assert_int_equal(statement_parse(sealed.data, sealed.len, &s), 0);
		assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(xpk, opk), 0);
		assert_int_equal(statement_sign(&f->admin, STMT_GATEWAY_CONFIG, f->gpk, 1, NOW, 0,
		    s->body, s->body_len, &out), 0);
		assert_int_equal(apply(f, &out, &c, err, sizeof(err)), STMT_E_SEALED);
		statement_free(s);
		buf_free(&sealed);
		buf_free(&out);
		sodium_memzero(osk, sizeof(osk));
	}
	/* None of these advanced the counter: a good seq 1 still applies. */
	assert_int_equal(sigconfig_last_seq(f->sc, &has), 0);
	make_config(&f->admin, f->gpk, 1, 0, body_good, &b);
	assert_int_equal(apply(f, &b, &c, err, sizeof(err)), 0);
	config_free(c);
	buf_free(&b);
}

static void test_commands(void **state)
{
	struct fx *f = *state;
	struct sigconfig_command cmd;
	struct buf b;
	char err[256];
	static const char camcmd[] = "{\"command\":\"snapshot\",\"camera\":\"" ID1 "\"}";

	buf_init(&b, STMT_MAX_LEN);
	assert_int_equal(orgkeys_gateway_sealed(&f->admin, STMT_GATEWAY_COMMAND, f->gpk, 1, NOW, 0,
	    camcmd, strlen(camcmd), &b), 0);
	assert_int_equal(sigconfig_apply_command(f->sc, b.data, b.len, NOW, &cmd, err, sizeof(err)),
	    0);
	assert_string_equal(cmd.name, "snapshot");
	assert_int_equal(cmd.has_camera, 1);
	assert_int_equal(cmd.camera_id[0], 0x00);
	assert_int_equal(cmd.camera_id[1], 0x11);
	assert_int_equal(sigconfig_apply_command(f->sc, b.data, b.len, NOW, &cmd, err, sizeof(err)),
	    STMT_E_REPLAY);
	assert_non_null(strstr(err, "gateway.command statement refused"));
	buf_reset(&b);
	assert_int_equal(orgkeys_gateway_sealed(&f->admin, STMT_GATEWAY_COMMAND, f->gpk, 2, NOW, 0,
	    "{\"command\":\"rm -rf\"}", 20, &b), 0);
	assert_int_equal(sigconfig_apply_command(f->sc, b.data, b.len, NOW, &cmd, err, sizeof(err)),
	    STMT_E_CONFIG);
	/* A configuration is not a command. */
	make_config(&f->admin, f->gpk, 3, 0, body_good, &b);
	assert_int_equal(sigconfig_apply_command(f->sc, b.data, b.len, NOW, &cmd, err, sizeof(err)),
	    STMT_E_TYPE);
	buf_free(&b);
}

static void test_state_file(void **state)
{
	struct fx *f = *state;
	struct sigconfig *sc2 = NULL;
	struct stmt_signer other;
	struct buf ob;
	FILE *fp;

	/* A state file from another org, or damaged, is refused rather than reset. */
	buf_init(&ob, STMT_MAX_LEN);
	assert_int_equal(orgkeys_org_create("Other", NOW, &other, &ob), 0);
	{
		struct buf b;
		struct config *c = NULL;
		char err[128];
		buf_init(&b, STMT_MAX_LEN);
		make_config(&f->admin, f->gpk, 1, 0, body_good, &b);
		assert_int_equal(apply(f, &b, &c, err, sizeof(err)), 0);
		config_free(c);
		buf_free(&b);
	}
	assert_int_equal(sigconfig_open(&sc2, other.pk, f->gsk, f->state), STMT_E_IO);
	assert_null(sc2);
	fp = fopen(f->state, "wb");
	assert_non_null(fp);
	fputs("garbage", fp);
	fclose(fp);
	assert_int_equal(sigconfig_open(&sc2, f->root.pk, f->gsk, f->state), STMT_E_IO);
	assert_int_equal(sigconfig_open(&sc2, f->root.pk, f->gsk, ""), STMT_E_ARG);
	statement_signer_wipe(&other);
	buf_free(&ob);
}

#define ID2 "ffeeddccbbaa99887766554433221100"
#define CAM_JSON(name, id, det) "{\"name\":\"" name "\",\"id\":\"" id "\",\"epoch\":1," \
    "\"epoch_public_key\":\"" PK1 "\",\"streams\":[{\"index\":0,\"url\":\"rtsp://h/m\"}]" det "}"
#define DET_MASK ",\"detection\":{\"sensitivity\":60,\"min_duration_ms\":500," \
    "\"zones\":[{\"name\":\"yard\",\"rect\":[0,0,1000,1000]}],\"masks\":[[720,0,280,360]]}"

#define DW 320
#define DH 180

/* Events a detector with p opens on 30 s of a still textured scene whose top-right
 * corner flickers by 50 grey levels every 4 frames (15 fps) from 5 s on. */
static int flicker_events(const struct motion_params *p)
{
	static uint8_t img[DW * DH];
	struct motion_det *d = NULL;
	struct motion_step st;
	uint64_t rng = 7;
	int64_t t;
	int i, x, y, starts = 0;

	assert_int_equal(motion_det_new(&d, p), 0);
	for (i = 0, t = 1000000; i < 30 * 15; i++, t += 1000000 / 15) {
		int flick = i > 5 * 15 && (i / 4) % 2 ? 50 : 0;
		for (y = 0; y < DH; y++)
			for (x = 0; x < DW; x++) {
				int v;
				rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
				v = 80 + ((x / 20 + y / 20) & 1) * 30 + x / 8 + (int)((rng >> 33) % 9) - 4;
				if (x >= 240 && y < 60)
					v += flick;
				img[y * DW + x] = (uint8_t)(v > 255 ? 255 : v);
			}
		assert_int_equal(motion_det_feed(d, img, DW, DH, DW, t, &st), 0);
		if (st.change == MOTION_START)
			starts++;
	}
	motion_det_free(d);
	return starts;
}

/* A camera's own detection object (zones, a mask, sensitivity, minimum duration) comes out
 * of the signed configuration as the detector's parameters; a camera without one takes
 * the defaults with the top-level sensitivity; the mask really hides the flicker. */
static void test_detection(void **state)
{
	struct fx *f = *state;
	struct config *c = NULL;
	struct motion_params def;
	struct buf b;
	char err[256];

	buf_init(&b, STMT_MAX_LEN);
	make_config(&f->admin, f->gpk, 1, 0, "{\"detection\":{\"sensitivity\":40},\"cameras\":["
	    CAM_JSON("gate", ID1, DET_MASK) "," CAM_JSON("hall", ID2, "") "]}", &b);
	assert_int_equal(apply(f, &b, &c, err, sizeof(err)), 0);
	assert_int_equal(c->ncameras, 2);
	assert_int_equal(c->cameras[0].has_detection, 1);
	assert_int_equal(c->cameras[0].detection.enabled, 1);
	assert_int_equal(c->cameras[0].detection.sensitivity, 60);
	assert_int_equal(c->cameras[0].detection.min_duration_ms, 500);
	assert_int_equal(c->cameras[0].detection.nzones, 1);
	assert_string_equal(c->cameras[0].detection.zones[0].name, "yard");
	assert_int_equal(c->cameras[0].detection.nmasks, 1);
	assert_int_equal(c->cameras[0].detection.masks[0].x, 720);
	assert_int_equal(c->cameras[0].detection.masks[0].w, 280);
	assert_int_equal(c->cameras[0].detection.masks[0].h, 360);
	assert_int_equal(c->cameras[1].has_detection, 0);
	assert_int_equal(c->cameras[1].detection.sensitivity, 40);
	assert_int_equal(c->cameras[1].detection.nmasks, 0);
	/* What runs_apply hands to the taps is accepted there. */
	assert_int_equal(motion_tap_configure(c->cameras[0].id, &c->cameras[0].detection), 0);
	assert_int_equal(motion_tap_configure(c->cameras[1].id, &c->cameras[1].detection), 0);
	/* The flicker opens events with the defaults and none under the signed mask. */
	motion_params_default(&def);
	assert_true(flicker_events(&def) >= 1);
	assert_int_equal(flicker_events(&c->cameras[0].detection), 0);
	config_free(c);
	c = NULL;

	/* Without any detection object a camera keeps the defaults. */
	make_config(&f->admin, f->gpk, 2, 0, "{\"cameras\":[" CAM_JSON("gate", ID1, "") "]}", &b);
	assert_int_equal(apply(f, &b, &c, err, sizeof(err)), 0);
	assert_int_equal(c->cameras[0].detection.enabled, def.enabled);
	assert_int_equal(c->cameras[0].detection.sensitivity, def.sensitivity);
	assert_int_equal(c->cameras[0].detection.min_duration_ms, def.min_duration_ms);
	assert_int_equal(c->cameras[0].detection.nmasks, 0);
	config_free(c);
	c = NULL;

	/* An invalid detection object refuses the whole configuration; the seq stays. */
	{
		static const char *const bad[] = {
			",\"detection\":{\"masks\":[[900,0,200,100]]}",     /* outside the frame */
			",\"detection\":{\"mask\":[[0,0,10,10]]}",          /* a typo, not ignored */
			",\"detection\":{\"sensitivity\":101}",
			",\"detection\":{\"zones\":[{\"name\":\"a/b\",\"rect\":[0,0,9,9]}]}",
			",\"detection\":[]",
		};
		char body[1024];
		size_t i;
		int has;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			int n = snprintf(body, sizeof(body), "{\"cameras\":[{\"name\":\"gate\",\"id\":"
			    "\"" ID1 "\",\"epoch\":1,\"epoch_public_key\":\"" PK1 "\",\"streams\":"
			    "[{\"index\":0,\"url\":\"rtsp://h/m\"}]%s}]}", bad[i]);
			assert_true(n > 0 && (size_t)n < sizeof(body));
			make_config(&f->admin, f->gpk, 3 + i, 0, body, &b);
			assert_int_equal(apply(f, &b, &c, err, sizeof(err)), STMT_E_CONFIG);
			assert_non_null(strstr(err, "cameras[0].detection"));
			assert_int_equal(sigconfig_last_seq(f->sc, &has), 2);
		}
	}
	buf_free(&b);
}

/* A camera's "recording" object reaches the recorder's mode; motion-only recording with
 * detection off (its own object or the top-level default) refuses the configuration. */
static void test_recording_mode(void **state)
{
	struct fx *f = *state;
	struct config *c = NULL;
	struct buf b;
	char err[256];
	int has;

	buf_init(&b, STMT_MAX_LEN);
	make_config(&f->admin, f->gpk, 1, 0, "{\"cameras\":["
	    CAM_JSON("gate", ID1, ",\"recording\":{\"mode\":\"motion\",\"preroll_s\":3,\"postroll_s\":20}")
	    "," CAM_JSON("hall", ID2, "") "]}", &b);
	assert_int_equal(apply(f, &b, &c, err, sizeof(err)), 0);
	assert_int_equal(c->cameras[0].recording.motion_only, 1);
	assert_int_equal(c->cameras[0].recording.preroll_ms, 3000);
	assert_int_equal(c->cameras[0].recording.postroll_ms, 20000);
	assert_int_equal(c->cameras[1].recording.motion_only, 0);
	config_free(c);
	c = NULL;

	make_config(&f->admin, f->gpk, 2, 0, "{\"detection\":{\"enabled\":false},\"cameras\":["
	    CAM_JSON("gate", ID1, ",\"recording\":{\"mode\":\"motion\"}") "]}", &b);
	assert_int_equal(apply(f, &b, &c, err, sizeof(err)), STMT_E_CONFIG);
	assert_non_null(strstr(err, "cameras[0].recording.mode"));
	make_config(&f->admin, f->gpk, 3, 0, "{\"cameras\":[" CAM_JSON("gate", ID1,
	    ",\"detection\":{\"enabled\":false},\"recording\":{\"mode\":\"motion\"}") "]}", &b);
	assert_int_equal(apply(f, &b, &c, err, sizeof(err)), STMT_E_CONFIG);
	assert_non_null(strstr(err, "cameras[0].recording.mode"));
	make_config(&f->admin, f->gpk, 4, 0, "{\"cameras\":[" CAM_JSON("gate", ID1,
	    ",\"recording\":{\"mode\":\"sometimes\"}") "]}", &b);
	assert_int_equal(apply(f, &b, &c, err, sizeof(err)), STMT_E_CONFIG);
	assert_non_null(strstr(err, "cameras[0].recording.mode"));
	make_config(&f->admin, f->gpk, 5, 0, "{\"cameras\":[" CAM_JSON("gate", ID1,
	    ",\"recording\":{\"mode\":\"motion\",\"preroll_s\":31}") "]}", &b);
	assert_int_equal(apply(f, &b, &c, err, sizeof(err)), STMT_E_CONFIG);
	assert_non_null(strstr(err, "recording.preroll_s"));
	assert_int_equal(sigconfig_last_seq(f->sc, &has), 1);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_valid_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_bodies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recording_mode, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
