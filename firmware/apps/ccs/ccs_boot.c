/* ccs_boot.c — see ccs_boot.h. */
#include <stdio.h>
#include <string.h>

#include "bootstrap.h"
#include "ccs_boot.h"
#include "ccs_rd.h"
#include "esse_util.h"
#include "infomem.h"
#include "ipv6.h"
#include "netplat.h"
#include "udp.h"

#if CCS_BOOTSTRAP

/* RUN: requesting; CONFIRMING: PSK_DN stored, BOOT_CONFIRM repeated until its BOOT_ACK; ACKED: done */
enum { BOOT_OFF, BOOT_RUN, BOOT_CONFIRMING, BOOT_ACKED };

static esse_boot_t boot; /* 188 B, wiped once the controller acknowledged PSK_DN */
static uint8_t state, tries, fresh, requests, confirms, resumed;
static uint8_t req[ESSE_BOOT_REQUEST_LEN];
/* what segment B stores beside PSK_DN: the BOOT_CONFIRM sent, then the BOOT_ACK expected back */
static struct {
    uint8_t confirm[ESSE_BOOT_CONFIRM_LEN];
    uint8_t ack[ESSE_BOOT_ACK_LEN];
} pending;
_Static_assert(sizeof pending == ESSE_INFO_PENDING_LEN, "pending: confirm | ack, no padding");
static uint8_t ctl_addr[16];
static uint16_t ctl_port;
static uint32_t next_at, started;

/* The contract of bootstrap.h: segment B with the new PSK_DN, written so that a reset leaves the old
 * or the new identity (infomem_write_identity journals it through segment A). */
int esse_bootstrap_store_psk(const uint8_t psk_dn[ESSE_AES128_KEY], const uint8_t pend[ESSE_INFO_PENDING_LEN])
{
    uint8_t seg[ESSE_INFO_SEGMENT_SIZE];
    int rc;
    memcpy(seg, (const void *)(uintptr_t)ESSE_INFO_SEGMENT_B, sizeof seg);
    rc = esse_boot_segment_b_set_psk(seg, psk_dn, pend);
    if (rc == ESSE_BOOT_OK)
        rc = infomem_write_identity(seg) == 0 ? 0 : -1;
    esse_wipe(seg, sizeof seg);
    return rc;
}

static void send_confirm(void)
{
    udp_send(ctl_addr, ctl_port, CCS_BOOT_PORT, pending.confirm, ESSE_BOOT_CONFIRM_LEN);
    confirms++;
    next_at = netplat_clock_ms() + CCS_BOOT_RETRY_MS;
}

static void on_ack(const uint8_t *data, uint16_t len)
{
    int rc = esse_boot_ack_match(pending.ack, data, len);
    if (rc != ESSE_BOOT_OK) {
        printf("ccs: BOOT_ACK refused (%d)\n", rc); /* forged or old: keep confirming */
        return;
    }
    esse_boot_wipe(&boot);
    state = resumed ? BOOT_OFF : BOOT_ACKED; /* resumed: the SSM side runs since the boot */
    udp_unbind(CCS_BOOT_PORT);
    printf("ccs: bootstrapped in %lu ms (%u requests, %u confirms)\n",
           (unsigned long)(netplat_clock_ms() - started), requests, confirms);
}

static void boot_input(const uint8_t src[16], uint16_t sport, uint16_t dport, const uint8_t *data, uint16_t len)
{
    uint8_t psk[ESSE_AES128_KEY];
    int n;
    (void)dport;
    if ((state != BOOT_RUN && state != BOOT_CONFIRMING) || len < 1)
        return;
    if (data[0] == ESSE_BOOT_ERROR) { /* advisory: next time a fresh RN_d (also while confirming: the
                                         controller lost the transaction, so start over) */
        printf("ccs: bootstrap refused (code %u)\n", len >= 4 ? data[3] : 0u);
        fresh = 1;
        resumed = 0;
        state = BOOT_RUN;
        return;
    }
    if (state == BOOT_CONFIRMING) {
        on_ack(data, len);
        return;
    }
    n = esse_boot_accept(&boot, data, len, psk, pending.confirm, ESSE_BOOT_CONFIRM_LEN);
    if (n < 0)
        return; /* not for our pending request: ignored, the request stays pending */
    if (esse_boot_expect_ack(psk, data, len, pending.ack) < 0 || esse_bootstrap_store_psk(psk, (const uint8_t *)&pending) != 0) {
        printf("ccs: PSK_DN store failed\n");
        fresh = 1;
    } else {
        memcpy(ctl_addr, src, sizeof ctl_addr);
        ctl_port = sport;
        confirms = 0;
        state = BOOT_CONFIRMING;
        send_confirm(); /* only after the key is durable */
        printf("ccs: PSK_DN stored, confirming\n");
    }
    esse_wipe(psk, sizeof psk);
}

