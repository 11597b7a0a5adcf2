/*
 * cpu_exec.h — what one MSP430 instruction does: operand access, ALU and flags, format I and II
 * execution, cycle costs (the MSP430x1xx Family User's Guide tables) on the run loop's hot state.
 *
 * Two users: the interpreter (cpu.c, handlers specialised by the decoder's shape constants) and the
 * translated modules (cpu_xlat.h; C generated per firmware by harness/emulator/translate.py and
 * compiled by the host's gcc), which call the same functions with constant operands, so one
 * definition of the instruction set serves both. A translated module defines CPU_EXEC_TRANSLATED
 * before including this header: it reaches the core's out-of-line paths (I/O hooks, the slow write
 * path, SR mode changes, faults) through `cpu_api`, a table the core hands it (cpu_xlat.h), and reads
 * extension words from its own copy of the image (XW).
 */
#ifndef ESSE_CPU_EXEC_H
#define ESSE_CPU_EXEC_H

#include <string.h>

#include "cpu.h"

/* The core's out-of-line paths an instruction may take (the interpreter calls them directly). */
struct cpu_exec_api {
    uint16_t (*io_read)(mote_t *m, uint16_t a, int is_byte);
    void (*wr_slow)(mote_t *m, uint16_t a, uint16_t v, int is_byte, uint16_t ipc);
    void (*sr_written)(mote_t *m, uint16_t old_sr);
    void (*fault)(mote_t *m, int code, uint16_t pc);
    /* a region's time check failed: fire the due events as the run loop's slow path would; 1 when
     * the region may go on at once (cpu.c xlat_service), 0 to leave it to the run loop */
    int (*service)(mote_t *m, unsigned region);
};

#ifdef CPU_EXEC_TRANSLATED
extern struct cpu_exec_api cpu_api; /* the module's, filled by its init (cpu_xlat.h) */
#define io_read cpu_api.io_read
#define wr_slow cpu_api.wr_slow
#define cpu_sr_written cpu_api.sr_written
#define mote_fault cpu_api.fault
#else
static uint16_t io_read(mote_t *m, uint16_t a, int is_byte);
static void wr_slow(mote_t *m, uint16_t a, uint16_t v, int is_byte, uint16_t ipc);
#endif

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define AI static inline __attribute__((always_inline))

#define SR_MODE_BITS (SR_GIE | SR_CPUOFF | SR_OSCOFF | SR_SCG0 | SR_SCG1)

/* source kinds (format I) */
/* S_INDPC runs in fmt1_generic; S_SR (the SR as a register source: the MSPABI multiply helpers' save
 * and restore of GIE) has its own handlers per (opcode, byte/word, destination kind), outside F1_INDEX */
enum { S_REG, S_CON, S_IDX, S_ABS, S_IND, S_INC, S_IMM, S_INDPC, S_SR };
/* destination kinds (format I) */
enum { D_REG, D_SPC, D_MEM, D_ABS };
/* operand modes (format II) */
enum { M_REG, M_IDX, M_IND, M_INC, M_CON, M_IMM, M_ABS, M_INDPC, M_REGN };
#define NUM_F2_MODES 9
/* format II operations */
enum { F2_RRC, F2_SWPB, F2_RRA, F2_SXT, F2_PUSH, F2_CALL };

/* Hot run-loop state kept in registers: the cycle counter and the fast-path limit. Everything
 * that can observe or change m->now / m->next_check (I/O hooks, the flash writer, mode listeners,
 * faults, the slow path) is reached through the H_OUT/H_IN pairs below, so outside code always sees
 * m->now exactly as before. Passed by pointer to always-inline helpers only (never escapes). */
struct hot {
    uint64_t now;
    uint64_t next;
    uint16_t pc; /* R0: every PC-relative operand is predecoded, so only this copy is read */
    uint16_t sr; /* R2 without its flags (bits C, Z, N, V here are stale): m->r[2] is current only
                  * outside (H_OUT) */
    /* Lazy flags: each flag-setting instruction stores raw values and nothing reads them until a
     * conditional jump, ADDC/SUBC/DADD/RRC or an SR read (sr_get) does. C = (fc != 0),
     * Z = (low 16 bits of fz == 0), N = bit 15 or bit 16 of fz, V = bit 15 of fv. An instruction
     * stores its masked result in fz (byte operations shift it up 8, so bit 15 is the sign in both
     * sizes and bit 16 is clear); bit 16 only carries N from an SR load, which may set Z and N at
     * once. */
    uint32_t fc, fz, fv;
};


