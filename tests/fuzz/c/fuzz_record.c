/* libFuzzer target: the DTLS record layer (firmware/dtls_record) with its replay window and key state.
 *
 * Input: a 75-byte encoded key state (ours), then operations until the input runs out. A peer holding
 * the same state in the other role seals records, so the fuzzer reaches past the CCM tag; every
 * outcome is checked against an independent model of RFC 6347 4.1.2.6 (a list of accepted sequence
 * numbers, not a bit window), and a violated expectation aborts (libFuzzer keeps the input).
 *   0 PEER_SEAL  type, seq delta (int16 from the model's highest), flags, len, payload: the peer seals,
 *                flags&1 flips one byte (then it must not open as sealed), we open
 *   1 RAW        len, bytes: we open arbitrary bytes (only the model's bookkeeping on success)
 *   2 OUR_SEAL   seq (6 bytes), len, payload: we seal at that sequence number, the peer opens
 *   3 KEYSTATE   75 bytes: decode/encode round trip and install of an arbitrary state
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtls_record.h"

#define MAX_SEQ 0xFFFFFFFFFFFFull
#define SEEN_MAX 512u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reference model of the receive side: every accepted sequence number, and the highest one. */
typedef struct {
  uint64_t seen[SEEN_MAX];
  unsigned n;
  int any;
  uint64_t max;
} model_t;

static int model_has(const model_t *m, uint64_t seq) {
  for (unsigned i = 0; i < m->n; i++)
    if (m->seen[i] == seq) return 1;
  return 0;
}

static int model_fresh(const model_t *m, uint64_t seq) {
  if (!m->any || seq > m->max) return 1;
  return m->max - seq < ESSE_REPLAY_WINDOW && !model_has(m, seq);
}

static void model_accept(model_t *m, uint64_t seq) {
  if (m->n == SEEN_MAX) { /* forget what has left the window for good */
    unsigned k = 0;
    for (unsigned i = 0; i < m->n; i++)
      if (m->max - m->seen[i] < ESSE_REPLAY_WINDOW) m->seen[k++] = m->seen[i];
    m->n = k;
  }
  if (m->n < SEEN_MAX) m->seen[m->n++] = seq;
  if (!m->any || seq > m->max) m->max = seq;
  m->any = 1;
}

/* The state install gives: bit i of recv_window = recv_seq - i was received. */
static void model_init(model_t *m, const esse_keystate_t *ks) {
  m->n = 0;
  m->any = ks->recv_window != 0;
  m->max = ks->recv_seq;
  for (unsigned i = 0; i < 64 && i <= ks->recv_seq; i++)
    if (ks->recv_window >> i & 1u) m->seen[m->n++] = ks->recv_seq - i;
}

static model_t model;
static uint8_t buf[2048];

static void check(int cond) {
  if (!cond) abort();
}

static void peer_seal(esse_record_t *ours, esse_record_t *peer, const uint8_t **d, size_t *left) {
  esse_record_view_t view;
  if (*left < 5) { *left = 0; return; }
  uint8_t type = (*d)[0];
  int16_t delta = (int16_t)((*d)[1] << 8 | (*d)[2]);
  uint8_t flags = (*d)[3], len = (*d)[4];
  *d += 5; *left -= 5;
  if (len > *left) len = (uint8_t)*left;
  const uint8_t *payload = *d;
  *d += len; *left -= len;
  uint64_t seq = model.max + (uint64_t)(int64_t)delta;
  if (delta < 0 && (uint64_t)(-(int64_t)delta) > model.max) seq = 0;
  peer->next_send_seq = seq;
  int n = esse_record_seal(peer, type, payload, len, buf, sizeof buf);
  if (seq > MAX_SEQ) { check(n == ESSE_REC_ERR_SEQ || n == ESSE_REC_ERR_TYPE); return; }
  if (type < ESSE_CT_CHANGE_CIPHER_SPEC || type > ESSE_CT_APPLICATION_DATA) { check(n == ESSE_REC_ERR_TYPE); return; }
  check(n == (int)(ESSE_RECORD_HEADER + ESSE_RECORD_EXPLICIT + len + ours->tag_len));
  check(peer->next_send_seq == seq + 1);
  int tampered = flags & 1;
  if (tampered) buf[(flags >> 1) % n] ^= (uint8_t)(1u << (len % 8));
  int fresh = model_fresh(&model, seq);
  int rc = esse_record_open(ours, buf, (size_t)n, &view);
  if (rc == ESSE_REC_OK) {
    /* a tampered record may only open if the flip hit nothing covered (impossible: all of it is) */
    check(!tampered);
    check(fresh && view.type == type && view.seq == seq && view.payload_len == len);
    check(memcmp(view.payload, payload, len) == 0);
    check(view.record_len == n);
    model_accept(&model, seq);
  } else if (!tampered) {
    if (type == ESSE_CT_HANDSHAKE) check(rc == ESSE_REC_PASSBACK);
    else check(!fresh && rc == ESSE_REC_ERR_REPLAY);
  }
}

