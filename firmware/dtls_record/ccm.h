/* AES-CCM (RFC 3610) over esse_aes128: in-place encryption, tags of 4..16 bytes, nonces of 7..13 bytes. */
#ifndef ESSE_CCM_H
#define ESSE_CCM_H

#include <stddef.h>
#include <stdint.h>

#include "aes128.h"

#define ESSE_CCM_OK 0
#define ESSE_CCM_ERR_PARAM (-1)
#define ESSE_CCM_ERR_TAG (-2)

/* Both directions in one pass: open = 0 encrypts data[0:len] in place and writes the tag_len-byte tag,
 * open = 1 decrypts it in place and checks the tag (on a bad tag the plaintext is wiped). L = 15 - nonce_len. */
int esse_ccm(const esse_aes128_t *key, const uint8_t *nonce, size_t nonce_len, size_t tag_len, const uint8_t *aad,
             size_t aad_len, uint8_t *data, size_t len, uint8_t *tag, uint8_t open);

/* Encrypt data[0:len] in place and write the tag_len-byte tag. */
static inline int esse_ccm_seal(const esse_aes128_t *key, const uint8_t *nonce, size_t nonce_len, size_t tag_len,
                                const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len, uint8_t *tag) {
  return esse_ccm(key, nonce, nonce_len, tag_len, aad, aad_len, data, len, tag, 0);
}

/* Decrypt data[0:len] in place and check the tag; on a bad tag the plaintext is wiped. */
static inline int esse_ccm_open(const esse_aes128_t *key, const uint8_t *nonce, size_t nonce_len, size_t tag_len,
                                const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len, const uint8_t *tag) {
  return esse_ccm(key, nonce, nonce_len, tag_len, aad, aad_len, data, len, (uint8_t *)(uintptr_t)tag, 1);
}

#endif
