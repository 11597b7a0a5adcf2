/* Device side of secure bootstrapping (docs/bootstrap.md, paper section 4): build the request under
 * IK_d, check the controller's response, derive PSK_DN, build the confirmation under PSK_DN, and
 * update a RAM copy of information-flash segment B (harness/wire/infomem.py layout).
 * Freestanding C99; the AES-128 and CCM come from firmware/dtls_record. */
#ifndef ESSE_BOOTSTRAP_H
#define ESSE_BOOTSTRAP_H

#include <stddef.h>
#include <stdint.h>

#include "aes128.h"

#define ESSE_BOOT_REQUEST 0x21u  /* device -> controller */
#define ESSE_BOOT_AS_REQUEST 0x22u  /* controller -> AS */
#define ESSE_BOOT_AS_RESPONSE 0x23u /* AS -> controller */
#define ESSE_BOOT_RESPONSE 0x24u /* controller -> device */
#define ESSE_BOOT_CONFIRM 0x25u  /* device -> controller */
#define ESSE_BOOT_ERROR 0x27u    /* controller -> device (advisory, unauthenticated) */
#define ESSE_BOOT_ACK 0x28u      /* controller -> device: the confirmation arrived, PSK_DN is installed */

#define ESSE_BOOT_RN_LEN 8u
#define ESSE_BOOT_TAG 8u
#define ESSE_BOOT_NONCE_LEN 13u
#define ESSE_BOOT_CONTEXT_LEN 28u /* KDF context: ID_d, ID_c, TID, TS, RN_d, RN_c */
#define ESSE_BOOT_REQUEST_LEN (1u + 2u + ESSE_BOOT_RN_LEN + ESSE_BOOT_TAG)                   /* 19 */
#define ESSE_BOOT_RESPONSE_LEN (1u + 2u + 2u + 4u + 4u + ESSE_BOOT_RN_LEN + ESSE_BOOT_TAG)   /* 29 */
#define ESSE_BOOT_CONFIRM_LEN (1u + 2u + 4u + ESSE_BOOT_TAG)                                /* 15 */
#define ESSE_BOOT_ACK_LEN (1u + 2u + 4u + ESSE_BOOT_TAG)                                    /* 15 */

/* information flash segment B (harness/wire/infomem.py) */
#define ESSE_INFO_SEGMENT_B 0x1000u
#define ESSE_INFO_SEGMENT_SIZE 128u
#define ESSE_INFO_PSK_OFFSET 0x08u
#define ESSE_INFO_IK_OFFSET 0x18u
#define ESSE_INFO_CRC_OFFSET 0x7Eu
/* BOOT_CONFIRM | the BOOT_ACK expected for it, stored with PSK_DN: a reset before the ACK confirms again */
#define ESSE_INFO_PENDING_OFFSET 0x28u
#define ESSE_INFO_PENDING_LEN (ESSE_BOOT_CONFIRM_LEN + ESSE_BOOT_ACK_LEN) /* 30 */

#define ESSE_BOOT_OK 0
#define ESSE_BOOT_ERR_LENGTH (-1)
#define ESSE_BOOT_ERR_TYPE (-2)
#define ESSE_BOOT_ERR_NODE (-3)   /* response for another device */
#define ESSE_BOOT_ERR_STATE (-4)  /* no request pending */
#define ESSE_BOOT_ERR_TAG (-5)    /* not made with IK_d for the pending RN_d */
#define ESSE_BOOT_ERR_SPACE (-6)
#define ESSE_BOOT_ERR_LAYOUT (-7) /* segment B is not a valid identity (magic, version, CRC) */
#define ESSE_BOOT_ERR_TID (-8)    /* a BOOT_ACK for another transaction (old or forged TID) */

typedef struct {
  esse_aes128_t ik;                 /* expanded IK_d (kept in segment B for a later re-bootstrap) */
  uint16_t node_id;                 /* ID_d */
  uint8_t rn_d[ESSE_BOOT_RN_LEN];   /* RN_d of the pending request */
  uint8_t pending;
} esse_boot_t;

