/* test_registration.c — the mote framework's registration functions fail loudly (harness/emulator/csrc
 * mote.c, periph_*.c): a full table, a duplicate or an out-of-range request returns -1 and leaves a
 * message in mote_setup_error(); nothing is registered twice. Built and run by
 * tests/emulator/test_host_api_checks.py. Prints one line per failed check; exit status = failures. */
#include <stdio.h>
#include <string.h>
#include "mote.h"
#include "periph.h"

#include "check.h"
/* the call failed and said so, naming `what` */
#define REFUSED(call, what)                                                                      \
    do {                                                                                         \
        mote_setup_clear();                                                                      \
        int rc_ = (call);                                                                        \
        CHECK(rc_ == -1 && strstr(mote_setup_error(), what), "%s: rc %d, error \"%s\"", #call, rc_, \
              mote_setup_error());                                                               \
    } while (0)

static uint16_t rd(mote_t *m, void *ctx, uint16_t a, int is_byte) { (void)m; (void)ctx; (void)is_byte; return a; }
static void wr(mote_t *m, void *ctx, uint16_t a, uint16_t v, int is_byte) { (void)m; (void)ctx; (void)a; (void)v; (void)is_byte; }
static void on_reset(mote_t *m, void *ctx, int por) { (void)m; (void)ctx; (void)por; }
static void on_mode(mote_t *m, void *ctx, int c, int o, int n) { (void)m; (void)ctx; (void)c; (void)o; (void)n; }
static void on_accept(mote_t *m, void *ctx, int vec) { (void)m; (void)ctx; (void)vec; }
static uint8_t spi_dev(mote_t *m, void *ctx, uint8_t mosi) { (void)m; (void)ctx; return mosi; }
static void on_tx(mote_t *m, void *ctx, int u, uint8_t b, uint64_t c) { (void)m; (void)ctx; (void)u; (void)b; (void)c; }
static void on_clk(mote_t *m, void *ctx, int phase) { (void)m; (void)ctx; (void)phase; }
static void on_pins(mote_t *m, void *ctx, int port, uint8_t levels, uint8_t changed)
{
    (void)m; (void)ctx; (void)port; (void)levels; (void)changed;
}

static void test_io_map(void)
{
    mote_t *m = mote_create();
    CHECK(m != NULL && mote_setup_error()[0] == 0, "a fresh mote registers cleanly: \"%s\"", mote_setup_error());
    REFUSED(mote_map_io(m, 0x70, 0x78, rd, wr, NULL), "already mapped"); /* USART0's registers */
    REFUSED(mote_map_io(m, 0x1F8, 0x210, rd, wr, NULL), "outside the I/O space"); /* 0x1F8: after the DMA's */
    REFUSED(mote_map_io(m, 0x40, 0x40, rd, wr, NULL), "outside the I/O space");
    CHECK(m->io[0x1F8].read == NULL, "a refused range maps nothing");
    CHECK(mote_map_io(m, 0x1F8, 0x1FA, rd, wr, NULL) == 0, "a free range maps");
    REFUSED(mote_map_io(m, 0x1F9, 0x1FB, rd, wr, NULL), "0x01f9 is already mapped");
    mote_destroy(m);
}

static void test_hook_tables(void)
{
    mote_t *m = mote_create();
    int added = 0;
    static int ctx[64];
    while (mote_on_reset(m, on_reset, &ctx[added]) == 0)
        added++;
    CHECK(added > 0 && strstr(mote_setup_error(), "hook slots taken"), "reset table full after %d: \"%s\"",
          added, mote_setup_error());
    mote_destroy(m);

    m = mote_create();
    CHECK(mote_on_reset(m, on_reset, &ctx[0]) == 0, "first reset hook");
    REFUSED(mote_on_reset(m, on_reset, &ctx[0]), "registered twice");
    CHECK(mote_on_mode_change(m, on_mode, &ctx[0]) == 0, "first mode listener");
    REFUSED(mote_on_mode_change(m, on_mode, &ctx[0]), "registered twice");
    added = 1;
    while (mote_on_mode_change(m, on_mode, &ctx[added]) == 0)
        added++;
    CHECK(strstr(mote_setup_error(), "listener slots taken"), "mode listeners full: \"%s\"", mote_setup_error());
    REFUSED(mote_irq_on_accept(m, 9, on_accept, NULL), "vector 9 already"); /* USART0 RX (periph_usart.c) */
    REFUSED(mote_irq_on_accept(m, 16, on_accept, NULL), "outside");
    mote_destroy(m);
}

static void test_components(void)
{
    static const char *const modes[] = {"a", "b"};
    mote_t *m = mote_create();
    REFUSED(mote_component_register(m, "cpu", modes, 2, 0), "\"cpu\" exists already");
    REFUSED(mote_component_register(m, "x", modes, 0, 0), "0 modes");
    static char names[MOTE_MAX_COMPONENTS][8];
    int i = 0;
    for (; i < MOTE_MAX_COMPONENTS; i++) {
        snprintf(names[i], sizeof names[i], "c%d", i);
        if (mote_component_register(m, names[i], modes, 2, 0) < 0)
            break;
    }
    CHECK(m->ncomp == MOTE_MAX_COMPONENTS && strstr(mote_setup_error(), "components taken"),
          "components full at %d: \"%s\"", m->ncomp, mote_setup_error());
    mote_destroy(m);
}

static void test_device_slots(void)
{
    mote_t *m = mote_create();
    CHECK(spi_attach(m, 0, spi_dev, NULL) == 0, "first SPI device on USART0");
    REFUSED(spi_attach(m, 0, spi_dev, NULL), "already has that SPI device");
    CHECK(spi_attach(m, 0, NULL, NULL) == 0 && spi_attach(m, 0, spi_dev, NULL) == 0, "detach, then attach again");
    static int bus_ctx[SPI_MAX_DEVICES];
    for (int i = 1; i < SPI_MAX_DEVICES; i++)
        CHECK(spi_attach(m, 0, spi_dev, &bus_ctx[i]) == 0, "SPI device %d shares USART0", i);
    REFUSED(spi_attach(m, 0, spi_dev, &bus_ctx[0]), "SPI devices already");
    REFUSED(spi_attach(m, 2, spi_dev, NULL), "no USART2");
    CHECK(uart_set_tx_listener(m, 1, on_tx, NULL) == 0, "first UART1 TX listener");
    REFUSED(uart_set_tx_listener(m, 1, on_tx, NULL), "already has a TX listener");
    CHECK(uart_set_tx_tap(m, 1, on_tx, NULL) == 0, "the TX tap is a slot of its own");
    REFUSED(uart_set_tx_tap(m, 1, on_tx, NULL), "already has a TX tap");
    int pins = 0;
    static int pin_ctx[8];
    while (port_add_pin_listener(m, on_pins, &pin_ctx[pins]) == 0 && pins < 8)
        pins++;
    CHECK(pins == 4 && strstr(mote_setup_error(), "port_add_pin_listener"), "pin listeners full at %d: \"%s\"",
          pins, mote_setup_error());
    int added = 0;
    static int ctx[64];
    while (clk_add_listener(m, on_clk, &ctx[added]) == 0 && added < 64)
        added++;
    CHECK(added < 64 && strstr(mote_setup_error(), "clk_add_listener"), "clock listeners full: \"%s\"",
          mote_setup_error());
    mote_destroy(m);
}

int main(void)
{
    test_io_map();
    test_hook_tables();
    test_components();
    test_device_slots();
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
