/* Host-only secp256r1 backend of TinyDTLS's ecc/ecc.h API on OpenSSL 3's libcrypto.
 *
 * The functions TinyDTLS declares in ecc/ecc.h (ecc_ec_mult, ecc_ecdsa_sign, ecc_ecdsa_validate,
 * ecc_is_valid_key and the generator ecc_g_point_x/y) are defined by ecc_libcrypto.c; this header
 * adds only what the host build exposes on top of them. The mote firmware keeps TinyDTLS's ecc.c.
 */
#ifndef ESSE_HOST_ECC_LIBCRYPTO_H
#define ESSE_HOST_ECC_LIBCRYPTO_H

#include "ecc/ecc.h"

/* Name of the backend the host extension was built with ("libcrypto"); lets tests and benchmarks
 * check which implementation of ecc/ecc.h they run. */
const char *esse_ecc_backend(void);

#endif /* ESSE_HOST_ECC_LIBCRYPTO_H */
