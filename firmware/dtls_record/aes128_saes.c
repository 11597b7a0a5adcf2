/* The AES-128 backend on the CC2420's stand-alone AES (-DESSE_AES_SAES, see aes128.h): the record
 * layer's CCM (ccm.c), the SSM client's and bootstrapping's AES run their blocks on the radio. The
 * chip's stand-alone key is loaded when a block needs a context other than the one it holds: once per
 * record or SSM message (all its blocks use one key), once more when a session alternates between
 * opening and sealing records (16 SPI bytes, about 2 % of a record's cycles). */
#include "aes128.h"

#ifdef ESSE_AES_SAES
#include "cc2420.h"
#include "cc2420_saes.h"
#include "esse_util.h"

static const esse_aes128_t *loaded; /* the context whose key the chip holds, if its id still matches */
static uint16_t loaded_id;
static uint8_t loaded_inits; /* cc2420_inits() when it was loaded: a chip reset may lose it */
static uint16_t last_id;

static uint8_t holds(const esse_aes128_t *ctx) {
  return loaded == ctx && loaded_id == ctx->id && loaded_inits == cc2420_inits();
}

void esse_aes128_init(esse_aes128_t *ctx, const uint8_t key[ESSE_AES128_KEY]) {
  esse_copy(ctx->key, key, ESSE_AES128_KEY);
  if (++last_id == 0) { /* ids wrapped: the loaded one could name a context by an id handed out again */
    last_id = 1;
    loaded = 0;
  }
  ctx->id = last_id;
}

void esse_aes128_encrypt(const esse_aes128_t *ctx, const uint8_t in[ESSE_AES_BLOCK],
                         uint8_t out[ESSE_AES_BLOCK]) {
  if (!holds(ctx)) {
    cc2420_saes_load_key(ctx->key);
    loaded = ctx;
    loaded_id = ctx->id;
    loaded_inits = cc2420_inits();
  }
  /* without a running radio the block comes out zeroed: CCM tags then fail, nothing leaks */
  (void)cc2420_saes_encrypt(in, out);
}

void esse_aes128_wipe(esse_aes128_t *ctx) {
  esse_wipe(ctx->key, ESSE_AES128_KEY);
  if (loaded == ctx && loaded_id == ctx->id) { /* the key leaves the radio's RAM too (even if the chip
                                                  was reset since: its RAM may have kept the key) */
    cc2420_saes_load_key(ctx->key);
    loaded = 0;
  }
  esse_wipe(ctx, sizeof *ctx);
}
#endif /* ESSE_AES_SAES */
