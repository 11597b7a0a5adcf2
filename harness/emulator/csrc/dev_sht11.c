/* dev_sht11.c — see dev_sht11.h. */
#include "dev_sht11.h"

#include <math.h>
#include <stdlib.h>

#ifndef MOTE_NO_PERIPH
#include "periph.h"

#define PIN_PORT 1
#define DATA_PIN 5
#define DATA_BIT 0x20u /* P1.5 */
#define SCK_BIT 0x40u  /* P1.6 */
#define PWR_BIT 0x80u  /* P1.7 */
#define RESET_CLOCKS 9 /* connection reset: SCK rising edges with DATA high */

enum { ST_OFF, ST_IDLE, ST_CMD, ST_WSTAT, ST_MEASURE, ST_TX };
/* Transmission Start progress: DATA fell with SCK high, SCK went low, SCK rose with DATA low. */
enum { TS_NONE, TS_FELL, TS_SCK_LOW, TS_SCK_HIGH };

struct sht11 {
    mote_t *m;
    double temp_c, rh;
    uint8_t status;
    int sck, master_low, dev_low;
    int state, ts;
    uint64_t ready_ns;  /* commands are acknowledged from then on (power-up, soft reset) */
    int nbits;          /* SCK rising edges in the current byte: 8 data bits, the 9th is the ACK's */
    uint8_t byte;       /* bits received (command, status write) */
    uint8_t cmd;
    uint8_t tx[3];
    int ntx, txi, acked;
    int high_clocks;
    int corrupt_idx;
    uint8_t corrupt_mask;
    mote_event_t meas_ev;
    uint64_t acks, measurements, nacked, iface_resets, soft_resets, meas_start_ns, meas_ready_ns;
};

static uint8_t rev8(uint8_t v)
{
    uint8_t r = 0;
    for (int i = 0; i < 8; i++, v >>= 1)
        r = (uint8_t)((r << 1) | (v & 1u));
    return r;
}

uint8_t sht11_crc8(uint8_t status, const uint8_t *data, int n)
{
    uint8_t crc = rev8((uint8_t)(status & 0x0Fu)); /* app note: low nibble reversed into the high one */
    for (int i = 0; i < n; i++) {
        crc ^= data[i];
        for (int k = 0; k < 8; k++)
            crc = (crc & 0x80u) ? (uint8_t)((crc << 1) ^ 0x31u) : (uint8_t)(crc << 1); /* x^8+x^5+x^4+1 */
    }
    return crc;
}

static int env_ok(double temp_c, double rh)
{
    /* written so that NaN fails */
    return temp_c >= SHT11_T_MIN_CENTI / 100.0 && temp_c <= SHT11_T_MAX_CENTI / 100.0 && rh >= 0.0 && rh <= 100.0;
}

/* Datasheet V4 coefficients (see the header). */
static double temp_of(int low_res, double sot) { return -39.6 + (low_res ? 0.04 : 0.01) * sot; }

static double rh_of(int low_res, double t, double so)
{
    double c1 = -2.0468, c2 = low_res ? 0.5872 : 0.0367, c3 = low_res ? -4.0845e-4 : -1.5955e-6;
    double t2 = low_res ? 0.00128 : 0.00008;
    return (t - 25.0) * (0.01 + t2 * so) + c1 + c2 * so + c3 * so * so;
}

/* The raw value in 0..max whose conversion f is nearest to want; `guess` is the real solution
 * (f increases over the whole raw range, so its floor or ceiling is the answer). */
static uint16_t nearest(double guess, int max, double want, int low_res, double t, int humidity)
{
    if (!(guess > 0.0))
        guess = 0.0;
    if (guess > max)
        guess = max;
    int lo = (int)floor(guess), hi = lo < max ? lo + 1 : lo;
    double flo = humidity ? rh_of(low_res, t, lo) : temp_of(low_res, lo);
    double fhi = humidity ? rh_of(low_res, t, hi) : temp_of(low_res, hi);
    return (uint16_t)(fabs(fhi - want) < fabs(flo - want) ? hi : lo); /* a tie goes to the lower */
}

