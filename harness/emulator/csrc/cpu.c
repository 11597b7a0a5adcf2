/*
 * cpu.c — MSP430 (non-X) CPU: predecoding interpreter and the run loop (mote_run).
 *
 * Written from the MSP430x1xx Family User's Guide (SLAU049): instruction formats, addressing
 * modes, constant generators, status flags and the cycle tables ("Format-I/Format-II
 * instruction cycles and lengths", interrupt 6 cycles, RETI 5 cycles, jumps 2 cycles).
 *
 * Speed: every PC has a predecoded entry (cpu.h) validated by the opcode word (one 16-bit compare;
 * the entries follow the mote in memory unless it shares another's (mote_share_code), and a
 * zeroed entry has handler 0, the decoder), dispatched with computed goto to a handler specialised on (opcode, byte/word, source kind, destination kind),
 * or on (operation, byte/word, operand mode) for format II. Memory at or above 0x200 is read
 * straight from m->mem; RAM writes take one range test; only the I/O space, flash and vacant
 * space go through the slow path. The only per-instruction time check is `now >= next_check`;
 * events, IRQ changes, faults and SR writes lower next_check so the slow path (events, interrupt
 * acceptance, LPM) runs between instructions. Inside mote_run, now, next_check and PC live in
 * locals (struct hot, with the SR, so flag updates and conditional jumps stay in host registers)
 * and are written back to the mote before every call that can see them.
 * Flags are lazy (struct hot): a flag-setting instruction stores raw values (carry, result, overflow
 * term) and C, Z, N, V are only formed when read: a conditional jump tests one value, SR reads
 * (operands, PUSH, H_OUT before any call out, hence interrupts, RETI, gdb and the host) build the
 * register with sr_get. Fused pairs (FJ_LIST): a compare/test/arithmetic/move instruction and the
 * conditional jump after it share one entry and one handler (cpu.h), so the pair costs one dispatch;
 * register pairs (RR_LIST) do the same for two one-cycle register instructions. The SR as a register
 * source has handlers of its own (S_SR); only @PC sources run the generic format-I path.
 * The interpreter is built at -O2 (~+15 s compile over -O1, ~5-10% faster here).
 */
#include "cpu_exec.h"
#include "cpu_xlat.h"

#include <stdlib.h>

void mote_apply_pending_puc(mote_t *m); /* mote.c */

#define NMI_LINES ((1u << MOTE_VEC_NMI) | (1u << MOTE_VEC_RESET))

#define NUM_F1_KINDS (12 * 2 * 7 * 4)
#define F1_INDEX(OP, BW, S, D) ((((OP) - 4) * 2 + (BW)) * 7 + (S)) * 4 + (D)

/* Fused pairs: these format-I shapes (opcode, byte/word, source kind, destination kind), when the
 * next instruction is a conditional jump, get one handler per jump condition (JNE..JL). The list
 * holds what compiled code (clang -Os) puts before a conditional jump: compares, tests and bit tests
 * (CMP, TST = CMP #0, BIT), DEC/SUB/ADD (loop counters) and the moves that precede a jump on flags
 * set earlier. */
#define FJ_LIST(X)                                                                                   \
    X(9, 0, S_REG, D_REG) X(9, 0, S_CON, D_REG) X(9, 0, S_IMM, D_REG) X(9, 0, S_IDX, D_REG)          \
    X(9, 0, S_ABS, D_REG) X(9, 0, S_REG, D_MEM) X(9, 0, S_CON, D_MEM) X(9, 0, S_IMM, D_MEM)          \
    X(9, 0, S_CON, D_ABS) X(9, 0, S_IMM, D_ABS)                                                      \
    X(9, 1, S_REG, D_REG) X(9, 1, S_CON, D_REG) X(9, 1, S_IMM, D_REG) X(9, 1, S_CON, D_MEM)          \
    X(9, 1, S_IMM, D_MEM) X(9, 1, S_CON, D_ABS) X(9, 1, S_IMM, D_ABS)                                \
    X(8, 0, S_CON, D_REG) X(8, 0, S_REG, D_REG) X(8, 0, S_IMM, D_REG) X(8, 1, S_CON, D_REG)          \
    X(5, 0, S_CON, D_REG) X(5, 0, S_REG, D_REG) X(5, 0, S_IMM, D_REG) X(5, 1, S_CON, D_REG)          \
    X(11, 0, S_CON, D_REG) X(11, 0, S_IMM, D_REG) X(11, 0, S_REG, D_REG) X(11, 0, S_CON, D_ABS)      \
    X(11, 0, S_IMM, D_ABS) X(11, 0, S_CON, D_MEM)                                                    \
    X(11, 1, S_IMM, D_ABS) X(11, 1, S_CON, D_ABS) X(11, 1, S_IMM, D_REG) X(11, 1, S_CON, D_REG)      \
    X(11, 1, S_IMM, D_MEM) X(11, 1, S_CON, D_MEM)                                                    \
    X(4, 0, S_REG, D_REG) X(4, 0, S_CON, D_REG) X(4, 0, S_IDX, D_REG)
#define FJ_ENUM(OP, BW, S, D) FJ_##OP##_##BW##_##S##_##D,
enum { FJ_LIST(FJ_ENUM) NUM_FJ };
#define NUM_FJ_CONDS 7 /* JNE, JEQ, JNC, JC, JN, JGE, JL (JMP is not fused) */

/* Register pairs (RR_LIST): two one-cycle instructions with a register or constant-generator source
 * and a register destination R4..R15 (the 32-bit chains of compiled code: MOV + ADD, ADD + ADDC,
 * ADDC + ADDC, SUB + SUBC, counters and compares) share one entry and one handler when the second
 * is not a conditional jump (those pair as above). The entry keeps the second's opcode word in key2,
 * its destination in reg2, its source register in dbase and its constant in aux. The list is
 * written twice (RR_LIST, RR_LIST2) because a macro cannot expand itself for the inner loop. */
