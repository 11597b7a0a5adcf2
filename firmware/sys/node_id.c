/*
 * node_id.c - the mote id. Cooja and the ESSE emulator look the symbol `node_id` up in the ELF
 * and write the id into it (again after every store by the firmware, so crt0's clearing of
 * .bss does not lose it). The linker script keeps .bss.node_id even when nothing reads it.
 */
#include "sky.h"

uint16_t node_id;

uint16_t sky_node_id(void)
{
    return *(volatile uint16_t *)&node_id;
}
