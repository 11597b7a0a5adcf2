/* DTLS 1.2 AEAD record protection (RFC 5246 6.2.3.3, RFC 6347 4.1, RFC 6655 nonce construction).
 * The AES-128-CCM itself comes from the backend the build picks: record_aead.c (our AES and CCM) or
 * firmware/dtls_record_tinydtls (TinyDTLS's, -DESSE_RECORD_TINYDTLS). */
#include "dtls_record.h"

#include "esse_util.h"
#include "record_common.h"
#include "replay.h"

#include <stddef.h>

/* The record's anti-replay window (replay.h): recv_max, then the bitmap recv_window. */
#define WINDOW(st) ((uint8_t *)(st) + offsetof(esse_record_t, recv_max))
/* replay.h wants the bitmap right after max */
ESSE_STATIC_ASSERT(window_layout, offsetof(esse_record_t, recv_window) == offsetof(esse_record_t, recv_max) + 8);
/* install picks keys and IVs by role from the pairs, and copies the sequence state in one go */
ESSE_STATIC_ASSERT(key_layout, offsetof(esse_keystate_t, server_write_key) == offsetof(esse_keystate_t, client_write_key) + 16 &&
                                   offsetof(esse_keystate_t, server_iv) == offsetof(esse_keystate_t, client_iv) + 4 &&
                                   ESSE_ROLE_SERVER == 1u && ESSE_ROLE_CLIENT == 0u);
ESSE_STATIC_ASSERT(sequence_layout, offsetof(esse_record_t, recv_max) == offsetof(esse_record_t, next_send_seq) + 8 &&
                                        offsetof(esse_keystate_t, recv_seq) ==
                                            offsetof(esse_keystate_t, next_send_seq) + 8 &&
                                        offsetof(esse_keystate_t, recv_window) == offsetof(esse_keystate_t, recv_seq) + 8);


/* Nonzero when a uint64_t holds more than 48 bits (esse_util.h: least significant byte first). */
static uint8_t above_48_bits(const uint64_t *v) {
  const uint8_t *b = (const uint8_t *)v;
  return b[6] | b[7];
}

int esse_record_install(esse_record_t *st, const esse_keystate_t *ks) {
  uint8_t tag_len = esse_suite_tag_len(ks->cipher_suite);
  const uint8_t *keys, *ivs;
  esse_wipe(st, sizeof *st);
  if (!tag_len || ks->version != ESSE_DTLS_VERSION_1_2 || ks->role > ESSE_ROLE_SERVER || ks->epoch == 0 ||
      above_48_bits(&ks->next_send_seq) || above_48_bits(&ks->recv_seq))
    return ESSE_REC_ERR_STATE;
  /* a server writes with the server key and IV and reads with the client's; a client the other way */
  keys = (const uint8_t *)ks + offsetof(esse_keystate_t, client_write_key);
  ivs = (const uint8_t *)ks + offsetof(esse_keystate_t, client_iv);
  esse_record_aead_keys(st, keys + 16 * ks->role, keys + 16 * (ks->role ^ 1u));
  esse_copy(st->write_iv, ivs + 4 * ks->role, 4);
  esse_copy(st->read_iv, ivs + 4 * (ks->role ^ 1u), 4);
  esse_copy(st->session_id, ks->session_id, ESSE_SESSION_ID_LEN);
  st->tag_len = tag_len;
  st->role = ks->role;
  st->cipher_suite = ks->cipher_suite;
  st->version = ks->version;
  st->epoch = ks->epoch;
  /* next_send_seq, recv_max | recv_window from next_send_seq, recv_seq | recv_window: one copy */
  esse_copy((uint8_t *)&st->next_send_seq, (const uint8_t *)&ks->next_send_seq, 24);
  st->active = 1;
  return ESSE_REC_OK;
}

void esse_record_wipe(esse_record_t *st) { esse_wipe(st, sizeof *st); }

/* Protect (open = 0) or unprotect the record at rec, whose header and explicit nonce are in place:
 * nonce = 4-byte implicit IV | explicit nonce (rec[13:21]); AAD = the header's epoch | seq | type | version
 * | plaintext length, the body after the explicit nonce. 0, or nonzero when the tag failed. */
