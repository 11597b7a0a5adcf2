/*
 * handshake_main.c - the `psk` and `ecc` TinyDTLS profiles: the full TinyDTLS engine (client and
 * server) with TLS_PSK_WITH_AES_128_CCM_8, and with -DDTLS_ECC also
 * TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 with raw public keys - what a sensor would carry if it ran
 * the handshake itself. Datagrams travel over UART1 as frames (2-byte big-endian length, then
 * the datagram), so a host can drive the handshake; at start the mote opens one as client.
 */
#include <stdio.h>
#include <string.h>

#include "tinydtls.h"
#include "dtls.h"

#include "sky.h"
#include "tinydtls_platform.h"

#ifdef DTLS_ECC
#define PROFILE "ecc"
#else
#define PROFILE "psk"
#endif

/* demo credentials of this test app */
static const unsigned char psk_identity[] = {'m', 'o', 't', 'e'};
static const unsigned char psk_key[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                          0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};

static volatile uint16_t rx_len;
static volatile uint16_t rx_fill;
static volatile uint8_t rx_ready;
static uint8_t rx_buf[DTLS_MAX_BUF];

/* UART1 receive interrupt: collect one length-prefixed frame at a time */
static void uart_rx(uint8_t byte)
{
    static uint8_t header;
    if (rx_ready) {
        return; /* main loop has not taken the last frame yet: drop */
    }
    if (header < 2) {
        rx_len = (uint16_t)((rx_len << 8) | byte);
        if (++header == 2) {
            rx_fill = 0;
            if (rx_len == 0 || rx_len > sizeof(rx_buf)) {
                header = 0;
                rx_len = 0;
            }
        }
        return;
    }
    rx_buf[rx_fill++] = byte;
    if (rx_fill == rx_len) {
        rx_ready = 1;
        header = 0;
    }
}

static int send_to_peer(struct dtls_context_t *ctx, session_t *session, uint8 *buf, size_t len)
{
    (void)ctx;
    (void)session;
    sky_uart1_putc((char)(len >> 8));
    sky_uart1_putc((char)len);
    for (size_t i = 0; i < len; i++) {
        sky_uart1_putc((char)buf[i]);
    }
    return (int)len;
}

static int read_from_peer(struct dtls_context_t *ctx, session_t *session, uint8 *buf, size_t len)
{
    /* echo application data back on the same session */
    return dtls_write(ctx, session, buf, len);
}

static int handle_event(struct dtls_context_t *ctx, session_t *session, dtls_alert_level_t level,
                        unsigned short code)
{
    (void)ctx;
    (void)session;
    (void)level;
    if (code == DTLS_EVENT_CONNECTED) {
        sky_leds_on(SKY_LED_GREEN);
    }
    return 0;
}

static int get_psk_info(struct dtls_context_t *ctx, const session_t *session, dtls_credentials_type_t type,
                        const unsigned char *desc, size_t desc_len, unsigned char *result, size_t result_length)
{
    (void)ctx;
    (void)session;
    switch (type) {
    case DTLS_PSK_IDENTITY:
        if (result_length < sizeof(psk_identity)) {
            break;
        }
        memcpy(result, psk_identity, sizeof(psk_identity));
        return sizeof(psk_identity);
    case DTLS_PSK_KEY:
        if (desc_len != sizeof(psk_identity) || memcmp(desc, psk_identity, desc_len) != 0) {
            return dtls_alert_fatal_create(DTLS_ALERT_ILLEGAL_PARAMETER);
        }
        if (result_length < sizeof(psk_key)) {
            break;
        }
        memcpy(result, psk_key, sizeof(psk_key));
        return sizeof(psk_key);
    default:
        return 0; /* no hint */
    }
    return dtls_alert_fatal_create(DTLS_ALERT_INTERNAL_ERROR);
}

#ifdef DTLS_ECC
/* demo identity: private key = SHA-256("esse tinydtls ecc profile key") mod p, secp256r1 */
static const unsigned char ecc_priv[32] = {
    0x40, 0x79, 0xb8, 0xec, 0x9d, 0x62, 0x55, 0xbb, 0x6a, 0x7f, 0x5b, 0x7d, 0x2c, 0x16, 0x08, 0xe9,
    0x94, 0x87, 0x1e, 0x9c, 0x5c, 0x02, 0xae, 0x5d, 0xa3, 0x5e, 0x33, 0x2e, 0x94, 0xb5, 0xc5, 0x96};
