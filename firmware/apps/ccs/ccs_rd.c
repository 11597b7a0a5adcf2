/* ccs_rd.c — see ccs_rd.h. */
#include <stdio.h>
#include <string.h>

#include "ccs_boot.h"
#include "ccs_rd.h"
#include "coap_client.h"
#include "ipv6.h"
#include "netplat.h"

int ccs_host_address(uint8_t out[16])
{
    static const uint8_t iid[6] = {0x00, 0x00, 0x00, 0xFFu, 0xFEu, 0x00};
    if (!ipv6_has_prefix())
        return -1;
    memcpy(out, ipv6_prefix(), 8);
    memcpy(out + 8, iid, sizeof iid);
    out[14] = (uint8_t)(CCS_BOOT_HOST >> 8);
    out[15] = (uint8_t)CCS_BOOT_HOST;
    return 0;
}

#if CCS_RD
static char query[24]; /* "ep=mote65535&lt=65535" */
static uint8_t active, busy;
static uint32_t next_at;
static ccs_rd_stats_t stats;

const ccs_rd_stats_t *ccs_rd_stats(void) { return &stats; }

static uint8_t put_u16(char *out, uint16_t v)
{
    char tmp[5];
    uint8_t n = 0, i;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    for (i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

static void answered(int status, const coap_msg_t *resp, void *ctx)
{
    uint32_t now = netplat_clock_ms();
    (void)ctx;
    busy = 0;
    if (status == COAP_CLIENT_OK && (resp->code == COAP_CHANGED || resp->code == COAP_CREATED)) {
        stats.registered++;
        next_at = now + (uint32_t)CCS_RD_REFRESH_S * 1000u;
        printf("ccs: rd registered (lt %u)\n", CCS_RD_LIFETIME_S);
        return;
    }
    stats.failed++;
    next_at = now + (uint32_t)CCS_RD_RETRY_S * 1000u;
    printf("ccs: rd failed %d.%02u\n", status == COAP_CLIENT_OK ? resp->code >> 5 : status,
           status == COAP_CLIENT_OK ? resp->code & 31u : 0u);
}

void ccs_rd_start(uint16_t node_id)
{
    static const char ep[] = "ep=mote", lt[] = "&lt=";
    uint8_t n = 0, i;
    for (i = 0; ep[i]; i++)
        query[n++] = ep[i];
    n = (uint8_t)(n + put_u16(query + n, node_id));
    for (i = 0; lt[i]; i++)
        query[n++] = lt[i];
    n = (uint8_t)(n + put_u16(query + n, CCS_RD_LIFETIME_S));
    query[n] = 0;
    active = 1;
    next_at = netplat_clock_ms();
}

void ccs_rd_periodic(void)
{
    uint8_t host[16];
    if (!active || busy || !netplat_time_reached(netplat_clock_ms(), next_at) || ccs_host_address(host) != 0)
        return;
    if (coap_client_request(host, CCS_RD_PORT, 1, COAP_POST, ".well-known/rd", query, COAP_FORMAT_NONE, 0, 0, answered,
                            0) >= 0)
        busy = 1;
    else
        next_at = netplat_clock_ms() + 1000u;
}

#endif /* CCS_RD */
