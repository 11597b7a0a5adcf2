/* radio_cc2420.c — see radio_cc2420.h. */
#include <string.h>

#include "cc2420.h"
#include "lpl.h"
#include "mac802154.h"
#include "radio.h"
#include "radio_cc2420.h"
#include "sky.h"

#if MAC_SOFTWARE_ACK
#error "the CC2420 acknowledges in hardware (AUTOACK): build with MAC_SOFTWARE_ACK=0"
#endif

#define HELD_FRAMES 2

static uint8_t held[HELD_FRAMES][CC2420_MAX_MPDU];
static uint8_t held_len[HELD_FRAMES];
static uint8_t held_count;
static uint16_t held_lost;

int radio_cc2420_init(uint16_t pan, const lladdr_t *own)
{
    int rc = cc2420_init();
    if (rc != CC2420_OK)
        return rc;
    cc2420_set_channel(RADIO_CC2420_CHANNEL);
    cc2420_set_pan_id(pan);
    if (own->len == LLADDR_EXT_LEN) {
        uint8_t air[8], i;
        for (i = 0; i < 8; i++)
            air[i] = own->addr[7 - i]; /* least significant byte first, as in frames */
        cc2420_set_ext_addr(air);
    } else {
        cc2420_set_short_addr((uint16_t)((own->addr[0] << 8) | own->addr[1]));
    }
    cc2420_set_address_filter(1, 1, 0);
    cc2420_on();
    lpl_init();
    return 0;
}

static int acked(uint8_t seq);

int radio_transmit(const uint8_t *frame, uint8_t len)
{
    if (LPL_TX) /* the receiver may be asleep: repeat the frame through its check period */
        return lpl_transmit(frame, len, acked);
    return cc2420_send(frame, len, 0) == CC2420_OK ? 0 : -1; /* the MAC already did CCA */
}

int radio_channel_clear(void)
{
    if (LPL_TX)
        return lpl_channel_clear();
    lpl_radio_needed(); /* LPL_RX: the radio may be off */
    return cc2420_cca();
}

/* While the MAC waits: ACKs go to it now, other frames wait in `held` for the main loop. */
static uint8_t ack_seen, ack_seq;

static void take_pending(void)
{
    uint8_t buf[CC2420_MAX_MPDU];
    cc2420_rx_info_t info;
    int n;
    while (cc2420_pending()) {
        n = cc2420_read(buf, sizeof buf, &info);
        if (n < 3 || !info.crc_ok) /* a collision or noise: the radio did not acknowledge it either */
            continue;
        if ((buf[0] & 7) == MAC_FRAME_ACK) {
            ack_seen = 1;
            ack_seq = buf[2];
            mac_rx_filter(buf, (uint8_t)n);
        } else if (held_count < HELD_FRAMES) {
            memcpy(held[held_count], buf, (uint8_t)n);
            held_len[held_count++] = (uint8_t)n;
        } else {
            held_lost++; /* already acknowledged by the radio: the upper layers recover */
        }
    }
}

void radio_delay_us(uint16_t us)
{
    /* dec + jnz: 3 MCLK cycles per round; MCLK is the DCO tuned to SKY_DCO_TARGET_HZ. */
    uint16_t rounds = (uint16_t)(((uint32_t)us * (SKY_DCO_TARGET_HZ / 100000u)) / 30u);
    take_pending();
    if (rounds)
        __asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(rounds));
    take_pending();
}

/* LPL: the acknowledgement of `seq` arrived (frames meanwhile go to the MAC or wait in `held`). */
static int acked(uint8_t seq)
{
    ack_seen = 0;
    take_pending();
    return ack_seen && ack_seq == seq;
}

uint32_t radio_cc2420_wakeup(uint32_t at) { return lpl_wakeup(at); }

uint16_t radio_cc2420_held_lost(void) { return held_lost; }

uint8_t radio_cc2420_poll(void)
{
    uint8_t buf[CC2420_MAX_MPDU];
    cc2420_rx_info_t info;
    uint8_t count = 0, len;
    int n;
    while (held_count) {
        len = held_len[0];
        memcpy(buf, held[0], len);
        held_count--;
        memmove(held, held + 1, (uint16_t)held_count * sizeof held[0]);
        memmove(held_len, held_len + 1, held_count);
        if (mac_rx_filter(buf, len)) {
            if (buf[0] & 0x20u)
                lpl_activity();
            mac_input(buf, len);
        }
        count++;
    }
    while ((n = cc2420_read(buf, sizeof buf, &info)) >= 0) {
        if (n >= 3 && info.crc_ok && mac_rx_filter(buf, (uint8_t)n)) {
            if (buf[0] & 0x20u) /* acknowledged: unicast (LPL stays awake for what follows) */
                lpl_activity();
            mac_input(buf, (uint8_t)n);
        }
        count++;
    }
    lpl_poll();
    return count;
}
