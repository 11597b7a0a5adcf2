/*
 * ccs_rd.h — the CCS registers in the SSM's resource directory (docs/services.md): simple
 * registration (RFC 9176 §5.1), CON POST /.well-known/rd?ep=moteN&lt=CCS_RD_LIFETIME_S to
 * [PREFIX::ff:fe00:CCS_BOOT_HOST]:CCS_RD_PORT, no payload; the RD then reads /.well-known/core from
 * the mote's CoAP port. Refreshed by repeating it every CCS_RD_REFRESH_S (before lt ends); a failed
 * attempt is retried after CCS_RD_RETRY_S. UART1: "ccs: rd registered (lt S)", "ccs: rd failed C".
 */
#ifndef CCS_RD_H
#define CCS_RD_H

#include <stdint.h>

#ifndef CCS_RD_PORT
#define CCS_RD_PORT 5683u
#endif
#ifndef CCS_RD_LIFETIME_S
#define CCS_RD_LIFETIME_S 300u
#endif
#ifndef CCS_RD_REFRESH_S
#define CCS_RD_REFRESH_S (CCS_RD_LIFETIME_S * 3u / 4u)
#endif
#ifndef CCS_RD_RETRY_S
#define CCS_RD_RETRY_S 10u
#endif

#ifndef CCS_RD
#define CCS_RD 1 /* 0: no registration (for builds without room for it) */
#endif

/* The host's address (PREFIX::ff:fe00:CCS_BOOT_HOST, where the SSM's services are) into out; 0, or
 * -1 without a prefix. */
int ccs_host_address(uint8_t out[16]);
#if CCS_RD
/* Start registering (at once when the prefix is there) as endpoint "mote<node_id>". */
void ccs_rd_start(uint16_t node_id);
void ccs_rd_periodic(void);
#else
static inline void ccs_rd_start(uint16_t node_id) { (void)node_id; }
static inline void ccs_rd_periodic(void) {}
#endif

typedef struct {
    uint16_t registered, failed;
} ccs_rd_stats_t;
const ccs_rd_stats_t *ccs_rd_stats(void);

#endif
