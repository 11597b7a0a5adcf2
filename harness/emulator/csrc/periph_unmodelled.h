/* periph_unmodelled.h — the parts of the MSP430F1611 the emulator does not model, made visible.
 *
 * Nothing silent: a firmware that uses one of them would otherwise see plain memory (or a USART
 * that never moves a bit) and fail in ways that look like its own bug. Each part's registers are
 * mapped here: they read back what was written (cleared at every reset, as the chip's are) and the
 * first access to each part is recorded with its address and cycle; the host reports it
 * (harness/emulator/unmodelled.py). The USART notes its own unmodelled modes (I2C on USART0, SPI
 * slave) through unmod_note when the firmware releases it from reset in one.
 *
 * Register addresses (MSP430F1611 datasheet, peripheral file map): I2C 0x050-0x052 (I2CIE, I2CIFG,
 * I2CNDAT) and 0x118-0x11D (I2COA, I2CSA, I2CIV; its other registers overlay USART0's, see above);
 * SVS 0x055 (SVSCTL); Comparator_A 0x059-0x05B (CACTL1, CACTL2, CAPD); DAC12 0x1C0-0x1C3 (DAC12_0CTL,
 * DAC12_1CTL) and 0x1C8-0x1CB (DAC12_0DAT, DAC12_1DAT). */
#ifndef ESSE_PERIPH_UNMODELLED_H
#define ESSE_PERIPH_UNMODELLED_H
#include "mote.h"

enum {
    UNMOD_I2C = 0,       /* USART0's I2C mode and its registers */
    UNMOD_SVS,           /* supply voltage supervisor */
    UNMOD_COMPARATOR_A,
    UNMOD_DAC12,
    UNMOD_SPI_SLAVE,     /* a USART in SPI slave mode (SYNC = 1, MM = 0) */
    UNMOD_COUNT
};

/* Record an access to part `part` at `addr` (write: 1) at the present cycle (the first one is kept). */
void unmod_note(mote_t *m, int part, uint16_t addr, int write);
/* Bit p set: part p was accessed since the mote was created. */
uint32_t unmod_touched(mote_t *m);
/* The first access to `part`: its address, cycle, simulated ns and direction, and how many there
 * were in all. Returns 0 when there was none (the outputs are then left alone). */
int unmod_first(mote_t *m, int part, uint16_t *addr, uint64_t *cycle, uint64_t *ns, int *write,
                uint64_t *count);

void unmod_attach(mote_t *m);
void unmod_reset(mote_t *m, int por);
void unmod_detach(mote_t *m);
#endif
