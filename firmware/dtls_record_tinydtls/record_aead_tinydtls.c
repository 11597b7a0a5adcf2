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

int esse_record_aead(esse_record_t *st, const uint8_t na[25], uint8_t *body, size_t len, uint8_t open) {
  dtls_ccm_params_t params = {na, st->tag_len, 3};
  int n;
  if (!open) {
    /* TinyDTLS's CCM works in place: src and buf may be the same buffer */
    dtls_encrypt_params(&params, body, len, body, st->write_key, 16, na + 12, 13);
    return 0;
  }
  n = dtls_decrypt_params(&params, body, len + st->tag_len, body, st->read_key, 16, na + 12, 13);
  if (n != (int)len) {
    esse_wipe(body, len);
    return -1;
  }
  return 0;
}