uint16_t sht11_raw(const sht11_t *s, int kind, int low_res)
{
    int tmax = low_res ? 4095 : 16383, rhmax = low_res ? 255 : 4095;
    uint16_t sot = nearest((s->temp_c + 39.6) / (low_res ? 0.04 : 0.01), tmax, s->temp_c, low_res, 0, 0);
    if (kind == 0)
        return sot;
    /* RH_true(S) - RH = a S^2 + b S + c = 0, T as the driver converts it from this SOT */
    double t = temp_of(low_res, sot);
    double a = low_res ? -4.0845e-4 : -1.5955e-6;
    double b = (low_res ? 0.5872 : 0.0367) + (t - 25.0) * (low_res ? 0.00128 : 0.00008);
    double c = -2.0468 + (t - 25.0) * 0.01 - s->rh;
    double d = b * b - 4.0 * a * c;
    double root = d < 0.0 ? rhmax : 2.0 * c / (-b - sqrt(d)); /* the smaller root, computed stably */
    return nearest(root, rhmax, s->rh, low_res, t, 1);
}

static void drive(sht11_t *s, int low)
{
    s->dev_low = low;
    port_set_input(s->m, PIN_PORT, DATA_PIN, !low); /* released: the pull-up makes it high */
}

static int line_high(const sht11_t *s) { return !s->master_low && !s->dev_low; }

static void go_idle(sht11_t *s)
{
    mote_event_cancel(s->m, &s->meas_ev);
    s->state = ST_IDLE;
    s->nbits = 0;
    if (s->dev_low)
        drive(s, 0);
}

static void present_bit(sht11_t *s) /* the next bit of tx[txi], MSB first, after nbits were clocked */
{
    int bit = (s->tx[s->txi] >> (7 - s->nbits)) & 1;
    if (bit == s->dev_low) /* the line changes: a 0 pulls it low, a 1 releases it */
        drive(s, !bit);
}

static void start_tx(sht11_t *s, int n)
{
    uint8_t frame[4] = {s->cmd, s->tx[0], s->tx[1], 0};
    s->tx[n - 1] = rev8(sht11_crc8(s->status, frame, n)); /* sent bit-reversed (app note) */
    if (s->corrupt_mask) {
        s->tx[s->corrupt_idx < n ? s->corrupt_idx : n - 1] ^= s->corrupt_mask;
        s->corrupt_mask = 0;
    }
    s->ntx = n;
    s->txi = 0;
    s->nbits = 0;
    s->state = ST_TX;
    present_bit(s);
}

static void meas_fire(mote_t *m, mote_event_t *ev)
{
    (void)m;
    sht11_t *s = ev->ctx;
    uint16_t raw = sht11_raw(s, s->cmd == SHT11_CMD_MEASURE_RH, s->status & SHT11_STATUS_LOW_RES);
    s->tx[0] = (uint8_t)(raw >> 8);
    s->tx[1] = (uint8_t)raw;
    s->measurements++;
    s->meas_ready_ns = clk_now_ns(s->m);
    start_tx(s, 3); /* the MSB's first bit is 0 at every resolution: DATA low is "data ready" */
}

static int valid_cmd(uint8_t c)
{
    return c == SHT11_CMD_MEASURE_T || c == SHT11_CMD_MEASURE_RH || c == SHT11_CMD_READ_STATUS ||
           c == SHT11_CMD_WRITE_STATUS || c == SHT11_CMD_SOFT_RESET;
}

