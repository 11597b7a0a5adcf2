/* DTLS 1.2 AEAD record protection (RFC 5246 6.2.3.3, RFC 6347 4.1, RFC 6655 nonce construction).
 * The AES-128-CCM itself comes from the backend the build picks: record_aead.c (our AES and CCM) or
 * firmware/dtls_record_tinydtls (TinyDTLS's, -DESSE_RECORD_TINYDTLS). */
#include "dtls_record.h"

#include "esse_util.h"
#include "record_common.h"


int esse_record_install(esse_record_t *st, const esse_keystate_t *ks) {
  uint8_t tag_len = esse_suite_tag_len(ks->cipher_suite);
  const uint8_t *wk, *rk, *wiv, *riv;
  esse_wipe(st, sizeof *st);
  if (!tag_len || ks->version != ESSE_DTLS_VERSION_1_2 || ks->role > ESSE_ROLE_SERVER || ks->epoch == 0 ||
      ks->next_send_seq > ESSE_MAX_SEQ || ks->recv_seq > ESSE_MAX_SEQ)
    return ESSE_REC_ERR_STATE;
  if (ks->role == ESSE_ROLE_SERVER) {
    wk = ks->server_write_key; wiv = ks->server_iv;
    rk = ks->client_write_key; riv = ks->client_iv;
  } else {
    wk = ks->client_write_key; wiv = ks->client_iv;
    rk = ks->server_write_key; riv = ks->server_iv;
  }
  esse_record_aead_keys(st, wk, rk);
  esse_copy(st->write_iv, wiv, 4);
  esse_copy(st->read_iv, riv, 4);
  esse_copy(st->session_id, ks->session_id, ESSE_SESSION_ID_LEN);
  st->tag_len = tag_len;
  st->role = ks->role;
  st->cipher_suite = ks->cipher_suite;
  st->version = ks->version;
  st->epoch = ks->epoch;
  st->next_send_seq = ks->next_send_seq;
  esse_replay_install(st, &ks->recv_seq, &ks->recv_window);
  st->active = 1;
  return ESSE_REC_OK;
}

void esse_record_wipe(esse_record_t *st) { esse_wipe(st, sizeof *st); }

/* nonce = 4-byte implicit IV | epoch(2) | seq(6) ; aad = epoch | seq | type | version | length */
static void make_nonce_aad(const uint8_t iv[4], const uint8_t *explicit_nonce, uint8_t type,
                           uint16_t version, uint16_t plain_len, uint8_t nonce[12], uint8_t aad[13]) {
  esse_copy(nonce, iv, 4);
  esse_copy(nonce + 4, explicit_nonce, 8);
  esse_copy(aad, explicit_nonce, 8);
  aad[8] = type;
  esse_put16(aad + 9, version);
  esse_put16(aad + 11, plain_len);
}

int esse_record_seal(esse_record_t *st, uint8_t type, const uint8_t *payload, size_t len, uint8_t *out,
                     size_t cap) {
  uint8_t nonce[12], aad[13];
  size_t total;
  uint8_t *body;
  if (!st->active) return ESSE_REC_ERR_STATE;
  if (type < ESSE_CT_CHANGE_CIPHER_SPEC || type > ESSE_CT_APPLICATION_DATA) return ESSE_REC_ERR_TYPE;
  total = ESSE_RECORD_HEADER + ESSE_RECORD_EXPLICIT + len + st->tag_len;
  if (len > 16384u || total > cap || total > 0x7FFFu) return ESSE_REC_ERR_SPACE;
  if (st->next_send_seq > ESSE_MAX_SEQ) return ESSE_REC_ERR_SEQ;
  body = out + ESSE_RECORD_HEADER + ESSE_RECORD_EXPLICIT;
  esse_copy(body, payload, len);
  out[0] = type;
  esse_put16(out + 1, st->version);
  esse_put16(out + 3, st->epoch);
  esse_rcopy(out + 5, (const uint8_t *)&st->next_send_seq, 6);
  esse_put16(out + 11, (uint16_t)(ESSE_RECORD_EXPLICIT + len + st->tag_len));
  esse_copy(out + ESSE_RECORD_HEADER, out + 3, 8); /* explicit nonce repeats epoch | seq */
  make_nonce_aad(st->write_iv, out + 3, type, st->version, (uint16_t)len, nonce, aad);
  esse_record_aead_seal(st, nonce, aad, body, len);
  st->next_send_seq++;
  esse_wipe(nonce, sizeof nonce);
  return (int)total;
}

int esse_record_open(esse_record_t *st, uint8_t *buf, size_t len, esse_record_view_t *view) {
  uint8_t nonce[12], aad[13];
  uint16_t frag_len, plain_len, version, epoch;
  uint64_t seq;
  uint8_t type;
  uint8_t *body;
  int rc;

  view->record_len = (uint16_t)(len > 0xFFFFu ? 0xFFFFu : len);
  view->payload = 0;
  view->payload_len = 0;
  if (len < ESSE_RECORD_HEADER) return ESSE_REC_ERR_LENGTH;
  type = buf[0];
  version = esse_get16(buf + 1);
  epoch = esse_get16(buf + 3);
  seq = 0;
  esse_rcopy((uint8_t *)&seq, buf + 5, 6);
  frag_len = esse_get16(buf + 11);
  view->type = type;
  view->epoch = epoch;
  view->seq = seq;
  if ((size_t)frag_len > len - ESSE_RECORD_HEADER) return ESSE_REC_ERR_LENGTH;
  view->record_len = (uint16_t)(ESSE_RECORD_HEADER + frag_len);
  if (!st->active) return ESSE_REC_ERR_STATE;
  if (type < ESSE_CT_CHANGE_CIPHER_SPEC || type > ESSE_CT_APPLICATION_DATA) return ESSE_REC_ERR_TYPE;
  if (version != st->version) return ESSE_REC_ERR_VERSION;
  if (epoch != st->epoch) return ESSE_REC_ERR_EPOCH;
  if (type == ESSE_CT_HANDSHAKE) return ESSE_REC_PASSBACK; /* e.g. a retransmitted client Finished */
  if (frag_len < ESSE_RECORD_EXPLICIT + st->tag_len) return ESSE_REC_ERR_LENGTH;

  /* replay check before the (costly) decryption; the window moves only after the tag verified */
  if (!esse_replay_fresh(st, &seq)) return ESSE_REC_ERR_REPLAY;

  plain_len = (uint16_t)(frag_len - ESSE_RECORD_EXPLICIT - st->tag_len);
  body = buf + ESSE_RECORD_HEADER + ESSE_RECORD_EXPLICIT;
  /* the explicit nonce is what the sender put in the fragment; RFC 6655 has it equal epoch | seq */
  make_nonce_aad(st->read_iv, buf + ESSE_RECORD_HEADER, type, version, plain_len, nonce, aad);
  esse_copy(aad, buf + 3, 8); /* AAD uses the header's epoch | seq */
  rc = esse_record_aead_open(st, nonce, aad, body, plain_len);
  esse_wipe(nonce, sizeof nonce);
  if (rc != 0) return ESSE_REC_ERR_TAG;

  esse_replay_accept(st, &seq);
  view->payload = body;
  view->payload_len = plain_len;
  return ESSE_REC_OK;
}

