"""cffi (API mode) build of the device side of secure bootstrapping for the host: `harness.bootstrap._boot`.

The same C (firmware/bootstrap + the record layer's AES/CCM) is compiled for the MSP430 by the firmware
build; here the tests run it against the Python AS and controller.
"""

from __future__ import annotations

from pathlib import Path

from cffi import FFI

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
RECORD_DIR = REPO_ROOT / "firmware" / "dtls_record"
BOOT_DIR = REPO_ROOT / "firmware" / "bootstrap"
SOURCES = [
    RECORD_DIR / "esse_util.c",
    RECORD_DIR / "aes128.c",
    RECORD_DIR / "ccm.c",
    BOOT_DIR / "bootstrap.c",
]

CDEF = """
#define ESSE_BOOT_OK ...
#define ESSE_BOOT_ERR_LENGTH ...
#define ESSE_BOOT_ERR_TYPE ...
#define ESSE_BOOT_ERR_NODE ...
#define ESSE_BOOT_ERR_STATE ...
#define ESSE_BOOT_ERR_TAG ...
#define ESSE_BOOT_ERR_SPACE ...
#define ESSE_BOOT_ERR_LAYOUT ...
#define ESSE_BOOT_REQUEST_LEN ...
#define ESSE_BOOT_RESPONSE_LEN ...
#define ESSE_BOOT_CONFIRM_LEN ...
#define ESSE_BOOT_ACK_LEN ...
#define ESSE_BOOT_ERR_TID ...
#define ESSE_BOOT_CONTEXT_LEN ...
#define ESSE_INFO_PENDING_OFFSET ...
#define ESSE_INFO_PENDING_LEN ...

typedef struct { uint8_t round_keys[176]; } esse_aes128_t;
void esse_aes128_init(esse_aes128_t *ctx, const uint8_t key[16]);

typedef struct {
  esse_aes128_t ik;
  uint16_t node_id;
  uint8_t rn_d[8];
  uint8_t pending;
} esse_boot_t;

void esse_boot_init(esse_boot_t *b, const uint8_t ik_d[16], uint16_t node_id);
void esse_boot_wipe(esse_boot_t *b);
int esse_boot_request(esse_boot_t *b, const uint8_t rn_d[8], uint8_t *out, size_t cap);
int esse_boot_accept(esse_boot_t *b, const uint8_t *msg, size_t len, uint8_t psk_dn[16], uint8_t *confirm,
                     size_t cap);
void esse_cmac(const esse_aes128_t *key, const uint8_t *msg, size_t len, uint8_t mac[16]);
void esse_boot_kdf(const esse_aes128_t *ik, const uint8_t context[28], uint8_t psk_dn[16]);
uint16_t esse_crc16_ccitt(const uint8_t *p, size_t n);
int esse_boot_segment_b_set_psk(uint8_t seg[128], const uint8_t psk_dn[16], const uint8_t *pending);
int esse_boot_expect_ack(const uint8_t psk_dn[16], const uint8_t *response, size_t len, uint8_t ack[15]);
int esse_boot_ack_match(const uint8_t expected[15], const uint8_t *msg, size_t len);
"""

ffibuilder = FFI()
ffibuilder.cdef(CDEF)
ffibuilder.set_source(
    "harness.bootstrap._boot",
    '#include "bootstrap.h"\n',
    sources=[str(p.relative_to(REPO_ROOT)) for p in SOURCES],
    include_dirs=[str(RECORD_DIR.relative_to(REPO_ROOT)), str(BOOT_DIR.relative_to(REPO_ROOT))],
    extra_compile_args=["-std=c99", "-Wall", "-Wextra", "-O2"],
)

if __name__ == "__main__":
    import os

    os.chdir(REPO_ROOT)  # sources are given relative to the repository (setup.py builds from there too)
    ffibuilder.compile(tmpdir=str(REPO_ROOT), verbose=False)
