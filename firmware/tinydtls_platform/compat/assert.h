/*
 * assert.h - for TinyDTLS on the mote. With NDEBUG (the profiles' default) assertions vanish;
 * without it a failed one stops in tinydtls_assert_failed() with the line number.
 */
#ifndef TINYDTLS_COMPAT_ASSERT_H
#define TINYDTLS_COMPAT_ASSERT_H
#ifdef NDEBUG
#define assert(expr) ((void)0)
#else
void tinydtls_assert_failed(const char *file, int line) __attribute__((noreturn));
#define assert(expr) ((expr) ? (void)0 : tinydtls_assert_failed(__FILE__, __LINE__))
#endif
#endif
