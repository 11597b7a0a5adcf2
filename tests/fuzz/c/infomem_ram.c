/* The information flash API (firmware/infomem/infomem.h) on host RAM for the SSM fuzz target: the
 * identity holds the target's PSK_DN, the counter store keeps what was written (it survives the
 * target's reboots of ccs_secure), and writes can be made to fail to reach the CCS's refusal paths. */
#include <string.h>

#include "infomem.h"
#include "infomem_ram.h"

static infomem_counters_t store;
static infomem_stats_t istats;
static uint8_t psk_dn[INFOMEM_KEY_LEN];
static int fail_writes;

void infomem_ram_reset(const uint8_t psk[INFOMEM_KEY_LEN]) {
  memcpy(psk_dn, psk, sizeof psk_dn);
  memset(&store, 0, sizeof store);
  memset(&istats, 0, sizeof istats);
  fail_writes = 0;
}

void infomem_ram_fail_writes(int fail) { fail_writes = fail; }

const infomem_counters_t *infomem_ram_counters(void) { return &store; }

int infomem_read_identity(infomem_identity_t *id) {
  id->node_id = 1;
  id->has_psk_dn = 1;
  memcpy(id->psk_dn, psk_dn, sizeof id->psk_dn);
  return 0;
}

void infomem_read_counters(infomem_counters_t *c, uint8_t *writes_left) {
  *c = store;
  if (writes_left) *writes_left = INFOMEM_LOG_ENTRIES;
}

int infomem_write_counters(const infomem_counters_t *c) {
  if (fail_writes) return -1;
  store = *c;
  istats.entry_writes++;
  return 0;
}

const infomem_stats_t *infomem_stats(void) { return &istats; }
