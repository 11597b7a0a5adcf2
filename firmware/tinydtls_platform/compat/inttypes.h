/* inttypes.h - the fixed-width types and the print macros TinyDTLS names (16-bit int, 32-bit long). */
#ifndef TINYDTLS_COMPAT_INTTYPES_H
#define TINYDTLS_COMPAT_INTTYPES_H
#include <stdint.h>
#define PRIu64 "llu"
#define PRIx64 "llx"
#define PRIu32 "lu"
#define PRIx32 "lx"
#endif
