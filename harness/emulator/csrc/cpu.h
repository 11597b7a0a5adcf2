/*
 * cpu.h — the MSP430 (non-X) CPU core: instruction decode, execution, interrupt acceptance.
 * The run loop itself is mote_run() (declared in mote.h, implemented in cpu.c).
 */
#ifndef ESSE_CPU_H
#define ESSE_CPU_H

#include "mote.h"

/* One predecoded instruction, cached per PC/2, right after the mote (mote_create) or in a cache
 * shared by motes (mote_share_code). Valid when
 * kind != 0 and key == the opcode word now in memory: everything in the entry derives from the
 * opcode word and its address only, so comparing the word at fetch time is enough to notice
 * self-modified code. A zeroed entry (kind 0) runs the decoder, also for the opcode 0x0000
 * (illegal). Extension words are read live.
 * A fused entry covers two instructions: a format-I instruction and the conditional jump right
 * after it (decoded together, one dispatch). Its handler compares the jump's opcode word with key2
 * after the first instruction, and runs the jump only when that matches and no event, interrupt or
 * run limit falls between the two (otherwise the jump goes through its own entry as before).
 * A register pair covers two one-word register instructions (cpu.c, RR_LIST) the same way: the
 * second runs from this entry when key2 matches and its time check passes. */
struct cpu_decoded {
    uint16_t key;    /* the opcode word decoded */
    uint16_t kind;   /* handler index; 0: not decoded */
    uint16_t cval;   /* constant source value, or the constant base of symbolic/absolute source */
    uint16_t dbase;  /* constant base of a symbolic/absolute destination; jumps: target; register
                      * pair: the second instruction's source register */
    uint8_t sreg;    /* source register (format I) or operand register (format II) */
    uint8_t dreg;    /* destination register (format I) */
    uint8_t cycles;  /* from the family user's guide tables */
    uint8_t reg2;    /* register pair: the second instruction's destination register */
    uint16_t aux;    /* generic format I (@PC source): opcode << 8 | bw << 7 | D;
                      * fused pair: the jump's target; register pair: the second's constant */
    uint16_t key2;   /* fused or register pair: the second opcode word (else 0); the entry is 16
                      * bytes (PC * 8) */
};

#define CPU_DCACHE_ENTRIES (MOTE_MEM_SIZE / 2)

/* Drop the predecoded entry of pc and of any pair ending with an instruction at pc (breakpoints,
 * stop PC): the decoder sees them again. */
void cpu_forget(mote_t *m, uint16_t pc);
/* Called by the core on every SR write that may change GIE/CPUOFF/SCG/OSCOFF. */
void cpu_sr_written(mote_t *m, uint16_t old_sr);
/* CPU mode (CPU_MODE_*) encoded by a status register value. */
int cpu_mode_of_sr(uint16_t sr);
/* The stop PC or a breakpoint changed: their regions of translated code go to the interpreter. */
void cpu_xlat_stops_changed(mote_t *m);
/* Load PC from the reset vector and clear the CPU state (POR/PUC). */
void cpu_reset(mote_t *m);

#endif /* ESSE_CPU_H */
