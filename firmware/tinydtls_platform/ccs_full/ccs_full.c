/*
 * ccs_full.c - the baseline ESSE is compared against: the constrained CoAP sensor of firmware/apps/ccs
 * (same network stack, same resources) running the whole DTLS 1.2 handshake itself with TinyDTLS,
 * as a DTLS server on UDP CCS_FULL_DTLS_PORT over 6LoWPAN. CoAP requests inside the records are
 * answered by ccs_coaps.c, like the ESSE CCS answers relayed records.
 *
 *   ccs-full-psk   TLS_PSK_WITH_AES_128_CCM_8 (RFC 6655)
 *   ccs-full-ecc   TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (RFC 7251) with raw public keys (RFC 7250)
 *
 * No SSM client, no information flash, no bootstrapping: what the sensor needs when it does the
 * handshake on its own. Credentials are build-time demo values (ccs_full.h).
 */
#include <stdio.h>
#include <string.h>

#include "tinydtls.h"
#include "dtls.h"

#include "ccs_app.h"
#include "ccs_coaps.h"
#include "ccs_full.h"
#include "energest.h"
#include "ipv6.h"
#include "mac802154.h"
#include "radio_cc2420.h"
#include "sky.h"
#include "tinydtls_platform.h"
#include "udp.h"

#define TICK (SKY_CLOCK_HZ / 16u) /* 62.5 ms: RS, reassembly and DTLS retransmission timers */

static dtls_context_t *ctx;
/* a CoAP answer is one 32-byte Block2 block plus header, token and options */
static uint8_t answer[CCS_BLOCK_SIZE + 48u];

static int send_to_peer(struct dtls_context_t *c, session_t *session, uint8 *buf, size_t len)
{
    (void)c;
    uint16_t port = (uint16_t)((session->port >> 8) | (session->port << 8));
    if (udp_send(session->addr, port, CCS_FULL_DTLS_PORT, buf, (uint16_t)len) < 0)
        return -1;
    return (int)len;
}

static int read_from_peer(struct dtls_context_t *c, session_t *session, uint8 *buf, size_t len)
{
    int n = ccs_coaps_answer(buf, (uint16_t)len, answer, sizeof answer);
    if (n > 0)
        dtls_write(c, session, answer, (size_t)n);
    return 0;
}

static int handle_event(struct dtls_context_t *c, session_t *session, dtls_alert_level_t level,
                        unsigned short code)
{
    (void)c;
    (void)session;
    if (code == DTLS_EVENT_CONNECTED)
        printf("ccs-full " CCS_FULL_PROFILE ": handshake done at %lu ticks\n", (unsigned long)sky_clock_ticks());
    else if (level == DTLS_ALERT_LEVEL_FATAL)
        printf("ccs-full " CCS_FULL_PROFILE ": fatal alert %u\n", code);
    return 0;
}

/* Only the suite this baseline stands for: the client cannot pick another. */
static void user_parameters(struct dtls_context_t *c, session_t *session, dtls_user_parameters_t *p)
{
    (void)c;
    (void)session;
    p->cipher_suites[0] = CCS_FULL_SUITE;
    p->cipher_suites[1] = TLS_NULL_WITH_NULL_NULL;
}

#ifdef DTLS_PSK
static int get_psk_info(struct dtls_context_t *c, const session_t *session, dtls_credentials_type_t type,
                        const unsigned char *desc, size_t desc_len, unsigned char *result, size_t result_length)
{
    (void)c;
    (void)session;
    if (type != DTLS_PSK_KEY)
        return 0; /* no identity hint */
    if (desc_len != sizeof(CCS_FULL_PSK_IDENTITY) - 1u || memcmp(desc, CCS_FULL_PSK_IDENTITY, desc_len) != 0)
        return dtls_alert_fatal_create(DTLS_ALERT_ILLEGAL_PARAMETER);
    if (result_length < sizeof(CCS_FULL_PSK_KEY) - 1u)
        return dtls_alert_fatal_create(DTLS_ALERT_INTERNAL_ERROR);
    memcpy(result, CCS_FULL_PSK_KEY, sizeof(CCS_FULL_PSK_KEY) - 1u);
    return (int)(sizeof(CCS_FULL_PSK_KEY) - 1u);
}
#endif

