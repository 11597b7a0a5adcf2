/* The 64-record anti-replay window (RFC 6347 4.1.2.6): shared by both record backends. */
#include "record_common.h"

/* v << n for n < 64. One out-of-line shift: clang expands every variable 64-bit shift inline on the
 * MSP430 (hundreds of bytes each); words first, then at most 15 single-bit steps. */
__attribute__((noinline)) static uint64_t shl64(uint64_t v, unsigned n) {
  for (; n >= 16; n -= 16) v <<= 16;
  while (n--) v <<= 1;
  return v;
}

int esse_replay_fresh(uint64_t recv_max, uint64_t window, uint64_t seq) {
  uint64_t diff;
  if (window == 0 || seq > recv_max) return 1;
  diff = recv_max - seq;
  return diff < ESSE_REPLAY_WINDOW && !(window & shl64(1u, (unsigned)diff));
}

void esse_replay_accept(uint64_t *recv_max, uint64_t *window, uint64_t seq) {
  if (*window == 0 || seq > *recv_max) {
    uint64_t shift = *window == 0 ? 64 : seq - *recv_max;
    *window = shift >= ESSE_REPLAY_WINDOW ? 1u : (shl64(*window, (unsigned)shift) | 1u);
    *recv_max = seq;
  } else {
    *window |= shl64(1u, (unsigned)(*recv_max - seq));
  }
}
