/*
 * mac802154.h — IEEE 802.15.4-2006 MAC for the net stack (non-beacon, intra-PAN): data and ACK
 * frames, short or extended addresses, sequence numbers, unslotted CSMA-CA, acknowledged unicast
 * with retransmissions, duplicate suppression. Implements mac.h on top of radio.h.
 *
 * Frames: frame version 0, PAN ID compression (source PAN = destination PAN), no security (secured
 * frames are dropped). Unicast data frames request an ACK; broadcast (short 0xFFFF) do not.
 * CSMA-CA (§7.5.1.4, unslotted): BE = macMinBE (3); up to macMaxCSMABackoffs (4) times wait
 * random(0 .. 2^BE - 1) unit backoff periods (20 symbols = 320 us), CCA, BE = min(BE + 1, macMaxBE 5).
 * ACK wait macAckWaitDuration = 54 symbols = 864 us; up to macMaxFrameRetries (3) retransmissions.
 * Duplicates (same source and sequence number as the last frame kept from that source) are
 * acknowledged but not passed up.
 */
#ifndef MAC802154_H
#define MAC802154_H

#include <stdint.h>
#include "lladdr.h"
#include "mac.h"

#define MAC_FRAME_BEACON 0
#define MAC_FRAME_DATA 1
#define MAC_FRAME_ACK 2
#define MAC_FRAME_COMMAND 3

#define MAC_MIN_BE 3
#define MAC_MAX_BE 5
#define MAC_MAX_CSMA_BACKOFFS 4
#define MAC_MAX_FRAME_RETRIES 3
#define MAC_UNIT_BACKOFF_US 320u
#define MAC_ACK_WAIT_US 864u
#ifndef MAC_ACK_POLL_US
#define MAC_ACK_POLL_US 32u
#endif
#ifndef MAC_DUP_ENTRIES
#define MAC_DUP_ENTRIES 8
#endif
#ifndef MAC_SOFTWARE_ACK
#define MAC_SOFTWARE_ACK 1 /* 0 when the radio acknowledges by itself (CC2420 AUTOACK) */
#endif

/* A parsed frame (FCS already stripped); payload points into the frame. */
typedef struct {
    uint8_t type, seq, ack_request, frame_pending, pan_compression, version;
    uint16_t dst_pan, src_pan;
    lladdr_t dst, src; /* len 0 when absent */
    const uint8_t *payload;
    uint8_t payload_len;
} mac_frame_t;

/* Parse a frame without FCS. 0, or negative when malformed or secured. */
int mac_frame_parse(const uint8_t *frame, uint8_t len, mac_frame_t *out);
/* Write the MAC header of a frame (PAN ID compression when both addresses are present) into buf;
 * returns its length. */
uint8_t mac_header_build(uint8_t *buf, uint8_t type, uint8_t seq, uint8_t ack_request, uint16_t pan,
                         const lladdr_t *dst, const lladdr_t *src);

/* Our PAN and link-layer address (short or extended). Resets sequence numbers and tables. */
void mac_init(uint16_t pan_id, const lladdr_t *own);

/* From the radio driver; see radio.h. */
int mac_rx_filter(const uint8_t *frame, uint8_t len);
void mac_input(const uint8_t *frame, uint8_t len);

typedef struct {
    uint16_t tx, tx_acked, tx_retries, tx_no_ack, tx_channel_busy;
    uint16_t rx, rx_duplicates, rx_filtered, acks_sent;
} mac_stats_t;
const mac_stats_t *mac_stats(void);

#endif
