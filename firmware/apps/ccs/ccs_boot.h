/*
 * ccs_boot.h — the CCS bootstraps itself (docs/bootstrap.md): a mote whose information flash holds
 * IK_d but no PSK_DN sends BOOT_REQUEST to the controller at [PREFIX::ff:fe00:CCS_BOOT_HOST]:
 * CCS_BOOT_CONTROLLER_PORT once it has the prefix, checks BOOT_RESPONSE, stores PSK_DN in segment B
 * (esse_bootstrap_store_psk: journalled, durable before the confirmation leaves), sends BOOT_CONFIRM
 * every CCS_BOOT_RETRY_MS until the controller's BOOT_ACK (MAC under PSK_DN) arrives, and only then
 * starts the SSM side (ccs_secure_init) and the RD registration (ccs_rd.h).
 * No answer within CCS_BOOT_RETRY_MS: the same request again (the controller answers a retransmission
 * with the same response); after CCS_BOOT_TRIES, or on a BOOT_ERROR (also one answering a confirmation
 * the controller lost), a new request with a fresh RN_d.
 * PSK_DN is stored together with BOOT_CONFIRM and the BOOT_ACK expected for it (segment B 0x28): after
 * a reset before the ACK the mote confirms again at boot, as long as no SSM message was accepted under
 * the new key (its counters are fresh), running the SSM side meanwhile.
 * UART1: "ccs: bootstrap request N", "ccs: PSK_DN stored, confirming",
 * "ccs: confirming again (reset before BOOT_ACK)", "ccs: bootstrapped in T ms (R requests, C confirms)".
 */
#ifndef CCS_BOOT_H
#define CCS_BOOT_H

#include <stdint.h>

#ifndef CCS_BOOT_PORT
#define CCS_BOOT_PORT 61619u /* the mote's port (0xF0B3: UDP NHC carries both ports in one byte) */
#endif
#ifndef CCS_BOOT_CONTROLLER_PORT
#define CCS_BOOT_CONTROLLER_PORT 61619u /* the controller's port on the host */
#endif
#ifndef CCS_BOOT_HOST
#define CCS_BOOT_HOST 1u /* node id whose global address the host (SSM) uses: the border router */
#endif
#ifndef CCS_BOOT_RETRY_MS
#define CCS_BOOT_RETRY_MS 3000u
#endif
#ifndef CCS_BOOT_TRIES
#define CCS_BOOT_TRIES 3u
#endif

#ifndef CCS_BOOTSTRAP
#define CCS_BOOTSTRAP 1 /* 0: provisioned PSK_DN only (for builds without room for it) */
#endif

#if CCS_BOOTSTRAP
/* 0: PSK_DN provisioned (nothing to do, or only its confirmation to repeat after a reset before the
 * BOOT_ACK); 1: bootstrapping started; -1: neither PSK_DN nor IK_d. */
int ccs_boot_init(uint16_t node_id);
/* Send or resend the request when due; returns 1 once (the call after PSK_DN was stored). */
int ccs_boot_periodic(void);
#else
static inline int ccs_boot_init(uint16_t node_id) { return (void)node_id, -1; }
static inline int ccs_boot_periodic(void) { return 0; }
#endif

#endif
