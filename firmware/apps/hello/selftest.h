/*
 * selftest.h - deterministic self-test of the MSPABI helpers and the libc subset.
 *
 * Output (stdout), one record per line, checked on the host by harness.build.selftest_oracle:
 *   ST begin seed=<hex8> count=<n>
 *   S <helper> <a hex16> <b hex16> <result hex16>   first two operand pairs of each helper
 *   H <helper> <n> <crc32 hex8>                     CRC-32 of all n results (little-endian)
 *   F<k> [<formatted text>]                         printf conversions
 *   N <return value> [<buffer>]                     snprintf
 *   L <function> <value>                            mem and str functions
 *   ST end
 * Operands come from xorshift32 reseeded per helper, so the output is identical on every run.
 */
#ifndef HELLO_SELFTEST_H
#define HELLO_SELFTEST_H

/* Both can be overridden with -D (the tests build a longer variant). */
#ifndef SELFTEST_SEED
#define SELFTEST_SEED 0x2545F491ul
#endif
#ifndef SELFTEST_COUNT
#define SELFTEST_COUNT 256u
#endif

void selftest_run(void);

#endif /* HELLO_SELFTEST_H */
