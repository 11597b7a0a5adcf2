/* infomem.c — see infomem.h. Flash controller: MSP430x1xx Family User's Guide, "Flash Memory Controller". */
#include <msp430.h>

#include "infomem.h"
#include "irq.h"

/* The flash timing generator must run at 257-476 kHz: MCLK (the DCO calibrated to ~3.9 MHz by
 * sky_init) divided by 11 gives ~355 kHz. */
#define FTG_CONTROL (FWKEY | FSSEL_1 | 10u)

static infomem_stats_t stats;

#define INFO(addr) ((const volatile uint8_t *)(uintptr_t)(addr))

uint16_t infomem_crc16(const volatile uint8_t *p, uint16_t n)
{
    uint16_t crc = 0xFFFFu;
    uint8_t bit;
    while (n--) {
        crc ^= (uint16_t)((uint16_t)*p++ << 8);
        for (bit = 0; bit < 8; bit++)
            crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
    }
    return crc;
}

static uint16_t le16(const volatile uint8_t *p) { return (uint16_t)(p[0] | ((uint16_t)p[1] << 8)); }
static uint32_t le32(const volatile uint8_t *p) { return le16(p) | ((uint32_t)le16(p + 2) << 16); }

int infomem_read_identity(infomem_identity_t *id)
{
    const volatile uint8_t *seg = INFO(INFOMEM_SEGMENT_B);
    uint8_t i, erased = 0xFFu, absent = 0xFFu;
    for (i = 0; i < 4; i++)
        erased &= seg[i];
    if (erased == 0xFFu)
        return -1;
    if (seg[0] != 'E' || seg[1] != 'S' || seg[2] != 1u)
        return -2;
    if (infomem_crc16(seg, INFOMEM_SEGMENT_SIZE - 2u) != le16(seg + INFOMEM_SEGMENT_SIZE - 2u))
        return -3;
    id->node_id = le16(seg + 4);
    for (i = 0; i < INFOMEM_KEY_LEN; i++) {
        id->psk_dn[i] = seg[8 + i];
        absent &= seg[8 + i];
    }
    id->has_psk_dn = absent != 0xFFu;
    return 0;
}

static int entry_erased(const volatile uint8_t *e)
{
    uint8_t i, v = 0xFFu;
    for (i = 0; i < INFOMEM_LOG_ENTRY; i++)
        v &= e[i];
    return v == 0xFFu;
}

/* The two banks of the counter log: segment A and the reserved main-flash segment. */
static const uint16_t bank_addr[2] = {INFOMEM_SEGMENT_A, INFOMEM_BANK_M};
static const uint8_t bank_cap[2] = {INFOMEM_LOG_ENTRIES, INFOMEM_BANK_M_ENTRIES};

typedef struct {
    uint8_t used;             /* entries before the first erased one */
    uint8_t valid;            /* whether `last` holds a CRC-valid entry */
    infomem_counters_t last;  /* the bank's newest CRC-valid entry */
} bank_t;

static void scan_bank(uint8_t b, bank_t *k)
{
    uint8_t i;
    const volatile uint8_t *e;
    k->valid = 0;
    k->last.rx_counter = 0;
    k->last.tx_mark = 0;
    for (i = 0; i < bank_cap[b]; i++)
        if (entry_erased(INFO(bank_addr[b] + (uint16_t)i * INFOMEM_LOG_ENTRY)))
            break;
    k->used = i;
    /* entries are appended with growing counters: the newest valid one is the bank's maximum; a torn
     * entry (reset mid-program) fails its CRC and is passed over */
    while (i--) {
        e = INFO(bank_addr[b] + (uint16_t)i * INFOMEM_LOG_ENTRY);
        if (infomem_crc16(e, 8) == le16(e + 8)) {
            k->valid = 1;
            k->last.rx_counter = le32(e);
            k->last.tx_mark = le32(e + 4);
            return;
        }
    }
}

__attribute__((noinline)) static void max_into(infomem_counters_t *c, const infomem_counters_t *o)
{
    if (o->rx_counter > c->rx_counter)
        c->rx_counter = o->rx_counter;
    if (o->tx_mark > c->tx_mark)
        c->tx_mark = o->tx_mark;
}

