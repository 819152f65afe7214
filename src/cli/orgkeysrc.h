/* orgkeysrc.h - the viewer's key source for export: a keysfile built in memory from the epoch keys of my verified grants. */
#ifndef VIGIL_CLI_ORGKEYSRC_H
#define VIGIL_CLI_ORGKEYSRC_H

#include "cli/keysfile.h"
#include "cli/orgclient.h"

/* From a loaded org (orgc_org_load opened my grants): every camera I hold a key for, with
 * all its epochs, named as its camera.epoch statements sign it (orgops_cameras; the
 * server's name only for a camera they name none), so that `export --camera NAME` finds the
 * camera the org called NAME, and as trusted signers every gateway the
 * org root certified (gateway.cert statements; the camera list's gateway is not used).
 * *out receives the set (keysfile_free). 0 or -1 (printed). */
int orgkeysrc_build(struct orgc *oc, struct keysfile **out);

/* Add one more epoch keypair to a camera already in k. 0 or -1. */
int orgkeysrc_add_epoch(struct keysfile *k, const uint8_t id[CAMERA_ID_LEN], uint32_t epoch,
    const uint8_t pk[EPOCH_PK_LEN], const uint8_t sk[EPOCH_SK_LEN]);

#endif
