/* dev_ds2411.c — see dev_ds2411.h. */
#include "dev_ds2411.h"

#include <stdlib.h>
#include <string.h>

#ifndef MOTE_NO_PERIPH
#include "periph.h"

#define PIN_PORT 2
#define PIN_BIT 0x10u /* P2.4 */

enum { ST_IDLE, ST_CMD, ST_TX };

struct ds2411 {
    mote_t *m;
    uint8_t rom[8];
    int master_low;    /* the MCU drives the line low */
    int dev_low;       /* the DS2411 pulls it low */
    uint64_t fall_ns;  /* when the master last pulled the line low */
    int state;
    int bit;           /* bits received (ST_CMD) or sent (ST_TX) */
    uint8_t cmd;
    mote_event_t presence_ev, release_ev;
    uint64_t presences, rom_reads;
};

uint8_t ds2411_crc8(const uint8_t *data, int n)
{
    uint8_t crc = 0;
    for (int i = 0; i < n; i++) {
        uint8_t b = data[i];
        for (int k = 0; k < 8; k++) {
            uint8_t mix = (uint8_t)((crc ^ b) & 1u);
            crc >>= 1;
            if (mix)
                crc ^= 0x8Cu; /* x^8 + x^5 + x^4 + 1, bit-reversed */
            b >>= 1;
        }
    }
    return crc;
}

static void drive(ds2411_t *d, int low)
{
    d->dev_low = low;
    port_set_input(d->m, PIN_PORT, 4, !low); /* released: the pull-up makes it high */
}

static void at_ns(ds2411_t *d, mote_event_t *ev, uint64_t ns)
{
    mote_event_schedule(d->m, ev, clk_cycle_at_ns(d->m, ns));
}

static void presence_fire(mote_t *m, mote_event_t *ev)
{
    (void)m;
    ds2411_t *d = ev->ctx;
    drive(d, 1);
    d->presences++;
    at_ns(d, &d->release_ev, clk_now_ns(d->m) + DS2411_PRESENCE_NS);
}

static void release_fire(mote_t *m, mote_event_t *ev)
{
    (void)m;
    ds2411_t *d = ev->ctx;
    drive(d, 0);
}

static int tx_bit(const ds2411_t *d, int i) { return (d->rom[i / 8] >> (i % 8)) & 1; }

static void master_fell(ds2411_t *d, uint64_t now)
{
    d->fall_ns = now;
    if (d->state == ST_TX) { /* a read slot: a 0 bit holds the line low past the master's sample */
        if (!tx_bit(d, d->bit)) {
            drive(d, 1);
            at_ns(d, &d->release_ev, now + DS2411_READ0_NS);
        }
        if (++d->bit == 64) {
            d->rom_reads++;
            d->state = ST_IDLE;
        }
    }
}

static void master_rose(ds2411_t *d, uint64_t now)
{
    uint64_t low = now - d->fall_ns;
    if (low >= DS2411_RESET_MIN_NS) {
        mote_event_cancel(d->m, &d->release_ev);
        if (d->dev_low)
            drive(d, 0);
        d->state = ST_CMD;
        d->bit = 0;
        d->cmd = 0;
        at_ns(d, &d->presence_ev, now + DS2411_PRESENCE_WAIT_NS);
        return;
    }
    if (d->state == ST_CMD) { /* a write slot: the device saw the line at fall + 30 us */
        int one = low < DS2411_SAMPLE_NS;
        d->cmd = (uint8_t)(d->cmd | (one << d->bit));
        if (++d->bit == 8) {
            d->bit = 0;
            d->state = (d->cmd == 0x33 || d->cmd == 0x0F) ? ST_TX : ST_IDLE;
        }
    }
}

static void pins(mote_t *m, void *ctx, int port, uint8_t out, uint8_t dir, uint8_t changed)
{
    (void)changed;
    ds2411_t *d = ctx;
    if (port != PIN_PORT)
        return;
    int low = (dir & PIN_BIT) && !(out & PIN_BIT);
    if (low == d->master_low)
        return;
    d->master_low = low;
    uint64_t now = clk_now_ns(m);
    if (low)
        master_fell(d, now);
    else
        master_rose(d, now);
}

ds2411_t *ds2411_attach(mote_t *m, const uint8_t *serial)
{
    ds2411_t *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    if (port_add_output_listener(m, pins, d) != 0) {
        free(d);
        return NULL;
    }
    d->m = m;
    d->rom[0] = DS2411_FAMILY;
    memcpy(d->rom + 1, serial, 6);
    d->rom[7] = ds2411_crc8(d->rom, 7);
    mote_event_init(&d->presence_ev, "ds2411-presence", presence_fire, d);
    mote_event_init(&d->release_ev, "ds2411-release", release_fire, d);
    drive(d, 0);
    uint8_t dir = port_get_dir(m, PIN_PORT);
    d->master_low = (dir & PIN_BIT) && !(port_get_out(m, PIN_PORT) & PIN_BIT);
    return d;
}

void ds2411_free(ds2411_t *d) { free(d); }

void ds2411_rom(const ds2411_t *d, uint8_t *out) { memcpy(out, d->rom, 8); }

uint64_t ds2411_presences(const ds2411_t *d) { return d->presences; }
uint64_t ds2411_rom_reads(const ds2411_t *d) { return d->rom_reads; }

#endif /* MOTE_NO_PERIPH */