/* Whether bank x is no newer than bank y (both counters only grow, so one dominates the other). */
__attribute__((noinline)) static int older(const bank_t *x, const bank_t *y)
{
    return !x->valid || (x->last.tx_mark <= y->last.tx_mark && x->last.rx_counter <= y->last.rx_counter);
}

/* Scan both banks: the state (componentwise maximum) in *c; returns the bank the next entry goes to
 * and its slot in *slot, INFOMEM_ROLL in *slot when that bank must be erased first. */
#define INFOMEM_ROLL 0xFFu
static uint8_t scan(infomem_counters_t *c, uint8_t *slot)
{
    bank_t k[2];
    uint8_t b;
    scan_bank(0, &k[0]);
    scan_bank(1, &k[1]);
    *c = k[0].last;
    max_into(c, &k[1].last);
    /* append to a bank with room that is in use (the newer one if both are; appending erases
     * nothing, so any choice keeps every copy) ... */
    for (b = 0; b < 2; b++)
        if (k[b].used && k[b].used < bank_cap[b] &&
            (b || !k[1].used || k[1].used >= bank_cap[1] || older(&k[1], &k[0]))) {
            *slot = k[b].used;
            return b;
        }
    /* ... both erased: start in segment A (erased by provisioning) ... */
    if (!k[0].used && !k[1].used) {
        *slot = 0;
        return 0;
    }
    /* ... else roll over: erase the bank that does not hold the newest state, never the other one */
    *slot = INFOMEM_ROLL;
    return older(&k[0], &k[1]) ? 0 : 1;
}

void infomem_read_counters(infomem_counters_t *c, uint8_t *writes_left)
{
    uint8_t slot, b = scan(c, &slot);
    if (writes_left)
        *writes_left = slot == INFOMEM_ROLL ? 0u : (uint8_t)(bank_cap[b] - slot);
}

/* One flash operation (erase or word program) with the controller unlocked; the CPU executes from
 * main flash, so the controller holds it until the operation completes (BUSY is clear after). */
static void flash_word(uint16_t addr, uint16_t value, uint16_t mode)
{
    FCTL2 = FTG_CONTROL;
    FCTL3 = FWKEY;                /* LOCK = 0 */
    FCTL1 = FWKEY | mode;         /* ERASE or WRT */
    *(volatile uint16_t *)(uintptr_t)addr = value;
    while (FCTL3 & BUSY) {
    }
    FCTL1 = FWKEY;
    FCTL3 = FWKEY | LOCK;
}

static void erase_segment(uint16_t seg)
{
    uint16_t sr = irq_save_disable();
    flash_word(seg, 0, ERASE); /* dummy write into the segment erases it */
    irq_restore(sr);
    stats.segment_erases++;
}

/* Write `want` (raised to the stored state: the counters never go back) as an entry of bank b at
 * `slot`, erasing the bank first for INFOMEM_ROLL. */
static int put_entry(uint8_t b, uint8_t slot, infomem_counters_t want, const infomem_counters_t *now)
{
    uint8_t entry[INFOMEM_LOG_ENTRY], i;
    uint16_t crc, base, sr;
    max_into(&want, now);
    for (i = 0; i < 8; i++) /* the MSP430 is little-endian: the struct's bytes are the entry's */
        entry[i] = ((const uint8_t *)&want)[i];
    crc = infomem_crc16(entry, 8);
    entry[8] = (uint8_t)crc;
    entry[9] = (uint8_t)(crc >> 8);
    if (slot == INFOMEM_ROLL) {
        erase_segment(bank_addr[b]);
        slot = 0;
    }
    base = (uint16_t)(bank_addr[b] + (uint16_t)slot * INFOMEM_LOG_ENTRY);
    sr = irq_save_disable();
    for (i = 0; i < INFOMEM_LOG_ENTRY; i += 2)
        flash_word((uint16_t)(base + i), (uint16_t)(entry[i] | ((uint16_t)entry[i + 1] << 8)), WRT);
    irq_restore(sr);
    stats.entry_writes++;
    for (i = 0; i < INFOMEM_LOG_ENTRY; i++)
        if (INFO(base)[i] != entry[i])
            return -1;
    return 0;
}

int infomem_write_counters(const infomem_counters_t *c)
{
    infomem_counters_t now;
    uint8_t slot, b = scan(&now, &slot);
    return put_entry(b, slot, *c, &now);
}

