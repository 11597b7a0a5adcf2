/*
 * record_main.c - the `record` TinyDTLS profile: only the DTLS record layer (AES-128-CCM-8 from
 * TinyDTLS's crypto.c, ccm.c and rijndael.c), as an ESSE sensor runs it after the hand-off.
 * No handshake code is linked. At start it protects one application-data record and opens it
 * again, checking the ciphertext against a known answer computed off the mote with an
 * independent AES-CCM implementation (Python `cryptography`), and prints the outcome.
 */
#include <stdio.h>
#include <string.h>

#include "tinydtls.h"
#include "crypto.h"
#include "numeric.h"

#include "sky.h"

#define HEADER_LEN 13u   /* type, version, epoch, sequence number, length */
#define EXPLICIT_LEN 8u  /* epoch || sequence number travels as the explicit nonce */
#define TAG_LEN 8u       /* CCM_8 */

/* Test key material: key = SHA-256("esse tinydtls record profile key")[0:16],
 * IV = SHA-256("esse tinydtls record profile iv")[0:4]. */
static const uint8_t write_key[16] = {0xb1, 0xf8, 0x29, 0xa8, 0xd8, 0x64, 0x31, 0x1a,
                                      0x8b, 0xba, 0x85, 0x51, 0xbe, 0x36, 0xf8, 0x25};
static const uint8_t write_iv[4] = {0x10, 0x3c, 0xb2, 0xd0};
/* CoAP GET /temp (message id 0x1234), epoch 1, sequence number 5 */
static const uint8_t coap_get[] = {0x40, 0x01, 0x12, 0x34, 0xb4, 0x74, 0x65, 0x6d, 0x70};
static const uint8_t expected[] = {0x09, 0x0d, 0x8d, 0x0f, 0xec, 0x1b, 0xad, 0xd0, 0x24,
                                   0x94, 0xcf, 0x80, 0xa5, 0xb3, 0xbf, 0x9e, 0xc4};

static uint8_t record[HEADER_LEN + EXPLICIT_LEN + sizeof(coap_get) + TAG_LEN];

/* nonce = IV || epoch || seq; AAD = epoch || seq || type || version || plaintext length */
static void nonce_and_aad(const uint8_t *header, uint16_t plain_len, uint8_t nonce[12], uint8_t aad[13])
{
    memcpy(nonce, write_iv, 4);
    memcpy(nonce + 4, header + 3, 8);
    memcpy(aad, header + 3, 8);
    memcpy(aad + 8, header, 3);
    dtls_int_to_uint16(aad + 11, plain_len);
}

/* noinline: harness/bench/mote_handshake.py measures cycles between the entries of these two */
__attribute__((noinline)) static int protect(uint16_t epoch, uint64_t seq, const uint8_t *plain, uint16_t len)
{
    uint8_t nonce[12], aad[13];
    dtls_ccm_params_t params = {nonce, TAG_LEN, 3};

    record[0] = 23; /* application_data */
    dtls_int_to_uint16(record + 1, 0xfefd);
    dtls_int_to_uint16(record + 3, epoch);
    dtls_int_to_uint48(record + 5, seq);
    dtls_int_to_uint16(record + 11, (uint16_t)(EXPLICIT_LEN + len + TAG_LEN));
    memcpy(record + HEADER_LEN, record + 3, EXPLICIT_LEN);
    nonce_and_aad(record, len, nonce, aad);
    return dtls_encrypt_params(&params, plain, len, record + HEADER_LEN + EXPLICIT_LEN, write_key,
                               sizeof(write_key), aad, sizeof(aad));
}

__attribute__((noinline)) static int unprotect(uint8_t *out)
{
    uint8_t nonce[12], aad[13];
    dtls_ccm_params_t params = {nonce, TAG_LEN, 3};
    uint16_t cipher_len = dtls_uint16_to_int(record + 11) - EXPLICIT_LEN;

    nonce_and_aad(record, (uint16_t)(cipher_len - TAG_LEN), nonce, aad);
    return dtls_decrypt_params(&params, record + HEADER_LEN + EXPLICIT_LEN, cipher_len, out, write_key,
                               sizeof(write_key), aad, sizeof(aad));
}

int main(void)
{
    uint8_t opened[sizeof(coap_get)];

    sky_init();
    int n = protect(1, 5, coap_get, sizeof(coap_get));
    int kat = n == (int)sizeof(expected) && memcmp(record + HEADER_LEN + EXPLICIT_LEN, expected, sizeof(expected)) == 0;
    int m = unprotect(opened);
    int back = m == (int)sizeof(coap_get) && memcmp(opened, coap_get, sizeof(coap_get)) == 0;
    record[sizeof(record) - 1] ^= 1u; /* a forged tag must be refused */
    int forged = unprotect(opened) < 0;
    printf("tinydtls record: known answer %s, round trip %s, forgery %s\n", kat ? "ok" : "FAIL",
           back ? "ok" : "FAIL", forged ? "refused" : "ACCEPTED");
    sky_leds_on(kat && back && forged ? SKY_LED_GREEN : SKY_LED_RED);
    for (;;) {
    }
}
