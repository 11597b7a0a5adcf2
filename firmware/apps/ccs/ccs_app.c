/* ccs_app.c — see ccs_app.h. */
#include "ccs_app.h"
#include "ccs_sensors.h"
#include "ccs_temperature.h"
#include "coap_client.h"
#include "coap_server.h"
#include "icmp6.h"
#include "ipv6.h"
#include "netplat.h"
#include "netstack.h"

static uint32_t next_rs;

/* Decimal text of v; returns its length. */
static uint16_t put_decimal(uint8_t *out, uint16_t max, uint16_t v)
{
    uint8_t tmp[5];
    uint16_t n = 0, i;
    do {
        tmp[n++] = (uint8_t)('0' + v % 10u);
        v /= 10u;
    } while (v);
    if (n > max)
        return 0;
    for (i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

static void reply_number(coap_response_t *resp, uint16_t v)
{
    resp->content_format = COAP_FORMAT_TEXT;
    resp->payload_len = put_decimal(resp->payload, resp->payload_max, v);
}

static void get_temperature(const coap_msg_t *req, coap_response_t *resp)
{
    (void)req;
    resp->content_format = COAP_FORMAT_TEXT; /* "23.5 C" */
    resp->payload_len =
        ccs_temperature_text(ccs_sensor_temperature_raw(), resp->payload, resp->payload_max);
}

static void get_light(const coap_msg_t *req, coap_response_t *resp)
{
    (void)req;
    reply_number(resp, ccs_sensor_light_raw());
}

static void leds(const coap_msg_t *req, coap_response_t *resp)
{
    if (req->code == COAP_PUT) {
        const coap_option_t *cf = coap_find_option(req, COAP_OPT_CONTENT_FORMAT, 0);
        if (cf && coap_option_uint(cf) != COAP_FORMAT_TEXT) {
            resp->code = COAP_UNSUPPORTED_FORMAT;
            return;
        }
        if (req->payload_len != 1 || req->payload[0] < '0' || req->payload[0] > '7') {
            resp->code = COAP_BAD_REQUEST;
            return;
        }
        ccs_leds_set((uint8_t)(req->payload[0] - '0'));
        return; /* 2.04 Changed, no payload */
    }
    reply_number(resp, ccs_leds_get());
}

static const coap_resource_t resources[] = {
    {"sensors/temperature", ";rt=\"temperature\";if=\"core.s\";ct=0", COAP_METHOD_BIT(COAP_GET), get_temperature},
    {"sensors/light", ";rt=\"light\";if=\"core.s\";ct=0", COAP_METHOD_BIT(COAP_GET), get_light},
    {"actuators/leds", ";rt=\"leds\";if=\"core.a\";ct=0", COAP_METHOD_BIT(COAP_GET) | COAP_METHOD_BIT(COAP_PUT),
     leds},
};

const coap_resource_t *ccs_app_resources(uint8_t *n)
{
    *n = (uint8_t)(sizeof resources / sizeof resources[0]);
    return resources;
}

void ccs_app_init(uint16_t node_id)
{
    netstack_init(node_id);
    ccs_sensors_init();
#ifndef CCS_NO_PLAIN_COAP /* the full-handshake baseline serves CoAP inside DTLS only: 1.6 KB less */
    coap_server_init(resources, sizeof resources / sizeof resources[0]);
#endif
#ifndef CCS_NO_COAP_CLIENT /* the full-handshake baseline (ccs_full) sends no requests: 0.9 KB less */
    coap_client_init();
#endif
    next_rs = netplat_clock_ms();
}

void ccs_app_periodic(void)
{
    uint32_t now = netplat_clock_ms();
    netstack_periodic();
#ifndef CCS_NO_COAP_CLIENT
    coap_client_periodic();
#endif
    if (!ipv6_has_prefix() && netplat_time_reached(now, next_rs)) {
        icmp6_send_rs();
        next_rs = now + CCS_RS_INTERVAL_MS;
    }
}
