/* periph_port.c — digital I/O P1..P6 (see periph_port.h). */
#include <stdlib.h>
#include "periph.h"

#define PORT_MAX_LISTENERS 8
#define PORT_MAX_PIN_LISTENERS 4

typedef struct {
    uint8_t ext, out, dir, sel, ifg, ies, ie;
} port_t;

typedef struct {
    port_t p[7]; /* index 1..6 */
    struct { port_out_fn fn; void *ctx; } lis[PORT_MAX_LISTENERS];
    int nlis;
    struct { port_pin_fn fn; void *ctx; } pin_lis[PORT_MAX_PIN_LISTENERS];
    int npin;
} ports_t;

static ports_t *st(mote_t *m) { return (ports_t *)m->periph[PERIPH_SLOT_PORTS]; }

static uint8_t pin_levels(const port_t *p) { return (uint8_t)((p->dir & p->out) | (~p->dir & p->ext)); }

static void update_irq(mote_t *m, int n)
{
    port_t *p = &st(m)->p[n];
    mote_irq_set(m, n == 1 ? VEC_PORT1 : VEC_PORT2, (p->ifg & p->ie) != 0);
}

/* Edge detection on P1/P2 after the pin levels changed from `before`. */
static void edges(mote_t *m, int n, uint8_t before)
{
    if (n != 1 && n != 2) return;
    port_t *p = &st(m)->p[n];
    uint8_t after = pin_levels(p);
    uint8_t rising = (uint8_t)(~before & after), falling = (uint8_t)(before & ~after);
    uint8_t hit = (uint8_t)((rising & ~p->ies) | (falling & p->ies));
    if (hit) {
        p->ifg |= hit;
        update_irq(m, n);
    }
}

static void notify_out(mote_t *m, int n, uint8_t old_out, uint8_t old_dir)
{
    ports_t *s = st(m);
    port_t *p = &s->p[n];
    uint8_t out = p->out & p->dir;
    uint8_t changed = (uint8_t)((out ^ (old_out & old_dir)) | (p->dir ^ old_dir));
    if (!changed) return;
    for (int i = 0; i < s->nlis; i++) s->lis[i].fn(m, s->lis[i].ctx, n, out, p->dir, changed);
}

/* Tell the pin listeners when the port's levels differ from `before`. */
static void notify_pins(mote_t *m, int n, uint8_t before)
{
    ports_t *s = st(m);
    if (!s->npin) return;
    uint8_t after = pin_levels(&s->p[n]), changed = (uint8_t)(after ^ before);
    if (!changed) return;
    for (int i = 0; i < s->npin; i++) s->pin_lis[i].fn(m, s->pin_lis[i].ctx, n, after, changed);
}

/* Pins that are timer capture inputs when PxSEL selects the module. */
static void route_to_timers(mote_t *m, int n, int pin, int level)
{
    if (n == 4 && pin <= 6) {
        timer_capture_input(m, TIMER_B, pin, 0, level);
        if (pin != 6) timer_capture_input(m, TIMER_B, pin, 1, level);
    } else if (n == 1 && pin >= 1 && pin <= 3) {
        timer_capture_input(m, TIMER_A, pin - 1, 0, level);
    } else if (n == 2 && pin == 2) {
        timer_capture_input(m, TIMER_A, 0, 1, level);
    }
}

/* Register layout: offsets IN 0, OUT 1, DIR 2, IFG 3, IES 4, IE 5, SEL 6 (P1/P2); IN OUT DIR SEL (P3-6).
 * A table over 0x18..0x37 (a loop over the ports ran for every port access: CSn per SPI frame). */
#define PORT_IO_FIRST 0x18u
static const struct { int8_t port, off; } port_regs[0x20] = {
    {3, 0}, {3, 1}, {3, 2}, {3, 6}, {4, 0}, {4, 1}, {4, 2}, {4, 6},                 /* 0x18 P3, 0x1C P4 */
    {1, 0}, {1, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 5}, {1, 6}, {0, -1},                /* 0x20 P1 */
    {2, 0}, {2, 1}, {2, 2}, {2, 3}, {2, 4}, {2, 5}, {2, 6}, {0, -1},                /* 0x28 P2 */
    {5, 0}, {5, 1}, {5, 2}, {5, 6}, {6, 0}, {6, 1}, {6, 2}, {6, 6}};                /* 0x30 P5, 0x34 P6 */

static int decode(uint16_t a, int *n)
{
    unsigned i = (unsigned)a - PORT_IO_FIRST;
    if (i >= sizeof port_regs / sizeof port_regs[0] || port_regs[i].off < 0)
        return -1;
    *n = port_regs[i].port;
    return port_regs[i].off;
}

static uint8_t read_byte(mote_t *m, uint16_t a)
{
    int n, off = decode(a, &n);
    if (off < 0) return 0;
    port_t *p = &st(m)->p[n];
    switch (off) {
    case 0: return pin_levels(p);
    case 1: return p->out;
    case 2: return p->dir;
    case 3: return p->ifg;
    case 4: return p->ies;
    case 5: return p->ie;
    default: return p->sel;
    }
}