#define SR_FLAGS (SR_C | SR_Z | SR_N | SR_V)

/* The status register with its flags materialised. */
AI uint16_t sr_get(const struct hot *h)
{
    return (uint16_t)((h->sr & ~SR_FLAGS) | (h->fc != 0) | (((uint16_t)h->fz == 0) << 1) |
                      (((h->fz | h->fz >> 1) >> 13) & SR_N) | ((h->fv >> 7) & SR_V));
}

/* Load a whole status register value into the lazy form. */
AI void sr_load(struct hot *h, uint16_t v)
{
    h->sr = v;
    h->fc = v & SR_C;
    h->fz = ((~(uint32_t)v >> 1) & 1u) | ((uint32_t)(v & SR_N) << 14); /* bit 0: Z clear, bit 16: N */
    h->fv = (uint32_t)(v & SR_V) << 7;
}

#define H_OUT(h) (m->now = (h)->now, m->r[0] = (h)->pc, m->r[2] = sr_get(h))
#define H_IN(h) ((h)->now = m->now, (h)->next = m->next_check, (h)->pc = m->r[0] & 0xFFFE, sr_load((h), m->r[2]))
/* Around I/O hooks: the same pair, but the SR is converted back only if the call changed it. */
#define H_OUT_IO(h, sv) (m->now = (h)->now, m->r[0] = (h)->pc, m->r[2] = (sv) = sr_get(h))
#define H_IN_IO(h, sv)                                                                             \
    do {                                                                                           \
        (h)->now = m->now, (h)->next = m->next_check, (h)->pc = m->r[0] & 0xFFFE;                  \
        if (UNLIKELY(m->r[2] != (sv)))                                                             \
            sr_load((h), m->r[2]);                                                                 \
    } while (0)

/* ---------------------------------------------------------------- memory */

AI uint16_t ld16(const mote_t *m, uint16_t a)
{
    uint16_t v;
    memcpy(&v, m->mem + a, 2);
    return v;
}

AI void st16(mote_t *m, uint16_t a, uint16_t v) { memcpy(m->mem + a, &v, 2); }

/* An instruction's extension word at a (the interpreter reads it live; a translated module from
 * the image it was translated from, which it guarantees is still in memory). */
#ifndef XW
#define XW(m, a) ld16((m), (a))
#endif

AI uint16_t rd16(mote_t *m, struct hot *h, uint16_t a)
{
    a &= 0xFFFE;
    if (LIKELY(a >= MOTE_MIRROR_END))
        return ld16(m, a);
    if (a < MOTE_IO_END && !m->io[a].read) /* no read hook: a plain byte (io_read would return it) */
        return ld16(m, a);
    uint16_t sv;
    H_OUT_IO(h, sv);
    uint16_t v = io_read(m, a, 0);
    H_IN_IO(h, sv);
    return v;
}

AI uint16_t rd8(mote_t *m, struct hot *h, uint16_t a)
{
    if (LIKELY(a >= MOTE_MIRROR_END))
        return m->mem[a];
    if (a < MOTE_IO_END && !m->io[a].read) /* e.g. the SFRs: no hook, no state to bring out */
        return m->mem[a];
    uint16_t sv;
    H_OUT_IO(h, sv);
    uint16_t v = (uint8_t)io_read(m, a, 1);
    H_IN_IO(h, sv);
    return v;
}

#define RAM_SPAN ((uint16_t)(MOTE_RAM_END - MOTE_RAM_START))
#define MIRRORED_END ((uint16_t)(MOTE_MIRROR_END + MOTE_MIRROR_OFFSET)) /* 0x1900 */

