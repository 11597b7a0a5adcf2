/*
 * radio_cc2420.h — radio.h on the Sky's CC2420 driver (firmware/dev/cc2420.h), for mac802154.c.
 *
 * Hardware address recognition and AUTOACK are on, so build with MAC_SOFTWARE_ACK=0. Frames the
 * driver received while the MAC waited (CSMA back-off, ACK wait) are held here, ACKs excepted, and
 * handed to the MAC by radio_cc2420_poll() from the main loop. Not part of the `net` module's
 * sources: apps with a radio list it (with modules "net" and "dev").
 */
#ifndef RADIO_CC2420_H
#define RADIO_CC2420_H

#include <stdint.h>
#include "lladdr.h"

#ifndef RADIO_CC2420_CHANNEL
#define RADIO_CC2420_CHANNEL 26
#endif

/* cc2420_init, channel, PAN, our short or extended address, filter + AUTOACK, receive on. 0 or the
 * driver's error. */
int radio_cc2420_init(uint16_t pan, const lladdr_t *own);
/* Pass every received frame to the MAC (mac_rx_filter, then mac_input); returns how many. */
uint8_t radio_cc2420_poll(void);
/* The alarm a main loop should set: `at`, or earlier when low-power listening (firmware/dev/lpl.h,
 * LPL_RX=1) has a channel check or a radio switch-off due before. */
uint32_t radio_cc2420_wakeup(uint32_t at);
/* Frames lost because HELD_FRAMES were waiting already (the main loop was away too long). */
uint16_t radio_cc2420_held_lost(void);

#endif
