/*
 * dtls_prng.c - TinyDTLS's random numbers on the mote (dtls_prng.h).
 *
 * Seeding: SHA-256 over TinyDTLS's seed argument, the mote id, the clock and
 * TINYDTLS_ENTROPY_SAMPLES raw ADC12 samples (entropy_adc12.c) gives the 32-byte state V.
 * Output, per request: blocks SHA-256(0x00 || V || n || i) for i = 0, 1, ...; then the state
 * moves on, V = SHA-256(0x01 || V || n), n++, so earlier output cannot be recomputed from a
 * later state (a hash-based generator in the spirit of NIST SP 800-90A Hash_DRBG).
 */
#include <string.h>

#include "tinydtls.h"
#include "dtls_prng.h"
#include "sha2/sha2.h"

#include "sky.h"
#include "tinydtls_platform.h"

static uint8_t state[DTLS_SHA256_DIGEST_LENGTH];
static uint32_t requests;
static uint8_t seeded;
static uint16_t entropy_changes;

static void absorb_sample(void *ctx, uint16_t sample)
{
    uint8_t bytes[2] = {(uint8_t)sample, (uint8_t)(sample >> 8)};
    dtls_sha256_update((dtls_sha256_ctx *)ctx, bytes, sizeof(bytes));
}

void dtls_prng_init(unsigned seed)
{
    dtls_sha256_ctx h;
    uint16_t id = sky_node_id();
    uint32_t now = sky_clock_ticks();

    dtls_sha256_init(&h);
    dtls_sha256_update(&h, state, sizeof(state)); /* re-seeding keeps what was there */
    dtls_sha256_update(&h, (const uint8_t *)&seed, sizeof(seed));
    dtls_sha256_update(&h, (const uint8_t *)&id, sizeof(id));
    dtls_sha256_update(&h, (const uint8_t *)&now, sizeof(now));
    entropy_changes = tinydtls_entropy_collect(absorb_sample, &h, TINYDTLS_ENTROPY_SAMPLES);
    dtls_sha256_final(state, &h);
    requests = 0;
    seeded = 1;
}

static void hash_state(uint8_t domain, uint8_t index, uint8_t out[DTLS_SHA256_DIGEST_LENGTH])
{
    dtls_sha256_ctx h;
    dtls_sha256_init(&h);
    dtls_sha256_update(&h, &domain, 1);
    dtls_sha256_update(&h, state, sizeof(state));
    dtls_sha256_update(&h, (const uint8_t *)&requests, sizeof(requests));
    dtls_sha256_update(&h, &index, 1);
    dtls_sha256_final(out, &h);
}

int dtls_prng(unsigned char *buf, size_t len)
{
    uint8_t block[DTLS_SHA256_DIGEST_LENGTH];
    size_t done = 0;
    uint8_t index = 0;

    if (!seeded) {
        dtls_prng_init(0);
    }
    while (done < len) {
        size_t n = len - done < sizeof(block) ? len - done : sizeof(block);
        hash_state(0x00, index++, block);
        memcpy(buf + done, block, n);
        done += n;
    }
    hash_state(0x01, 0xFF, state);
    requests++;
    memset(block, 0, sizeof(block));
    return (int)len;
}

uint16_t tinydtls_prng_entropy_changes(void)
{
    return entropy_changes;
}