#define RR_LIST(X) \
    X(4, 0, S_REG) X(5, 0, S_REG) X(6, 0, S_REG) X(7, 0, S_REG) X(8, 0, S_REG) X(9, 0, S_REG) \
    X(14, 0, S_REG) X(12, 0, S_REG) X(4, 0, S_CON) X(5, 0, S_CON) X(8, 0, S_CON) X(9, 0, S_CON) \
    X(13, 0, S_CON) X(5, 1, S_CON) X(9, 1, S_CON)
#define RR_LIST2(X, A, B, C) \
    X(A, B, C, 4, 0, S_REG) X(A, B, C, 5, 0, S_REG) X(A, B, C, 6, 0, S_REG) \
    X(A, B, C, 7, 0, S_REG) X(A, B, C, 8, 0, S_REG) X(A, B, C, 9, 0, S_REG) \
    X(A, B, C, 14, 0, S_REG) X(A, B, C, 12, 0, S_REG) X(A, B, C, 4, 0, S_CON) \
    X(A, B, C, 5, 0, S_CON) X(A, B, C, 8, 0, S_CON) X(A, B, C, 9, 0, S_CON) \
    X(A, B, C, 13, 0, S_CON) X(A, B, C, 5, 1, S_CON) X(A, B, C, 9, 1, S_CON)
#define RR_ENUM(OP, BW, S) RR_##OP##_##BW##_##S,
enum { RR_LIST(RR_ENUM) NUM_RR };

#define K_F1_0 1 /* kind 0: not decoded (a zeroed entry runs the decoder) */
enum {
    K_F1_GENERIC = K_F1_0 + NUM_F1_KINDS,
    K_F2_0, /* ((op * 2 + bw) * NUM_F2_MODES + mode) follow */
    K_RETI = K_F2_0 + 6 * 2 * NUM_F2_MODES,
    K_JMP0, /* 8 conditions follow */
    K_FJ_0 = K_JMP0 + 8, /* fused pairs: FJ_* * NUM_FJ_CONDS + condition */
    K_RR_0 = K_FJ_0 + NUM_FJ * NUM_FJ_CONDS, /* register pairs: first RR_* * NUM_RR + second */
    K_SR_0 = K_RR_0 + NUM_RR * NUM_RR, /* SR source: ((op - 4) * 2 + bw) * 4 + D */
    K_XLAT = K_SR_0 + 12 * 2 * 4, /* translated code (cpu_xlat.h) starts here */
    K_ILLEGAL,
};

/* format-I kind index -> 1 + its FJ_* shape (0: never fused) */
#define FJ_MAP(OP, BW, S, D) [F1_INDEX(OP, BW, S, D)] = 1 + FJ_##OP##_##BW##_##S##_##D,
static const uint8_t fj_shape[NUM_F1_KINDS] = {FJ_LIST(FJ_MAP)};
_Static_assert(NUM_FJ < 255, "fj_shape holds 1 + the shape in a byte");
/* format-I kind index -> 1 + its RR_* shape (0: never in a register pair) */
#define RR_MAP(OP, BW, S) [F1_INDEX(OP, BW, S, D_REG)] = 1 + RR_##OP##_##BW##_##S,
static const uint8_t rr_shape[NUM_F1_KINDS] = {RR_LIST(RR_MAP)};

static uint16_t __attribute__((noinline)) io_read(mote_t *m, uint16_t a, int is_byte)
{
    if (a >= MOTE_IO_END) { /* the RAM mirror: the byte lives at its RAM address */
        uint16_t ra = (uint16_t)(a + MOTE_MIRROR_OFFSET);
        return is_byte ? m->mem[ra] : ld16(m, ra);
    }
    mote_io_hook_t *h = &m->io[a];
    if (h->read)
        return h->read(m, h->ctx, a, is_byte);
    return is_byte ? m->mem[a] : ld16(m, a);
}

static int is_flash(uint16_t a)
{
    return (a >= MOTE_INFO_START && a < MOTE_INFO_END) || a >= MOTE_FLASH_START;
}

static void mirror_write(mote_t *m, uint16_t a, uint16_t v, int is_byte);

static void __attribute__((noinline)) wr_slow(mote_t *m, uint16_t a, uint16_t v, int is_byte,
                                                 uint16_t ipc)
{
    if (a < MOTE_IO_END) {
        mote_io_hook_t *h = &m->io[a];
        if (h->write)
            h->write(m, h->ctx, a, v, is_byte);
        else if (is_byte)
            m->mem[a] = (uint8_t)v;
        else
            st16(m, a, v);
    } else if (a < MOTE_MIRROR_END) {
        mirror_write(m, a, v, is_byte);
    } else if (is_flash(a)) {
        if (m->flash_write)
            m->flash_write(m, m->flash_write_ctx, a, v, is_byte);
        else
            mote_fault(m, MOTE_FAULT_FLASH_WRITE, ipc);
    }
    /* else: vacant address space, the write goes nowhere */
}

/* A write through the RAM mirror lands in RAM (and in the mirror's copy while it is live). */
static void mirror_write(mote_t *m, uint16_t a, uint16_t v, int is_byte)
{
    uint16_t ra = (uint16_t)(a + MOTE_MIRROR_OFFSET);
    if (is_byte)
        ram_st8(m, ra, v);
    else
        ram_st16(m, ra, v);
}

uint16_t mote_data_read(mote_t *m, uint16_t a, int is_byte)
{
    if (!is_byte)
        a &= 0xFFFE;
    if (a >= MOTE_MIRROR_END)
        return is_byte ? m->mem[a] : ld16(m, a);
    return is_byte ? (uint8_t)io_read(m, a, 1) : io_read(m, a, 0);
}

void mote_data_write(mote_t *m, uint16_t a, uint16_t v, int is_byte)
{
    if (!is_byte)
        a &= 0xFFFE;
    if ((uint16_t)(a - MOTE_RAM_START) < RAM_SPAN) {
        if (is_byte)
            ram_st8(m, a, v);
        else
            ram_st16(m, a, v);
        return;
    }
    wr_slow(m, a, is_byte ? (uint8_t)v : v, is_byte, m->r[0]);
}

/* ---------------------------------------------------------------- registers */