static void command(sht11_t *s, uint64_t now)
{
    s->nbits = 0;
    switch (s->cmd) {
    case SHT11_CMD_MEASURE_T:
    case SHT11_CMD_MEASURE_RH: {
        int low = s->status & SHT11_STATUS_LOW_RES, rh = s->cmd == SHT11_CMD_MEASURE_RH;
        uint64_t ns = rh ? (low ? SHT11_MEAS_8BIT_NS : SHT11_MEAS_12BIT_NS)
                         : (low ? SHT11_MEAS_12BIT_NS : SHT11_MEAS_14BIT_NS);
        s->state = ST_MEASURE;
        s->meas_start_ns = now;
        mote_event_schedule(s->m, &s->meas_ev, clk_cycle_at_ns(s->m, now + ns));
        break;
    }
    case SHT11_CMD_READ_STATUS:
        s->tx[0] = s->status;
        start_tx(s, 2);
        break;
    case SHT11_CMD_WRITE_STATUS:
        s->state = ST_WSTAT;
        s->byte = 0;
        break;
    default: /* soft reset: the interface and the status register to their defaults */
        s->status = 0;
        s->soft_resets++;
        s->ready_ns = now + SHT11_STARTUP_NS;
        go_idle(s);
        break;
    }
}

static void sck_rose(sht11_t *s)
{
    int high = line_high(s);
    /* the clocks of a Transmission Start go through the state machine too: harmless, the start
     * restarts it when DATA rises */
    s->ts = s->ts == TS_SCK_LOW && !high ? TS_SCK_HIGH : TS_NONE;
    s->high_clocks = high ? s->high_clocks + 1 : 0;
    /* while sending, 9 clocks with DATA high include an ACK slot left high: that NACK ends the
     * transfer below, so only the other states count a connection reset */
    if (s->high_clocks == RESET_CLOCKS && s->state != ST_IDLE && s->state != ST_TX) {
        s->iface_resets++;
        go_idle(s);
        return;
    }
    switch (s->state) {
    case ST_CMD:
    case ST_WSTAT:
        if (s->nbits < 8)
            s->byte = (uint8_t)((s->byte << 1) | high);
        if (s->nbits < 9)
            s->nbits++;
        break;
    case ST_TX:
        if (s->nbits == 8)
            s->acked = !high;
        if (s->nbits < 9)
            s->nbits++;
        break;
    default:
        break;
    }
}

static void sck_fell(sht11_t *s, uint64_t now)
{
    s->ts = s->ts == TS_FELL ? TS_SCK_LOW : TS_NONE;
    switch (s->state) {
    case ST_CMD:
        if (s->nbits == 8) {
            if (valid_cmd(s->byte) && now >= s->ready_ns) {
                s->cmd = s->byte;
                s->acks++;
                drive(s, 1);
            } else {
                go_idle(s);
            }
        } else if (s->nbits == 9) {
            drive(s, 0);
            command(s, now);
        }
        break;
    case ST_WSTAT:
        if (s->nbits == 8) {
            drive(s, 1);
        } else if (s->nbits == 9) {
            s->status = (uint8_t)((s->status & ~SHT11_STATUS_WRITABLE) | (s->byte & SHT11_STATUS_WRITABLE));
            go_idle(s);
        }
        break;
    case ST_TX:
        if (s->nbits < 8) {
            present_bit(s);
        } else if (s->nbits == 8) {
            drive(s, 0); /* the MCU's ACK */
        } else if (s->acked && s->txi + 1 < s->ntx) {
            s->txi++;
            s->nbits = 0;
            present_bit(s);
        } else {
            if (s->txi + 1 < s->ntx)
                s->nacked++;
            go_idle(s);
        }
        break;
    default:
        break;
    }
}

/* DATA changed by the MCU while SCK is high: the two halves of a Transmission Start. */
static void data_edge(sht11_t *s, int high, uint64_t now)
{
    if (!high) {
        s->ts = TS_FELL;
    } else if (s->ts == TS_SCK_HIGH) {
        s->ts = TS_NONE;
        if (now < s->ready_ns)
            return; /* still starting up: the command will not be acknowledged either way */
        go_idle(s);
        s->state = ST_CMD;
        s->byte = 0;
        s->high_clocks = 0;
    } else {
        s->ts = TS_NONE;
    }
}

