/* Pieces both record backends share (firmware/dtls_record with our AES, firmware/dtls_record_tinydtls
 * with TinyDTLS's): the sequence-number limit and the AEAD backend interface. */
#ifndef ESSE_RECORD_COMMON_H
#define ESSE_RECORD_COMMON_H

#include <stdint.h>

#include "dtls_record.h"

#define ESSE_MAX_SEQ 0xFFFFFFFFFFFFull /* 48-bit DTLS sequence numbers */

/* The record backend's AES-128-CCM (L = 3, st->tag_len-byte tag): keys installed once per session.
 * na is the 12-byte nonce followed by the 13-byte AAD. open = 0 (write key) encrypts body[0:len] in place
 * and appends the tag; open = 1 (read key) checks the tag after body[0:len], decrypts in place and returns
 * 0, or nonzero (plaintext wiped). */
void esse_record_aead_keys(esse_record_t *st, const uint8_t write_key[16], const uint8_t read_key[16]);
int esse_record_aead(esse_record_t *st, const uint8_t na[25], uint8_t *body, size_t len, uint8_t open);

#endif