void esse_boot_init(esse_boot_t *b, const uint8_t ik_d[ESSE_AES128_KEY], uint16_t node_id);
void esse_boot_wipe(esse_boot_t *b);

/* Build BOOT_REQUEST with the caller's fresh random rn_d (never reuse one: the AS refuses it).
 * Returns its length (19) or a negative ESSE_BOOT_ERR_*. A new request replaces a pending one. */
int esse_boot_request(esse_boot_t *b, const uint8_t rn_d[ESSE_BOOT_RN_LEN], uint8_t *out, size_t cap);

/* Check BOOT_RESPONSE against the pending request; on success write PSK_DN and BOOT_CONFIRM
 * (returns its length, 15) and clear the pending request. On failure nothing is written and the
 * request stays pending (a forged response cannot cancel the genuine one). */
int esse_boot_accept(esse_boot_t *b, const uint8_t *msg, size_t len, uint8_t psk_dn[ESSE_AES128_KEY],
                     uint8_t *confirm, size_t cap);

/* AES-CMAC (NIST SP 800-38B, RFC 4493) over esse_aes128. */
void esse_cmac(const esse_aes128_t *key, const uint8_t *msg, size_t len, uint8_t mac[ESSE_AES_BLOCK]);

/* PSK_DN = KDF in counter mode (NIST SP 800-108) with AES-CMAC under IK_d, one 128-bit block:
 * CMAC(IK_d, 0x01 | "ESSE PSK_DN" | 0x00 | context(28) | 0x0080). */
void esse_boot_kdf(const esse_aes128_t *ik, const uint8_t context[ESSE_BOOT_CONTEXT_LEN],
                   uint8_t psk_dn[ESSE_AES128_KEY]);

/* CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) as segment B carries it. */
uint16_t esse_crc16_ccitt(const uint8_t *p, size_t n);

/* Put PSK_DN and the pending confirmation (BOOT_CONFIRM | expected BOOT_ACK, ESSE_INFO_PENDING_LEN
 * bytes; NULL: none, erased) into a RAM copy of segment B (IK_d and node id kept); renew its CRC. */
int esse_boot_segment_b_set_psk(uint8_t seg[ESSE_INFO_SEGMENT_SIZE], const uint8_t psk_dn[ESSE_AES128_KEY],
                                const uint8_t *pending);

/* Contract for the firmware (implemented by the app that owns the flash controller, not here):
 * copy segment B (0x1000) to RAM, esse_boot_segment_b_set_psk(), erase segment B, program the 128
 * bytes, read back and compare. Returns 0 on success, negative on a flash or layout error. Call it
 * after esse_boot_accept() returned the confirmation and before sending it. */
/* The BOOT_ACK the controller answers this device's BOOT_CONFIRM with: type | ID_d | TID | MAC-only CCM
 * under PSK_DN, nonce 0x28 | RN_c | TID, AAD bytes 0-6. Computed right after esse_boot_accept from the
 * BOOT_RESPONSE it accepted (ID_d, TID and RN_c are read from it), so the device keeps 15 bytes to compare,
 * not the expanded key. ESSE_BOOT_ACK_LEN, or ESSE_BOOT_ERR_LENGTH / _TYPE for a message that is no
 * BOOT_RESPONSE. */
int esse_boot_expect_ack(const uint8_t psk_dn[ESSE_AES128_KEY], const uint8_t *response, size_t len,
                         uint8_t ack[ESSE_BOOT_ACK_LEN]);

/* 0 when msg is the expected BOOT_ACK; else ESSE_BOOT_ERR_LENGTH, _TYPE, _NODE (another ID_d),
 * _TID (another transaction) or _TAG (not made with PSK_DN). Constant time over the tag. */
int esse_boot_ack_match(const uint8_t expected[ESSE_BOOT_ACK_LEN], const uint8_t *msg, size_t len);

int esse_bootstrap_store_psk(const uint8_t psk_dn[ESSE_AES128_KEY], const uint8_t pending[ESSE_INFO_PENDING_LEN]);

#endif