int cpu_mode_of_sr(uint16_t sr)
{
    if (!(sr & SR_CPUOFF))
        return CPU_MODE_ACTIVE;
    if (sr & SR_OSCOFF)
        return CPU_MODE_LPM4;
    switch (sr & (SR_SCG0 | SR_SCG1)) {
    case 0:
        return CPU_MODE_LPM0;
    case SR_SCG0:
        return CPU_MODE_LPM1;
    case SR_SCG1:
        return CPU_MODE_LPM2;
    default:
        return CPU_MODE_LPM3;
    }
}

void cpu_sr_written(mote_t *m, uint16_t old_sr)
{
    uint16_t sr = m->r[2];
    if ((sr & SR_GIE) && !(old_sr & SR_GIE))
        m->irq_defer = 1; /* the instruction after EINT always executes */
    m->next_check = 0;
    mote_component_set_mode(m, 0, cpu_mode_of_sr(sr));
}

static void __attribute__((noinline)) fmt1_generic(mote_t *m, const struct cpu_decoded *d, uint16_t ipc)
{
    int op = (d->aux >> 8) & 15, bw = (d->aux >> 7) & 1, D = d->aux & 3; /* the source is @PC */
    struct hot hs;
    H_IN(&hs);
    fmt1(m, &hs, d, ipc, op, bw, S_INDPC, D);
    H_OUT(&hs);
}

static void __attribute__((noinline)) reti(mote_t *m, uint16_t ipc)
{
    struct hot hs;
    H_IN(&hs);
    uint16_t sp = m->r[1];
    uint16_t sr = rd16(m, &hs, sp);
    uint16_t pc = rd16(m, &hs, (uint16_t)(sp + 2));
    sp_write(m, &hs, (uint16_t)(sp + 4), ipc);
    hs.now += 5;
    H_OUT(&hs);
    m->r[0] = pc & 0xFFFE;
    uint16_t old = m->r[2];
    m->r[2] = sr & 0x01FF;
    if ((old ^ m->r[2]) & SR_MODE_BITS) {
        cpu_sr_written(m, old);
        m->irq_defer = 0; /* RETI re-enables interrupts immediately */
    }
}

/* The second instruction of a register pair (pair_with_reg_op): one word, one cycle, register or
 * constant source, register destination R4..R15. */
AI void reg_pair_second(mote_t *m, struct hot *h, const struct cpu_decoded *d, int op, int bw, int S)
{
    uint16_t src = S == S_REG ? m->r[d->dbase] : d->aux;
    uint16_t dst = m->r[d->reg2];
    if (bw) {
        src &= 0xFF;
        dst &= 0xFF;
    }
    h->pc = (uint16_t)(h->pc + 2);
    h->now += 1;
    uint16_t res;
    if (alu(h, op, bw, src, dst, &res))
        m->r[d->reg2] = bw ? (uint16_t)(res & 0xFF) : res;
}

/* ---------------------------------------------------------------- decoder */

static int pc_fetchable(uint16_t pc)
{
    return (pc >= MOTE_INFO_START && pc < MOTE_RAM_END) || pc >= MOTE_FLASH_START ||
           (pc >= MOTE_MIRROR_START && pc < MOTE_MIRROR_END);
}

/* Source operand (As, reg) -> kind, constant, cycle row, extension words. */
static int src_kind(int as, int reg, uint16_t ipc, uint16_t *cval, int *row, int *ext)
{
    *ext = 0;
    *cval = 0;
    if (reg == 3) { /* CG2 */
        static const uint16_t k[4] = {0, 1, 2, 0xFFFF};
        *cval = k[as];
        *row = 0;
        return S_CON;
    }
    if (reg == 2 && as >= 2) { /* CG1 */
        *cval = as == 2 ? 4 : 8;
        *row = 0;
        return S_CON;
    }
    switch (as) {
    case 0:
        *row = 0;
        if (reg == 0) {
            *cval = (uint16_t)(ipc + 2);
            return S_CON;
        }
        return S_REG;
    case 1:
        *row = 3;
        *ext = 1;
        if (reg == 0) {
            *cval = (uint16_t)(ipc + 2); /* symbolic: relative to the extension word */
            return S_ABS;
        }
        if (reg == 2)
            return S_ABS; /* absolute */
        return S_IDX;
    case 2:
        *row = 1;
        return reg == 0 ? S_INDPC : S_IND;
    default:
        *row = 2;
        if (reg == 0) {
            *ext = 1;
            return S_IMM;
        }
        return S_INC;
    }
}

/* The run stops before pc: the stop PC or a debugger breakpoint. */
static int stops_at(const mote_t *m, uint16_t pc)
{
    return (int32_t)pc == m->stop_pc || (m->bp_map && ((m->bp_map[pc >> 4] >> ((pc >> 1) & 7)) & 1));
}

/* Make d (a format-I instruction of fused shape `shape`) a fused pair when a conditional jump
 * follows it at jpc, which can be fetched without a stop. A pair ends at most 6 bytes after its
 * start (cpu_forget). */
static void pair_with_jump(const mote_t *m, struct cpu_decoded *d, int shape, uint16_t jpc)
{
    if (jpc < 2 || !pc_fetchable(jpc) || stops_at(m, jpc)) /* jpc < 2: wrapped past 0xFFFF */
        return;
    uint16_t w = ld16(m, jpc);
    int cond = (w >> 10) & 7;
    if (w < 0x2000 || w >= 0x4000 || cond >= NUM_FJ_CONDS)
        return;
    int off = w & 0x3FF;
    if (off & 0x200)
        off -= 0x400;
    d->kind = (uint16_t)(K_FJ_0 + shape * NUM_FJ_CONDS + cond);
    d->aux = (uint16_t)(jpc + 2 + 2 * off);
    d->key2 = w;
}

/* Make d (a format-I instruction of register-pair shape `shape`, one word long) a register pair when
 * the instruction at npc, fetchable without a stop, has a register-pair shape too. */
