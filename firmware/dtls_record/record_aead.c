/* The record layer's AES-128-CCM from this folder (aes128.c with expanded key schedules, ccm.c). */
#include "ccm.h"
#include "record_common.h"

void esse_record_aead_keys(esse_record_t *st, const uint8_t write_key[16], const uint8_t read_key[16]) {
  esse_aes128_init(&st->write_key, write_key);
  esse_aes128_init(&st->read_key, read_key);
}

void esse_record_aead_seal(esse_record_t *st, const uint8_t nonce[12], const uint8_t aad[13], uint8_t *body,
                           size_t len) {
  esse_ccm_seal(&st->write_key, nonce, 12, st->tag_len, aad, 13, body, len, body + len);
}

int esse_record_aead_open(esse_record_t *st, const uint8_t nonce[12], const uint8_t aad[13], uint8_t *body,
                          size_t len) {
  return esse_ccm_open(&st->read_key, nonce, 12, st->tag_len, aad, 13, body, len, body + len) != ESSE_CCM_OK;
}
