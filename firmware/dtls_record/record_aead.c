/* The record layer's AES-128-CCM from this folder (aes128.c with expanded key schedules, ccm.c). */
#include "ccm.h"
#include "record_common.h"

void esse_record_aead_keys(esse_record_t *st, const uint8_t write_key[16], const uint8_t read_key[16]) {
  esse_aes128_init(&st->write_key, write_key);
  esse_aes128_init(&st->read_key, read_key);
}

int esse_record_aead(esse_record_t *st, const uint8_t na[25], uint8_t *body, size_t len, uint8_t open) {
  return esse_ccm(open ? &st->read_key : &st->write_key, na, 12, st->tag_len, na + 12, 13, body, len, body + len, open);
}