static void pair_with_reg_op(const mote_t *m, struct cpu_decoded *d, int shape, uint16_t npc)
{
    if (npc < 2 || !pc_fetchable(npc) || stops_at(m, npc))
        return;
    uint16_t w = ld16(m, npc);
    int sreg = (w >> 8) & 15, ad = (w >> 7) & 1, bw = (w >> 6) & 1, as = (w >> 4) & 3, dreg = w & 15;
    if (w < 0x4000 || ad || dreg < 4 || (sreg == 2 && as == 0))
        return;
    int row, sext;
    uint16_t cval;
    int S = src_kind(as, sreg, npc, &cval, &row, &sext);
    if (S != S_REG && S != S_CON)
        return;
    int second = rr_shape[F1_INDEX(w >> 12, bw, S, D_REG)];
    if (!second)
        return;
    d->kind = (uint16_t)(K_RR_0 + shape * NUM_RR + second - 1);
    d->key2 = w;
    d->reg2 = (uint8_t)dreg;
    d->dbase = (uint16_t)sreg;
    d->aux = cval;
}

/* The shape of one decoded instruction, for the translator (mote_xlat_decode). */
struct shape {
    int fmt;  /* XLAT_F1, XLAT_F1_SR, XLAT_F2, XLAT_JUMP, or XLAT_NONE (RETI, @PC source, illegal) */
    int op, bw, s, d; /* format I: opcode, B/W, S_*, D_*; format II: F2_*, B/W, M_*; jump: condition */
    int len;  /* bytes */
};

/* Decode the instruction at ipc into d (no pairs), its shape into sh. 0, or MOTE_FAULT_ILLEGAL. */
static int decode_insn(const mote_t *m, uint16_t ipc, struct cpu_decoded *d, struct shape *sh)
{
    uint16_t w = ld16(m, ipc);
    memset(d, 0, sizeof *d);
    memset(sh, 0, sizeof *sh);
    d->kind = K_ILLEGAL;
    d->cycles = 1;
    sh->len = 2;

    if (w >= 0x4000) { /* format I */
        int op = w >> 12, sreg = (w >> 8) & 15, ad = (w >> 7) & 1, bw = (w >> 6) & 1, as = (w >> 4) & 3,
            dreg = w & 15;
        int row, sext;
        uint16_t cval;
        int S = src_kind(as, sreg, ipc, &cval, &row, &sext);
        int D, col;
        if (ad == 0) {
            D = (dreg <= 3) ? D_SPC : D_REG;
            col = dreg == 0 ? 1 : 0;
        } else {
            col = 2;
            if (dreg == 0) {
                D = D_ABS;
                d->dbase = (uint16_t)(ipc + 2 + 2 * sext); /* symbolic */
            } else if (dreg == 2 || dreg == 3) {
                D = D_ABS; /* absolute (and the CG2 oddity, base 0) */
            } else {
                D = D_MEM;
            }
        }
        d->sreg = (uint8_t)sreg;
        d->dreg = (uint8_t)dreg;
        d->cval = cval;
        d->cycles = f1_cycles[row][col];
        *sh = (struct shape){XLAT_F1, op, bw, S, D, 2 + 2 * sext + ((D == D_MEM || D == D_ABS) ? 2 : 0)};
        if (S == S_REG && sreg == 2) {
            d->kind = (uint16_t)(K_SR_0 + ((op - 4) * 2 + bw) * 4 + D);
            sh->fmt = XLAT_F1_SR;
        } else if (S == S_INDPC) { /* rare: @PC */
            d->kind = K_F1_GENERIC;
            d->aux = (uint16_t)((op << 8) | (bw << 7) | D);
            sh->fmt = XLAT_NONE;
        } else {
            d->kind = (uint16_t)(K_F1_0 + F1_INDEX(op, bw, S, D));
        }
    } else if (w >= 0x2000) { /* jumps */
        int cond = (w >> 10) & 7;
        int off = w & 0x3FF;
        if (off & 0x200)
            off -= 0x400;
        d->kind = (uint16_t)(K_JMP0 + cond);
        d->dbase = (uint16_t)(ipc + 2 + 2 * off);
        d->cycles = 2;
        *sh = (struct shape){XLAT_JUMP, cond, 0, 0, 0, 2};
    } else if (w >= 0x1000 && w < 0x1380) { /* format II */
        int op = (w >> 7) & 7, bw = (w >> 6) & 1, ad = (w >> 4) & 3, reg = w & 15;
        if (op == 6) { /* RETI */
            d->kind = K_RETI;
            d->cycles = 5;
        } else if (!(bw && (op == 1 || op == 3 || op == 5))) { /* SWPB/SXT/CALL have no .B form */
            int sext, row;
            uint16_t cval;
            int S = src_kind(ad, reg, ipc, &cval, &row, &sext);
            int mode;
            switch (S) {
            case S_REG:
                mode = M_REG;
                break;
            case S_CON:
                mode = (reg == 0) ? M_REG : M_CON; /* PC in register mode reads ipc+2 */
                break;
            case S_IDX:
                mode = M_IDX;
                break;
            case S_ABS:
                mode = M_ABS;
                break;
            case S_IND:
                mode = M_IND;
                break;
            case S_INDPC:
                mode = M_INDPC;
                break;
            case S_INC:
                mode = M_INC;
                break;
            default:
                mode = M_IMM;
                row = 3; /* the #N row */
                break;
            }
            if (row == 3 && S != S_IMM)
                row = 4; /* X(Rn), EDE, &EDE */
            if (mode == M_REG && reg >= 4)
                mode = M_REGN; /* plain register: no R0..R3 special cases */
            d->kind = (uint16_t)(K_F2_0 + (op * 2 + bw) * NUM_F2_MODES + mode);
            d->sreg = (uint8_t)reg;
            d->dreg = (uint8_t)bw;
            d->cval = cval;
            d->cycles = f2_cycles[row][op == 4 ? 1 : (op == 5 ? 2 : 0)];
            *sh = (struct shape){XLAT_F2, op, bw, mode, 0, 2 + 2 * sext};
        }
    }
    if (d->kind == K_ILLEGAL)
        return MOTE_FAULT_ILLEGAL;
    d->key = w;
    return 0;
}

