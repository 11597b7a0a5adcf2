/*
 * stdlib.h - TinyDTLS includes <stdlib.h> everywhere but on bare metal uses nothing from it
 * (no malloc: see dtls_pool.h). Found after the firmware's own headers (-idirafter).
 */
#ifndef TINYDTLS_COMPAT_STDLIB_H
#define TINYDTLS_COMPAT_STDLIB_H
#include <stddef.h>
#endif
