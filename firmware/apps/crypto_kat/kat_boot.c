/*
 * kat_boot.c - the device side of secure bootstrapping (firmware/bootstrap, docs/bootstrap.md) on the
 * mote, driven by the host's AS code:
 *
 *   'b'  ik_d[16] node_id[2] rn_d[8] segment_b[128] BOOT_RESPONSE[29]
 *        -> BOOT_REQUEST[19] BOOT_CONFIRM[15] PSK_DN[16] segment_b'[128] (PSK_DN put in, CRC renewed)
 *        err 2: the response does not authenticate under IK_d for this RN_d;
 *        err 10 + n: esse_boot_accept or the segment update returned -n
 *        spans: IK_d key schedule, build BOOT_REQUEST, check BOOT_RESPONSE + derive PSK_DN + build
 *        BOOT_CONFIRM, update segment B in RAM
 */
#include <string.h>

#include "bootstrap/bootstrap.h"
#include "kat.h"

#define KAT_ERR_BOOT_BASE 10

static esse_boot_t boot;
static uint8_t out[ESSE_BOOT_REQUEST_LEN + ESSE_BOOT_CONFIRM_LEN + 16u + ESSE_INFO_SEGMENT_SIZE];

static void cmd_bootstrap(const uint8_t *in, uint16_t len)
{
    struct kat_reader r = {in, len};
    const uint8_t *ik, *rn_d, *seg, *resp;
    uint16_t node;
    uint8_t *req = out, *confirm = out + ESSE_BOOT_REQUEST_LEN, *psk = confirm + ESSE_BOOT_CONFIRM_LEN;
    uint8_t *seg_out = psk + 16;
    int rc;
    if (!kat_take(&r, &ik, 16) || !kat_take_u16(&r, &node) || !kat_take(&r, &rn_d, ESSE_BOOT_RN_LEN) ||
        !kat_take(&r, &seg, ESSE_INFO_SEGMENT_SIZE) || !kat_take(&r, &resp, ESSE_BOOT_RESPONSE_LEN) || r.left) {
        kat_reply_err(KAT_ERR_FORMAT);
        return;
    }
    memcpy(seg_out, seg, ESSE_INFO_SEGMENT_SIZE);

    kat_span_begin();
    esse_boot_init(&boot, ik, node);
    kat_span_end();
    kat_span_begin();
    esse_boot_request(&boot, rn_d, req, ESSE_BOOT_REQUEST_LEN);
    kat_span_end();
    kat_span_begin();
    rc = esse_boot_accept(&boot, resp, ESSE_BOOT_RESPONSE_LEN, psk, confirm, ESSE_BOOT_CONFIRM_LEN);
    kat_span_end();
    if (rc < 0) {
        esse_boot_wipe(&boot);
        kat_reply_err(rc == ESSE_BOOT_ERR_TAG ? KAT_ERR_AUTH : KAT_ERR_BOOT_BASE - rc);
        return;
    }
    kat_span_begin();
    rc = esse_boot_segment_b_set_psk(seg_out, psk, 0); /* the KAT checks the key; no confirmation pending */
    kat_span_end();
    esse_boot_wipe(&boot);
    if (rc < 0) {
        kat_reply_err(KAT_ERR_BOOT_BASE - rc);
        return;
    }
    kat_reply_ok(out, sizeof out);
}

const struct kat_command kat_boot_commands[] = {
    {'b', cmd_bootstrap},
    {0, 0},
};
