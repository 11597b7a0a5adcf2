/* Pieces both record backends share (firmware/dtls_record with our AES, firmware/dtls_record_tinydtls
 * with TinyDTLS's): the replay window and the sequence-number limit. */
#ifndef ESSE_RECORD_COMMON_H
#define ESSE_RECORD_COMMON_H

#include <stdint.h>

#include "dtls_record.h"

#define ESSE_MAX_SEQ 0xFFFFFFFFFFFFull /* 48-bit DTLS sequence numbers */

/* Nonzero when seq is right of the window or inside it and not seen yet. */
int esse_replay_fresh(uint64_t recv_max, uint64_t window, uint64_t seq);
/* Record seq as received (after its tag verified). */
void esse_replay_accept(uint64_t *recv_max, uint64_t *window, uint64_t seq);

#endif