static void power(sht11_t *s, int on, uint64_t now)
{
    mote_event_cancel(s->m, &s->meas_ev);
    if (s->dev_low)
        drive(s, 0);
    s->status = 0; /* volatile: the defaults at every power-up */
    s->state = on ? ST_IDLE : ST_OFF;
    s->ts = TS_NONE;
    s->nbits = 0;
    s->high_clocks = 0;
    s->ready_ns = now + SHT11_STARTUP_NS;
}

static void pins(mote_t *m, void *ctx, int port, uint8_t out, uint8_t dir, uint8_t changed)
{
    sht11_t *s = ctx;
    if (port != PIN_PORT || !(changed & (DATA_BIT | SCK_BIT | PWR_BIT)))
        return;
    uint64_t now = clk_now_ns(m);
    int on = (out & PWR_BIT) != 0, sck = (out & SCK_BIT) != 0;
    int master_low = (dir & DATA_BIT) && !(out & DATA_BIT);
    if (on != (s->state != ST_OFF))
        power(s, on, now);
    int was_high = line_high(s);
    s->master_low = master_low;
    if (s->state == ST_OFF) {
        s->sck = sck;
        return;
    }
    if (sck != s->sck) {
        s->sck = sck;
        if (sck)
            sck_rose(s);
        else
            sck_fell(s, now);
    } else if (sck && line_high(s) != was_high) {
        data_edge(s, !was_high, now);
    }
}

sht11_t *sht11_attach(mote_t *m, double temp_c, double rh)
{
    if (!env_ok(temp_c, rh)) {
        mote_setup_fail("sht11_attach: temperature %g C or humidity %g %%RH out of range", temp_c, rh);
        return NULL;
    }
    sht11_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (port_add_output_listener(m, pins, s) != 0) {
        free(s);
        return NULL;
    }
    s->m = m;
    s->temp_c = temp_c;
    s->rh = rh;
    mote_event_init(&s->meas_ev, "sht11-measure", meas_fire, s);
    drive(s, 0);
    uint8_t dir = port_get_dir(m, PIN_PORT), out = port_get_out(m, PIN_PORT) & dir;
    s->state = ST_OFF;
    s->sck = (out & SCK_BIT) != 0;
    s->master_low = (dir & DATA_BIT) && !(out & DATA_BIT);
    if (out & PWR_BIT)
        power(s, 1, clk_now_ns(m));
    return s;
}

void sht11_free(sht11_t *s) { free(s); }

int sht11_set_env(sht11_t *s, double temp_c, double rh)
{
    if (!env_ok(temp_c, rh))
        return -1;
    s->temp_c = temp_c;
    s->rh = rh;
    return 0;
}

uint8_t sht11_status(const sht11_t *s) { return s->status; }

void sht11_corrupt_next(sht11_t *s, int idx, uint8_t mask)
{
    s->corrupt_idx = idx < 0 ? 0 : idx;
    s->corrupt_mask = mask;
}

uint64_t sht11_acks(const sht11_t *s) { return s->acks; }
uint64_t sht11_measurements(const sht11_t *s) { return s->measurements; }
uint64_t sht11_nacked(const sht11_t *s) { return s->nacked; }
uint64_t sht11_interface_resets(const sht11_t *s) { return s->iface_resets; }
uint64_t sht11_soft_resets(const sht11_t *s) { return s->soft_resets; }
uint64_t sht11_last_meas_start_ns(const sht11_t *s) { return s->meas_start_ns; }
uint64_t sht11_last_meas_ready_ns(const sht11_t *s) { return s->meas_ready_ns; }

#endif /* MOTE_NO_PERIPH */
