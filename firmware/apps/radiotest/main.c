/*
 * radiotest - a two-mote CC2420 test (firmware/dev/cc2420.h).
 *
 * Every node: channel 26, PAN 0x22AB, short address = node id, address recognition + auto-ack on,
 * radio listening. Node 1 also sends a 50-byte data frame (9-byte header + 41 payload bytes, FCS
 * added by the radio) to node 2 every RT_PERIOD_MS. Output on UART1, one line per event:
 *   "radiotest node=N ready"
 *   "TX seq=S dst=D len=50 rc=R acked=A sfd=T"   (T: SFD pulse in Timer_B/SMCLK ticks)
 *   "RX len=L crc=C rssi=R corr=Q seq=S src=A sum=XXXX sfd=T"  (sum: Fletcher-16 of the MPDU)
 *   "ACK seq=S"                                    (an acknowledgement frame not waited for)
 * Commands on UART1 (lines): "send D" (to short address D, ack requested unless D = 65535),
 * "bcast", "chan N", "period MS" (0: only on command), "filter 0|1", "hold 0|1" (stop/resume reading
 * the RXFIFO), "on", "off", "stats". Each command is answered with "OK <command>".
 */
#include <stdio.h>
#include <string.h>

#include "cc2420.h"
#include "irq.h"
#include "sky.h"

#define RT_CHANNEL 26
#define RT_PAN 0x22ABu
#define RT_HEADER 9u
#define RT_MPDU 50u
#ifndef RT_PERIOD_MS
#define RT_PERIOD_MS 1000u
#endif

static uint8_t seq;
static uint32_t period_ticks;
static uint8_t frame[CC2420_MAX_MPDU];

/* ---- UART line input (filled by the USART1 RX interrupt) */
static volatile char line_buf[32];
static volatile uint8_t line_len;
static volatile uint8_t line_ready;

static void uart_rx(uint8_t c)
{
    if (line_ready)
        return; /* previous line not taken yet */
    if (c == '\n' || c == '\r') {
        if (line_len)
            line_ready = 1;
    } else if (line_len < sizeof line_buf - 1) {
        line_buf[line_len++] = (char)c;
    }
}

static uint16_t fletcher16(const uint8_t *p, uint8_t n)
{
    uint16_t a = 0, b = 0;
    while (n--) {
        a = (uint16_t)((a + *p++) % 255u);
        b = (uint16_t)((b + a) % 255u);
    }
    return (uint16_t)(b << 8 | a);
}

static unsigned parse_uint(const char *s)
{
    unsigned v = 0;
    while (*s == ' ')
        s++;
    while (*s >= '0' && *s <= '9')
        v = v * 10u + (unsigned)(*s++ - '0');
    return v;
}

static void print_frame(const uint8_t *f, int n, const cc2420_rx_info_t *info)
{
    if (n >= 3 && (f[0] & 7u) == 2u) {
        printf("ACK seq=%u\n", f[2]);
        return;
    }
    unsigned src = n >= 9 ? (unsigned)(f[7] | f[8] << 8) : 0u;
    printf("RX len=%d crc=%u rssi=%d corr=%u seq=%u src=%u sum=%04x sfd=%u\n", n, info->crc_ok,
           info->rssi_dbm, info->corr, n >= 3 ? f[2] : 0u, src, fletcher16(f, (uint8_t)n),
           info->sfd_ticks);
}

/* Wait up to ~2 ms for the acknowledgement of `s`; other frames are printed. */
static int wait_ack(uint8_t s)
{
    uint8_t buf[CC2420_MAX_MPDU];
    cc2420_rx_info_t info;
    uint32_t t0 = sky_clock_ticks();
    while (sky_clock_ticks() - t0 < SKY_CLOCK_HZ / 500) {
        int n = cc2420_read(buf, sizeof buf, &info);
        if (n < 0)
            continue;
        if (n == 3 && (buf[0] & 7u) == 2u && buf[2] == s && info.crc_ok)
            return 1;
        print_frame(buf, n, &info);
    }
    return 0;
}

