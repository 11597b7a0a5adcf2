/*
 * dtls_pools.c - static memory pools behind dtls_pool_alloc()/dtls_pool_free()
 * (platform-specific/dtls_pool.h), sized from TinyDTLS's own configuration.
 */
#include <string.h>

#include "tinydtls.h"
#include "crypto.h"
#include "netq.h"
#include "peer.h"
#include "platform-specific/dtls_pool.h"

#include "tinydtls_platform.h"

static dtls_peer_t peers[DTLS_PEER_MAX];
static dtls_handshake_parameters_t handshakes[DTLS_HANDSHAKE_MAX];
static dtls_security_parameters_t securities[DTLS_SECURITY_MAX];
static netq_t netq_nodes[NETQ_MAXCNT];

/* one bit per object; every pool has at most 8 objects */
static uint8_t in_use[4];

struct pool {
    void *base;
    uint16_t size;
    uint8_t count;
};

static const struct pool pools[4] = {
    [DTLS_POOL_PEER] = {peers, sizeof(peers[0]), DTLS_PEER_MAX},
    [DTLS_POOL_HANDSHAKE] = {handshakes, sizeof(handshakes[0]), DTLS_HANDSHAKE_MAX},
    [DTLS_POOL_SECURITY] = {securities, sizeof(securities[0]), DTLS_SECURITY_MAX},
    [DTLS_POOL_NETQ] = {netq_nodes, sizeof(netq_nodes[0]), NETQ_MAXCNT},
};

_Static_assert(DTLS_PEER_MAX <= 8 && DTLS_HANDSHAKE_MAX <= 8 && DTLS_SECURITY_MAX <= 8 && NETQ_MAXCNT <= 8,
               "pool bitmaps hold 8 objects");

void *dtls_pool_alloc(dtls_pool_t which)
{
    if ((unsigned)which >= 4u) {
        return NULL;
    }
    const struct pool *p = &pools[which];
    for (uint8_t i = 0; i < p->count; i++) {
        uint8_t bit = (uint8_t)(1u << i);
        if (!(in_use[which] & bit)) {
            in_use[which] |= bit;
            uint8_t *obj = (uint8_t *)p->base + (uint16_t)(i * p->size);
            memset(obj, 0, p->size);
            return obj;
        }
    }
    return NULL;
}

void dtls_pool_free(dtls_pool_t which, void *object)
{
    if (object == NULL || (unsigned)which >= 4u) {
        return;
    }
    const struct pool *p = &pools[which];
    uint16_t offset = (uint16_t)((uint8_t *)object - (uint8_t *)p->base);
    uint8_t index = (uint8_t)(offset / p->size);
    if ((uint8_t *)object < (uint8_t *)p->base || index >= p->count || offset % p->size != 0) {
        return; /* not ours: ignore rather than corrupt a pool */
    }
    /* wipe key material as it goes back */
    memset(object, 0, p->size);
    in_use[which] &= (uint8_t)~(1u << index);
}

uint8_t tinydtls_pool_in_use(int which)
{
    uint8_t n = 0;
    if ((unsigned)which < 4u) {
        for (uint8_t bits = in_use[which]; bits; bits >>= 1) {
            n += bits & 1u;
        }
    }
    return n;
}
