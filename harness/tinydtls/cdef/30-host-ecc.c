/* 30: the host secp256r1 backend (host_ecc/ecc_libcrypto.c) behind TinyDTLS's ecc/ecc.h. */
#include "host_ecc/ecc_libcrypto.h"