static void raw_open(esse_record_t *ours, const uint8_t **d, size_t *left) {
  esse_record_view_t view;
  size_t len = **d;
  (*d)++; (*left)--;
  if (len > *left) len = *left;
  uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees any read past the datagram */
  memcpy(copy, *d, len);
  *d += len; *left -= len;
  int rc = esse_record_open(ours, copy, len, &view);
  if (rc >= 0) check(view.record_len <= len);
  if (rc == ESSE_REC_OK) { /* a record the fuzzer copied from an earlier seal: must have been fresh */
    check(model_fresh(&model, view.seq));
    model_accept(&model, view.seq);
  }
  free(copy);
}

static void our_seal(esse_record_t *ours, esse_record_t *peer, const uint8_t **d, size_t *left) {
  esse_record_view_t view;
  if (*left < 7) { *left = 0; return; }
  uint64_t seq = 0;
  for (int i = 0; i < 6; i++) seq = seq << 8 | (*d)[i];
  seq |= (uint64_t)((*d)[0] & 0x80) << 41; /* top bit set: past the 48-bit space */
  uint8_t len = (*d)[6];
  *d += 7; *left -= 7;
  if (len > *left) len = (uint8_t)*left;
  ours->next_send_seq = seq;
  int n = esse_record_seal(ours, ESSE_CT_APPLICATION_DATA, *d, len, buf, sizeof buf);
  if (seq > MAX_SEQ) {
    check(n == ESSE_REC_ERR_SEQ);
  } else {
    check(n > 0);
    peer->recv_window = 0; /* the peer's own window is not under test here */
    int rc = esse_record_open(peer, buf, (size_t)n, &view);
    check(rc == ESSE_REC_OK && view.payload_len == len && memcmp(view.payload, *d, len) == 0);
  }
  *d += len; *left -= len;
}

static void keystate_roundtrip(const uint8_t **d, size_t *left) {
  esse_keystate_t ks;
  esse_record_t st;
  uint8_t again[ESSE_KEYSTATE_WIRE_LEN];
  if (*left < ESSE_KEYSTATE_WIRE_LEN) { *left = 0; return; }
  esse_keystate_decode(&ks, *d);
  esse_keystate_encode(&ks, again);
  check(memcmp(again, *d, ESSE_KEYSTATE_WIRE_LEN) == 0);
  int rc = esse_record_install(&st, &ks);
  int valid = esse_suite_tag_len(ks.cipher_suite) && ks.version == ESSE_DTLS_VERSION_1_2 && ks.role <= 1 &&
              ks.epoch != 0;
  check((rc == ESSE_REC_OK) == valid);
  *d += ESSE_KEYSTATE_WIRE_LEN; *left -= ESSE_KEYSTATE_WIRE_LEN;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  esse_keystate_t ks;
  esse_record_t ours, peer;
  if (size < ESSE_KEYSTATE_WIRE_LEN) return 0;
  esse_keystate_decode(&ks, data);
  data += ESSE_KEYSTATE_WIRE_LEN; size -= ESSE_KEYSTATE_WIRE_LEN;
  if (esse_record_install(&ours, &ks) != ESSE_REC_OK) return 0;
  ks.role ^= 1u;
  check(esse_record_install(&peer, &ks) == ESSE_REC_OK);
  ks.role ^= 1u;
  model_init(&model, &ks);
  while (size > 0) {
    uint8_t op = data[0] % 4;
    data++; size--;
    switch (op) {
    case 0: peer_seal(&ours, &peer, &data, &size); break;
    case 1: if (size) raw_open(&ours, &data, &size); break;
    case 2: our_seal(&ours, &peer, &data, &size); break;
    default: keystate_roundtrip(&data, &size); break;
    }
  }
  esse_record_wipe(&ours);
  esse_record_wipe(&peer);
  return 0;
}
