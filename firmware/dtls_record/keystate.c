/* Exported key state (docs/protocol.md, "Key state") and suite facts: shared by both record backends. */
#include "dtls_record.h"
#include "esse_util.h"

uint8_t esse_suite_tag_len(uint16_t suite) {
  switch (suite) {
  case ESSE_TLS_PSK_WITH_AES_128_CCM_8:
  case ESSE_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8:
    return 8;
  case ESSE_TLS_PSK_WITH_AES_128_CCM:
  case ESSE_TLS_ECDHE_ECDSA_WITH_AES_128_CCM:
    return 16;
  default:
    return 0;
  }
}

void esse_keystate_encode(const esse_keystate_t *ks, uint8_t out[ESSE_KEYSTATE_WIRE_LEN]) {
  esse_copy(out, ks->session_id, 8);
  esse_put16(out + 8, ks->cipher_suite);
  esse_put16(out + 10, ks->version);
  out[12] = ks->role;
  esse_put16(out + 13, ks->epoch);
  esse_put48(out + 15, ks->next_send_seq);
  esse_put48(out + 21, ks->recv_seq);
  esse_put64(out + 27, ks->recv_window);
  esse_copy(out + 35, ks->client_write_key, 16);
  esse_copy(out + 51, ks->server_write_key, 16);
  esse_copy(out + 67, ks->client_iv, 4);
  esse_copy(out + 71, ks->server_iv, 4);
}

void esse_keystate_decode(esse_keystate_t *ks, const uint8_t in[ESSE_KEYSTATE_WIRE_LEN]) {
  esse_copy(ks->session_id, in, 8);
  ks->cipher_suite = esse_get16(in + 8);
  ks->version = esse_get16(in + 10);
  ks->role = in[12];
  ks->epoch = esse_get16(in + 13);
  ks->next_send_seq = esse_get48(in + 15);
  ks->recv_seq = esse_get48(in + 21);
  ks->recv_window = esse_get64(in + 27);
  esse_copy(ks->client_write_key, in + 35, 16);
  esse_copy(ks->server_write_key, in + 51, 16);
  esse_copy(ks->client_iv, in + 67, 4);
  esse_copy(ks->server_iv, in + 71, 4);
}

void esse_keystate_wipe(esse_keystate_t *ks) { esse_wipe(ks, sizeof *ks); }
