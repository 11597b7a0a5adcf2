/* periph_flash.h — flash memory controller: FCTL1 0x128, FCTL2 0x12A, FCTL3 0x12C (key 0xA5 on write,
 * reads 0x96). Segment erase (main 512 B from 0x4000, info 128 B at 0x1000/0x1080), mass erase, byte/word
 * write, block write accepted as successive writes. Timing from the flash timing generator (FSSEL source
 * / (FN+1)): word/byte write 35, block-write byte 21 (+30 first, +6 end), segment erase 4819, mass erase
 * 5297 fFTG cycles. When the CPU executes from flash it is held for the duration (m->now advanced);
 * from RAM it runs on and BUSY reads 1 until the operation completes. Bad key: KEYV + PUC. Writes while
 * BUSY, LOCK = 1 or not in write/erase mode: ACCVIFG (NMI when ACCVIE). */
#ifndef ESSE_PERIPH_FLASH_H
#define ESSE_PERIPH_FLASH_H
#include "mote.h"
/* The hook installed with mote_set_flash_writer (exposed for tests). */
void flash_cpu_write(mote_t *m, void *ctx, uint16_t addr, uint16_t value, int is_byte);
int flash_busy(mote_t *m);
uint64_t flash_ops_done(mote_t *m); /* completed writes + erases since power-on */
void flash_attach(mote_t *m);
void flash_reset(mote_t *m, int por);
void flash_detach(mote_t *m);
#endif