/* A RAM store at a (RAM address), with node_id kept. The mirror (0x0200-0x09FF) is not a copy: data
 * accesses there resolve to RAM (io_read, wr_slow). Only while code runs from the mirror
 * (m->mirror_live, set by the first fetch there) is m->mem's mirror part kept as a copy, because the
 * fetch path reads opcodes from m->mem directly; the flag test costs less than a second store per
 * write to the low 2 KB of RAM, where globals live. */
AI void ram_st16(mote_t *m, uint16_t a, uint16_t v)
{
    st16(m, a, v);
    if (UNLIKELY((int32_t)a == m->node_id_addr))
        st16(m, a, m->node_id); /* Cooja semantics: node_id always reads the mote id */
    if (UNLIKELY(m->mirror_live) && a < MIRRORED_END)
        st16(m, (uint16_t)(a - MOTE_MIRROR_OFFSET), ld16(m, a));
}

AI void ram_st8(mote_t *m, uint16_t a, uint16_t v)
{
    m->mem[a] = (uint8_t)v;
    if (UNLIKELY((int32_t)(a & 0xFFFE) == m->node_id_addr))
        st16(m, a & 0xFFFE, m->node_id);
    if (UNLIKELY(m->mirror_live) && a < MIRRORED_END)
        st16(m, (uint16_t)((a & 0xFFFE) - MOTE_MIRROR_OFFSET), ld16(m, a & 0xFFFE));
}

AI void wr16(mote_t *m, struct hot *h, uint16_t a, uint16_t v, uint16_t ipc)
{
    a &= 0xFFFE;
    if (LIKELY((uint16_t)(a - MOTE_RAM_START) < RAM_SPAN)) {
        ram_st16(m, a, v);
    } else {
        uint16_t sv;
        H_OUT_IO(h, sv);
        wr_slow(m, a, v, 0, ipc);
        H_IN_IO(h, sv);
    }
}

AI void wr8(mote_t *m, struct hot *h, uint16_t a, uint16_t v, uint16_t ipc)
{
    if (LIKELY((uint16_t)(a - MOTE_RAM_START) < RAM_SPAN)) {
        ram_st8(m, a, v);
    } else {
        uint16_t sv;
        H_OUT_IO(h, sv);
        wr_slow(m, a, (uint8_t)v, 1, ipc);
        H_IN_IO(h, sv);
    }
}


AI uint16_t rd(mote_t *m, struct hot *h, uint16_t a, int bw) { return bw ? rd8(m, h, a) : rd16(m, h, a); }
AI void wr(mote_t *m, struct hot *h, uint16_t a, uint16_t v, int bw, uint16_t ipc)
{
    if (bw)
        wr8(m, h, a, v, ipc);
    else
        wr16(m, h, a, v, ipc);
}

/* SR write: only a change of the mode bits (GIE, CPUOFF, OSCOFF, SCG0/1) leaves the fast path,
 * and not GIE alone going 1 -> 0 (DINT, the multiply helpers): that leaves the CPU mode as it is, sets
 * no EINT delay and makes no interrupt acceptable, so the slow-path pass cpu_sr_written asks for
 * would find nothing to do and keep next_check. Nor GIE alone going 0 -> 1 (EINT, the multiply
 * helpers' `pop sr`) while no interrupt line is asserted and the time check would pass (no event
 * due, nothing pending): that pass would clear the EINT delay it set (nothing to accept) and change
 * nothing else; a line raised later is accepted at the same boundary either way. */
AI void sr_write(mote_t *m, struct hot *h, uint16_t v)
{
    uint16_t old = h->sr;
    sr_load(h, (uint16_t)(v & 0x01FF));
    uint16_t changed = (old ^ h->sr) & SR_MODE_BITS;
    if (UNLIKELY(changed) &&
        (changed != SR_GIE || ((h->sr & SR_GIE) && (m->irq_lines || h->now >= h->next)))) {
        H_OUT(h);
        cpu_sr_written(m, old);
        H_IN(h);
    }
}

AI void sp_write(mote_t *m, struct hot *h, uint16_t v, uint16_t ipc)
{
    v &= 0xFFFE;
    m->r[1] = v;
    if (UNLIKELY(v < m->stack_limit)) {
        mote_fault(m, MOTE_FAULT_STACK, ipc);
        h->next = m->next_check;
    }
}

