/*
 * lpl.h - low-power listening for the CC2420 (X-MAC/ContikiMAC style, our code).
 *
 * Receiver (LPL_RX = 1): the radio is off except for a channel check every LPL_PERIOD_TICKS (8 Hz):
 * RX on, wait for a valid RSSI, then watch CCA, SFD and the RX queue for LPL_WINDOW_TICKS; energy
 * keeps the radio on for LPL_CATCH_TICKS (the next copy of the frame comes within milliseconds), a
 * unicast frame received or sent for LPL_AWAKE_TICKS (more fragments, the reply to a request);
 * broadcast copies do not extend it. Otherwise it goes off again.
 * Sender (LPL_TX = 1): a frame is sent again and again, back to back, until its acknowledgement
 * comes (unicast with AR) or for one period and a margin (broadcast, or nobody answers), so a
 * receiver checking anywhere in the period hears a copy. Repeats of one frame keep their sequence
 * number: the MAC's duplicate filter drops the extra copies a receiver hears.
 * The main loop calls lpl_poll() and sleeps no longer than lpl_wakeup() allows.
 */
#ifndef ESSE_LPL_H
#define ESSE_LPL_H

#include <stdint.h>

#include "sky.h"

#ifndef LPL_TX
#define LPL_TX 0
#endif
#ifndef LPL_RX
#define LPL_RX 0
#endif
#define LPL_PERIOD_TICKS (SKY_CLOCK_HZ / 8u)                          /* 125 ms */
#define LPL_STROBE_TICKS (LPL_PERIOD_TICKS + LPL_PERIOD_TICKS / 8u)    /* a period and a margin */
#define LPL_WINDOW_TICKS 34u   /* 1.04 ms: longer than the silence between two copies of a frame */
#define LPL_ACK_WAIT_TICKS 20u /* 0.61 ms: an ACK ends 544 us after the frame */
#define LPL_AWAKE_TICKS (SKY_CLOCK_HZ / 8u) /* after a unicast frame in or out: more may follow */
#define LPL_CATCH_TICKS (SKY_CLOCK_HZ / 32u) /* after a busy check: long enough for the next copy */

/* Nonzero once the acknowledgement of `seq` has arrived (the radio glue polls its queue). */
typedef int (*lpl_acked_fn)(uint8_t seq);

void lpl_init(void); /* after the radio is up: LPL_RX switches it off until the first check */
/* Sends `frame` (MPDU without FCS) as a strobe; 0 when sent (acknowledged or not: the MAC checks). */
int lpl_transmit(const uint8_t *frame, uint8_t len, lpl_acked_fn acked);
void lpl_radio_needed(void); /* before a CCA: the receiver on, its RSSI valid */
/* CCA for strobed sending: 1 once the channel has been quiet for longer than the gaps inside a
 * strobe (another sender's strobe is waited out, up to one strobe length), 0 if it never was. */
int lpl_channel_clear(void);
void lpl_activity(void);     /* a unicast frame arrived: stay awake a while */
void lpl_poll(void);         /* main loop: the channel check when due, radio off when idle */
uint32_t lpl_wakeup(uint32_t at); /* the earlier of `at` and the next moment lpl_poll() must run */

#endif /* ESSE_LPL_H */
