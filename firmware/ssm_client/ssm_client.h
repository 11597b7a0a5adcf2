/* CCS side of the SSM <-> CCS messages (docs/protocol.md): check and open the key-material message
 * with PSK_DN, anti-replay counters, key acknowledgements, errors, outbound delegation requests.
 * Freestanding C99 like the record layer it feeds. */
#ifndef ESSE_SSM_CLIENT_H
#define ESSE_SSM_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "aes128.h"
#include "dtls_record.h"

#define ESSE_MSG_KEY_MATERIAL 0x01u
#define ESSE_MSG_KEY_ACK 0x02u
#define ESSE_MSG_RELAY 0x03u
#define ESSE_MSG_HANDBACK 0x04u
#define ESSE_MSG_DELEGATE 0x05u
#define ESSE_MSG_ERROR 0x06u

#define ESSE_SENDER_SSM 0x00u
#define ESSE_SENDER_CCS 0x01u

#define ESSE_KM_TAG 16u
#define ESSE_KM_LEN (1u + 4u + ESSE_KEYSTATE_WIRE_LEN + ESSE_KM_TAG) /* 96 */
#define ESSE_SHORT_TAG 8u
#define ESSE_ACK_LEN (1u + 4u + 4u + ESSE_SESSION_ID_LEN + ESSE_SHORT_TAG) /* 25 */
#define ESSE_ERROR_LEN (1u + 4u + 1u + ESSE_SESSION_ID_LEN + ESSE_SHORT_TAG) /* 22 */
#define ESSE_RELAY_HEADER (1u + ESSE_SESSION_ID_LEN) /* 9 */
#define ESSE_DELEGATE_MAX_IDENTITY 32u

/* error codes carried in ESSE_MSG_ERROR */
#define ESSE_ECODE_UNKNOWN_SESSION 1u
#define ESSE_ECODE_HANDSHAKE_FAILED 2u
#define ESSE_ECODE_NO_ROUTE 3u
#define ESSE_ECODE_KEY_REJECTED 4u
#define ESSE_ECODE_SESSION_CLOSED 5u
#define ESSE_ECODE_CLOSE_ALERT 6u /* SSM -> CCS: close_notify to the client, then close */

/* return codes */
#define ESSE_KM_OK 0
#define ESSE_KM_DUPLICATE 1        /* counter already accepted: install nothing; re-ack if sid is held */
#define ESSE_KM_ERR_LENGTH (-1)
#define ESSE_KM_ERR_TYPE (-2)
#define ESSE_KM_ERR_TAG (-3)
#define ESSE_KM_ERR_REPLAY (-4)
#define ESSE_KM_ERR_SPACE (-5)
#define ESSE_KM_ERR_COUNTER (-6)    /* own send counter exhausted */

/* SSM messages may arrive out of counter order (a KEY_MATERIAL retransmitted after a later ERROR, two
 * hand-offs reordered in the LLN): a counter up to this far below the highest is still accepted once */
#define ESSE_RX_WINDOW 32u

typedef struct {
  esse_aes128_t psk_dn;      /* expanded PSK_DN */
  uint32_t last_rx_counter;  /* highest accepted SSM counter (0: none yet) */
  uint32_t rx_seen;          /* bit i: counter last_rx_counter - i accepted (all set after init) */
  uint32_t tx_counter;       /* last counter this CCS used (persist it across reboots) */
} esse_ssm_link_t;

void esse_ssm_link_init(esse_ssm_link_t *link, const uint8_t psk_dn[16], uint32_t last_rx_counter,
                        uint32_t tx_counter);
void esse_ssm_link_wipe(esse_ssm_link_t *link);

/* Open a key-material message (msg is decrypted in place and wiped afterwards). On ESSE_KM_OK or
 * ESSE_KM_DUPLICATE, *ks holds the state and *counter the SSM counter to acknowledge. ESSE_KM_DUPLICATE:
 * an authentic message whose counter was accepted before (a retransmission whose KEY_ACK was lost, or a
 * replay): the caller installs nothing and acknowledges again only if it holds that session. Counters
 * ESSE_RX_WINDOW or more below the highest are refused before decryption (ESSE_KM_ERR_REPLAY). */
int esse_km_open(esse_ssm_link_t *link, uint8_t *msg, size_t len, esse_keystate_t *ks, uint32_t *counter);

/* Build the acknowledgement of key material `acked_counter` for session `sid`; returns its length. */
int esse_km_ack(esse_ssm_link_t *link, uint32_t acked_counter, const uint8_t sid[ESSE_SESSION_ID_LEN],
                uint8_t *out, size_t cap);

/* Build an authenticated error message; returns its length. */
int esse_error_build(esse_ssm_link_t *link, uint8_t code, const uint8_t sid[ESSE_SESSION_ID_LEN],
                     uint8_t *out, size_t cap);

/* Verify an error message from the SSM (counter checked and advanced); *code and sid filled. */
int esse_error_open(esse_ssm_link_t *link, const uint8_t *msg, size_t len, uint8_t *code,
                    uint8_t sid[ESSE_SESSION_ID_LEN]);

/* Outbound: ask the SSM to handshake with addr:port (addr_len 4 or 16) using credential `identity`. */
int esse_delegate_build(esse_ssm_link_t *link, const uint8_t *addr, uint8_t addr_len, uint16_t port,
                        const uint8_t *identity, uint8_t identity_len, uint8_t *out, size_t cap);

/* Frame DTLS records for the SSM: out = type | sid | records. Returns the frame length. */
int esse_relay_build(uint8_t type, const uint8_t sid[ESSE_SESSION_ID_LEN], const uint8_t *records,
                     size_t len, uint8_t *out, size_t cap);

#endif
