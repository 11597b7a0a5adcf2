/* periph.c — attaches every on-chip peripheral of the MSP430F1611 to a mote (see periph.h). */
#include "periph.h"

static void periph_reset_hook(mote_t *m, void *ctx, int por)
{
    (void)ctx;
    periph_reset_all(m, por);
}

void periph_reset_all(mote_t *m, int por)
{
    /* The clock first: the others read frequencies and tick counts while resetting. */
    clk_reset(m, por);
    dma_reset(m, por); /* before the modules whose flags trigger it: their resets see no channel */
    sfr_reset(m, por);
    wdt_reset(m, por);
    timer_reset(m, por);
    mpy_reset(m, por);
    usart_reset(m, por);
    port_reset(m, por);
    flash_reset(m, por);
    adc_reset(m, por);
    unmod_reset(m, por);
}

void periph_attach_all(mote_t *m)
{
    dma_attach(m); /* first: the trigger modules read its watch mask from their first reset on */
    clk_attach(m);
    sfr_attach(m);
    wdt_attach(m);
    timer_attach(m);
    mpy_attach(m);
    usart_attach(m);
    port_attach(m);
    flash_attach(m);
    adc_attach(m);
    unmod_attach(m);
    mote_on_reset(m, periph_reset_hook, NULL);
    periph_reset_all(m, 1);
}

void periph_detach_all(mote_t *m)
{
    unmod_detach(m);
    adc_detach(m);
    flash_detach(m);
    port_detach(m);
    usart_detach(m);
    mpy_detach(m);
    timer_detach(m);
    wdt_detach(m);
    sfr_detach(m);
    clk_detach(m);
    dma_detach(m);
}
