/*
 * air.c — the radio channel between host-built nodes that run mac802154.c: every transmitted frame
 * reaches every other registered node at once (one collision-free broadcast medium), through that
 * node's radio "interrupt" (host_radio_rx). The test can lose frames on purpose and reads the log.
 */
#include "air.h"

#include <stdint.h>
#include <string.h>

#define AIR_NODES 16
#define AIR_LOG 512

static air_rx_fn nodes[AIR_NODES];
static uint8_t log_frames[AIR_LOG][127];
static uint8_t log_len[AIR_LOG];
static uint8_t log_from[AIR_LOG];
static int log_count;
static int drop_data, drop_acks;

void air_register(int index, air_rx_fn fn)
{
    if (index >= 0 && index < AIR_NODES)
        nodes[index] = fn;
}

/* Lose the next n data frames / ACK frames (still logged). */
void air_drop(int data, int acks)
{
    drop_data = data;
    drop_acks = acks;
}

void air_transmit(int from, const uint8_t *frame, uint8_t len)
{
    int i, is_ack = len >= 1 && (frame[0] & 7) == 2;
    if (log_count < AIR_LOG) {
        memcpy(log_frames[log_count], frame, len);
        log_len[log_count] = len;
        log_from[log_count] = (uint8_t)from;
        log_count++;
    }
    if (is_ack && drop_acks > 0) {
        drop_acks--;
        return;
    }
    if (!is_ack && drop_data > 0) {
        drop_data--;
        return;
    }
    for (i = 0; i < AIR_NODES; i++)
        if (i != from && nodes[i])
            nodes[i](frame, len);
}

int air_log_count(void) { return log_count; }

/* Frame i of the log: its length, copied to out; *from is the sender's index. */
int air_log_frame(int i, uint8_t *out, int *from)
{
    if (i < 0 || i >= log_count)
        return -1;
    memcpy(out, log_frames[i], log_len[i]);
    *from = log_from[i];
    return log_len[i];
}
