/* periph_wdt.h — Watchdog timer+ (WDTCTL 0x0120; password 0x5A on write, reads 0x69 in the high byte).
 * Watchdog mode: expiry sets WDTIFG and requests a PUC. Interval mode: expiry sets WDTIFG (IE1.WDTIE,
 * vector 0xFFF4, auto-cleared on acceptance). A write without the password requests a PUC. */
#ifndef ESSE_PERIPH_WDT_H
#define ESSE_PERIPH_WDT_H
#include "mote.h"
uint16_t wdt_counter(mote_t *m); /* WDTCNT (not CPU-visible) */
uint16_t wdt_ctl(mote_t *m);     /* WDTCTL low byte (as read, with 0x69 high byte) */
void wdt_attach(mote_t *m);
void wdt_reset(mote_t *m, int por);
void wdt_detach(mote_t *m);
#endif