static const unsigned char ecc_x[32] = {
    0x68, 0x5e, 0xc6, 0x52, 0xe9, 0xc8, 0x23, 0x53, 0x4f, 0x85, 0x71, 0xc1, 0xad, 0x0a, 0x14, 0x1b,
    0x2c, 0xe5, 0x5a, 0xd6, 0x96, 0x53, 0x9c, 0xa6, 0xfd, 0xe2, 0x66, 0x7a, 0x35, 0x70, 0x5e, 0x21};
static const unsigned char ecc_y[32] = {
    0x67, 0x90, 0xb1, 0xeb, 0xd6, 0x7b, 0x01, 0xe1, 0xdf, 0x03, 0x03, 0x2e, 0x8f, 0x1f, 0xf7, 0xa6,
    0xcb, 0x5f, 0x33, 0x07, 0x7a, 0x05, 0x23, 0xeb, 0x76, 0xf4, 0x75, 0x62, 0x6e, 0x09, 0x01, 0xc1};
static const dtls_ecdsa_key_t ecdsa_key = {DTLS_ECDH_CURVE_SECP256R1, ecc_priv, ecc_x, ecc_y};

/* the peer's raw public key, pinned after the first handshake (trust on first use) */
static unsigned char peer_x[32], peer_y[32];
static uint8_t peer_pinned;

static int get_ecdsa_key(struct dtls_context_t *ctx, const session_t *session, const dtls_ecdsa_key_t **result)
{
    (void)ctx;
    (void)session;
    *result = &ecdsa_key;
    return 0;
}

static int verify_ecdsa_key(struct dtls_context_t *ctx, const session_t *session, const unsigned char *x,
                            const unsigned char *y, size_t key_size)
{
    (void)ctx;
    (void)session;
    if (key_size != sizeof(peer_x)) {
        return dtls_alert_fatal_create(DTLS_ALERT_BAD_CERTIFICATE);
    }
    if (!peer_pinned) {
        memcpy(peer_x, x, key_size);
        memcpy(peer_y, y, key_size);
        peer_pinned = 1;
        return 0;
    }
    if (memcmp(peer_x, x, key_size) != 0 || memcmp(peer_y, y, key_size) != 0) {
        return dtls_alert_fatal_create(DTLS_ALERT_BAD_CERTIFICATE);
    }
    return 0;
}
#endif /* DTLS_ECC */

static dtls_handler_t handlers = {
    .write = send_to_peer,
    .read = read_from_peer,
    .event = handle_event,
    .get_psk_info = get_psk_info,
#ifdef DTLS_ECC
    .get_ecdsa_key = get_ecdsa_key,
    .verify_ecdsa_key = verify_ecdsa_key,
#endif
};

int main(void)
{
    static session_t peer; /* the host at the other end of the UART: fe80::1 port 5684 */

    sky_init();
    dtls_init();
    dtls_context_t *ctx = dtls_new_context(NULL);
    if (ctx == NULL) {
        printf("tinydtls " PROFILE ": no context\n");
        sky_leds_on(SKY_LED_RED);
        for (;;) {
        }
    }
    dtls_set_handler(ctx, &handlers);
    printf("tinydtls " PROFILE ": PRNG seeded, %u of %u entropy samples changed\n",
           tinydtls_prng_entropy_changes(), TINYDTLS_ENTROPY_SAMPLES);
    sky_uart1_set_rx_handler(uart_rx);

    dtls_session_init(&peer);
    peer.addr[0] = 0xfe;
    peer.addr[1] = 0x80;
    peer.addr[15] = 0x01;
    peer.port = (uint16_t)((5684u >> 8) | (5684u << 8)); /* network byte order */
    dtls_connect(ctx, &peer);

    for (;;) {
        if (rx_ready) {
            session_t from = peer;
            dtls_handle_message(ctx, &from, rx_buf, (int)rx_len);
            rx_ready = 0;
        }
        dtls_check_retransmit(ctx, NULL);
    }
}