/* Register write with the special cases of R0..R3 (PC even, SP even + stack check, SR mode
 * bits, CG writes ignored). */
AI void reg_write(mote_t *m, struct hot *h, int reg, uint16_t v, uint16_t ipc)
{
    switch (reg) {
    case 0:
        h->pc = v & 0xFFFE;
        break;
    case 1:
        sp_write(m, h, v, ipc);
        break;
    case 2:
        sr_write(m, h, v);
        break;
    case 3:
        break;
    default:
        m->r[reg] = v;
    }
}

AI void push16(mote_t *m, struct hot *h, uint16_t v, uint16_t ipc)
{
    uint16_t sp = (uint16_t)(m->r[1] - 2);
    sp_write(m, h, sp, ipc);
    wr16(m, h, sp, v, ipc);
}

/* Lazy flag setters (struct hot; bw is a compile-time constant in every specialised handler):
 * c nonzero sets C, res is the masked result (Z, N), v holds V in its operation-size msb. */
AI void set_flags(struct hot *h, int bw, uint32_t c, uint32_t res, uint32_t v)
{
    h->fc = c;
    h->fz = bw ? res << 8 : res;
    h->fv = bw ? v << 8 : v;
}

AI uint32_t flag_c(const struct hot *h) { return h->fc != 0; }

/* ---------------------------------------------------------------- cycles */

static const uint8_t f1_cycles[4][3] = {
    /* dst:      Rm PC mem      src: */
    {1, 2, 4}, /* Rn, constants */
    {2, 2, 5}, /* @Rn */
    {2, 3, 5}, /* @Rn+, #N */
    {3, 3, 6}, /* X(Rn), EDE, &EDE */
};
/* format II: rows Rn, @Rn, @Rn+, #N, X(Rn)/EDE/&EDE; columns RRA/RRC/SWPB/SXT, PUSH, CALL */
static const uint8_t f2_cycles[5][3] = {
    {1, 3, 4}, {3, 4, 4}, {3, 5, 5}, {3, 4, 5}, {4, 5, 5},
};

/* The same tables as functions of a handler's compile-time shape (the decoder fills d->cycles from
 * them too), so the specialised handlers add a constant. Only a format-I register destination
 * R0..R3 (D_SPC) depends on the register (PC: column 1) and reads d->cycles. */
AI int f1_cost(int S, int D)
{
    int row = (S == S_REG || S == S_CON || S == S_SR) ? 0
              : (S == S_IND || S == S_INDPC) ? 1
              : (S == S_INC || S == S_IMM)   ? 2
                                             : 3;
    return f1_cycles[row][D == D_REG ? 0 : 2];
}

AI int f2_cost(int op, int mode)
{
    int row = (mode == M_REG || mode == M_REGN || mode == M_CON) ? 0
              : (mode == M_IND || mode == M_INDPC) ? 1
              : mode == M_INC ? 2
              : mode == M_IMM ? 3
                              : 4;
    return f2_cycles[row][op == F2_PUSH ? 1 : (op == F2_CALL ? 2 : 0)];
}

/* ---------------------------------------------------------------- format I */

