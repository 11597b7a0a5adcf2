/* lpl.c - low-power listening on the CC2420 (see lpl.h). */
#include "lpl.h"

#include "cc2420.h"

static uint32_t next_check, awake_until;
static uint8_t awake;

static int due(uint32_t at) { return (int32_t)(sky_clock_ticks() - at) >= 0; }

static void stay_awake(uint32_t ticks)
{
    uint32_t until = sky_clock_ticks() + ticks;
    if (!awake || (int32_t)(until - awake_until) > 0)
        awake_until = until;
    awake = 1;
}

void lpl_init(void)
{
    next_check = sky_clock_ticks() + LPL_PERIOD_TICKS;
    stay_awake(LPL_AWAKE_TICKS); /* listen a while after boot: the first router advertisement */
}

void lpl_radio_needed(void)
{
    if (!cc2420_is_on())
        cc2420_on();
    uint32_t t0 = sky_clock_ticks();
    while (!cc2420_rssi_valid() && sky_clock_ticks() - t0 < 20u) { /* 8 symbols after RX on */
    }
}

void lpl_activity(void)
{
    if (LPL_RX)
        stay_awake(LPL_AWAKE_TICKS);
}

int lpl_transmit(const uint8_t *frame, uint8_t len, lpl_acked_fn acked)
{
    int want_ack = (frame[0] & 0x20u) != 0 && (frame[0] & 7u) != 2u;
    uint32_t start = sky_clock_ticks();
    int rc;
    lpl_radio_needed(); /* acknowledgements come back through the receiver */
    rc = cc2420_send(frame, len, 0);
    for (;;) {
        if (want_ack) {
            uint32_t t0 = sky_clock_ticks();
            while (sky_clock_ticks() - t0 < LPL_ACK_WAIT_TICKS)
                if (acked(frame[2]))
                    goto done;
        }
        if (sky_clock_ticks() - start >= LPL_STROBE_TICKS)
            break;
        rc = cc2420_resend(); /* no FIFO reload: the silence between copies stays short */
    }
done:
    if (LPL_RX)
        stay_awake(LPL_AWAKE_TICKS); /* a reply usually follows */
    return rc == CC2420_OK ? 0 : -1;
}

int lpl_channel_clear(void)
{
    lpl_radio_needed();
    uint32_t start = sky_clock_ticks(), quiet_since = start;
    while (sky_clock_ticks() - start < LPL_STROBE_TICKS) {
        if (!cc2420_cca())
            quiet_since = sky_clock_ticks();
        else if (sky_clock_ticks() - quiet_since >= LPL_WINDOW_TICKS)
            return 1;
    }
    return 0;
}

/* One channel check: 1 when something is on the air or arrived. */
static int channel_check(void)
{
    lpl_radio_needed();
    uint32_t t0 = sky_clock_ticks();
    while (sky_clock_ticks() - t0 < LPL_WINDOW_TICKS)
        if (!cc2420_cca() || cc2420_sfd() || cc2420_pending())
            return 1;
    return 0;
}

void lpl_poll(void)
{
    if (!LPL_RX)
        return;
    if (awake && due(awake_until) && !cc2420_pending() && !cc2420_sfd()) {
        awake = 0;
        cc2420_off();
    }
    if (due(next_check)) {
        next_check += LPL_PERIOD_TICKS;
        if (due(next_check)) /* checks were missed (a long computation): resume the rhythm */
            next_check = sky_clock_ticks() + LPL_PERIOD_TICKS;
        if (!awake) {
            if (channel_check())
                stay_awake(LPL_CATCH_TICKS);
            else
                cc2420_off();
        }
    }
}

uint32_t lpl_wakeup(uint32_t at)
{
    if (!LPL_RX)
        return at;
    if ((int32_t)(next_check - at) < 0)
        at = next_check;
    if (awake && (int32_t)(awake_until - at) < 0)
        at = awake_until;
    return at;
}
