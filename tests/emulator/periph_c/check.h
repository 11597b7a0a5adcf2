/* check.h — the counters and CHECK macro of the C check drivers in this folder (one per test file). */
#ifndef ESSE_PERIPH_C_CHECK_H
#define ESSE_PERIPH_C_CHECK_H
#include <stdio.h>

static int failures, checks;
#define CHECK(cond, ...)                                                                 \
    do {                                                                                 \
        checks++;                                                                        \
        if (!(cond)) {                                                                   \
            failures++;                                                                  \
            printf("FAIL %s:%d: ", __func__, __LINE__);                                  \
            printf(__VA_ARGS__);                                                         \
            printf("\n");                                                                \
        }                                                                                \
    } while (0)

#endif
