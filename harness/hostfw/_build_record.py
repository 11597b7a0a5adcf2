"""cffi (API mode) build of the record layer + CCS message codec for the host: `harness.hostfw._record`.

The same C files are compiled for the MSP430 by the firmware build; here they serve the stand-in CCS
and the tests. Run as a script to compile in place: python harness/hostfw/_build_record.py
"""

from __future__ import annotations

from pathlib import Path

from cffi import FFI

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
RECORD_DIR = REPO_ROOT / "firmware" / "dtls_record"
CLIENT_DIR = REPO_ROOT / "firmware" / "ssm_client"
SOURCES = [
    RECORD_DIR / "esse_util.c",
    RECORD_DIR / "aes128.c",
    RECORD_DIR / "ccm.c",
    RECORD_DIR / "dtls_record.c",
    RECORD_DIR / "keystate.c",
    RECORD_DIR / "replay.c",
    RECORD_DIR / "record_aead.c",
    CLIENT_DIR / "ssm_client.c",
]
HEADERS = [p.with_suffix(".h") for p in SOURCES if p.with_suffix(".h").exists()] + [
    RECORD_DIR / "record_common.h"
]

CDEF = """
#define ESSE_REC_OK ...
#define ESSE_REC_PASSBACK ...
#define ESSE_REC_ERR_LENGTH ...
#define ESSE_REC_ERR_EPOCH ...
#define ESSE_REC_ERR_TAG ...
#define ESSE_REC_ERR_REPLAY ...
#define ESSE_REC_ERR_VERSION ...
#define ESSE_REC_ERR_TYPE ...
#define ESSE_REC_ERR_STATE ...
#define ESSE_REC_ERR_SPACE ...
#define ESSE_REC_ERR_SEQ ...
#define ESSE_KEYSTATE_WIRE_LEN ...
#define ESSE_KM_OK ...
#define ESSE_KM_DUPLICATE ...
#define ESSE_KM_ERR_LENGTH ...
#define ESSE_KM_ERR_TYPE ...
#define ESSE_KM_ERR_TAG ...
#define ESSE_KM_ERR_REPLAY ...
#define ESSE_KM_ERR_SPACE ...
#define ESSE_KM_ERR_COUNTER ...
#define ESSE_KM_LEN ...
#define ESSE_RX_WINDOW ...
#define ESSE_ACK_LEN ...
#define ESSE_ERROR_LEN ...

typedef struct { uint8_t round_keys[176]; } esse_aes128_t;
void esse_aes128_init(esse_aes128_t *ctx, const uint8_t key[16]);
void esse_aes128_encrypt(const esse_aes128_t *ctx, const uint8_t in[16], uint8_t out[16]);

int esse_ccm_seal(const esse_aes128_t *key, const uint8_t *nonce, size_t nonce_len, size_t tag_len,
                  const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len, uint8_t *tag);
int esse_ccm_open(const esse_aes128_t *key, const uint8_t *nonce, size_t nonce_len, size_t tag_len,
                  const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len, const uint8_t *tag);

typedef struct {
  uint8_t session_id[8];
  uint16_t cipher_suite;
  uint16_t version;
  uint8_t role;
  uint16_t epoch;
  uint64_t next_send_seq;
  uint64_t recv_seq;
  uint64_t recv_window;
  uint8_t client_write_key[16];
  uint8_t server_write_key[16];
  uint8_t client_iv[4];
  uint8_t server_iv[4];
} esse_keystate_t;

typedef struct {
  uint8_t active;
  uint8_t tag_len;
  uint8_t role;
  uint16_t cipher_suite;
  uint16_t version;
  uint16_t epoch;
  uint8_t session_id[8];
  uint64_t next_send_seq;
  uint64_t recv_max;
  uint64_t recv_window;
  ...;
} esse_record_t;

typedef struct {
  uint8_t type;
  uint16_t epoch;
  uint64_t seq;
  uint8_t *payload;
  uint16_t payload_len;
  uint16_t record_len;
} esse_record_view_t;

uint8_t esse_suite_tag_len(uint16_t suite);
int esse_record_install(esse_record_t *st, const esse_keystate_t *ks);
void esse_record_wipe(esse_record_t *st);
int esse_record_seal(esse_record_t *st, uint8_t type, const uint8_t *payload, size_t len, uint8_t *out,
                     size_t cap);
int esse_record_open(esse_record_t *st, uint8_t *buf, size_t len, esse_record_view_t *view);
void esse_keystate_encode(const esse_keystate_t *ks, uint8_t out[75]);
void esse_keystate_decode(esse_keystate_t *ks, const uint8_t in[75]);
void esse_keystate_wipe(esse_keystate_t *ks);

typedef struct {
  uint32_t last_rx_counter;
  uint32_t rx_seen;
  uint32_t tx_counter;
  ...;
} esse_ssm_link_t;
void esse_ssm_link_init(esse_ssm_link_t *link, const uint8_t psk_dn[16], uint32_t last_rx_counter,
                        uint32_t tx_counter);
void esse_ssm_link_wipe(esse_ssm_link_t *link);
int esse_km_open(esse_ssm_link_t *link, uint8_t *msg, size_t len, esse_keystate_t *ks, uint32_t *counter);
int esse_km_ack(esse_ssm_link_t *link, uint32_t acked_counter, const uint8_t sid[8], uint8_t *out,
                size_t cap);
int esse_error_build(esse_ssm_link_t *link, uint8_t code, const uint8_t sid[8], uint8_t *out, size_t cap);
int esse_error_open(esse_ssm_link_t *link, const uint8_t *msg, size_t len, uint8_t *code, uint8_t sid[8]);
int esse_delegate_build(esse_ssm_link_t *link, const uint8_t *addr, uint8_t addr_len, uint16_t port,
                        const uint8_t *identity, uint8_t identity_len, uint8_t *out, size_t cap);
int esse_relay_build(uint8_t type, const uint8_t sid[8], const uint8_t *records, size_t len, uint8_t *out,
                     size_t cap);
"""

ffibuilder = FFI()
ffibuilder.cdef(CDEF)
ffibuilder.set_source(
    "harness.hostfw._record",
    '#include "dtls_record.h"\n#include "ccm.h"\n#include "ssm_client.h"\n',
    sources=[str(p.relative_to(REPO_ROOT)) for p in SOURCES],
    include_dirs=[str(RECORD_DIR.relative_to(REPO_ROOT)), str(CLIENT_DIR.relative_to(REPO_ROOT))],
    extra_compile_args=["-std=c99", "-Wall", "-Wextra", "-O2"],
)

if __name__ == "__main__":
    import os

    os.chdir(REPO_ROOT)  # sources are given relative to the repository (setup.py builds from there too)
    ffibuilder.compile(tmpdir=str(REPO_ROOT), verbose=False)
