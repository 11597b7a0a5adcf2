/*
 * main.c - crypto_kat: request loop, Timer_B cycle counter and reply formatting (kat.h).
 *
 * Boot prints "KAT ready flavour=<record|tinydtls|saes> span_overhead=<cycles>"; then requests are
 * served one at a time. Timer_B runs continuously on SMCLK; SMCLK = MCLK = DCO (sky_init leaves
 * BCSCTL2 = 0), so one Timer_B count is one CPU cycle. Its wraps are counted by the CCR0 interrupt
 * (compare at 0): the TIMERB1 vector belongs to the radio driver, which the saes flavour links.
 *
 * The saes flavour (-DESSE_AES_SAES, built by harness/bench/crypto_kat.py) runs every AES block of
 * firmware/dtls_record, ssm_client and bootstrap on the CC2420's stand-alone AES: it starts the radio
 * first (cc2420_init) and answers "KAT radio failed" when the chip does not.
 */
#include <msp430.h>
#include <stdio.h>
#include <string.h>

#include "irq.h"
#include "kat.h"
#include "sky.h"

#ifdef KAT_TINYDTLS
#define KAT_FLAVOUR "tinydtls"
#elif defined(ESSE_AES_SAES)
#include "cc2420.h"
#define KAT_FLAVOUR "saes"
#else
#define KAT_FLAVOUR "record"
#endif

/* ------------------------------------------------------------------ cycle counter */

static volatile uint16_t tb_high;

SKY_ISR(SKY_VECTOR_TIMERB0, kat_timerb_isr) /* CCIFG0 clears itself on entry */
{
    tb_high++;
}

static void cycles_start(void)
{
    TBCCR0 = 0; /* continuous mode reaches 0 once per wrap */
    TBCCTL0 = CCIE;
    TBCTL = TBSSEL_2 | TBCLR;
    TBCTL = TBSSEL_2 | MC_2;
}

uint32_t kat_cycles(void)
{
    uint16_t sr = irq_save_disable();
    uint16_t lo = TBR;
    uint16_t hi = tb_high;
    /* an overflow that happened after interrupts were masked is still pending: count it when the
     * low word has already wrapped */
    if ((TBCCTL0 & CCIFG) && lo < 0x8000u)
        hi++;
    irq_restore(sr);
    return ((uint32_t)hi << 16) | lo;
}

static uint32_t span_start;
static uint32_t spans[KAT_MAX_SPANS];
static uint8_t nspans;
static uint32_t span_overhead;

void kat_span_begin(void)
{
    span_start = kat_cycles();
}

void kat_span_end(void)
{
    uint32_t d = kat_cycles() - span_start;
    if (nspans < KAT_MAX_SPANS)
        spans[nspans++] = d > span_overhead ? d - span_overhead : 0;
}

static void calibrate_spans(void)
{
    uint32_t best = UINT32_MAX;
    for (int i = 0; i < 8; i++) {
        nspans = 0;
        kat_span_begin();
        kat_span_end();
        if (spans[0] < best)
            best = spans[0];
    }
    span_overhead = best;
    nspans = 0;
}

/* ------------------------------------------------------------------ replies */

static char current_cmd;
static uint8_t replied;

static void put_hex(const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        putchar(digits[p[i] >> 4]);
        putchar(digits[p[i] & 15u]);
    }
}

static void put_spans(void)
{
    for (uint8_t i = 0; i < nspans; i++)
        printf(" %lu", (unsigned long)spans[i]);
    putchar('\n');
}

void kat_reply_ok(const uint8_t *out, size_t len)
{
    printf("R %c ok ", current_cmd);
    if (len == 0)
        putchar('-');
    put_hex(out, len);
    put_spans();
    replied = 1;
}

void kat_reply_err(int code)
{
    printf("R %c err %d", current_cmd, code);
    put_spans();
    replied = 1;
}

/* ------------------------------------------------------------------ payload readers */

