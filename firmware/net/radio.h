/*
 * radio.h — what the 802.15.4 MAC (mac802154.c) needs from a radio driver (the CC2420 driver).
 *
 * Frames cross this interface without the 2-byte FCS: the radio appends it on transmit and checks
 * and strips it on receive (the CC2420 does both in hardware).
 *
 * Receive: for every frame with a good FCS the driver calls mac_rx_filter() at once (it may be in
 * interrupt context: it only looks at the frame, sets the ACK flag, sends a software ACK); when that
 * returns nonzero the driver keeps the frame and later, from the main loop, hands it to mac_input().
 */
#ifndef RADIO_H
#define RADIO_H

#include <stdint.h>

/* Transmit one frame now, no channel check (the MAC did CCA). 0 or negative. */
int radio_transmit(const uint8_t *frame, uint8_t len);
/* Clear channel assessment: nonzero when the channel is idle. */
int radio_channel_clear(void);
/* Busy-wait; received frames keep arriving (mac_rx_filter) meanwhile. */
void radio_delay_us(uint16_t us);

#endif