/* Result and flags of a two-operand ALU operation; returns 1 when the result is written. */
AI int alu(struct hot *h, int op, int bw, uint16_t src, uint16_t dst, uint16_t *out)
{
    const uint32_t mask = bw ? 0xFFu : 0xFFFFu;
    uint32_t res;
    switch (op) {
    case 0x4: /* MOV */
        *out = src;
        return 1;
    case 0x5: /* ADD */
    case 0x6: /* ADDC */
    case 0x7: /* SUBC */
    case 0x8: /* SUB */
    case 0x9: /* CMP */ {
        uint32_t b = src, cin = 0;
        if (op >= 0x7)
            b = ~b & mask;
        if (op == 0x6 || op == 0x7)
            cin = flag_c(h);
        else if (op >= 0x8)
            cin = 1;
        uint32_t sum = dst + b + cin;
        res = sum & mask;
        /* V: the result's sign differs from both operands' (the same as ~(dst ^ b) & (dst ^ res)
         * in the sign bit, in fewer host instructions) */
        set_flags(h, bw, sum >> (bw ? 8 : 16), res, (dst ^ res) & (b ^ res));
        *out = (uint16_t)res;
        return op != 0x9;
    }
    case 0xA: { /* DADD */
        uint32_t c = flag_c(h);
        res = 0;
        const int nibbles = bw ? 2 : 4;
        for (int i = 0; i < nibbles; i++) {
            uint32_t t = ((src >> (4 * i)) & 15u) + ((dst >> (4 * i)) & 15u) + c;
            if (t > 9)
                t += 6;
            c = t > 15;
            res |= (t & 15u) << (4 * i);
        }
        /* V is undefined for DADD: left unchanged */
        h->fc = c;
        h->fz = bw ? res << 8 : res;
        *out = (uint16_t)res;
        return 1;
    }
    case 0xB: /* BIT */
    case 0xF: /* AND */
        res = src & dst;
        set_flags(h, bw, res, res, 0);
        *out = (uint16_t)res;
        return op == 0xF;
    case 0xC: /* BIC */
        *out = (uint16_t)(dst & ~src & mask);
        return 1;
    case 0xD: /* BIS */
        *out = (uint16_t)(dst | src);
        return 1;
    default: /* 0xE XOR */
        res = src ^ dst;
        set_flags(h, bw, res, res, (uint32_t)(src & dst));
        *out = (uint16_t)res;
        return 1;
    }
}

AI void fmt1(mote_t *m, struct hot *h, const struct cpu_decoded *d, uint16_t ipc, int op, int bw, int S,
            int D)
{
    uint16_t *r = m->r;
    uint16_t pc = (uint16_t)(ipc + 2);
    uint16_t src, dst = 0, a = 0;

    switch (S) {
    case S_REG:
        src = r[d->sreg];
        break;
    case S_CON:
        src = d->cval;
        break;
    case S_IDX:
        src = rd(m, h, (uint16_t)(r[d->sreg] + XW(m, pc)), bw);
        pc += 2;
        break;
    case S_ABS:
        src = rd(m, h, (uint16_t)(d->cval + XW(m, pc)), bw);
        pc += 2;
        break;
    case S_IND:
        src = rd(m, h, r[d->sreg], bw);
        break;
    case S_INC: {
        uint16_t sa = r[d->sreg];
        src = rd(m, h, sa, bw);
        r[d->sreg] = (uint16_t)(sa + ((bw && d->sreg != 1) ? 1 : 2));
        break;
    }
    case S_IMM:
        src = XW(m, pc);
        pc += 2;
        break;
    case S_SR:
        src = sr_get(h);
        break;
    default: /* S_INDPC: @PC reads the word after the opcode without consuming it */
        src = rd(m, h, pc, bw);
        break;
    }
    if (bw)
        src &= 0xFF;

    switch (D) {
    case D_REG:
        dst = r[d->dreg];
        break;
    case D_SPC:
        dst = d->dreg == 0 ? pc : (d->dreg == 3 ? 0 : (d->dreg == 2 ? sr_get(h) : r[d->dreg]));
        break;
    case D_MEM:
        a = (uint16_t)(r[d->dreg] + XW(m, pc));
        pc += 2;
        if (op != 0x4)
            dst = rd(m, h, a, bw);
        break;
    default: /* D_ABS */
        a = (uint16_t)(d->dbase + XW(m, pc));
        pc += 2;
        if (op != 0x4)
            dst = rd(m, h, a, bw);
        break;
    }
    if (bw)
        dst &= 0xFF;

    h->pc = pc;
    /* operands were read at the start of the instruction; results land at its end (an SR write
     * that enters a low-power mode starts the LPM stretch after this instruction) */
    h->now += D == D_SPC ? d->cycles : f1_cost(S, D);
    uint16_t res;
    if (alu(h, op, bw, src, dst, &res)) {
        if (bw)
            res &= 0xFF;
        switch (D) {
        case D_REG:
            r[d->dreg] = res;
            break;
        case D_SPC:
            reg_write(m, h, d->dreg, res, ipc);
            break;
        default:
            wr(m, h, a, res, bw, ipc);
            break;
        }
    }
}

/* ---------------------------------------------------------------- format II */

