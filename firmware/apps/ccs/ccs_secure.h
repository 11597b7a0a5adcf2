/*
 * ccs_secure.h — the ESSE side of the CCS: the SSM endpoint on UDP CCS_SSM_PORT (docs/protocol.md).
 *
 *  - KEY_MATERIAL (from the SSM, opened with PSK_DN from the information flash): the session is
 *    installed in the record layer, the accepted counter is written to the information flash, and only
 *    then KEY_ACK goes out (a reboot can never bring back a counter that was acknowledged).
 *  - RELAY: DTLS records of an installed session. Application data is CoAP (ccs_coaps.h) answered in
 *    one record; an epoch-1 handshake record (retransmitted client Finished) goes back in HANDBACK;
 *    close_notify is answered with close_notify, a fatal alert ends the session; both are reported to
 *    the SSM with ERROR session-closed so it frees its relay row. A record for an unknown session gets
 *    ERROR unknown-session.
 *  - ERROR from the SSM: the named session is wiped.
 *  - CCS_MAX_SESSIONS sessions at once; a new one evicts the least recently used: close_notify to its
 *    client, ERROR session-closed to the SSM.
 * Own counters (KEY_ACK, ERROR) are reserved CCS_TX_RESERVE ahead in the information flash.
 */
#ifndef CCS_SECURE_H
#define CCS_SECURE_H

#include <stdint.h>

#ifndef CCS_SSM_PORT
#define CCS_SSM_PORT 61617u
#endif
#ifndef CCS_MAX_SESSIONS
#define CCS_MAX_SESSIONS 4u
#endif
#ifndef CCS_TX_RESERVE
#define CCS_TX_RESERVE 64u
#endif
#ifndef CCS_RX_MAX
#define CCS_RX_MAX 320u /* largest SSM frame handled (bigger are dropped and counted) */
#endif

typedef struct {
    uint16_t km_installed, km_duplicate, km_rejected, acks, records_in, records_out, record_errors,
        handbacks, alerts_in, closed, evicted, errors_sent, errors_in, unknown_session, dropped, flash_writes;
} ccs_secure_stats_t;

/* Read the identity and counters from the information flash and bind CCS_SSM_PORT. Returns 0, or -1
 * when no PSK_DN is provisioned (the CCS then serves only plain CoAP). */
int ccs_secure_init(void);
/* Reseed the random generator and the CoAP message ids from a PRF of PSK_DN and the stored counters
 * (RFC 7252 4.4: not the last boot's ids). Call once the radio is up (ESSE_AES_SAES); no-op without
 * PSK_DN. */
void ccs_secure_reseed(void);
const ccs_secure_stats_t *ccs_secure_stats(void);
/* Sessions installed now. */
uint8_t ccs_secure_sessions(void);

#ifndef CCS_MGMT_PORT
#define CCS_MGMT_PORT 61618u /* plain UDP, the operator's trigger for outbound sessions */
#endif

/* Outbound (paper 5.2): `req` asks this CCS to have its SSM handshake with a server, then to send a
 * CoAP request there inside the handed-over session (PUT: its temperature) and print the answer on
 * UART1 ("ccs: outbound answer 2.04 '...'"). The request arrives on UDP CCS_MGMT_PORT (answered with
 * one byte, 0 = started):
 *   ssm address (16) | ssm port (2) | server address length (1: 4 or 16) | server address |
 *   server port (2) | identity length (1) | identity | method (1: 1 GET, 3 PUT) | Uri-Path ("a/b")
 * Returns 0 once DELEGATE is sent, -1 on a malformed request or without PSK_DN. */
int ccs_secure_outbound(const uint8_t *req, uint16_t len);

#endif
