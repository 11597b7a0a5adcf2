/*
 * net_conf.h — build-time sizes and timeouts of the net stack. Every value can be overridden with -D.
 *
 * RAM budget (defaults, MSP430): IPv6 output buffer NET_BUF_SIZE, one frame-sized input buffer,
 * SIXLOWPAN_REASS_SLOTS reassembly buffers of SIXLOWPAN_REASS_SIZE bytes, the CoAP dedup cache and the
 * CoAP client transactions. With the defaults this stays well under 4 KB.
 */
#ifndef NET_CONF_H
#define NET_CONF_H

/* Largest IPv6 datagram this node builds or accepts (header included). RFC 8200 asks 1280 of a full
 * IPv6 node; a 10 KB-RAM mote serving small CoAP resources settles for less (bigger is refused, not
 * truncated). */
#ifndef NET_BUF_SIZE
#define NET_BUF_SIZE 640
#endif

/* The motes' 802.15.4 PAN. */
#ifndef NET_PAN_ID
#define NET_PAN_ID 0xabcd
#endif

/* 802.15.4 PHY: 127-byte PSDU including the 2-byte FCS. */
#define NET_FRAME_MAX 127

/* ---- 6LoWPAN reassembly (RFC 4944 §5.3), hardened after Hummen et al. ---- */
#ifndef SIXLOWPAN_REASS_SLOTS
#define SIXLOWPAN_REASS_SLOTS 2 /* concurrent datagrams under reassembly */
#endif
#ifndef SIXLOWPAN_REASS_SIZE
#define SIXLOWPAN_REASS_SIZE NET_BUF_SIZE /* per slot; larger datagram_size is rejected outright */
#endif
#ifndef SIXLOWPAN_REASS_PER_SENDER
#define SIXLOWPAN_REASS_PER_SENDER 1 /* slots one link-layer sender may hold at once */
#endif
#ifndef SIXLOWPAN_REASS_TIMEOUT_MS
#define SIXLOWPAN_REASS_TIMEOUT_MS 8000u /* RFC 4944 allows up to 60 s; shorter limits slot hogging */
#endif

/* ---- UDP ---- */
#ifndef UDP_MAX_SOCKETS
#define UDP_MAX_SOCKETS 3
#endif

/* ---- CoAP (RFC 7252) ---- */
#ifndef COAP_PORT
#define COAP_PORT 5683
#endif
#ifndef COAP_MAX_OPTIONS
#define COAP_MAX_OPTIONS 12 /* options remembered per parsed message */
#endif
#ifndef COAP_DEDUP_ENTRIES
#define COAP_DEDUP_ENTRIES 4
#endif
#ifndef COAP_DEDUP_RESP_SIZE
#define COAP_DEDUP_RESP_SIZE 40 /* responses up to this size are kept to answer duplicate CONs */
#endif
#ifndef COAP_EXCHANGE_LIFETIME_MS
#define COAP_EXCHANGE_LIFETIME_MS 247000ul /* RFC 7252 §4.8.2 */
#endif
#ifndef COAP_CLIENT_TRANSACTIONS
#define COAP_CLIENT_TRANSACTIONS 2
#endif
#ifndef COAP_CLIENT_MSG_SIZE
#define COAP_CLIENT_MSG_SIZE 96 /* a stored request for retransmission */
#endif
#define COAP_ACK_TIMEOUT_MS 2000u
#define COAP_ACK_RANDOM_FACTOR_X2 3 /* 1.5, kept as a fraction of 2 to stay in integers */
#define COAP_MAX_RETRANSMIT 4

#endif
