/*
 * ccs_app.h — the constrained CoAP sensor (CCS) application, independent of the link it runs on.
 *
 * Resources (CoAP on UDP 5683):
 *   GET /sensors/temperature  the F1611's internal diode in degrees Celsius, one decimal and the unit,
 *                             text/plain: "23.5 C", "-3.2 C" (ccs_temperature.h)
 *   GET /sensors/light        raw ADC12 reading of the light channel (0..4095), text/plain decimal
 *   GET /actuators/leds       LED bitmask "0".."7" (1 red, 2 green, 4 blue)
 *   PUT /actuators/leds       payload "0".."7" sets the LEDs (2.04); anything else 4.00
 *   GET /.well-known/core     the list above in link-format
 * Until a Router Advertisement brought the prefix, the app sends a Router Solicitation every
 * CCS_RS_INTERVAL_MS.
 */
#ifndef CCS_APP_H
#define CCS_APP_H

#include <stdint.h>

#include "coap_server.h"

#ifndef CCS_RS_INTERVAL_MS
#define CCS_RS_INTERVAL_MS 4000u
#endif

/* netstack_init(node_id), sensors, CoAP server and client. The caller then picks the link:
 * ipv6_set_output(ipv6_radio_output) with a MAC, or slipif_init + ipv6_set_output(slipif_output)
 * for a CCS attached to the host bridge by its UART. */
void ccs_app_init(uint16_t node_id);
void ccs_app_periodic(void);
/* The resource table (also served inside DTLS by ccs_coaps.c); *n its length. */
const coap_resource_t *ccs_app_resources(uint8_t *n);

#endif
