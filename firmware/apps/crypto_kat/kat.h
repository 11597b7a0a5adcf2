/*
 * kat.h - the crypto known-answer-test firmware: request framing, cycle spans, replies.
 *
 * The host sends one request at a time on UART1 RX: a command byte, the payload length (2 bytes,
 * big-endian) and the payload. The firmware runs the operation and answers with one line
 *
 *     R <cmd> ok <hex output> <cycles> [<cycles>...]
 *     R <cmd> err <code> <cycles> [<cycles>...]
 *
 * where each <cycles> is an operation span measured with Timer_B on SMCLK (= MCLK, undivided),
 * the cost of reading the counter already subtracted. Only the host decides whether an output
 * is right: the firmware never holds an expected value.
 */
#ifndef KAT_H
#define KAT_H

#include <stddef.h>
#include <stdint.h>

#define KAT_MAX_PAYLOAD 640u /* the largest request: HMAC with a 131-byte key and 152-byte data */
#define KAT_MAX_SPANS 4u

typedef void (*kat_handler_fn)(const uint8_t *in, uint16_t len);

struct kat_command {
    char code;
    kat_handler_fn run;
};

/* Timer_B cycle counter, 32 bits (overflows extended in its interrupt). */
uint32_t kat_cycles(void);
/* Open and close a measured span; spans are reported in the reply in order. */
void kat_span_begin(void);
void kat_span_end(void);

/* The reply line for the current request (exactly one per request). */
void kat_reply_ok(const uint8_t *out, size_t len);
void kat_reply_err(int code);

/* Error codes (the reply's <code>). */
#define KAT_ERR_FORMAT 1  /* malformed payload */
#define KAT_ERR_AUTH 2    /* authentication failed (CCM tag, ECDSA signature) */
#define KAT_ERR_PARAM 3   /* the implementation refused the parameters */
#define KAT_ERR_UNKNOWN 4 /* no such command in this flavour */

/* Big-endian field readers over a request payload; they fail (return 0) past its end. */
struct kat_reader {
    const uint8_t *p;
    uint16_t left;
};
int kat_take(struct kat_reader *r, const uint8_t **field, uint16_t n);
int kat_take_u8(struct kat_reader *r, uint8_t *v);
int kat_take_u16(struct kat_reader *r, uint16_t *v);
int kat_take_u32(struct kat_reader *r, uint32_t *v);

/* Command tables of the source files (each ends with code 0). */
extern const struct kat_command kat_record_commands[];
extern const struct kat_command kat_mspabi_commands[];
extern const struct kat_command kat_ssm_commands[];
extern const struct kat_command kat_boot_commands[];
#ifdef KAT_TINYDTLS
extern const struct kat_command kat_tinydtls_commands[];
/* Seeds TinyDTLS's PRNG (ECC builds); returns the entropy samples that changed (0 without ECC). */
uint16_t kat_tinydtls_init(void);
#endif

#endif /* KAT_H */
