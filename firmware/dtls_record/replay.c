/* Anti-replay windows (replay.h). */
#include "replay.h"

static const uint8_t bit_mask[8] = {1u, 2u, 4u, 8u, 16u, 32u, 64u, 128u};

/* a - b over w bytes: 0xFF when a < b, else the difference capped at 64. */
static uint8_t distance(const uint8_t *a, const uint8_t *b, uint8_t w) {
  uint8_t k, borrow = 0, high = 0, low = 0;
  for (k = 0; k < w; k++) {
    uint16_t t = (uint16_t)(a[k] - b[k] - borrow);
    borrow = (uint8_t)((t >> 8) & 1u);
    if (k) high |= (uint8_t)t;
    else low = (uint8_t)t;
  }
  if (borrow) return 0xFFu;
  return high || low >= 64u ? 64u : low;
}

static uint8_t empty(const uint8_t *win, uint8_t w) {
  uint8_t any = 0, k;
  for (k = w; k < 2u * w; k++) any |= win[k];
  return !any;
}

int esse_window(uint8_t *win, const uint8_t *n, uint8_t w, uint8_t accept) {
  uint8_t back, ahead, k, carry;
  uint16_t t;
  if (empty(win, w)) { /* nothing accepted yet: any number is new, the first one accepted sets max */
    if (!accept) return 0;
    esse_copy(win, n, w);
  }
  back = distance(win, n, w);
  if (back == 0xFFu) { /* above max */
    if (!accept) return 0;
    ahead = distance(n, win, w);
    while (ahead--) { /* the bitmap moves up one bit per number max advances (64 steps clear it) */
      for (k = w, carry = 0; k < 2u * w; k++) {
        t = (uint16_t)((win[k] << 1) | carry);
        win[k] = (uint8_t)t;
        carry = (uint8_t)(t >> 8);
      }
    }
    esse_copy(win, n, w);
    back = 0;
  } else if (back >= (uint8_t)(8u * w)) {
    return -1;
  } else if (!accept) {
    return (win[w + (back >> 3)] & bit_mask[back & 7u]) ? 1 : 0;
  }
  win[w + (back >> 3)] |= bit_mask[back & 7u];
  return 0;
}
