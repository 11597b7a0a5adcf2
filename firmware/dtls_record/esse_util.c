#include "esse_util.h"

void esse_wipe(void *p, size_t n) {
  volatile uint8_t *v = (volatile uint8_t *)p;
  while (n--) *v++ = 0;
}

void esse_copy(uint8_t *dst, const uint8_t *src, size_t n) {
  /* memmove semantics: the record layer shifts payloads inside one buffer */
  if (dst < src) {
    while (n--) *dst++ = *src++;
  } else if (dst > src) {
    dst += n;
    src += n;
    while (n--) *--dst = *--src;
  }
}

void esse_rcopy(uint8_t *dst, const uint8_t *src, size_t n) {
  src += n;
  while (n--) *dst++ = *--src;
}

uint8_t esse_ct_diff(const uint8_t *a, const uint8_t *b, size_t n) {
  uint8_t d = 0;
  size_t i;
  for (i = 0; i < n; i++) d |= (uint8_t)(a[i] ^ b[i]);
  return d;
}

uint16_t esse_get16(const uint8_t *p) { return (uint16_t)(((uint16_t)p[0] << 8) | p[1]); }

void esse_put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

uint32_t esse_get32(const uint8_t *p) {
  return ((uint32_t)esse_get16(p) << 16) | esse_get16(p + 2);
}

void esse_put32(uint8_t *p, uint32_t v) {
  esse_put16(p, (uint16_t)(v >> 16));
  esse_put16(p + 2, (uint16_t)v);
}

uint64_t esse_get48(const uint8_t *p) {
  return ((uint64_t)esse_get16(p) << 32) | esse_get32(p + 2);
}

void esse_put48(uint8_t *p, uint64_t v) {
  esse_put16(p, (uint16_t)(v >> 32));
  esse_put32(p + 2, (uint32_t)v);
}

uint64_t esse_get64(const uint8_t *p) {
  return ((uint64_t)esse_get32(p) << 32) | esse_get32(p + 4);
}

void esse_put64(uint8_t *p, uint64_t v) {
  esse_put32(p, (uint32_t)(v >> 32));
  esse_put32(p + 4, (uint32_t)v);
}