#ifdef DTLS_ECC
static const unsigned char ecc_priv[32] = {CCS_FULL_ECC_PRIV};
static const unsigned char ecc_x[32] = {CCS_FULL_ECC_X};
static const unsigned char ecc_y[32] = {CCS_FULL_ECC_Y};
static const dtls_ecdsa_key_t ecdsa_key = {DTLS_ECDH_CURVE_SECP256R1, ecc_priv, ecc_x, ecc_y};
static const unsigned char client_x[32] = {CCS_FULL_CLIENT_X};
static const unsigned char client_y[32] = {CCS_FULL_CLIENT_Y};

static int get_ecdsa_key(struct dtls_context_t *c, const session_t *session, const dtls_ecdsa_key_t **result)
{
    (void)c;
    (void)session;
    *result = &ecdsa_key;
    return 0;
}

/* The one client key this sensor trusts (its raw public key, RFC 7250). */
static int verify_ecdsa_key(struct dtls_context_t *c, const session_t *session, const unsigned char *x,
                            const unsigned char *y, size_t key_size)
{
    (void)c;
    (void)session;
    if (key_size != sizeof client_x || memcmp(x, client_x, key_size) != 0 || memcmp(y, client_y, key_size) != 0)
        return dtls_alert_fatal_create(DTLS_ALERT_BAD_CERTIFICATE);
    return 0;
}
#endif

static dtls_handler_t handlers = {
    .write = send_to_peer,
    .read = read_from_peer,
    .event = handle_event,
    .get_user_parameters = user_parameters,
#ifdef DTLS_PSK
    .get_psk_info = get_psk_info,
#endif
#ifdef DTLS_ECC
    .get_ecdsa_key = get_ecdsa_key,
    .verify_ecdsa_key = verify_ecdsa_key,
#endif
};

static void dtls_input(const uint8_t src[16], uint16_t src_port, uint16_t dst_port, const uint8_t *data,
                       uint16_t len)
{
    session_t from;
    (void)dst_port;
    dtls_session_init(&from);
    memcpy(from.addr, src, sizeof from.addr);
    from.port = (uint16_t)((src_port >> 8) | (src_port << 8)); /* network byte order */
    /* the datagram stays ours until we return; TinyDTLS works on it in place */
    dtls_handle_message(ctx, &from, (uint8 *)data, (int)len);
}

int main(void)
{
    lladdr_t own;
    int rc;
    uint16_t node = sky_node_id();
    sky_init();
    dtls_init();
    ctx = dtls_new_context(NULL); /* seeds the PRNG from ADC12 noise: before the sensors take the ADC */
    ccs_app_init(node);
    ipv6_lladdr_from_node_id(node, &own); /* short address = node id */
    mac_init(NET_PAN_ID, &own);
    rc = radio_cc2420_init(NET_PAN_ID, &own);
    if (ctx == NULL || rc != 0 || udp_bind(CCS_FULL_DTLS_PORT, dtls_input) != 0) {
        printf("ccs-full " CCS_FULL_PROFILE " %u: init failed (radio %d)\n", node, rc);
        sky_leds_on(SKY_LED_RED);
        for (;;) {
        }
    }
    dtls_set_handler(ctx, &handlers);
    ipv6_set_output(ipv6_radio_output);
    printf("ccs-full " CCS_FULL_PROFILE " %u up, DTLS on %u, %u of %u entropy samples changed\n", node,
           CCS_FULL_DTLS_PORT, tinydtls_prng_entropy_changes(), TINYDTLS_ENTROPY_SAMPLES);
    for (;;) {
        radio_cc2420_poll();
        ccs_app_periodic();
        dtls_check_retransmit(ctx, NULL);
        energest_periodic(); /* ENERGEST_PERIOD_S (build define; 0 = off) */
        sky_clock_set_alarm(radio_cc2420_wakeup(sky_clock_ticks() + TICK)); /* LPL checks */
        sky_sleep(SKY_LPM3);
    }
}
