/* Anti-replay windows (replay.h); the record layer's keeps its state in esse_record_t. */
#include "replay.h"

#include "record_common.h"

static const uint8_t bit_mask[8] = {1u, 2u, 4u, 8u, 16u, 32u, 64u, 128u};

/* a - b over width bytes: 0xFF when a < b, else the difference capped at 64. */
static uint8_t distance(const uint8_t *a, const uint8_t *b, uint8_t width) {
  uint8_t k, borrow = 0, high = 0, low = 0;
  for (k = 0; k < width; k++) {
    uint16_t t = (uint16_t)(a[k] - b[k] - borrow);
    borrow = (uint8_t)((t >> 8) & 1u);
    if (k) high |= (uint8_t)t;
    else low = (uint8_t)t;
  }
  if (borrow) return 0xFFu;
  return high || low >= 64u ? 64u : low;
}

static uint8_t *ring_byte(void *ring, uint8_t ring_bytes, uint8_t p) {
  return (uint8_t *)ring + ((p >> 3) & (ring_bytes - 1u));
}

void esse_window_set(void *ring, uint8_t ring_bytes, uint8_t p) { *ring_byte(ring, ring_bytes, p) |= bit_mask[p & 7u]; }

int esse_window_check(const void *max, const void *ring, uint8_t ring_bytes, const void *n, uint8_t width) {
  uint8_t back = distance(max, n, width), p = *(const uint8_t *)n;
  if (back == 0xFFu) return 0;
  if (back >= (uint8_t)(ring_bytes * 8u)) return -1;
  return (*ring_byte((void *)(uintptr_t)ring, ring_bytes, p) & bit_mask[p & 7u]) ? 1 : 0;
}

void esse_window_accept(void *max, void *ring, uint8_t ring_bytes, const void *n, uint8_t width) {
  uint8_t ahead = distance(n, max, width), p = *(uint8_t *)max, k;
  if (ahead != 0xFFu) {
    while (ahead--) { /* positions max + 1 .. n now stand for numbers not accepted yet */
      p++;
      *ring_byte(ring, ring_bytes, p) &= (uint8_t)~bit_mask[p & 7u];
    }
    for (k = 0; k < width; k++) ((uint8_t *)max)[k] = ((const uint8_t *)n)[k];
  }
  esse_window_set(ring, ring_bytes, *(const uint8_t *)n);
}

void esse_replay_install(esse_record_t *st, const uint64_t *recv_seq, const uint64_t *window) {
  const uint8_t *w = (const uint8_t *)window;
  uint8_t i;
  st->recv_max = *recv_seq;
  st->recv_window = 0;
  for (i = 0; i < ESSE_REPLAY_WINDOW; i++) /* bit i of the exported window is recv_seq - i */
    if (w[i >> 3] & bit_mask[i & 7u]) esse_window_set(&st->recv_window, 8, (uint8_t)((uint8_t)*recv_seq - i));
}

int esse_replay_fresh(esse_record_t *st, const uint64_t *seq) {
  /* an empty window (nothing received yet) takes any number */
  return !st->recv_window || esse_window_check(&st->recv_max, &st->recv_window, 8, seq, 6) == 0;
}

void esse_replay_accept(esse_record_t *st, const uint64_t *seq) {
  if (!st->recv_window) st->recv_max = *seq; /* the first number received sets the window */
  esse_window_accept(&st->recv_max, &st->recv_window, 8, seq, 6);
}
