/* DTLS 1.2 record layer with AES-128-CCM / CCM_8 (RFC 6347, RFC 6655, RFC 7251), without handshake.
 *
 * The state comes from a handshake done elsewhere (the SSM's delegator): esse_record_install() takes
 * the exported key block and sequence state. Freestanding C99: no malloc, no libc.
 */
#ifndef ESSE_DTLS_RECORD_H
#define ESSE_DTLS_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "aes128.h"

#define ESSE_DTLS_VERSION_1_2 0xFEFDu
#define ESSE_RECORD_HEADER 13u   /* type(1) version(2) epoch(2) seq(6) length(2) */
#define ESSE_RECORD_EXPLICIT 8u  /* explicit nonce = epoch | seq */
#define ESSE_SESSION_ID_LEN 8u
#define ESSE_REPLAY_WINDOW 64u

/* content types (RFC 6347) */
#define ESSE_CT_CHANGE_CIPHER_SPEC 20u
#define ESSE_CT_ALERT 21u
#define ESSE_CT_HANDSHAKE 22u
#define ESSE_CT_APPLICATION_DATA 23u

/* cipher suites this record layer implements */
#define ESSE_TLS_PSK_WITH_AES_128_CCM 0xC0A4u
#define ESSE_TLS_PSK_WITH_AES_128_CCM_8 0xC0A8u
#define ESSE_TLS_ECDHE_ECDSA_WITH_AES_128_CCM 0xC0ACu
#define ESSE_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 0xC0AEu

/* which side of the DTLS session the holder of this state plays (selects write vs read keys) */
#define ESSE_ROLE_CLIENT 0u
#define ESSE_ROLE_SERVER 1u

/* return codes: >= 0 success, < 0 a distinct reason per failure */
#define ESSE_REC_OK 0
#define ESSE_REC_PASSBACK 1          /* handshake record at the current epoch: give it back, untouched */
#define ESSE_REC_ERR_LENGTH (-1)     /* truncated header, length field beyond the datagram, too short */
#define ESSE_REC_ERR_EPOCH (-2)      /* record epoch is not the installed epoch */
#define ESSE_REC_ERR_TAG (-3)        /* CCM authentication failed */
#define ESSE_REC_ERR_REPLAY (-4)     /* sequence number seen already or left of the window */
#define ESSE_REC_ERR_VERSION (-5)    /* record version is not the negotiated one */
#define ESSE_REC_ERR_TYPE (-6)       /* content type not one of 20..23 */
#define ESSE_REC_ERR_STATE (-7)      /* no state installed, or unsupported suite in install */
#define ESSE_REC_ERR_SPACE (-8)      /* output buffer too small */
#define ESSE_REC_ERR_SEQ (-9)        /* send sequence number space exhausted */

/* The state exported from the handshake (TinyDTLS key export patch) and carried in the key-material
 * message. Sequence numbers are those of the exporting side: next_send_seq is what *it* sends next,
 * recv_seq / recv_window what it has received (bit i of the window = recv_seq - i seen). */
typedef struct {
  uint8_t session_id[ESSE_SESSION_ID_LEN];
  uint16_t cipher_suite;
  uint16_t version;
  uint8_t role;
  uint16_t epoch;
  uint64_t next_send_seq;
  uint64_t recv_seq;
  uint64_t recv_window;
  uint8_t client_write_key[16];
  uint8_t server_write_key[16];
  uint8_t client_iv[4];
  uint8_t server_iv[4];
} esse_keystate_t;

#define ESSE_KEYSTATE_WIRE_LEN 75u /* esse_keystate_encode() size */

typedef struct {
  uint8_t active;
  uint8_t tag_len;
  uint8_t role;
  uint16_t cipher_suite;
  uint16_t version;
  uint16_t epoch;
  uint8_t session_id[ESSE_SESSION_ID_LEN];
#ifdef ESSE_RECORD_TINYDTLS
  uint8_t write_key[16]; /* TinyDTLS expands the AES key schedule for every record it protects */
  uint8_t read_key[16];
#else
  esse_aes128_t write_key; /* expanded once per session: 2 x 176 bytes of RAM, faster records */
  esse_aes128_t read_key;
#endif
  uint8_t write_iv[4];
  uint8_t read_iv[4];
  uint64_t next_send_seq;
  uint64_t recv_max;
  uint64_t recv_window;
} esse_record_t;

typedef struct {
  uint8_t type;
  uint16_t epoch;
  uint64_t seq;
  uint8_t *payload;     /* plaintext, inside the caller's buffer */
  uint16_t payload_len;
  uint16_t record_len;  /* bytes this record took in the datagram (to step to the next record) */
} esse_record_view_t;

/* Tag length of a suite, 0 if unsupported. */
uint8_t esse_suite_tag_len(uint16_t suite);

int esse_record_install(esse_record_t *st, const esse_keystate_t *ks);
void esse_record_wipe(esse_record_t *st);

/* Protect payload as one record of `type` into out (payload may already sit at out + 21).
 * Returns the record length, or a negative ESSE_REC_ERR_*. */
int esse_record_seal(esse_record_t *st, uint8_t type, const uint8_t *payload, size_t len, uint8_t *out,
                     size_t cap);

/* Unprotect the first record of buf[0:len] in place. view->record_len is set whenever the header
 * parsed, so a caller can skip a rejected record and go on with the rest of the datagram. */
int esse_record_open(esse_record_t *st, uint8_t *buf, size_t len, esse_record_view_t *view);

/* 75-byte big-endian serialization of the exported state (docs/protocol.md, "key state"). */
void esse_keystate_encode(const esse_keystate_t *ks, uint8_t out[ESSE_KEYSTATE_WIRE_LEN]);
void esse_keystate_decode(esse_keystate_t *ks, const uint8_t in[ESSE_KEYSTATE_WIRE_LEN]);
void esse_keystate_wipe(esse_keystate_t *ks);

#endif