static struct cpu_decoded *decode(mote_t *m, uint16_t ipc)
{
    if (!pc_fetchable(ipc)) {
        mote_fault(m, MOTE_FAULT_FETCH, ipc);
        return NULL;
    }
    if (stops_at(m, ipc)) {
        mote_fault(m, MOTE_FAULT_HALT, ipc);
        return NULL;
    }
    if (UNLIKELY(ipc < MOTE_MIRROR_END) && !m->mirror_live) {
        /* first fetch from the mirror: from now on m->mem holds a copy there (see ram_st16) */
        memcpy(m->mem + MOTE_MIRROR_START, m->mem + MOTE_RAM_START, MOTE_MIRROR_END - MOTE_MIRROR_START);
        m->mirror_live = 1;
        mote_unshare_code(m); /* mote.h: another mote's stale mirror bytes could match its entries */
    }
    struct cpu_decoded *d = &m->dcache[ipc >> 1];
    struct shape sh;
    if (decode_insn(m, ipc, d, &sh)) {
        mote_fault(m, MOTE_FAULT_ILLEGAL, ipc);
        return NULL;
    }
    if (m->xlat && m->xlat->region_of[ipc >> 1] && !m->xlat_off[m->xlat->region_of[ipc >> 1] - 1]) {
        d->kind = K_XLAT; /* translated code runs from here (cpu_xlat.h) */
        return d;
    }
    int f1 = d->kind - K_F1_0;
    if (sh.fmt == XLAT_F1 && f1 >= 0 && f1 < NUM_F1_KINDS) {
        if (fj_shape[f1])
            pair_with_jump(m, d, fj_shape[f1] - 1, (uint16_t)(ipc + sh.len));
        if (d->kind == K_F1_0 + f1 && rr_shape[f1]) /* not paired with a jump */
            pair_with_reg_op(m, d, rr_shape[f1] - 1, (uint16_t)(ipc + 2));
    }
    return d;
}

void cpu_forget(mote_t *m, uint16_t pc)
{
    for (int back = 0; back <= 6; back += 2) /* pc itself, and a pair starting up to 3 words earlier */
        memset(&m->dcache[(uint16_t)(pc - back) >> 1], 0, sizeof *m->dcache);
}

/* ---------------------------------------------------------------- translated code */

int mote_xlat_decode(const mote_t *m, uint16_t pc, struct mote_xlat_insn *out)
{
    struct cpu_decoded d;
    struct shape sh;
    memset(out, 0, sizeof *out);
    if ((pc & 1) || !pc_fetchable(pc) || decode_insn(m, pc, &d, &sh))
        return -1;
    *out = (struct mote_xlat_insn){d.key, d.kind, d.cval, d.dbase, d.aux, d.sreg, d.dreg, d.cycles,
                                   (uint8_t)sh.fmt, (uint8_t)sh.op, (uint8_t)sh.bw, (uint8_t)sh.s,
                                   (uint8_t)sh.d, (uint8_t)sh.len};
    return 0;
}

/* The events due now, in time order (the slow path's, and translated code's at its time check). */
static inline void fire_due(mote_t *m)
{
    while (m->nheap && m->heap[0]->when <= m->now) {
        mote_event_t *ev = m->heap[0];
        mote_event_cancel(m, ev);
        if (ev->fire) {
            m->event_when = ev->when;
            ev->fire(m, ev);
            m->event_when = UINT64_MAX;
        }
    }
}

/* The interrupt lines the CPU would accept under status register sr (NMI and reset always). */
static inline unsigned irq_enabled(const mote_t *m, uint16_t sr)
{
    return m->irq_lines & ((sr & SR_GIE) ? 0xFFFFu : NMI_LINES);
}

/* The cycle the run must next look up at: the earlier of `bound` and the first queued event. */
static inline uint64_t next_stop(const mote_t *m, uint64_t bound)
{
    return m->nheap && m->heap[0]->when < bound ? m->heap[0]->when : bound;
}

/* A translated region's time check failed, with the mote as H_OUT leaves it: fire the due events,
 * then let the region go on only where slow_path would go straight back to executing (no PUC, fault
 * or stop, the limit not reached, no interrupt to accept, the region still translated), setting
 * next_check as it does. Otherwise the region leaves and slow_path takes over from the same state.
 * This spares a region exit and re-entry per event (every SPI byte) and keeps nested regions. */
static int xlat_service(mote_t *m, unsigned region)
{
    if (m->puc_pending || m->fault || m->stop_request)
        return 0;
    fire_due(m);
    if (m->fault || m->puc_pending || m->stop_request || m->now >= m->run_until)
        return 0;
    if (irq_enabled(m, m->r[2]) || (m->r[2] & SR_CPUOFF))
        return 0;
    if (!m->xlat || m->xlat_off[region]) /* a host callback of an event detached or stopped it */
        return 0;
    m->irq_defer = 0;
    m->next_check = next_stop(m, m->run_until);
    m->xlat_resumed++;
    return 1;
}

static const struct cpu_exec_api exec_api = {io_read, wr_slow, cpu_sr_written, mote_fault, xlat_service};

/* A region holding the stop PC or a breakpoint runs in the interpreter (which places them); the
 * entries of every region whose state changes are dropped, so the decoder sees them again. */
void cpu_xlat_stops_changed(mote_t *m)
{
    const struct cpu_xlat_module *x = m->xlat;
    if (!x)
        return;
    uint8_t *now_off = calloc(x->nregions ? x->nregions : 1, 1);
    if (!now_off) { /* no memory: every region interpreted from here on */
        mote_xlat_detach(m);
        return;
    }
    if (m->stop_pc >= 0 && x->region_of[(uint16_t)m->stop_pc >> 1])
        now_off[x->region_of[(uint16_t)m->stop_pc >> 1] - 1] = 1;
    if (m->bp_map)
        for (uint32_t pc = 0; pc < MOTE_MEM_SIZE; pc += 2)
            if (((m->bp_map[pc >> 4] >> ((pc >> 1) & 7)) & 1) && x->region_of[pc >> 1])
                now_off[x->region_of[pc >> 1] - 1] = 1;
    for (uint32_t pc = 0; pc < MOTE_MEM_SIZE; pc += 2) {
        uint16_t r = x->region_of[pc >> 1];
        if (r && now_off[r - 1] != m->xlat_off[r - 1])
            memset(&m->dcache[pc >> 1], 0, sizeof *m->dcache);
    }
    memcpy(m->xlat_off, now_off, x->nregions);
    free(now_off);
}