/* op: F2_* (compile-time constant), bw and mode (M_*) too: one handler per combination. */
AI void fmt2(mote_t *m, struct hot *h, const struct cpu_decoded *d, uint16_t ipc, int op, int bw, int mode)
{
    uint16_t *r = m->r;
    const int reg = d->sreg;
    uint16_t pc = (uint16_t)(ipc + 2);
    uint16_t v, a = 0;
    int where; /* 0: register (any), 3: register R4..R15, 1: memory, 2: nowhere (constant) */

    switch (mode) {
    case M_REG:
        v = reg == 0 ? pc : (reg == 2 ? sr_get(h) : r[reg]);
        where = 0;
        break;
    case M_REGN:
        v = r[reg];
        where = 3;
        break;
    case M_IDX:
        a = (uint16_t)(r[reg] + XW(m, pc));
        pc += 2;
        v = rd(m, h, a, bw);
        where = 1;
        break;
    case M_ABS:
        a = (uint16_t)(d->cval + XW(m, pc));
        pc += 2;
        v = rd(m, h, a, bw);
        where = 1;
        break;
    case M_IND:
    case M_INDPC: /* @PC: the word after the opcode, not consumed */
        a = mode == M_IND ? r[reg] : pc;
        v = rd(m, h, a, bw);
        where = 1;
        break;
    case M_INC:
        a = r[reg];
        v = rd(m, h, a, bw);
        r[reg] = (uint16_t)(a + ((bw && reg != 1) ? 1 : 2));
        where = 1;
        break;
    case M_IMM:
        v = XW(m, pc);
        pc += 2;
        where = 2;
        break;
    default: /* M_CON */
        v = d->cval;
        where = 2;
        break;
    }
    if (bw)
        v &= 0xFF;
    h->pc = pc;
    h->now += f2_cost(op, mode);

    const uint16_t msb = bw ? 0x80 : 0x8000;
    uint16_t res;
    switch (op) {
    case F2_RRC:
    case F2_RRA: {
        uint16_t top = op == F2_RRC ? (flag_c(h) ? msb : 0) : (v & msb);
        res = (uint16_t)((v >> 1) | top);
        set_flags(h, bw, v & 1u, res, 0);
        break;
    }
    case F2_SWPB:
        res = (uint16_t)((v >> 8) | (v << 8));
        break;
    case F2_SXT:
        res = (uint16_t)(int16_t)(int8_t)(v & 0xFF);
        set_flags(h, 0, res, res, 0);
        /* SXT is a word operation whatever the B/W bit says */
        if (where == 3)
            r[reg] = res;
        else if (where == 0)
            reg_write(m, h, reg, res, ipc);
        else if (where == 1)
            wr16(m, h, a, res, ipc);
        return;
    case F2_PUSH: {
        uint16_t sp = (uint16_t)(r[1] - 2);
        sp_write(m, h, sp, ipc);
        wr(m, h, sp, v, bw, ipc);
        return;
    }
    default: /* F2_CALL */
        push16(m, h, pc, ipc);
        h->pc = v & 0xFFFE;
        return;
    }
    if (bw)
        res &= 0xFF;
    if (where == 3)
        r[reg] = res;
    else if (where == 0)
        reg_write(m, h, reg, res, ipc);
    else if (where == 1)
        wr(m, h, a, res, bw, ipc);
}

/* Conditional jump condition c (the opcode's condition field, 0..6: JNE, JEQ, JNC, JC, JN, JGE, JL;
 * 7: JMP) on the lazy flags. */
AI int jcond(const struct hot *h, int c)
{
    uint32_t n15 = h->fz | h->fz >> 1; /* N in bit 15 */
    switch (c) {
    case 0:
        return (uint16_t)h->fz != 0;
    case 1:
        return (uint16_t)h->fz == 0;
    case 2:
        return h->fc == 0;
    case 3:
        return h->fc != 0;
    case 4:
        return (n15 & 0x8000u) != 0;
    case 5:
        return !((n15 ^ h->fv) & 0x8000u);
    case 6:
        return ((n15 ^ h->fv) & 0x8000u) != 0;
    default:
        return 1;
    }
}

#endif /* ESSE_CPU_EXEC_H */
