/*
 * sixlowpan.h — 6LoWPAN adaptation (RFC 4944 fragmentation, RFC 6282 IPHC + UDP NHC).
 *
 * Compression: traffic class / flow label elided when zero (partially otherwise), hop limit 1/64/255
 * coded in 2 bits, link-local addresses elided down to nothing when the IID is derived from the
 * frame's link-layer address (16 bits for 0000:00ff:fe00:XXXX IIDs, 64 otherwise), global addresses in
 * the context-0 prefix likewise (SAC/DAC=1, CID bit 0), multicast ff02::XX in one byte, ffXX::XX:XXXX
 * in 4, ffXX::XX:XXXX:XXXX in 6. UDP ports 0xF0Bx pairs in one byte, 0xF0xx in 8 bits; the UDP
 * checksum is always carried. Not supported (refused on input): contexts 1-15, unicast-prefix-based
 * multicast (M = DAC = 1), other NHCs (extension headers), elided UDP checksums.
 *
 * Fragmentation: a datagram whose compressed form exceeds one frame (NET_FRAME_MAX - mac_overhead)
 * goes out as FRAG1 (compressed header + data up to an 8-byte boundary of the *uncompressed*
 * datagram) and FRAGN frames. Reassembly is defended against the attacks of Hummen et al. (2013):
 *  - datagram_size above SIXLOWPAN_REASS_SIZE is refused before anything is reserved;
 *  - a fragment repeating received bytes identically is ignored; one that overlaps with different
 *    content, runs past datagram_size or leaves a hole not on an 8-byte boundary drops the datagram;
 *  - at most SIXLOWPAN_REASS_PER_SENDER slots per link-layer sender (its oldest is recycled), and when
 *    all SIXLOWPAN_REASS_SLOTS are busy the oldest slot is recycled, so one sender cannot hold them all;
 *  - a slot is freed SIXLOWPAN_REASS_TIMEOUT_MS after its first fragment (sixlowpan_periodic()).
 */
#ifndef SIXLOWPAN_H
#define SIXLOWPAN_H

#include <stdint.h>
#include "lladdr.h"
#include "net_conf.h"

#define SIXLOWPAN_DISPATCH_IPV6 0x41
#define SIXLOWPAN_DISPATCH_IPHC 0x60 /* 011x xxxx */
#define SIXLOWPAN_DISPATCH_FRAG1 0xc0 /* 1100 0xxx */
#define SIXLOWPAN_DISPATCH_FRAGN 0xe0 /* 1110 0xxx */
#define SIXLOWPAN_FRAG1_HDR_LEN 4
#define SIXLOWPAN_FRAGN_HDR_LEN 5

void sixlowpan_init(void);

/* Context 0 (RFC 6282 §3.1.2: the one used when CID = 0) = a /64 prefix, learned from a 6LoWPAN
 * Context Option (RFC 6775 §4.2) in a Router Advertisement (icmp6.c). `compress` is the option's C
 * flag; once `lifetime_min` minutes pass without a renewal the context still decompresses but no
 * longer compresses (RFC 6775 §7.2); lifetime 0 removes it. Lifetimes above
 * SIXLOWPAN_CONTEXT_MAX_MIN are cut to it. */
#define SIXLOWPAN_CONTEXT_MAX_MIN 30000u /* 20.8 days: the ms deadline stays within 2^31 */
void sixlowpan_set_context0(const uint8_t prefix[8], uint8_t compress, uint16_t lifetime_min);
/* The context-0 prefix (8 bytes), or NULL when there is none. */
const uint8_t *sixlowpan_context0(void);

/* Compress the IPv6 header (and the UDP header if next header is UDP) of `ip` for a frame from src_ll
 * to dst_ll. Writes at most 48 bytes to out; returns the compressed length and sets *consumed to the
 * number of uncompressed header bytes it stands for (40, or 48 with UDP). */
uint8_t sixlowpan_compress(const uint8_t *ip, const lladdr_t *src_ll, const lladdr_t *dst_ll, uint8_t *out,
                           uint8_t *consumed);

/* Decompress an IPHC header at in[0..inlen) into ip (room for 48 bytes). `total_len` is the length of
 * the whole uncompressed datagram when known (FRAG1 datagram_size), or 0 to derive it from inlen.
 * Returns the uncompressed header length (40/48) and sets *used to the compressed bytes consumed;
 * negative when the header is malformed or uses what is not supported (contexts other than 0,
 * elided UDP checksum, other NHC). */
int sixlowpan_decompress(const uint8_t *in, uint16_t inlen, const lladdr_t *src_ll, const lladdr_t *dst_ll,
                         uint16_t total_len, uint8_t *ip, uint8_t *used);

/* Send an IPv6 datagram to the link-layer next hop, fragmenting when needed. 0 or negative. */
int sixlowpan_output(const uint8_t *ip, uint16_t len, const lladdr_t *next_hop);

/* Expire reassembly slots; call from the main loop (e.g. every 100 ms–1 s). */
void sixlowpan_periodic(void);

typedef struct {
    uint16_t rx_frames, rx_dropped;                       /* any frame, and frames refused */
    uint16_t reass_done, reass_too_big, reass_duplicate;  /* datagrams completed, size refusals, dups */
    uint16_t reass_conflict, reass_evicted, reass_timeout; /* overlap/bad-range drops, recycled, expired */
    uint16_t tx_frames, tx_fragmented;
} sixlowpan_stats_t;
const sixlowpan_stats_t *sixlowpan_stats(void);
/* Reassembly slots in use now (tests). */
uint8_t sixlowpan_reass_in_use(void);

#endif