int mote_xlat_attach(mote_t *m, const void *module)
{
    const struct cpu_xlat_module *x = module;
    if (!x || x->abi != CPU_XLAT_ABI || x->mote_size != sizeof(mote_t))
        return -1;
    if (x->hi > MOTE_MEM_SIZE || x->lo > x->hi || memcmp(m->mem + x->lo, x->image, x->hi - x->lo))
        return -2;
    uint8_t *off = calloc(x->nregions ? x->nregions : 1, 1);
    if (!off)
        return -3;
    mote_xlat_detach(m);
    x->init(&exec_api);
    mote_unshare_code(m);
    mote_invalidate_code(m);
    m->xlat = x;
    m->xlat_off = off;
    cpu_xlat_stops_changed(m);
    m->next_check = 0;
    return 0;
}

void mote_xlat_detach(mote_t *m)
{
    if (!m->xlat)
        return;
    m->xlat = NULL;
    free(m->xlat_off);
    m->xlat_off = NULL;
    mote_unshare_code(m); /* others sharing its cache keep their translated entries */
    m->next_check = 0;    /* a region running now leaves at its next instruction */
}

void mote_xlat_written(mote_t *m, uint32_t lo, uint32_t hi)
{
    if (m->xlat && lo < m->xlat->hi && hi > m->xlat->lo)
        mote_xlat_detach(m);
}

/* ---------------------------------------------------------------- resets, interrupts */

/* ---------------------------------------------------------------- host access */

static uint16_t home_of(uint16_t a) { return a >= MOTE_MIRROR_START && a < MOTE_MIRROR_END ? (uint16_t)(a + MOTE_MIRROR_OFFSET) : a; }

void mote_host_read(const mote_t *m, uint16_t addr, uint8_t *out, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        out[i] = m->mem[home_of((uint16_t)(addr + i))];
}

void mote_host_write(mote_t *m, uint16_t addr, const uint8_t *in, uint32_t n)
{
    mote_xlat_written(m, addr, (uint32_t)addr + n);
    if ((uint32_t)addr + n > MOTE_MEM_SIZE) /* wraps: the low addresses too */
        mote_xlat_written(m, 0, (uint32_t)addr + n - MOTE_MEM_SIZE);
    for (uint32_t i = 0; i < n; i++) {
        uint16_t a = home_of((uint16_t)(addr + i));
        m->mem[a] = in[i];
        if (m->mirror_live && a >= MOTE_RAM_START && a < MIRRORED_END)
            m->mem[a - MOTE_MIRROR_OFFSET] = in[i];
    }
}

void cpu_reset(mote_t *m)
{
    if (m->mirror_live) { /* the mirror's copy goes stale until code runs from it again: so must */
        m->mirror_live = 0; /* what was predecoded from it (a stale opcode would still match) */
        memset(m->dcache + (MOTE_MIRROR_START >> 1), 0, ((MOTE_MIRROR_END - MOTE_MIRROR_START) >> 1) * sizeof *m->dcache);
    }
    uint16_t old = m->r[2];
    memset(m->r, 0, sizeof m->r);
    m->r[0] = ld16(m, 0xFFFE) & 0xFFFE;
    if (old & SR_MODE_BITS)
        mote_component_set_mode(m, 0, CPU_MODE_ACTIVE);
}

static void accept_irq(mote_t *m, unsigned lines)
{
    int vec = 31 - __builtin_clz(lines);
    if (vec == MOTE_VEC_RESET) {
        mote_irq_set(m, vec, 0);
        mote_puc_cause(m, MOTE_RESET_VECTOR);
        return;
    }
    uint16_t ipc = m->r[0];
    uint16_t old = m->r[2];
    struct hot hs;
    H_IN(&hs);
    push16(m, &hs, ipc, ipc);
    push16(m, &hs, old, ipc);
    H_OUT(&hs);
    m->r[2] = old & SR_SCG0; /* SR cleared except SCG0: ends any low-power mode */
    m->r[0] = ld16(m, (uint16_t)(0xFFE0 + 2 * vec)) & 0xFFFE;
    if ((old ^ m->r[2]) & SR_MODE_BITS)
        cpu_sr_written(m, old); /* mode change stamped at the acceptance time */
    m->irq_defer = 0;
    m->now += 6;
    if (m->irq_accept[vec])
        m->irq_accept[vec](m, m->irq_accept_ctx[vec], vec);
}

/* An interrupt wakes the chip from LPM3/LPM4 (DCO off): the CPU starts once the DCO runs, dco_wake_ns
 * later. Returns 1 while that start-up is still going on. */
static __attribute__((noinline, cold)) int dco_waking(mote_t *m, uint16_t sr)
{
    int mode = cpu_mode_of_sr(sr);
    if (mode != CPU_MODE_LPM3 && mode != CPU_MODE_LPM4) {
        m->wake_at = 0;
        return 0;
    }
    if (!m->wake_at) {
        uint64_t cycles = ((uint64_t)m->mclk_hz * m->dco_wake_ns + 999999999u) / 1000000000u;
        if (!cycles)
            return 0;
        m->wake_at = m->now + cycles;
    }
    if (m->now < m->wake_at)
        return 1;
    m->wake_at = 0;
    return 0;
}

/* Between instructions: events, faults, stops, interrupt acceptance, LPM time jumps.
 * Returns -1 to continue executing, otherwise the mote_run result. */
