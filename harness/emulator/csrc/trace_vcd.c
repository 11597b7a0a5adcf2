/* trace_vcd.c — records one mote's signal changes for a Value Change Dump (see trace_vcd.h). */
#include "trace_vcd.h"

#include <stdlib.h>
#include <string.h>

#include "periph.h"

typedef struct {
    uint64_t t_ns;
    uint32_t value;
    uint8_t sig;
} rec_t;

struct vcdt {
    mote_t *m;
    int on;
    rec_t *buf;          /* FIFO: records [head, head + len) of a buffer of cap (no wrap: taken from head) */
    size_t head, len, cap;
    uint64_t lost;
};

static void put(vcdt_t *t, int sig, uint32_t value)
{
    if (!t->on)
        return;
    if (t->head + t->len == t->cap) {
        if (t->head) { /* slide the waiting records to the front before growing */
            memmove(t->buf, t->buf + t->head, t->len * sizeof *t->buf);
            t->head = 0;
        }
        if (t->len == t->cap) {
            size_t cap = t->cap * 2;
            rec_t *b = cap <= VCDT_MAX_RECORDS ? realloc(t->buf, cap * sizeof *b) : NULL;
            if (!b) {
                t->lost++;
                return;
            }
            t->buf = b;
            t->cap = cap;
        }
    }
    rec_t *r = &t->buf[t->head + t->len++];
    r->t_ns = mote_now_ns(t->m);
    r->sig = (uint8_t)sig;
    r->value = value;
}

static void on_pins(mote_t *m, void *ctx, int port, uint8_t levels, uint8_t changed)
{
    (void)m;
    (void)changed;
    put(ctx, VCDT_SIG_PORT + port, levels);
}

static void on_mode(mote_t *m, void *ctx, int component, int old_mode, int new_mode)
{
    (void)m;
    (void)old_mode;
    put(ctx, VCDT_SIG_MODE + component, (uint32_t)new_mode);
}

static void on_clock(mote_t *m, void *ctx, int phase)
{
    if (phase == 1)
        put(ctx, VCDT_SIG_DCO, clk_freq_hz(m, CLK_SRC_DCO));
}

static void on_uart(mote_t *m, void *ctx, int usart, uint8_t byte, uint64_t cycle)
{
    (void)m;
    (void)cycle;
    put(ctx, VCDT_SIG_UART + usart, byte);
}

/* Reset hooks run after the peripherals' (registered later): ports and modes report their own
 * changes; the clock module resets without telling its listeners. */
static void on_reset(mote_t *m, void *ctx, int por)
{
    vcdt_t *t = ctx;
    put(t, VCDT_SIG_RESET, (uint32_t)(por ? MOTE_RESET_POR : m->puc_cause));
    put(t, VCDT_SIG_DCO, clk_freq_hz(m, CLK_SRC_DCO));
}

vcdt_t *vcdt_attach(mote_t *m)
{
    vcdt_t *t = calloc(1, sizeof *t);
    if (!t) {
        mote_setup_fail("vcdt_attach: out of memory");
        return NULL;
    }
    t->m = m;
    t->cap = 1024;
    t->buf = malloc(t->cap * sizeof *t->buf);
    if (!t->buf) {
        free(t);
        mote_setup_fail("vcdt_attach: out of memory");
        return NULL;
    }
    if (port_add_pin_listener(m, on_pins, t) != 0 || mote_on_mode_change(m, on_mode, t) != 0 ||
        clk_add_listener(m, on_clock, t) != 0 || uart_set_tx_tap(m, 0, on_uart, t) != 0 ||
        uart_set_tx_tap(m, 1, on_uart, t) != 0 || mote_on_reset(m, on_reset, t) != 0) {
        /* listeners registered before the refusal keep pointing at t: it stays allocated, stopped
         * (they return at once), so the mote runs on as without a trace */
        return NULL;
    }
    t->on = 1;
    for (int n = 1; n <= 6; n++) {
        uint8_t levels = 0;
        for (int pin = 0; pin < 8; pin++)
            levels |= (uint8_t)(port_get_pin(m, n, pin) << pin);
        put(t, VCDT_SIG_PORT + n, levels);
    }
    for (int c = 0; c < m->ncomp; c++)
        put(t, VCDT_SIG_MODE + c, (uint32_t)m->comp[c].mode);
    put(t, VCDT_SIG_DCO, clk_freq_hz(m, CLK_SRC_DCO));
    return t;
}

void vcdt_stop(vcdt_t *t) { t->on = 0; }

void vcdt_free(vcdt_t *t)
{
    if (!t)
        return;
    free(t->buf);
    free(t);
}

size_t vcdt_pending(const vcdt_t *t) { return t->len; }

uint64_t vcdt_lost(const vcdt_t *t) { return t->lost; }

size_t vcdt_take(vcdt_t *t, uint64_t *t_ns, uint8_t *sig, uint32_t *value, size_t max)
{
    size_t n = t->len < max ? t->len : max;
    for (size_t i = 0; i < n; i++) {
        const rec_t *r = &t->buf[t->head + i];
        t_ns[i] = r->t_ns;
        sig[i] = r->sig;
        value[i] = r->value;
    }
    t->head += n;
    t->len -= n;
    if (!t->len)
        t->head = 0;
    return n;
}
