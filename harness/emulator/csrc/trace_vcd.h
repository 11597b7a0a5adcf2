/*
 * trace_vcd.h — a record of one mote's observable signals, for a Value Change Dump (`esse run --vcd`,
 * harness/emulator/vcd.py writes the file): pin levels of P1..P6, the mode of every power-tracker
 * component (CPU, radio), the DCO frequency, UART bytes and resets.
 *
 * Changes are recorded where they happen, through the hooks the chip already has (port pin listener,
 * mode listeners, clock listener, USART TX tap, reset hook), each stamped with mote_now_ns(): the
 * time base of the power tracker, so the mode intervals of a trace add up to its totals. Nothing is
 * registered until vcdt_attach(): a mote without a trace pays nothing.
 *
 * The records wait in a buffer the host drains (vcdt_take); it grows as needed up to VCDT_MAX_RECORDS,
 * beyond which records are counted as lost (vcdt_lost), never dropped silently.
 *
 * Signals (sig) and values:
 *   1..6          port n: PxIN (pin levels as the chip sees them), 8 bits
 *   8..15         mode of component (sig - 8) (m->comp[], e.g. 8 = CPU, its CPU_MODE_*)
 *   16            DCO frequency in Hz
 *   17, 18        USART0 / USART1 sent a byte in UART mode (value: the byte) at its stop bit
 *   19            reset (value: enum mote_reset_cause)
 * vcdt_attach() records every signal's current value first, at the mote's present.
 */
#ifndef ESSE_TRACE_VCD_H
#define ESSE_TRACE_VCD_H

#include <stddef.h>
#include <stdint.h>
#include "mote.h"

typedef struct vcdt vcdt_t;

enum {
    VCDT_SIG_PORT = 0,  /* + port number 1..6 */
    VCDT_SIG_MODE = 8,  /* + component index */
    VCDT_SIG_DCO = 16,
    VCDT_SIG_UART = 17, /* + USART number 0..1 */
    VCDT_SIG_RESET = 19
};
#define VCDT_MAX_RECORDS 4194304u /* 64 MB of records between two drains */

/* Start recording mote m (registers its listeners; they stay registered: free the trace only when
 * the mote will not run again, or vcdt_stop() it first). NULL when a listener table is full or out
 * of memory (mote_setup_error says which). */
vcdt_t *vcdt_attach(mote_t *m);
/* Record nothing more (the listeners stay, and return at once). */
void vcdt_stop(vcdt_t *t);
void vcdt_free(vcdt_t *t);
/* Records waiting, and take up to max of them (oldest first) into the arrays. */
size_t vcdt_pending(const vcdt_t *t);
size_t vcdt_take(vcdt_t *t, uint64_t *t_ns, uint8_t *sig, uint32_t *value, size_t max);
/* Records lost because the buffer held VCDT_MAX_RECORDS (the host did not drain). */
uint64_t vcdt_lost(const vcdt_t *t);

#endif /* ESSE_TRACE_VCD_H */