static int protect(esse_record_t *st, uint8_t *rec, uint8_t open) {
  uint8_t na[25];
  uint16_t len = (uint16_t)(esse_get16(rec + 11) - ESSE_RECORD_EXPLICIT - st->tag_len);
  int rc;
  esse_copy(na, open ? st->read_iv : st->write_iv, 4);
  esse_copy(na + 4, rec + ESSE_RECORD_HEADER, 8);
  esse_copy(na + 12, rec + 3, 8);
  esse_copy(na + 20, rec, 3);
  esse_put16(na + 23, len);
  rc = esse_record_aead(st, na, rec + ESSE_RECORD_HEADER + ESSE_RECORD_EXPLICIT, len, open);
  esse_wipe(na, 12);
  return rc;
}

int esse_record_seal(esse_record_t *st, uint8_t type, const uint8_t *payload, size_t len, uint8_t *out,
                     size_t cap) {
  size_t total;
  uint8_t *p;
  if (!st->active) return ESSE_REC_ERR_STATE;
  if (type < ESSE_CT_CHANGE_CIPHER_SPEC || type > ESSE_CT_APPLICATION_DATA) return ESSE_REC_ERR_TYPE;
  total = ESSE_RECORD_HEADER + ESSE_RECORD_EXPLICIT + len + st->tag_len;
  if (len > 16384u || total > cap) return ESSE_REC_ERR_SPACE; /* len <= 2^14: total fits 15 bits */
  if (above_48_bits(&st->next_send_seq)) return ESSE_REC_ERR_SEQ;
  esse_copy(out + ESSE_RECORD_HEADER + ESSE_RECORD_EXPLICIT, payload, len);
  out[0] = type;
  esse_put16(out + 1, st->version);
  esse_put16(out + 3, st->epoch);
  esse_rcopy(out + 5, (const uint8_t *)&st->next_send_seq, 6);
  esse_put16(out + 11, (uint16_t)(total - ESSE_RECORD_HEADER));
  esse_copy(out + ESSE_RECORD_HEADER, out + 3, 8); /* explicit nonce repeats epoch | seq */
  protect(st, out, 0);
  /* next_send_seq + 1, byte by byte (a uint64_t increment is 60 bytes of MSP430 code); it stops at 2^48 */
  for (p = (uint8_t *)&st->next_send_seq; ++*p == 0; p++) {
  }
  return (int)total;
}

int esse_record_open(esse_record_t *st, uint8_t *buf, size_t len, esse_record_view_t *view) {
  uint16_t frag_len;
  uint8_t type;

  view->record_len = (uint16_t)(len > 0xFFFFu ? 0xFFFFu : len);
  view->payload = 0;
  view->payload_len = 0;
  if (len < ESSE_RECORD_HEADER) return ESSE_REC_ERR_LENGTH;
  view->type = type = buf[0];
  view->epoch = esse_get16(buf + 3);
  esse_rcopy((uint8_t *)&view->seq, buf + 3, 8); /* seq, then the epoch in the two bytes above it */
  ((uint8_t *)&view->seq)[6] = ((uint8_t *)&view->seq)[7] = 0;
  frag_len = esse_get16(buf + 11);
  if ((size_t)frag_len > len - ESSE_RECORD_HEADER) return ESSE_REC_ERR_LENGTH;
  view->record_len = (uint16_t)(ESSE_RECORD_HEADER + frag_len);
  if (!st->active) return ESSE_REC_ERR_STATE;
  if (type < ESSE_CT_CHANGE_CIPHER_SPEC || type > ESSE_CT_APPLICATION_DATA) return ESSE_REC_ERR_TYPE;
  if (esse_get16(buf + 1) != st->version) return ESSE_REC_ERR_VERSION;
  if (view->epoch != st->epoch) return ESSE_REC_ERR_EPOCH;
  if (type == ESSE_CT_HANDSHAKE) return ESSE_REC_PASSBACK; /* e.g. a retransmitted client Finished */
  if (frag_len < ESSE_RECORD_EXPLICIT + st->tag_len) return ESSE_REC_ERR_LENGTH;

  /* replay check before the (costly) decryption; the window moves only after the tag verified */
  if (esse_window(WINDOW(st), (const uint8_t *)&view->seq, 8, 0)) return ESSE_REC_ERR_REPLAY;
  /* the explicit nonce is what the sender put in the fragment; RFC 6655 has it equal epoch | seq */
  if (protect(st, buf, 1)) return ESSE_REC_ERR_TAG;

  esse_window(WINDOW(st), (const uint8_t *)&view->seq, 8, 1);
  view->payload = buf + ESSE_RECORD_HEADER + ESSE_RECORD_EXPLICIT;
  view->payload_len = (uint16_t)(frag_len - ESSE_RECORD_EXPLICIT - st->tag_len);
  return ESSE_REC_OK;
}