int ccs_boot_init(uint16_t node_id)
{
    infomem_identity_t id;
    infomem_counters_t c;
    const uint8_t *stored = (const uint8_t *)(uintptr_t)(ESSE_INFO_SEGMENT_B + ESSE_INFO_PENDING_OFFSET);
    uint8_t ik[INFOMEM_KEY_LEN];
    if (infomem_recover() > 0)
        printf("ccs: finished an interrupted identity write\n");
    if (infomem_read_identity(&id) == 0 && id.has_psk_dn) {
        esse_wipe(id.psk_dn, sizeof id.psk_dn);
        /* A reset between storing PSK_DN and its BOOT_ACK: the confirmation stored with the key goes
         * out again while no SSM message was accepted under that key (counters fresh), since the
         * controller may never have seen it; it acknowledges a repeated confirmation however late. */
        infomem_read_counters(&c, 0);
        if (stored[0] != ESSE_BOOT_CONFIRM || c.rx_counter || c.tx_mark || infomem_read_ik(ik) != 0)
            return 0;
        memcpy(&pending, stored, sizeof pending);
        resumed = 1;
        state = BOOT_CONFIRMING; /* ctl_port 0: the controller's address once the prefix is there */
        printf("ccs: confirming again (reset before BOOT_ACK)\n");
    } else if (infomem_read_ik(ik) != 0) {
        return -1;
    } else {
        state = BOOT_RUN;
    }
    esse_boot_init(&boot, ik, node_id); /* resumed too: a BOOT_ERROR starts a fresh bootstrap */
    esse_wipe(ik, sizeof ik);
    udp_bind(CCS_BOOT_PORT, boot_input);
    fresh = 1;
    next_at = netplat_clock_ms();
    return resumed ? 0 : 1;
}

int ccs_boot_periodic(void)
{
    uint8_t host[16], rn[ESSE_BOOT_RN_LEN], i;
    uint32_t now = netplat_clock_ms();
    if (state == BOOT_ACKED) {
        state = BOOT_OFF;
        return 1;
    }
    if (state == BOOT_CONFIRMING) {
        if (!ctl_port) { /* resumed after a reset */
            if (ccs_host_address(ctl_addr) != 0)
                return 0;
            ctl_port = CCS_BOOT_CONTROLLER_PORT;
        }
        if (netplat_time_reached(now, next_at))
            send_confirm(); /* no BOOT_ACK yet: the confirmation or the ACK was lost */
        return 0;
    }
    if (state != BOOT_RUN || !netplat_time_reached(now, next_at) || ccs_host_address(host) != 0)
        return 0;
    if (fresh || tries >= CCS_BOOT_TRIES) {
        for (i = 0; i < ESSE_BOOT_RN_LEN; i += 2) {
            uint16_t r = netplat_random16();
            rn[i] = (uint8_t)r;
            rn[i + 1] = (uint8_t)(r >> 8);
        }
        if (esse_boot_request(&boot, rn, req, sizeof req) < 0)
            return 0;
        if (!requests)
            started = now;
        requests++;
        tries = 0;
        fresh = 0;
        printf("ccs: bootstrap request %u\n", requests);
    }
    udp_send(host, CCS_BOOT_CONTROLLER_PORT, CCS_BOOT_PORT, req, sizeof req);
    tries++;
    next_at = now + CCS_BOOT_RETRY_MS;
    return 0;
}

#endif /* CCS_BOOTSTRAP */