static int slow_path(mote_t *m)
{
    for (;;) {
        if (m->puc_pending)
            mote_apply_pending_puc(m);
        if (m->fault)
            return m->fault;
        if (m->stop_request) {
            m->stop_request = 0;
            return MOTE_STOP_SERIAL;
        }
        fire_due(m);
        if (m->fault || m->puc_pending || m->stop_request)
            continue;
        if (m->now >= m->run_until)
            return MOTE_OK;
        uint16_t sr = m->r[2];
        unsigned enabled = irq_enabled(m, sr);
        if (enabled) {
            if (m->irq_defer && !(sr & SR_CPUOFF)) {
                m->irq_defer = 0;
                m->next_check = m->now + 1; /* one instruction, then accept */
                return -1;
            }
            if ((sr & SR_CPUOFF) && dco_waking(m, sr)) {
                /* the DCO is still starting: events meanwhile fire on time, then accept */
                m->now = next_stop(m, m->wake_at < m->run_until ? m->wake_at : m->run_until);
                continue;
            }
            accept_irq(m, enabled);
            continue;
        }
        m->irq_defer = 0;
        uint64_t next = next_stop(m, m->run_until);
        if (sr & SR_CPUOFF) {
            m->now = next; /* CPU off: time jumps to the next event (or the run limit) */
            continue;
        }
        m->next_check = next;
        return -1;
    }
}

/* ---------------------------------------------------------------- the run loop */

#define F1_D(X, OP, BW, S) X(OP, BW, S, 0) X(OP, BW, S, 1) X(OP, BW, S, 2) X(OP, BW, S, 3)
#define F1_S(X, OP, BW)                                                                              \
    F1_D(X, OP, BW, 0)                                                                               \
    F1_D(X, OP, BW, 1) F1_D(X, OP, BW, 2) F1_D(X, OP, BW, 3) F1_D(X, OP, BW, 4) F1_D(X, OP, BW, 5)    \
        F1_D(X, OP, BW, 6)
#define F1_BW(X, OP) F1_S(X, OP, 0) F1_S(X, OP, 1)
#define F1_ALL(X)                                                                                    \
    F1_BW(X, 4)                                                                                      \
    F1_BW(X, 5) F1_BW(X, 6) F1_BW(X, 7) F1_BW(X, 8) F1_BW(X, 9) F1_BW(X, 10) F1_BW(X, 11) F1_BW(X, 12) \
        F1_BW(X, 13) F1_BW(X, 14) F1_BW(X, 15)
#define F1_LABEL(OP, BW, S, D) &&f1_##OP##_##BW##_##S##_##D,
/* SR-source handlers: F1_ALL's shape with the source kind fixed */
#define SR_D(X, OP, BW) X(OP, BW, 0) X(OP, BW, 1) X(OP, BW, 2) X(OP, BW, 3)
#define SR_BW(X, OP) SR_D(X, OP, 0) SR_D(X, OP, 1)
#define SR_ALL(X)                                                                                    \
    SR_BW(X, 4)                                                                                      \
    SR_BW(X, 5) SR_BW(X, 6) SR_BW(X, 7) SR_BW(X, 8) SR_BW(X, 9) SR_BW(X, 10) SR_BW(X, 11) SR_BW(X, 12) \
        SR_BW(X, 13) SR_BW(X, 14) SR_BW(X, 15)
#define SR_LABEL(OP, BW, D) &&sr_##OP##_##BW##_##D,
#define SR_HANDLER(OP, BW, D)                                                                        \
    sr_##OP##_##BW##_##D : fmt1(m, &hs, d, ipc, OP, BW, S_SR, D);                                    \
    DISPATCH();
#define F1_HANDLER(OP, BW, S, D)                                                                     \
    f1_##OP##_##BW##_##S##_##D : fmt1(m, &hs, d, ipc, OP, BW, S, D);                                 \
    DISPATCH();

#define FJ_CONDS(Y, OP, BW, S, D)                                                                    \
    Y(OP, BW, S, D, 0) Y(OP, BW, S, D, 1) Y(OP, BW, S, D, 2) Y(OP, BW, S, D, 3) Y(OP, BW, S, D, 4)    \
        Y(OP, BW, S, D, 5) Y(OP, BW, S, D, 6)
#define FJ_LABEL(OP, BW, S, D, C) &&fj_##OP##_##BW##_##S##_##D##_##C,
#define FJ_LABELS(OP, BW, S, D) FJ_CONDS(FJ_LABEL, OP, BW, S, D)
/* jump conditions by the jump opcode's condition field, on the lazy flags */
#define JCOND_0 jcond(&hs, 0) /* JNE/JNZ; cpu_exec.h jcond, shared with translated code */
#define JCOND_1 jcond(&hs, 1) /* JEQ/JZ */
#define JCOND_2 jcond(&hs, 2) /* JNC/JLO */
#define JCOND_3 jcond(&hs, 3) /* JC/JHS */
#define JCOND_4 jcond(&hs, 4) /* JN */
#define JCOND_5 jcond(&hs, 5) /* JGE */
#define JCOND_6 jcond(&hs, 6) /* JL */
/* A fused pair: the first instruction, then the jump, when the jump's opcode word is still the one
 * decoded and the time check between the two and the one after the jump would both pass (now + 2 <
 * next, so the second needs no test); otherwise the jump runs through its own entry after the usual
 * check, exactly as without the pair. */
#define FJ_HANDLER(OP, BW, S, D, C)                                                                  \
    fj_##OP##_##BW##_##S##_##D##_##C : fmt1(m, &hs, d, ipc, OP, BW, S, D);                           \
    if (UNLIKELY(hs.now + 2 >= hs.next || ld16(m, hs.pc) != d->key2))                                \
        goto unfused;                                                                                \
    hs.pc = JCOND_##C ? d->aux : (uint16_t)(hs.pc + 2);                                              \
    hs.now += 2;                                                                                     \
    DISPATCH_UNCHECKED();
#define FJ_HANDLERS(OP, BW, S, D) FJ_CONDS(FJ_HANDLER, OP, BW, S, D)

#define RR_LABEL(A, B, C, OP, BW, S) &&rr_##A##_##B##_##C##_##OP##_##BW##_##S,
#define RR_LABELS(A, B, C) RR_LIST2(RR_LABEL, A, B, C)
/* A register pair: the first instruction, then the second when its opcode word is still the one
 * decoded and the time check before it passes (the same check as its own dispatch); otherwise the
 * second runs through its own entry. */