static void write_byte(mote_t *m, uint16_t a, uint8_t v)
{
    int n, off = decode(a, &n);
    if (off < 0) return;
    port_t *p = &st(m)->p[n];
    uint8_t before = pin_levels(p), old_out = p->out, old_dir = p->dir, old_sel = p->sel;
    switch (off) {
    case 0: return; /* PxIN is read-only */
    case 1: p->out = v; break;
    case 2: p->dir = v; break;
    case 3: p->ifg = v; update_irq(m, n); return;
    case 4: p->ies = v; return;
    case 5: p->ie = v; update_irq(m, n); return;
    default:
        p->sel = v;
        for (int pin = 0; pin < 8; pin++)
            if ((v & ~old_sel) & (1u << pin)) route_to_timers(m, n, pin, (p->ext >> pin) & 1);
        return;
    }
    edges(m, n, before);
    notify_out(m, n, old_out, old_dir);
    notify_pins(m, n, before);
}

static uint16_t io_read(mote_t *m, void *ctx, uint16_t addr, int is_byte)
{
    (void)ctx;
    uint16_t v = read_byte(m, addr);
    if (!is_byte) v |= (uint16_t)(read_byte(m, (uint16_t)(addr + 1)) << 8);
    return v;
}

static void io_write(mote_t *m, void *ctx, uint16_t addr, uint16_t value, int is_byte)
{
    (void)ctx;
    write_byte(m, addr, (uint8_t)value);
    if (!is_byte) write_byte(m, (uint16_t)(addr + 1), (uint8_t)(value >> 8));
}

void port_set_input(mote_t *m, int n, int pin, int level)
{
    if (n < 1 || n > 6 || pin < 0 || pin > 7) return;
    port_t *p = &st(m)->p[n];
    uint8_t bit = (uint8_t)(1u << pin), before = pin_levels(p);
    uint8_t ext = level ? (uint8_t)(p->ext | bit) : (uint8_t)(p->ext & ~bit);
    if (ext == p->ext) return;
    p->ext = ext;
    edges(m, n, before);
    if (p->sel & bit) route_to_timers(m, n, pin, level != 0);
    notify_pins(m, n, before);
}

int port_get_pin(mote_t *m, int n, int pin)
{
    if (n < 1 || n > 6 || pin < 0 || pin > 7) return 0;
    return (pin_levels(&st(m)->p[n]) >> pin) & 1;
}

int port_input_can_irq(mote_t *m, int n, int pin)
{
    if (n < 1 || n > 6 || pin < 0 || pin > 7) return 0;
    const port_t *p = &st(m)->p[n];
    uint8_t bit = (uint8_t)(1u << pin);
    if (p->sel & bit) return 1;
    return (n == 1 || n == 2) && (p->ie & bit);
}

uint8_t port_get_out(mote_t *m, int n) { return (n >= 1 && n <= 6) ? st(m)->p[n].out : 0; }
uint8_t port_get_dir(mote_t *m, int n) { return (n >= 1 && n <= 6) ? st(m)->p[n].dir : 0; }

int port_add_output_listener(mote_t *m, port_out_fn fn, void *ctx)
{
    ports_t *s = st(m);
    if (s->nlis >= PORT_MAX_LISTENERS)
        return mote_setup_fail("port_add_output_listener: all %d listener slots taken", PORT_MAX_LISTENERS);
    s->lis[s->nlis].fn = fn;
    s->lis[s->nlis].ctx = ctx;
    s->nlis++;
    return 0;
}

int port_add_pin_listener(mote_t *m, port_pin_fn fn, void *ctx)
{
    ports_t *s = st(m);
    if (s->npin >= PORT_MAX_PIN_LISTENERS)
        return mote_setup_fail("port_add_pin_listener: all %d listener slots taken", PORT_MAX_PIN_LISTENERS);
    s->pin_lis[s->npin].fn = fn;
    s->pin_lis[s->npin].ctx = ctx;
    s->npin++;
    return 0;
}

void port_attach(mote_t *m)
{
    ports_t *s = calloc(1, sizeof *s);
    m->periph[PERIPH_SLOT_PORTS] = s;
    mote_map_io(m, 0x18, 0x20, io_read, io_write, s);
    mote_map_io(m, 0x20, 0x27, io_read, io_write, s);
    mote_map_io(m, 0x28, 0x2F, io_read, io_write, s);
    mote_map_io(m, 0x30, 0x38, io_read, io_write, s);
}

void port_reset(mote_t *m, int por)
{
    ports_t *s = st(m);
    for (int n = 1; n <= 6; n++) {
        port_t *p = &s->p[n];
        uint8_t old_out = p->out, old_dir = p->dir, before = pin_levels(p);
        if (por) {
            p->out = 0; /* undefined at power-on */
            p->ies = 0;
        }
        p->dir = 0;
        p->sel = 0;
        p->ifg = 0;
        p->ie = 0;
        if (n <= 2) update_irq(m, n);
        notify_out(m, n, old_out, old_dir);
        notify_pins(m, n, before);
    }
}

void port_detach(mote_t *m)
{
    free(m->periph[PERIPH_SLOT_PORTS]);
    m->periph[PERIPH_SLOT_PORTS] = NULL;
}
