/* The second record backend (-DESSE_RECORD_TINYDTLS): the record layer's AES-128-CCM through the patched,
 * handshakeless TinyDTLS (crypto.c, ccm.c, rijndael.c: the `tinydtls-record` profile), the paper's way.
 * Records are framed by firmware/dtls_record/dtls_record.c as with the other backend; only the cipher
 * differs. TinyDTLS keeps raw keys and runs its key schedule in every call. */
#include "crypto.h" /* TinyDTLS */
#include "esse_util.h"
#include "record_common.h"

void esse_record_aead_keys(esse_record_t *st, const uint8_t write_key[16], const uint8_t read_key[16]) {
  esse_copy(st->write_key, write_key, 16);
  esse_copy(st->read_key, read_key, 16);
}

void esse_record_aead_seal(esse_record_t *st, const uint8_t nonce[12], const uint8_t aad[13], uint8_t *body,
                           size_t len) {
  dtls_ccm_params_t params = {nonce, st->tag_len, 3};
  /* TinyDTLS's CCM works in place: src and buf may be the same buffer */
  dtls_encrypt_params(&params, body, len, body, st->write_key, 16, aad, 13);
}

int esse_record_aead_open(esse_record_t *st, const uint8_t nonce[12], const uint8_t aad[13], uint8_t *body,
                          size_t len) {
  dtls_ccm_params_t params = {nonce, st->tag_len, 3};
  int n = dtls_decrypt_params(&params, body, len + st->tag_len, body, st->read_key, 16, aad, 13);
  if (n != (int)len) {
    esse_wipe(body, len);
    return -1;
  }
  return 0;
}