#define RR_HANDLER(A, B, C, OP, BW, S)                                                               \
    rr_##A##_##B##_##C##_##OP##_##BW##_##S : fmt1(m, &hs, d, ipc, A, B, C, D_REG);                   \
    if (UNLIKELY(hs.now >= hs.next || ld16(m, hs.pc) != d->key2))                                    \
        goto unfused;                                                                                \
    reg_pair_second(m, &hs, d, OP, BW, S);                                                           \
    DISPATCH();
#define RR_HANDLERS(A, B, C) RR_LIST2(RR_HANDLER, A, B, C)

#define F2_M(X, OP, BW) X(OP, BW, 0) X(OP, BW, 1) X(OP, BW, 2) X(OP, BW, 3) X(OP, BW, 4) X(OP, BW, 5) \
    X(OP, BW, 6) X(OP, BW, 7) X(OP, BW, 8)
#define F2_BW(X, OP) F2_M(X, OP, 0) F2_M(X, OP, 1)
#define F2_ALL(X) F2_BW(X, 0) F2_BW(X, 1) F2_BW(X, 2) F2_BW(X, 3) F2_BW(X, 4) F2_BW(X, 5)
#define F2_LABEL(OP, BW, MODE) &&f2_##OP##_##BW##_##MODE,
#define F2_HANDLER(OP, BW, MODE)                                                                     \
    f2_##OP##_##BW##_##MODE : fmt2(m, &hs, d, ipc, OP, BW, MODE);                                    \
    DISPATCH();

int mote_run(mote_t *m, uint64_t until)
{
    static void *const labels[] = {
        &&redecode,
        F1_ALL(F1_LABEL) &&f1_generic,
        F2_ALL(F2_LABEL) &&f2_reti,
        &&j_ne,
        &&j_eq,
        &&j_nc,
        &&j_c,
        &&j_n,
        &&j_ge,
        &&j_l,
        &&j_mp,
        FJ_LIST(FJ_LABELS) RR_LIST(RR_LABELS) SR_ALL(SR_LABEL) &&k_xlat, &&illegal,
    };
    _Static_assert(sizeof labels / sizeof labels[0] == K_ILLEGAL + 1, "handler table");
    const struct cpu_decoded *d;
    uint16_t ipc;
    int rc;
    struct hot hs; /* m->now lives in hs.now while executing; written back before any call out */

    if (m->fault)
        return m->fault;
    m->run_until = until;
    m->next_check = 0;
    H_IN(&hs);

/* The mote's cache (private or shared: mote_share_code), indexed by PC * 8 (PC is always even: every
 * write to it clears bit 0, H_IN too). */
_Static_assert(sizeof(struct cpu_decoded) == 16, "entries are indexed by PC * 8");
#define DC_ENTRY(m, pc) ((struct cpu_decoded *)((char *)(m)->dcache + (size_t)(pc) * (sizeof *(m)->dcache / 2)))

/* Next instruction: the time check, then the cached entry if it was decoded from the opcode word
 * now at PC (one 16-bit compare), else the decoder. */
#define DISPATCH()                                                                                   \
    do {                                                                                             \
        if (UNLIKELY(hs.now >= hs.next))                                                             \
            goto slow;                                                                               \
        DISPATCH_UNCHECKED();                                                                        \
    } while (0)
/* The same when now < next is known. */
#define DISPATCH_UNCHECKED()                                                                         \
    do {                                                                                             \
        ipc = hs.pc;                                                                                 \
        d = DC_ENTRY(m, ipc);                                                                        \
        if (UNLIKELY(d->key != ld16(m, ipc)))                                                        \
            goto redecode;                                                                           \
        goto *labels[d->kind];                                                                       \
    } while (0)

slow:
    H_OUT(&hs);
    rc = slow_path(m);
    if (rc >= 0) {
        m->active_cycles = mote_component_time(m, 0, CPU_MODE_ACTIVE);
        return rc;
    }
    H_IN(&hs);
    DISPATCH();

redecode:
    {
        struct cpu_decoded *nd = decode(m, ipc);
        if (!nd)
            goto slow;
        d = nd;
        goto *labels[nd->kind];
    }

    F1_ALL(F1_HANDLER)
    F2_ALL(F2_HANDLER)

f1_generic:
    H_OUT(&hs);
    fmt1_generic(m, d, ipc);
    H_IN(&hs);
    DISPATCH();
f2_reti:
    H_OUT(&hs);
    reti(m, ipc);
    H_IN(&hs);
    DISPATCH();

#define JUMP(label, cond)                                                                            \
    label : hs.pc = (cond) ? d->dbase : (uint16_t)(ipc + 2);                                         \
    hs.now += 2;                                                                                     \
    DISPATCH();

    JUMP(j_ne, JCOND_0)
    JUMP(j_eq, JCOND_1)
    JUMP(j_nc, JCOND_2)
    JUMP(j_c, JCOND_3)
    JUMP(j_n, JCOND_4)
    JUMP(j_ge, JCOND_5)
    JUMP(j_l, JCOND_6)
    JUMP(j_mp, 1)

    FJ_LIST(FJ_HANDLERS)
    RR_LIST(RR_HANDLERS)
    SR_ALL(SR_HANDLER)
unfused: /* a fused pair near the time limit, or its jump word changed: the jump runs on its own */
    DISPATCH();

k_xlat: /* the region holding ipc runs until it leaves, or until the time check fails */
    {
        const struct cpu_xlat_module *x = m->xlat;
        if (UNLIKELY(!x)) /* detached since this entry was decoded */
            goto redecode;
        m->xlat_runs++;
        H_OUT(&hs); /* through the mote, so hs never escapes and stays in registers */
        x->regions[x->region_of[ipc >> 1] - 1](m, 0);
        H_IN(&hs);
    }
    DISPATCH();

illegal:
    mote_fault(m, MOTE_FAULT_ILLEGAL, ipc);
    goto slow;
}
