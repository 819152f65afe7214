/* orgkeysrc.c - turns a viewer's opened grants into the in-memory key set the export path verifies and decrypts with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "cli/orgkeysrc.h"
#include "cli/orgops.h"
#include "common/util.h"

int
orgkeysrc_add_epoch(struct keysfile *k, const uint8_t id[CAMERA_ID_LEN], uint32_t epoch,
    const uint8_t pk[EPOCH_PK_LEN], const uint8_t sk[EPOCH_SK_LEN])
{
	struct keys_camera *c = (struct keys_camera *)keysfile_camera_by_id(k, id);
	struct keys_epoch *ne;
	size_t i;

	if (c == NULL || c->nepochs >= KEYS_MAX_EPOCHS)
		return -1;
	for (i = 0; i < c->nepochs; i++)
		if (c->epochs[i].epoch == epoch)
			return -1;
	/* Grow by copy so that the old array can be wiped before it is freed. */
	if ((ne = calloc(c->nepochs + 1, sizeof(*ne))) == NULL)
		return -1;
	if (c->nepochs > 0)
		memcpy(ne, c->epochs, c->nepochs * sizeof(*ne));
	ne[c->nepochs].epoch = epoch;
	memcpy(ne[c->nepochs].pk, pk, EPOCH_PK_LEN);
	memcpy(ne[c->nepochs].sk, sk, EPOCH_SK_LEN);
	if (c->epochs != NULL)
		sodium_memzero(c->epochs, c->nepochs * sizeof(*c->epochs));
	free(c->epochs);
	c->epochs = ne;
	c->nepochs++;
	return 0;
}

/* A camera's signers: the gateways certified for a site its signed camera.epoch statements
 * name, so that a gateway stolen from one site cannot sign another site's cameras. No
 * restriction when one of its epochs names no site (statements older than sites). */
static int
restrict_to_sites(const struct orgc *oc, struct keys_camera *c)
{
	size_t e, g, sites = 0;
	int unsited = 0, r = 0;

	for (e = 0; e < oc->nepochs; e++) {
		if (memcmp(oc->epochs[e].camera_id, c->id, STMT_ID_LEN) != 0)
			continue;
		sites++;
		unsited |= !oc->epochs[e].has_site;
	}
	if (sites == 0 || unsited)
		return 0;
	c->restricted = 1;
	for (g = 0; g < oc->ngateways && r == 0; g++) {
		for (e = 0; e < oc->nepochs; e++) {
			if (memcmp(oc->epochs[e].camera_id, c->id, STMT_ID_LEN) == 0 &&
			    memcmp(oc->epochs[e].site_id, oc->gateway_sites[g], STMT_ID_LEN) == 0) {
				r = keysfile_camera_allow(c, oc->gateways[g]);
				break;
			}
		}
	}
	return r;
}

int
orgkeysrc_build(struct orgc *oc, struct keysfile **out)
{
	struct orgops_camera *cams = NULL;
	struct keysfile *k = NULL;
	size_t nc = 0, i, j;
	int added, r = -1;

	*out = NULL;
	if (orgops_cameras(oc, &cams, &nc) != 0)
		goto out;
	if ((k = keysfile_new()) == NULL)
		goto out;
	for (i = 0; i < nc; i++) {
		added = 0;
		for (j = 0; j < oc->nkeys; j++) {
			const struct orgkeys_epoch_key *ek = &oc->keys[j];

			if (memcmp(ek->camera_id, cams[i].id, STMT_ID_LEN) != 0)
				continue;
			if (!added) {
				/* A name no camera may bear, or one another camera has, leaves this
				 * camera under its id (the others keep working); the name is not
				 * printed, it may be the server's. */
				if (keysfile_add_camera(k, cams[i].name, ek->camera_id, ek->epoch, ek->pk,
				    ek->sk) != 0) {
					char hex[2 * STMT_ID_LEN + 1];

					hex_encode(ek->camera_id, STMT_ID_LEN, hex);
					if (keysfile_add_camera(k, hex, ek->camera_id, ek->epoch, ek->pk,
					    ek->sk) != 0)
						goto out;
					fprintf(stderr, "note: camera %s goes by its id: its name is unusable "
					    "or another camera has it\n", hex);
				}
				added = 1;
			} else if (orgkeysrc_add_epoch(k, ek->camera_id, ek->epoch, ek->pk, ek->sk) != 0) {
				goto out;
			}
		}
	}
	/* The pinned signers are the gateways the org root certified, never the gateway the
	 * (unsigned) camera list names: a link signed by any other key is refused. */
	for (i = 0; i < oc->ngateways; i++)
		if (!keysfile_has_gateway(k, oc->gateways[i]) &&
		    keysfile_add_gateway(k, oc->gateways[i]) != 0)
			goto out;
	for (i = 0; i < k->ncameras; i++)
		if (restrict_to_sites(oc, &k->cameras[i]) != 0)
			goto out;
	*out = k;
	k = NULL;
	r = 0;
out:
	keysfile_free(k);
	free(cams);
	return r;
}
