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

int esse_window_check(const uint8_t *win, const uint8_t *n, uint8_t w) {
  uint8_t back = distance(win, n, w);
  if (back == 0xFFu || empty(win, w)) return 0;
  if (back >= (uint8_t)(8u * w)) return -1;
  return (win[w + (back >> 3)] & bit_mask[back & 7u]) ? 1 : 0;
}

void esse_window_accept(uint8_t *win, const uint8_t *n, uint8_t w) {
  uint8_t back = 0, ahead, k, carry, t;
  if (empty(win, w)) esse_copy(win, n, w); /* the first number accepted sets max */
  ahead = distance(n, win, w);
  if (ahead == 0xFFu) {
    back = distance(win, n, w); /* below max: inside the window (esse_window_check said so) */
  } else {
    while (ahead--) { /* the bitmap moves up one bit per number max advances (64 steps clear it) */
      for (k = w, carry = 0; k < 2u * w; k++) {
        t = win[k];
        win[k] = (uint8_t)((t << 1) | carry);
        carry = (uint8_t)(t >> 7);
      }
    }
    esse_copy(win, n, w);
  }
  win[w + (back >> 3)] |= bit_mask[back & 7u];
}
