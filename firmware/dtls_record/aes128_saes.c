/* The AES-128 backend on the CC2420's stand-alone AES (-DESSE_AES_SAES, see aes128.h): the record
 * layer's CCM (ccm.c), the SSM client's and bootstrapping's AES run their blocks on the radio. The
 * chip holds two keys; a context is loaded into the slot not used last when neither holds it (a
 * session's write and read keys, or PSK_DN, stay loaded across the blocks of a record). */
#include "aes128.h"

#ifdef ESSE_AES_SAES
#include "cc2420.h"
#include "cc2420_saes.h"
#include "esse_util.h"

static struct {
  const esse_aes128_t *ctx; /* the context whose key the chip slot holds, if its id still matches */
  uint16_t id;
} slot[CC2420_SAES_KEYS];
static uint8_t slot_inits; /* cc2420_inits() when the slots were filled: a chip reset empties them */
static uint8_t victim;     /* the slot a new key goes to */
static uint16_t last_id;

static void forget_slots(void) {
  slot[0].ctx = slot[1].ctx = 0;
}

void esse_aes128_init(esse_aes128_t *ctx, const uint8_t key[ESSE_AES128_KEY]) {
  esse_copy(ctx->key, key, ESSE_AES128_KEY);
  if (++last_id == 0) { /* ids wrapped: a slot could name a context by an id handed out again */
    last_id = 1;
    forget_slots();
  }
  ctx->id = last_id;
}

void esse_aes128_encrypt(const esse_aes128_t *ctx, const uint8_t in[ESSE_AES_BLOCK],
                         uint8_t out[ESSE_AES_BLOCK]) {
  uint8_t n;
  if (slot_inits != cc2420_inits()) {
    slot_inits = cc2420_inits();
    forget_slots();
  }
  if (slot[0].ctx == ctx && slot[0].id == ctx->id) {
    n = 0;
  } else if (slot[1].ctx == ctx && slot[1].id == ctx->id) {
    n = 1;
  } else {
    n = victim;
    cc2420_saes_load_key(n, ctx->key);
    slot[n].ctx = ctx;
    slot[n].id = ctx->id;
  }
  victim = (uint8_t)(n ^ 1u);
  /* without a running radio the block comes out zeroed: CCM tags then fail, nothing leaks */
  (void)cc2420_saes_encrypt(n, in, out);
}

void esse_aes128_wipe(esse_aes128_t *ctx) {
  static const uint8_t zero_key[ESSE_AES128_KEY];
  for (uint8_t n = 0; n < CC2420_SAES_KEYS; n++) {
    if (slot[n].ctx == ctx && slot[n].id == ctx->id) { /* the key leaves the radio's RAM too */
      cc2420_saes_load_key(n, zero_key);
      slot[n].ctx = 0;
    }
  }
  esse_wipe(ctx, sizeof *ctx);
}
#endif /* ESSE_AES_SAES */
