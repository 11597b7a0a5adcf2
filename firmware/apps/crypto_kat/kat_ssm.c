/*
 * kat_ssm.c - the CCS side of the SSM <-> CCS hand-off (firmware/ssm_client, docs/protocol.md) on the
 * mote, driven by the host's SSM code:
 *
 *   'K'  psk_dn[16] last_rx_counter[4] tx_counter[4] km_len[2] KEY_MATERIAL[km_len] payload
 *        -> ack_len[1] KEY_ACK[ack_len] record: the acknowledgement of the key material and one
 *           application-data record protecting `payload` with the installed state
 *        err 2: the key material does not authenticate under PSK_DN;
 *        err 10 + n: esse_km_open returned -n (length, type, -, replay, ...);
 *        err 9: esse_km_open returned ESSE_KM_DUPLICATE (a counter accepted before: nothing installed);
 *        err 3: the record layer refused the state or the payload
 *        spans: open key material, install the record state, build KEY_ACK, seal the record
 *
 * What ESSE asks of the mote instead of a handshake, measured in cycles on the MCU.
 */
#include <string.h>

#include "kat.h"
#include "ssm_client/ssm_client.h"

#define KAT_ERR_KM_BASE 10
#define KAT_ERR_KM_DUPLICATE 9

static esse_ssm_link_t link;
static esse_keystate_t keys;
static esse_record_t record;
static uint8_t km[ESSE_KM_LEN];
static uint8_t out[1u + ESSE_ACK_LEN + ESSE_RECORD_HEADER + ESSE_RECORD_EXPLICIT + 128u + 16u];

static void forget(void)
{
    esse_keystate_wipe(&keys);
    esse_record_wipe(&record);
    esse_ssm_link_wipe(&link);
}

static void cmd_handoff(const uint8_t *in, uint16_t len)
{
    struct kat_reader r = {in, len};
    const uint8_t *psk_dn, *msg, *payload;
    uint32_t last_rx, tx, counter;
    uint16_t km_len;
    uint8_t sid[ESSE_SESSION_ID_LEN];
    if (!kat_take(&r, &psk_dn, 16) || !kat_take_u32(&r, &last_rx) || !kat_take_u32(&r, &tx) ||
        !kat_take_u16(&r, &km_len) || km_len > sizeof(km) || !kat_take(&r, &msg, km_len) ||
        r.left > 128u) {
        kat_reply_err(KAT_ERR_FORMAT);
        return;
    }
    payload = r.p;
    memcpy(km, msg, km_len);
    esse_ssm_link_init(&link, psk_dn, last_rx, tx);

    kat_span_begin();
    int rc = esse_km_open(&link, km, km_len, &keys, &counter);
    kat_span_end();
    if (rc < 0) {
        forget();
        kat_reply_err(rc == ESSE_KM_ERR_TAG ? KAT_ERR_AUTH : KAT_ERR_KM_BASE - rc);
        return;
    }
    if (rc == ESSE_KM_DUPLICATE) { /* a fresh link holds nothing: what it accepted before a reboot */
        forget();
        kat_reply_err(KAT_ERR_KM_DUPLICATE);
        return;
    }
    memcpy(sid, keys.session_id, sizeof(sid));

    kat_span_begin();
    rc = esse_record_install(&record, &keys);
    kat_span_end();
    esse_keystate_wipe(&keys);

    kat_span_begin();
    int ack = rc < 0 ? rc : esse_km_ack(&link, counter, sid, out + 1, ESSE_ACK_LEN);
    kat_span_end();

    kat_span_begin();
    int sealed = ack < 0 ? ack
                         : esse_record_seal(&record, ESSE_CT_APPLICATION_DATA, payload, r.left, out + 1 + ack,
                                            sizeof(out) - 1u - (size_t)ack);
    kat_span_end();
    forget();
    if (sealed < 0) {
        kat_reply_err(KAT_ERR_PARAM);
        return;
    }
    out[0] = (uint8_t)ack;
    kat_reply_ok(out, 1u + (size_t)ack + (size_t)sealed);
}

const struct kat_command kat_ssm_commands[] = {
    {'K', cmd_handoff},
    {0, 0},
};
