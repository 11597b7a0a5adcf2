/* dev_cc2420_aes.c — AES-128 encryption from FIPS-197 (see dev_cc2420_aes.h). The S-box is derived
 * from its definition (multiplicative inverse in GF(2^8), then the affine map of section 5.1.1) on
 * each call: no shared state, and a few hundred operations next to the thousands of emulated
 * instructions a driver spends on one block. */
#include "dev_cc2420_aes.h"

#include <string.h>

/* {02}*b modulo x^8 + x^4 + x^3 + x + 1 (section 4.2.1) */
static uint8_t xtime(uint8_t b) { return (uint8_t)((b << 1) ^ ((b & 0x80u) ? 0x1Bu : 0u)); }

static uint8_t rotl8(uint8_t b, int n) { return (uint8_t)((b << n) | (b >> (8 - n))); }

/* Inverses from the powers of the generator {03}: x = g^i has the inverse g^(255 - i). */
static void make_sbox(uint8_t sbox[256])
{
    uint8_t power[255], log_of[256];
    uint8_t p = 1;
    for (int i = 0; i < 255; i++) {
        power[i] = p;
        log_of[p] = (uint8_t)i;
        p = (uint8_t)(p ^ xtime(p)); /* p *= {03} */
    }
    sbox[0] = 0x63u; /* 0 has no inverse: the affine map of 0 */
    for (int x = 1; x < 256; x++) {
        uint8_t b = power[(255 - log_of[x]) % 255];
        sbox[x] = (uint8_t)(b ^ rotl8(b, 1) ^ rotl8(b, 2) ^ rotl8(b, 3) ^ rotl8(b, 4) ^ 0x63u);
    }
}

/* Key expansion (section 5.2, Nk = 4, Nr = 10): 11 round keys of 16 bytes. */
static void expand_key(const uint8_t sbox[256], const uint8_t key[16], uint8_t w[176])
{
    uint8_t rcon = 1;
    memcpy(w, key, 16);
    for (int i = 16; i < 176; i += 4) {
        uint8_t t[4] = {w[i - 4], w[i - 3], w[i - 2], w[i - 1]};
        if (i % 16 == 0) {
            uint8_t t0 = t[0];
            t[0] = (uint8_t)(sbox[t[1]] ^ rcon);
            t[1] = sbox[t[2]];
            t[2] = sbox[t[3]];
            t[3] = sbox[t0];
            rcon = xtime(rcon);
        }
        for (int k = 0; k < 4; k++)
            w[i + k] = (uint8_t)(w[i - 16 + k] ^ t[k]);
    }
}

void cc2420_aes128_encrypt(const uint8_t *key, const uint8_t *in, uint8_t *out)
{
    uint8_t sbox[256], w[176], s[16], t[16];
    make_sbox(sbox);
    expand_key(sbox, key, w);
    for (int i = 0; i < 16; i++)
        s[i] = (uint8_t)(in[i] ^ w[i]);
    for (int round = 1; round <= 10; round++) {
        /* SubBytes and ShiftRows: state byte (row r, column c) is s[r + 4c]; row r moves left by r */
        for (int c = 0; c < 4; c++)
            for (int r = 0; r < 4; r++)
                t[r + 4 * c] = sbox[s[r + 4 * ((c + r) & 3)]];
        if (round < 10) { /* MixColumns (section 5.1.3) */
            for (int c = 0; c < 4; c++) {
                uint8_t *a = t + 4 * c;
                uint8_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], all = (uint8_t)(a0 ^ a1 ^ a2 ^ a3);
                a[0] = (uint8_t)(a0 ^ all ^ xtime((uint8_t)(a0 ^ a1)));
                a[1] = (uint8_t)(a1 ^ all ^ xtime((uint8_t)(a1 ^ a2)));
                a[2] = (uint8_t)(a2 ^ all ^ xtime((uint8_t)(a2 ^ a3)));
                a[3] = (uint8_t)(a3 ^ all ^ xtime((uint8_t)(a3 ^ a0)));
            }
        }
        for (int i = 0; i < 16; i++) /* AddRoundKey */
            s[i] = (uint8_t)(t[i] ^ w[16 * round + i]);
    }
    memcpy(out, s, 16);
}