static void send_to(uint16_t dst)
{
    int ack = dst != 0xFFFFu;
    uint16_t fcf = 0x0001u | 0x0040u | 0x0800u | 0x8000u | (ack ? 0x0020u : 0u);
    uint16_t me = sky_node_id();
    uint8_t s = seq++;
    frame[0] = (uint8_t)fcf;
    frame[1] = (uint8_t)(fcf >> 8);
    frame[2] = s;
    frame[3] = (uint8_t)RT_PAN;
    frame[4] = (uint8_t)(RT_PAN >> 8);
    frame[5] = (uint8_t)dst;
    frame[6] = (uint8_t)(dst >> 8);
    frame[7] = (uint8_t)me;
    frame[8] = (uint8_t)(me >> 8);
    for (uint8_t i = RT_HEADER; i < RT_MPDU; i++)
        frame[i] = (uint8_t)(s + i * 7u);
    int rc = cc2420_send(frame, RT_MPDU, 1);
    uint16_t rise, fall;
    cc2420_last_tx_sfd(&rise, &fall);
    int acked = (rc == CC2420_OK && ack) ? wait_ack(s) : 0;
    printf("TX seq=%u dst=%u len=%u rc=%d acked=%d sfd=%u\n", s, dst, RT_MPDU, rc, acked,
           (uint16_t)(fall - rise));
}

static void command(const char *c)
{
    if (!strncmp(c, "send", 4))
        send_to((uint16_t)parse_uint(c + 4));
    else if (!strcmp(c, "bcast"))
        send_to(0xFFFFu);
    else if (!strncmp(c, "chan", 4))
        cc2420_set_channel((uint8_t)parse_uint(c + 4));
    else if (!strncmp(c, "period", 6))
        period_ticks = (uint32_t)parse_uint(c + 6) * SKY_CLOCK_HZ / 1000u;
    else if (!strncmp(c, "filter", 6))
        cc2420_set_address_filter(parse_uint(c + 6) != 0, 1, 0);
    else if (!strncmp(c, "hold", 4))
        cc2420_rx_pause(parse_uint(c + 4) != 0);
    else if (!strcmp(c, "on"))
        cc2420_on();
    else if (!strcmp(c, "off"))
        cc2420_off();
    else if (!strcmp(c, "stats"))
        printf("STATS dropped=%u chan=%u\n", cc2420_rx_dropped(), cc2420_get_channel());
    else {
        printf("ERR unknown command '%s'\n", c);
        return;
    }
    printf("OK %s\n", c);
}

int main(void)
{
    sky_init();
    sky_uart1_set_rx_handler(uart_rx);
    uint16_t me = sky_node_id();
    int rc = cc2420_init();
    if (rc != CC2420_OK) {
        printf("radiotest node=%u cc2420_init failed rc=%d\n", me, rc);
        for (;;) {
        }
    }
    cc2420_set_channel(RT_CHANNEL);
    cc2420_set_pan_id(RT_PAN);
    cc2420_set_short_addr(me);
    uint8_t ext[8] = {(uint8_t)me, (uint8_t)(me >> 8), 0, 0, 0, 0x74, 0x12, 0x00};
    cc2420_set_ext_addr(ext);
    cc2420_set_address_filter(1, 1, 0);
    cc2420_on();
    period_ticks = me == 1 ? (uint32_t)RT_PERIOD_MS * SKY_CLOCK_HZ / 1000u : 0;
    printf("radiotest node=%u ready\n", me);

    uint8_t buf[CC2420_MAX_MPDU];
    cc2420_rx_info_t info;
    uint32_t next = sky_clock_ticks() + period_ticks;
    for (;;) {
        if (line_ready) {
            char cmd[sizeof line_buf];
            uint8_t n = line_len;
            for (uint8_t i = 0; i < n; i++)
                cmd[i] = line_buf[i];
            cmd[n] = 0;
            line_len = 0;
            line_ready = 0;
            command(cmd);
            next = sky_clock_ticks() + period_ticks;
        }
        int n = cc2420_read(buf, sizeof buf, &info);
        if (n >= 0)
            print_frame(buf, n, &info);
        if (period_ticks && (int32_t)(sky_clock_ticks() - next) >= 0) {
            next += period_ticks;
            send_to(2);
        }
    }
}
