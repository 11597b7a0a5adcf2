/*
 * cpu.h — the MSP430 (non-X) CPU core: instruction decode, execution, interrupt acceptance.
 * The run loop itself is mote_run() (declared in mote.h, implemented in cpu.c).
 */
#ifndef ESSE_CPU_H
#define ESSE_CPU_H

#include "mote.h"

/* One predecoded instruction, cached per PC/2. Valid when key == (opcode word | CPU_KEY_VALID):
 * everything in the entry derives from the opcode word and its address only, so comparing the
 * word at fetch time is enough to notice self-modified code. Extension words are read live. */
#define CPU_KEY_VALID 0x10000u
struct cpu_decoded {
    uint32_t key;
    uint16_t kind;   /* handler index */
    uint8_t sreg;    /* source register (format I) or operand register (format II) */
    uint8_t dreg;    /* destination register (format I) */
    uint8_t cycles;  /* from the family user's guide tables */
    uint8_t amode;   /* format II: addressing mode 0..3; jumps: condition */
    uint16_t cval;   /* constant source value, or the constant base of symbolic/absolute source */
    uint16_t dbase;  /* constant base of a symbolic/absolute destination; jumps: target */
    uint16_t pad;
};

#define CPU_DCACHE_ENTRIES (MOTE_MEM_SIZE / 2)

/* Called by the core on every SR write that may change GIE/CPUOFF/SCG/OSCOFF. */
void cpu_sr_written(mote_t *m, uint16_t old_sr);
/* CPU mode (CPU_MODE_*) encoded by a status register value. */
int cpu_mode_of_sr(uint16_t sr);
/* Load PC from the reset vector and clear the CPU state (POR/PUC). */
void cpu_reset(mote_t *m);

#endif /* ESSE_CPU_H */
