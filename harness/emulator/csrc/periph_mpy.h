/* periph_mpy.h — 16x16 hardware multiplier: MPY 0x130, MPYS 0x132, MAC 0x134, MACS 0x136, OP2 0x138,
 * RESLO 0x13A, RESHI 0x13C, SUMEXT 0x13E (read-only). Writing OP2 starts the operation selected by the
 * OP1 address; results are available at once (the hardware needs no wait states for the next read). */
#ifndef ESSE_PERIPH_MPY_H
#define ESSE_PERIPH_MPY_H
#include "mote.h"
void mpy_attach(mote_t *m);
void mpy_reset(mote_t *m, int por);
void mpy_detach(mote_t *m);
#endif
