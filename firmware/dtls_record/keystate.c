/* Exported key state (docs/protocol.md, "Key state") and suite facts: shared by both record backends. */
#include "dtls_record.h"
#include "esse_util.h"

#include <stddef.h>

uint8_t esse_suite_tag_len(uint16_t suite) {
  if (suite == ESSE_TLS_PSK_WITH_AES_128_CCM_8 || suite == ESSE_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8) return 8;
  if (suite == ESSE_TLS_PSK_WITH_AES_128_CCM || suite == ESSE_TLS_ECDHE_ECDSA_WITH_AES_128_CCM) return 16;
  return 0;
}

/* The wire layout (docs/protocol.md) field by field, in struct order: offset in esse_keystate_t and wire
 * length, | FIELD_INT for a big-endian integer (stored least significant byte first: esse_util.h). */
#define FIELD_INT 0x80u
#define FIELD(f, n) {(uint8_t)offsetof(esse_keystate_t, f), (uint8_t)(n)}
static const uint8_t layout[][2] = {
  FIELD(session_id, 8),
  FIELD(cipher_suite, 2 | FIELD_INT),
  FIELD(version, 2 | FIELD_INT),
  FIELD(role, 1),
  FIELD(epoch, 2 | FIELD_INT),
  FIELD(next_send_seq, 6 | FIELD_INT),
  FIELD(recv_seq, 6 | FIELD_INT),
  FIELD(recv_window, 8 | FIELD_INT),
  FIELD(client_write_key, 16),
  FIELD(server_write_key, 16),
  FIELD(client_iv, 4),
  FIELD(server_iv, 4),
};

void esse_keystate_encode(const esse_keystate_t *ks, uint8_t out[ESSE_KEYSTATE_WIRE_LEN]) {
  uint8_t i;
  for (i = 0; i < sizeof layout / sizeof layout[0]; i++) {
    uint8_t n = layout[i][1] & 0x7Fu;
    (layout[i][1] & FIELD_INT ? esse_rcopy : esse_copy)(out, (const uint8_t *)ks + layout[i][0], n);
    out += n;
  }
}

void esse_keystate_decode(esse_keystate_t *ks, const uint8_t in[ESSE_KEYSTATE_WIRE_LEN]) {
  uint8_t i;
  esse_wipe(ks, sizeof *ks); /* the bytes above the 48-bit sequence numbers, and padding */
  for (i = 0; i < sizeof layout / sizeof layout[0]; i++) {
    uint8_t n = layout[i][1] & 0x7Fu;
    (layout[i][1] & FIELD_INT ? esse_rcopy : esse_copy)((uint8_t *)ks + layout[i][0], in, n);
    in += n;
  }
}

void esse_keystate_wipe(esse_keystate_t *ks) { esse_wipe(ks, sizeof *ks); }
