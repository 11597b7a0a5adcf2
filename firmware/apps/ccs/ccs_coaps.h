/*
 * ccs_coaps.h — CoAP requests that arrived inside DTLS records (RFC 7252 §9) answered from the CCS's
 * resource table (ccs_app.h). Differences from the plain server on 5683: no deduplication (the record
 * layer's replay window drops repeated records, and the resources are idempotent), and Block2
 * (RFC 7959) for representations larger than CCS_BLOCK_SIZE, so every answer fits one record in one
 * 802.15.4 frame. Application data that is neither a CoAP request nor an empty CoAP message is
 * echoed (this CCS sends no requests over DTLS, so no response is expected; openssl s_client).
 */
#ifndef CCS_COAPS_H
#define CCS_COAPS_H

#include <stdint.h>

#ifndef CCS_BLOCK_SZX
#define CCS_BLOCK_SZX 1u /* 2^(SZX+4) = 32-byte blocks */
#endif
#define CCS_BLOCK_SIZE (1u << (CCS_BLOCK_SZX + 4u))
#ifndef CCS_COAPS_BODY_MAX
#define CCS_COAPS_BODY_MAX 256u /* whole representation before it is cut into blocks */
#endif

/* Answer the request in `req` (len bytes) into out (cap bytes); returns the answer's length, 0 for
 * no answer (an empty ACK/RST reached us), or -1 when it did not fit. */
int ccs_coaps_answer(const uint8_t *req, uint16_t len, uint8_t *out, uint16_t cap);

#endif
