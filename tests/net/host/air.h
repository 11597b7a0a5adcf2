/*
 * air.h — the test channel between host-built nodes that run mac802154.c (air.c): plain declarations,
 * read by cffi as the cdef of the air library (tests/net/nethost.py).
 */
#ifndef ESSE_AIR_H
#define ESSE_AIR_H
#include <stdint.h>

typedef void (*air_rx_fn)(const uint8_t *frame, uint8_t len);
void air_register(int index, air_rx_fn fn);
void air_drop(int data, int acks);
void air_transmit(int from, const uint8_t *frame, uint8_t len);
int air_log_count(void);
int air_log_frame(int i, uint8_t *out, int *from);

#endif
