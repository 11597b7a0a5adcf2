/* Pieces both record backends share (firmware/dtls_record with our AES, firmware/dtls_record_tinydtls
 * with TinyDTLS's): the replay window and the sequence-number limit. */
#ifndef ESSE_RECORD_COMMON_H
#define ESSE_RECORD_COMMON_H

#include <stdint.h>

#include "dtls_record.h"

#define ESSE_MAX_SEQ 0xFFFFFFFFFFFFull /* 48-bit DTLS sequence numbers */

/* Set the window from the exported state: recv_seq and bit i = recv_seq - i received (replay.c keeps it
 * in st->recv_max and, as a ring indexed by seq mod 64, st->recv_window). */
void esse_replay_install(esse_record_t *st, const uint64_t *recv_seq, const uint64_t *window);
/* Nonzero when seq is right of the window or inside it and not seen yet. */
int esse_replay_fresh(esse_record_t *st, const uint64_t *seq);
/* Record seq as received (after its tag verified). */
void esse_replay_accept(esse_record_t *st, const uint64_t *seq);

/* The record backend's AES-128-CCM (L = 3, st->tag_len-byte tag): keys installed once per session.
 * na is the 12-byte nonce followed by the 13-byte AAD. open = 0 (write key) encrypts body[0:len] in place
 * and appends the tag; open = 1 (read key) checks the tag after body[0:len], decrypts in place and returns
 * 0, or nonzero (plaintext wiped). */
void esse_record_aead_keys(esse_record_t *st, const uint8_t write_key[16], const uint8_t read_key[16]);
int esse_record_aead(esse_record_t *st, const uint8_t na[25], uint8_t *body, size_t len, uint8_t open);

#endif
