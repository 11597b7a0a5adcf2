/*
 * infomem.h — the information flash of the MSP430F1611 (0x1000-0x10FF, two 128-byte segments).
 *
 * Segment B (0x1000): the identity provisioning wrote (layout: harness/wire/infomem.py): magic "ES",
 * version 1, node id (LE), PSK_DN, IK_d, CRC-16/CCITT-FALSE over bytes 0x00-0x7D. Read-only here.
 *
 * The durable counter store is a log of 10-byte entries kept in two banks, segment A (0x1080,
 * 12 entries) and one reserved 512-byte main-flash segment M (INFOMEM_BANK_M, 51 entries):
 *     rx_counter (4, LE) | tx_mark (4, LE) | CRC-16/CCITT-FALSE of the 8 bytes before (2, LE)
 * An entry torn by a reset mid-write fails its CRC and is skipped (its write had not been
 * acknowledged to anybody, see ccs_secure.c). Every entry written is >= all entries before it in both
 * counters, so the state is the componentwise maximum of the two banks' newest valid entries.
 * A write appends to the bank in use; when it is full the log rolls over: the OTHER bank (which
 * holds only older states, or nothing) is erased and the state written there as entry 0. The bank
 * holding the newest state is never erased before a newer copy is complete in the other one, so at
 * every instant (a reset at any point of the erase or the programming) flash holds the newest
 * acknowledged state. With one bank only, the erase-then-write left a window where all of it read as
 * erased ("freshly provisioned": counters 0): replay of SSM messages and AES-CCM nonce reuse.
 * One erase per 12 writes into A, then one per 51 into M: 2 erases per 63 writes, one per bank.
 * Both banks erased = freshly provisioned: both counters 0 (provisioning, loading or flashing the
 * ELF, and the BSL's mass erase all erase both: each is a reprovisioning, see docs/protocol.md).
 *
 * rx_counter: the highest SSM counter the CCS accepted (anti-replay across reboots).
 * tx_mark:    every CCS counter up to tx_mark may have been used; after a reboot the CCS continues at
 *             tx_mark, so reserving N counters ahead costs one flash write per N messages.
 */
#ifndef ESSE_INFOMEM_H
#define ESSE_INFOMEM_H

#include <stdint.h>

#define INFOMEM_SEGMENT_B 0x1000u
#define INFOMEM_SEGMENT_A 0x1080u
#define INFOMEM_SEGMENT_SIZE 128u
#define INFOMEM_KEY_LEN 16u
#define INFOMEM_IK_OFFSET 0x18u
#define INFOMEM_NO_NODE_ID 0xFFFFu
#define INFOMEM_LOG_ENTRY 10u
#define INFOMEM_LOG_ENTRIES 12u
/* The main-flash bank: the last code segment below the vectors' segment (firmware/sys/sky.ld). */
#define INFOMEM_BANK_M 0xFC00u
#define INFOMEM_BANK_M_SIZE 512u
#define INFOMEM_BANK_M_ENTRIES 51u

typedef struct {
    uint16_t node_id;                 /* INFOMEM_NO_NODE_ID: none provisioned */
    uint8_t has_psk_dn;
    uint8_t psk_dn[INFOMEM_KEY_LEN];
} infomem_identity_t;

typedef struct {
    uint32_t rx_counter;
    uint32_t tx_mark;
} infomem_counters_t;

/* 0 and *id filled when segment B holds a valid identity; -1 erased, -2 bad magic/version, -3 CRC. */
int infomem_read_identity(infomem_identity_t *id);

/* The counter state in the two banks (zeros when erased); *writes_left = writes before a roll-over. */
void infomem_read_counters(infomem_counters_t *c, uint8_t *writes_left);

/* Append the state, raised to the stored one (rolling over to the other bank when the one in use is
 * full). 0, or -1 when the read-back differs (flash worn out or write refused). Interrupts are off
 * during the flash operations. */
int infomem_write_counters(const infomem_counters_t *c);

/* IK_d from segment B (secure bootstrapping). 0 and ik filled; -1 no valid identity or no IK_d. */
int infomem_read_ik(uint8_t ik[INFOMEM_KEY_LEN]);

/* Replace segment B by `seg` (a whole identity image, CRC included) so that a reset at any point
 * leaves either the old or the new identity: the newest counters are first made present in bank M
 * (the old key stays in force until the journal is complete), the image is journalled into
 * segment A, segment B is erased and programmed, then bank M and segment A are erased (the new
 * identity's new PSK_DN starts with fresh counters; the old ones belonged to the old key, which no
 * boot uses once the journal is complete). 0, or -1 when a read-back differs. */
int infomem_write_identity(const uint8_t seg[INFOMEM_SEGMENT_SIZE]);

/* Call at boot before reading identity or counters: finishes an interrupted infomem_write_identity
 * (segment A holds a valid identity image). Returns 1 when it finished one, 0 when nothing was
 * pending, -1 on a flash error. */
int infomem_recover(void);

/* Flash operations done by this firmware since reset (writes and erases), for reports. */
typedef struct {
    uint16_t entry_writes, segment_erases;
} infomem_stats_t;
const infomem_stats_t *infomem_stats(void);

/* CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF). */
uint16_t infomem_crc16(const volatile uint8_t *p, uint16_t n);

#endif
