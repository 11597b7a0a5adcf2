/* periph_unmodelled.c — registers of the F1611 parts the emulator does not model (see the header). */
#include <stdlib.h>
#include "periph.h"

typedef struct {
    uint64_t count[UNMOD_COUNT];
    uint64_t first_cycle[UNMOD_COUNT];
    uint64_t first_ns[UNMOD_COUNT];
    uint16_t first_addr[UNMOD_COUNT];
    uint8_t first_write[UNMOD_COUNT];
    uint32_t touched;
} unmod_t;

static const struct { uint16_t start, end; int part; } RANGES[] = {
    {0x050, 0x053, UNMOD_I2C},
    {0x055, 0x056, UNMOD_SVS},
    {0x059, 0x05C, UNMOD_COMPARATOR_A},
    {0x118, 0x11E, UNMOD_I2C},
    {0x1C0, 0x1C4, UNMOD_DAC12},
    {0x1C8, 0x1CC, UNMOD_DAC12},
};
#define NRANGES (sizeof RANGES / sizeof RANGES[0])

static unmod_t *st(mote_t *m) { return m->periph[PERIPH_SLOT_UNMODELLED]; }

void unmod_note(mote_t *m, int part, uint16_t addr, int write)
{
    unmod_t *u = st(m);
    if (!u || part < 0 || part >= UNMOD_COUNT) return;
    if (!u->count[part]++) {
        u->first_cycle[part] = m->now;
        u->first_ns[part] = mote_now_ns(m);
        u->first_addr[part] = addr;
        u->first_write[part] = (uint8_t)(write != 0);
        u->touched |= 1u << part;
    }
}

uint32_t unmod_touched(mote_t *m) { return st(m) ? st(m)->touched : 0; }

int unmod_first(mote_t *m, int part, uint16_t *addr, uint64_t *cycle, uint64_t *ns, int *write,
                uint64_t *count)
{
    unmod_t *u = st(m);
    if (!u || part < 0 || part >= UNMOD_COUNT || !u->count[part]) return 0;
    *addr = u->first_addr[part];
    *cycle = u->first_cycle[part];
    *ns = u->first_ns[part];
    *write = u->first_write[part];
    *count = u->count[part];
    return 1;
}

/* ctx is the part's index, stored as a pointer-sized integer */
static int part_of(void *ctx) { return (int)(intptr_t)ctx; }

static uint16_t io_read(mote_t *m, void *ctx, uint16_t addr, int is_byte)
{
    unmod_note(m, part_of(ctx), addr, 0);
    uint16_t v = m->mem[addr];
    if (!is_byte) v |= (uint16_t)(m->mem[addr + 1u] << 8);
    return v;
}

static void io_write(mote_t *m, void *ctx, uint16_t addr, uint16_t value, int is_byte)
{
    unmod_note(m, part_of(ctx), addr, 1);
    m->mem[addr] = (uint8_t)value;
    if (!is_byte) m->mem[addr + 1u] = (uint8_t)(value >> 8);
}

void unmod_attach(mote_t *m)
{
    m->periph[PERIPH_SLOT_UNMODELLED] = calloc(1, sizeof(unmod_t));
    for (size_t i = 0; i < NRANGES; i++)
        mote_map_io(m, RANGES[i].start, RANGES[i].end, io_read, io_write, (void *)(intptr_t)RANGES[i].part);
}

void unmod_reset(mote_t *m, int por)
{
    /* all 0 after a reset, but SVSCTL only after a POR (the user's guide's register tables) */
    for (size_t i = 0; i < NRANGES; i++)
        if (por || RANGES[i].part != UNMOD_SVS)
            for (uint16_t a = RANGES[i].start; a < RANGES[i].end; a++) m->mem[a] = 0;
}

void unmod_detach(mote_t *m)
{
    free(m->periph[PERIPH_SLOT_UNMODELLED]);
    m->periph[PERIPH_SLOT_UNMODELLED] = NULL;
}