int infomem_read_ik(uint8_t ik[INFOMEM_KEY_LEN])
{
    infomem_identity_t id;
    uint8_t i, absent = 0xFFu;
    if (infomem_read_identity(&id) != 0)
        return -1;
    for (i = 0; i < INFOMEM_KEY_LEN; i++) {
        ik[i] = INFO(INFOMEM_SEGMENT_B + INFOMEM_IK_OFFSET)[i];
        absent &= ik[i];
    }
    return absent == 0xFFu ? -1 : 0;
}

/* Erase the segment at `seg`, program the 128 bytes of `img` into it, read back. */
static int rewrite_segment(uint16_t seg, const volatile uint8_t *img)
{
    uint16_t sr = irq_save_disable(), i;
    flash_word(seg, 0, ERASE);
    stats.segment_erases++;
    for (i = 0; i < INFOMEM_SEGMENT_SIZE; i += 2)
        flash_word((uint16_t)(seg + i), (uint16_t)(img[i] | ((uint16_t)img[i + 1] << 8)), WRT);
    irq_restore(sr);
    for (i = 0; i < INFOMEM_SEGMENT_SIZE; i++)
        if (INFO(seg)[i] != img[i])
            return -1;
    return 0;
}

/* Whether the 128 bytes at p are an identity image (magic, version, CRC): what the journal holds. */
static int is_identity(const volatile uint8_t *p)
{
    return p[0] == 'E' && p[1] == 'S' && p[2] == 1u &&
           infomem_crc16(p, INFOMEM_SEGMENT_SIZE - 2u) == le16(p + INFOMEM_SEGMENT_SIZE - 2u);
}

static int finish_journal(void)
{
    uint8_t i, same = 1;
    for (i = 0; i < INFOMEM_SEGMENT_SIZE; i++)
        same &= INFO(INFOMEM_SEGMENT_B)[i] == INFO(INFOMEM_SEGMENT_A)[i];
    if (!same && rewrite_segment(INFOMEM_SEGMENT_B, INFO(INFOMEM_SEGMENT_A)) != 0)
        return -1;
    /* the journal is done: B holds the new identity, whose new PSK_DN starts its counters afresh
     * (the old counters protected the old key, which no boot can use any more) */
    erase_segment(INFOMEM_BANK_M);
    erase_segment(INFOMEM_SEGMENT_A);
    return 0;
}

int infomem_write_identity(const uint8_t seg[INFOMEM_SEGMENT_SIZE])
{
    infomem_counters_t now;
    bank_t m;
    uint8_t slot;
    if (!is_identity(seg))
        return -1;
    /* the journal overwrites segment A; until it is complete the old identity (and key) stays in
     * force, so the main-flash bank must hold the newest counters first */
    scan(&now, &slot);
    scan_bank(1, &m);
    if ((now.rx_counter | now.tx_mark) && (!m.valid || m.last.rx_counter != now.rx_counter ||
                                           m.last.tx_mark != now.tx_mark) &&
        put_entry(1, INFOMEM_ROLL, now, &now) != 0)
        return -1;
    if (rewrite_segment(INFOMEM_SEGMENT_A, seg) != 0)
        return -1;
    return finish_journal();
}

int infomem_recover(void)
{
    if (!is_identity(INFO(INFOMEM_SEGMENT_A)))
        return 0;
    return finish_journal() == 0 ? 1 : -1;
}

const infomem_stats_t *infomem_stats(void) { return &stats; }

/* The information flash image this ELF carries: erased (not provisioned). `esse build APP --psk-dn`
 * and the simulator replace these bytes per mote (harness/build/provision.py); loading the ELF writes
 * them, as a provisioning step would. */
__attribute__((section(".infomem"), used)) const uint8_t infomem_image[2u * INFOMEM_SEGMENT_SIZE] = {
    [0 ... 2u * INFOMEM_SEGMENT_SIZE - 1u] = 0xFFu};

/* The second counter bank: one main-flash segment, erased in the image (firmware/sys/sky.ld places
 * `.counterbank` at INFOMEM_BANK_M). Loading or flashing the ELF erases it as it erases segment A:
 * a reflash is a reprovisioning. */
__attribute__((section(".counterbank"), used)) const uint8_t infomem_bank_m[INFOMEM_BANK_M_SIZE] = {
    [0 ... INFOMEM_BANK_M_SIZE - 1u] = 0xFFu};
