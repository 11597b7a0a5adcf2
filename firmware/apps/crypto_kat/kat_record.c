/*
 * kat_record.c - requests for our own record-layer crypto (firmware/dtls_record):
 *
 *   'a'  AES-128:  key[16] block[16]                      -> ciphertext[16]
 *                  spans: key expansion, one block encryption
 *   'c'  CCM seal: key[16] M L nonce[15-L] aad_len[2] aad payload -> ciphertext || tag[M]
 *                  spans: key expansion, seal
 *   'o'  CCM open: key[16] M L nonce[15-L] aad_len[2] aad ciphertext||tag[M] -> payload
 *                  (err 2: bad tag); spans: key expansion, open
 */
#include <string.h>

/* by folder: TinyDTLS (the tinydtls flavour) has a ccm.h of its own */
#include "dtls_record/aes128.h"
#include "dtls_record/ccm.h"
#include "kat.h"

static esse_aes128_t aes;
static uint8_t work[KAT_MAX_PAYLOAD];

static void cmd_aes(const uint8_t *in, uint16_t len)
{
    uint8_t out[ESSE_AES_BLOCK];
    if (len != ESSE_AES128_KEY + ESSE_AES_BLOCK) {
        kat_reply_err(KAT_ERR_FORMAT);
        return;
    }
    kat_span_begin();
    esse_aes128_init(&aes, in);
    kat_span_end();
    kat_span_begin();
    esse_aes128_encrypt(&aes, in + ESSE_AES128_KEY, out);
    kat_span_end();
    kat_reply_ok(out, sizeof(out));
}

struct ccm_request {
    const uint8_t *key, *nonce, *aad, *data;
    uint8_t m, l;
    uint16_t aad_len, data_len;
};

/* key[16] M L nonce[15-L] aad_len[2] aad data */
static int parse_ccm(const uint8_t *in, uint16_t len, struct ccm_request *rq)
{
    struct kat_reader r = {in, len};
    if (!kat_take(&r, &rq->key, 16) || !kat_take_u8(&r, &rq->m) || !kat_take_u8(&r, &rq->l))
        return 0;
    if (rq->l < 2 || rq->l > 8)
        return 0;
    if (!kat_take(&r, &rq->nonce, (uint16_t)(15u - rq->l)) || !kat_take_u16(&r, &rq->aad_len) ||
        !kat_take(&r, &rq->aad, rq->aad_len))
        return 0;
    rq->data_len = r.left;
    return kat_take(&r, &rq->data, r.left);
}

static void cmd_ccm(const uint8_t *in, uint16_t len, int seal)
{
    struct ccm_request rq;
    int rc;
    if (!parse_ccm(in, len, &rq) || (!seal && rq.data_len < rq.m) ||
        (seal && rq.data_len + rq.m > sizeof(work))) {
        kat_reply_err(KAT_ERR_FORMAT);
        return;
    }
    memcpy(work, rq.data, rq.data_len);
    kat_span_begin();
    esse_aes128_init(&aes, rq.key);
    kat_span_end();
    kat_span_begin();
    if (seal) {
        rc = esse_ccm_seal(&aes, rq.nonce, 15u - rq.l, rq.m, rq.aad, rq.aad_len, work, rq.data_len,
                           work + rq.data_len);
    } else {
        uint16_t n = (uint16_t)(rq.data_len - rq.m);
        rc = esse_ccm_open(&aes, rq.nonce, 15u - rq.l, rq.m, rq.aad, rq.aad_len, work, n, rq.data + n);
    }
    kat_span_end();
    if (rc == ESSE_CCM_ERR_TAG)
        kat_reply_err(KAT_ERR_AUTH);
    else if (rc != ESSE_CCM_OK)
        kat_reply_err(KAT_ERR_PARAM);
    else
        kat_reply_ok(work, seal ? (size_t)rq.data_len + rq.m : (size_t)rq.data_len - rq.m);
}

static void cmd_seal(const uint8_t *in, uint16_t len)
{
    cmd_ccm(in, len, 1);
}

static void cmd_open(const uint8_t *in, uint16_t len)
{
    cmd_ccm(in, len, 0);
}

const struct kat_command kat_record_commands[] = {
    {'a', cmd_aes},
    {'c', cmd_seal},
    {'o', cmd_open},
    {0, 0},
};