int kat_take(struct kat_reader *r, const uint8_t **field, uint16_t n)
{
    if (n > r->left)
        return 0;
    *field = r->p;
    r->p += n;
    r->left -= n;
    return 1;
}

int kat_take_u8(struct kat_reader *r, uint8_t *v)
{
    const uint8_t *f;
    if (!kat_take(r, &f, 1))
        return 0;
    *v = f[0];
    return 1;
}

int kat_take_u16(struct kat_reader *r, uint16_t *v)
{
    const uint8_t *f;
    if (!kat_take(r, &f, 2))
        return 0;
    *v = (uint16_t)((uint16_t)f[0] << 8 | f[1]);
    return 1;
}

int kat_take_u32(struct kat_reader *r, uint32_t *v)
{
    const uint8_t *f;
    if (!kat_take(r, &f, 4))
        return 0;
    *v = (uint32_t)f[0] << 24 | (uint32_t)f[1] << 16 | (uint32_t)f[2] << 8 | f[3];
    return 1;
}

/* ------------------------------------------------------------------ request framing */

#define FRAME_HEADER 3u

static uint8_t frame[FRAME_HEADER + KAT_MAX_PAYLOAD];
static volatile uint16_t frame_len;  /* bytes received of the current frame */
static volatile uint16_t discard;    /* bytes still to drop of an oversized frame */

static uint16_t frame_need(void)
{
    return (uint16_t)((uint16_t)frame[1] << 8 | frame[2]);
}

static void on_rx(uint8_t byte)
{
    if (discard) {
        discard--;
        return;
    }
    if (frame_len < sizeof(frame))
        frame[frame_len++] = byte;
}

static int frame_complete(void)
{
    return frame_len >= FRAME_HEADER && frame_len >= FRAME_HEADER + frame_need();
}

static kat_handler_fn find(const struct kat_command *table, char code)
{
    for (; table->code; table++)
        if (table->code == code)
            return table->run;
    return 0;
}

static void serve(void)
{
    uint16_t need = frame_need();
    current_cmd = (char)frame[0];
    nspans = 0;
    replied = 0;
    kat_handler_fn run = find(kat_record_commands, current_cmd);
    if (!run)
        run = find(kat_mspabi_commands, current_cmd);
    if (!run)
        run = find(kat_ssm_commands, current_cmd);
    if (!run)
        run = find(kat_boot_commands, current_cmd);
#ifdef KAT_TINYDTLS
    if (!run)
        run = find(kat_tinydtls_commands, current_cmd);
#endif
    if (!run)
        kat_reply_err(KAT_ERR_UNKNOWN);
    else
        run(frame + FRAME_HEADER, need);
    if (!replied)
        kat_reply_err(KAT_ERR_FORMAT);
}

int main(void)
{
    sky_init();
#ifdef ESSE_AES_SAES
    if (cc2420_init() != CC2420_OK) {
        printf("KAT radio failed\n");
        for (;;)
            sky_sleep(SKY_LPM3);
    }
#endif
    cycles_start();
    calibrate_spans();
#ifdef KAT_TINYDTLS
    printf("KAT entropy_changes=%u\n", kat_tinydtls_init());
#endif
    sky_uart1_set_rx_handler(on_rx);
    printf("KAT ready flavour=" KAT_FLAVOUR " span_overhead=%lu\n", (unsigned long)span_overhead);
    for (;;) {
        if (frame_len >= FRAME_HEADER && frame_need() > KAT_MAX_PAYLOAD) {
            uint16_t sr = irq_save_disable();
            discard = (uint16_t)(frame_need() - (frame_len - FRAME_HEADER));
            frame_len = 0;
            irq_restore(sr);
            current_cmd = (char)frame[0];
            nspans = 0;
            kat_reply_err(KAT_ERR_FORMAT);
            continue;
        }
        if (frame_complete()) {
            serve();
            frame_len = 0; /* the host sends the next request only after the reply */
            continue;
        }
        sky_sleep(SKY_LPM0);
    }
}
