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

/* Index of the first free entry (INFOMEM_LOG_ENTRIES when full); the last valid one in *c. */
static uint8_t scan(infomem_counters_t *c)
{
    uint8_t i;
    c->rx_counter = 0;
    c->tx_mark = 0;
    for (i = 0; i < INFOMEM_LOG_ENTRIES; i++) {
        const volatile uint8_t *e = INFO(INFOMEM_SEGMENT_A + (uint16_t)i * INFOMEM_LOG_ENTRY);
        if (entry_erased(e))
            break;
        if (infomem_crc16(e, 8) == le16(e + 8)) {
            c->rx_counter = le32(e);
            c->tx_mark = le32(e + 4);
        }
    }
    return i;
}

void infomem_read_counters(infomem_counters_t *c, uint8_t *writes_left)
{
    uint8_t used = scan(c);
    if (writes_left)
        *writes_left = (uint8_t)(INFOMEM_LOG_ENTRIES - used);
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

int infomem_write_counters(const infomem_counters_t *c)
{
    infomem_counters_t now;
    uint8_t entry[INFOMEM_LOG_ENTRY], i;
    uint16_t crc, base, sr;
    uint8_t slot = scan(&now);
    entry[0] = (uint8_t)c->rx_counter;
    entry[1] = (uint8_t)(c->rx_counter >> 8);
    entry[2] = (uint8_t)(c->rx_counter >> 16);
    entry[3] = (uint8_t)(c->rx_counter >> 24);
    entry[4] = (uint8_t)c->tx_mark;
    entry[5] = (uint8_t)(c->tx_mark >> 8);
    entry[6] = (uint8_t)(c->tx_mark >> 16);
    entry[7] = (uint8_t)(c->tx_mark >> 24);
    crc = infomem_crc16(entry, 8);
    entry[8] = (uint8_t)crc;
    entry[9] = (uint8_t)(crc >> 8);
    sr = irq_save_disable();
    if (slot >= INFOMEM_LOG_ENTRIES) {
        flash_word(INFOMEM_SEGMENT_A, 0, ERASE); /* dummy write into the segment erases it */
        stats.segment_erases++;
        slot = 0;
    }
    base = (uint16_t)(INFOMEM_SEGMENT_A + (uint16_t)slot * INFOMEM_LOG_ENTRY);
    for (i = 0; i < INFOMEM_LOG_ENTRY; i += 2)
        flash_word((uint16_t)(base + i), (uint16_t)(entry[i] | ((uint16_t)entry[i + 1] << 8)), WRT);
    irq_restore(sr);
    stats.entry_writes++;
    for (i = 0; i < INFOMEM_LOG_ENTRY; i++)
        if (INFO(base)[i] != entry[i])
            return -1;
    return 0;
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

static void erase_segment(uint16_t seg)
{
    uint16_t sr = irq_save_disable();
    flash_word(seg, 0, ERASE);
    irq_restore(sr);
    stats.segment_erases++;
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
    erase_segment(INFOMEM_SEGMENT_A); /* the journal is done; counters start afresh */
    return 0;
}

int infomem_write_identity(const uint8_t seg[INFOMEM_SEGMENT_SIZE])
{
    if (!is_identity(seg) || rewrite_segment(INFOMEM_SEGMENT_A, seg) != 0)
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
