/* sys/types.h - TinyDTLS only needs size_t and the fixed-width types from it. */
#ifndef TINYDTLS_COMPAT_SYS_TYPES_H
#define TINYDTLS_COMPAT_SYS_TYPES_H
#include <stddef.h>
#include <stdint.h>
#endif
