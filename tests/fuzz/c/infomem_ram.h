/* Host RAM stand-in of the information flash for the SSM fuzz target (infomem_ram.c). */
#ifndef ESSE_INFOMEM_RAM_H
#define ESSE_INFOMEM_RAM_H

#include <stdint.h>

#include "infomem.h"

/* Provision PSK_DN and erase the counter store. */
void infomem_ram_reset(const uint8_t psk[INFOMEM_KEY_LEN]);
/* Nonzero: every counter write fails (a worn-out or refused flash write). */
void infomem_ram_fail_writes(int fail);
/* What the store holds now (what a reboot would read). */
const infomem_counters_t *infomem_ram_counters(void);

#endif
