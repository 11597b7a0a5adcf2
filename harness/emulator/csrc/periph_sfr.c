/* periph_sfr.c — IE1/IE2/IFG1/IFG2/ME1/ME2 and the NMI vector (NMIIFG, OFIFG, ACCVIFG). */
#include <stdlib.h>
#include <string.h>
#include "periph.h"

#define SFR_MAX_LISTENERS 8

typedef struct {
    struct { sfr_listener_fn fn; void *ctx; } lis[SFR_MAX_LISTENERS];
    int nlis;
    int accv_pending;
    int nmi_pin;
} sfr_state_t;

static sfr_state_t *st(mote_t *m) { return (sfr_state_t *)m->periph[PERIPH_SLOT_SFR]; }

/* NMI line: (NMIIFG & NMIIE) | (OFIFG & OFIE) | (ACCVIFG & ACCVIE). */
void sfr_update_nmi(mote_t *m)
{
    sfr_state_t *s = st(m);
    uint8_t ie = m->mem[SFR_IE1], ifg = m->mem[SFR_IFG1];
    int level = (ie & ifg & (SFR1_NMI | SFR1_OF)) != 0 || ((ie & SFR1_ACCV) && s->accv_pending);
    mote_irq_set(m, VEC_NMI, level);
}

static void sfr_notify(mote_t *m)
{
    sfr_state_t *s = st(m);
    for (int i = 0; i < s->nlis; i++) s->lis[i].fn(m, s->lis[i].ctx);
    sfr_update_nmi(m);
}

uint8_t sfr_get(mote_t *m, int reg) { return m->mem[reg]; }

int sfr_add_listener(mote_t *m, sfr_listener_fn fn, void *ctx)
{
    sfr_state_t *s = st(m);
    if (s->nlis >= SFR_MAX_LISTENERS)
        return mote_setup_fail("sfr_add_listener: all %d listener slots taken", SFR_MAX_LISTENERS);
    s->lis[s->nlis].fn = fn;
    s->lis[s->nlis].ctx = ctx;
    s->nlis++;
    return 0;
}

void sfr_set_accv_pending(mote_t *m, int pending)
{
    st(m)->accv_pending = pending != 0;
    sfr_update_nmi(m);
}

/* The RST/NMI pin in NMI mode (WDTNMI = 1): the edge selected by WDTNMIES sets NMIIFG. */
void sfr_nmi_pin(mote_t *m, int level)
{
    sfr_state_t *s = st(m);
    level = level != 0;
    if (level == s->nmi_pin) return;
    s->nmi_pin = level;
    uint16_t wdtctl = wdt_ctl(m);
    if (!(wdtctl & 0x0020)) return;                 /* WDTNMI = 0: reset function, not modelled */
    int falling_selected = (wdtctl & 0x0040) != 0;  /* WDTNMIES */
    if (falling_selected == !level) sfr_set_bits(m, SFR_IFG1, SFR1_NMI);
}

static void sfr_write(mote_t *m, void *ctx, uint16_t addr, uint16_t value, int is_byte)
{
    (void)ctx;
    uint8_t ifg1 = m->mem[SFR_IFG1], ifg2 = m->mem[SFR_IFG2];
    if (addr < SFR_COUNT) m->mem[addr] = (uint8_t)value;
    if (!is_byte && addr + 1u < SFR_COUNT) m->mem[addr + 1] = (uint8_t)(value >> 8);
    /* software setting a USART flag is a DMA trigger edge; flags are almost always cleared, so the
     * DMA's state is only looked at when one rose */
    uint8_t up1 = (uint8_t)(m->mem[SFR_IFG1] & ~ifg1), up2 = (uint8_t)(m->mem[SFR_IFG2] & ~ifg2);
    if (__builtin_expect((up1 | up2) != 0, 0) && dma_watch(m)) dma_sfr_rose(m, up1, up2);
    sfr_notify(m);
}

/* On NMI acceptance the hardware clears NMIIE, OFIE and ACCVIE (flags stay: software clears them). */
static void sfr_nmi_accept(mote_t *m, void *ctx, int vec)
{
    (void)ctx;
    (void)vec;
    m->mem[SFR_IE1] &= (uint8_t)~(SFR1_NMI | SFR1_OF | SFR1_ACCV);
    sfr_notify(m);
}

void sfr_attach(mote_t *m)
{
    sfr_state_t *s = calloc(1, sizeof *s);
    m->periph[PERIPH_SLOT_SFR] = s;
    /* Reads need no hook: the registers are m->mem[0..5] and 0x0006..0x000F stay 0 (sfr_write keeps
     * out of them), which is what a read there returns; the CPU reads them on its fast path. */
    memset(m->mem, 0, 0x10);
    mote_map_io(m, 0x0000, 0x0010, NULL, sfr_write, NULL);
    mote_irq_on_accept(m, VEC_NMI, sfr_nmi_accept, NULL);
}

void sfr_reset(mote_t *m, int por)
{
    sfr_state_t *s = st(m);
    uint8_t keep_wdtifg = por ? 0 : (m->mem[SFR_IFG1] & SFR1_WDT); /* WDTIFG is reset by POR only */
    m->mem[SFR_IE1] = 0;
    m->mem[SFR_IE2] = 0;
    m->mem[SFR_ME1] = 0;
    m->mem[SFR_ME2] = 0;
    /* OFIFG is set by PUC; UTXIFGx are set after PUC (transmit buffers empty). */
    m->mem[SFR_IFG1] = (uint8_t)(keep_wdtifg | SFR1_OF | SFR1_UTX0);
    m->mem[SFR_IFG2] = SFR2_UTX1;
    s->accv_pending = 0;
    mote_irq_set(m, VEC_NMI, 0);
}

void sfr_detach(mote_t *m)
{
    free(m->periph[PERIPH_SLOT_SFR]);
    m->periph[PERIPH_SLOT_SFR] = NULL;
}
