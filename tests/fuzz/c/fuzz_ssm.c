/* libFuzzer target: the CCS's SSM endpoint (firmware/apps/ccs/ccs_secure.c with ssm_client, the record
 * layer and the CoAP-over-DTLS server) behind the real UDP/IPv6 input of the host-built net stack.
 *
 * The target plays the SSM and the DTLS peers: it knows PSK_DN, so the messages it seals reach past
 * the CCM tags, and it checks every frame the CCS sends back (a violated rule aborts):
 *  - KEY_ACK, ERROR, DELEGATE carry a valid tag and a CCS counter above every earlier one (no nonce is
 *    used twice under PSK_DN, also across reboots), and that counter is below the reserved mark the
 *    information flash held when it left; a KEY_ACK names key material this target sent, for its
 *    session, whose counter is in the flash already and above the mark the CCS booted with (nothing
 *    accepted before a reboot is acknowledged after it); key material resent out of order (the
 *    CCS's counter window) may be acknowledged again but installs once;
 *  - RELAY records open under the session's keys, each sequence number once (peer's replay window).
 * Operations (byte % 8), until the input runs out:
 *   0 RAW len bytes            any datagram to the SSM port
 *   1 KM delta(int8) ks[75]    key material under a fresh counter; delta <= 0 replays an earlier message
 *   2 RELAY slot n {type seq(2) flags len payload}*n   records sealed by the slot's peer
 *   3 ERROR delta code slot    an authenticated ERROR from the SSM (delta <= 0: a replay, as for KM)
 *   4 MGMT len bytes           an outbound request on the management port
 *   5 REBOOT                   ccs_secure_init() again (counters from the flash store)
 *   6 FLASH byte               counter writes fail while byte is odd
 *   7 TIME byte                advance the clock, run the app's periodic work
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../../firmware/dtls_record/ccm.h"
#include "ccs_secure.h"
#include "dtls_record.h"
#include "esse_util.h"
#include "infomem_ram.h"
#include "ipv6.h"
#include "ssm_client.h"

void host_set_time_ms(uint32_t t);
void host_seed(uint32_t seed);
void host_ccs_start(uint16_t node_id, int link);
void host_ccs_periodic(void);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PEERS 8u
#define SENT_LOG 4u
#define KM_MAX 16u /* > the KMs a max_len (1 KiB) input holds: every session the CCS installed stays known */
#define SSM_PORT 5690u

static const uint8_t PSK[16] = {0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78,
                                0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0};
static const uint8_t SSM_ADDR[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0, 0, 0x02};

typedef struct {
  esse_keystate_t ks;
  uint32_t counter;
  uint8_t peered; /* the target's peer was installed from it (once only: a reinstall resets its window) */
} km_t;

typedef struct {
  uint8_t msg[ESSE_KM_LEN];
  uint16_t len;
  km_t *km; /* the key material it carries, NULL for ERROR */
} sent_t;

typedef struct {
  uint8_t used;
  uint8_t sid[ESSE_SESSION_ID_LEN];
  esse_record_t rec; /* the DTLS peer of the CCS in this session */
} peer_t;

static struct {
  esse_aes128_t psk;
  uint32_t ssm_ctr;         /* highest SSM counter this target used */
  uint32_t ccs_ctr;         /* highest CCS counter seen (0: none) */
  uint32_t boot_mark;       /* the accepted SSM counter the flash held at the last (re)boot */
  peer_t peers[PEERS];
  uint8_t next_peer;
  sent_t sent[SENT_LOG];    /* the last messages sent, for byte-exact replays */
  unsigned nsent;
  km_t kms[KM_MAX];         /* every key material sent, oldest first */
  unsigned nkm;
  uint32_t now;
} t;

static uint8_t pkt[1400];

static void check(int cond) {
  if (!cond) abort();
}

static void nonce_of(uint8_t nonce[13], uint8_t sender, uint32_t ctr) {
  memset(nonce, 0, 13);
  nonce[0] = 'E';
  nonce[1] = 'S';
  nonce[2] = sender;
  esse_put32(nonce + 9, ctr);
}

static peer_t *peer_for(const uint8_t *sid) {
  for (unsigned i = 0; i < PEERS; i++)
    if (t.peers[i].used && memcmp(t.peers[i].sid, sid, ESSE_SESSION_ID_LEN) == 0) return &t.peers[i];
  return 0;
}

/* A CCS message with a counter: tag valid, counter fresh and covered by the flash's reserved mark. */
static uint32_t check_ccs_counter(const uint8_t *m, uint16_t len, uint16_t body) {
  uint8_t nonce[13], copy[128];
  uint32_t ctr = esse_get32(m + 1);
  check(len <= sizeof copy && body + ESSE_SHORT_TAG <= len);
  memcpy(copy, m, len);
  nonce_of(nonce, ESSE_SENDER_CCS, ctr);
  /* body = the bytes authenticated in clear (ACK, ERROR: all but the tag; DELEGATE: type | counter) */
  check(esse_ccm_open(&t.psk, nonce, 13, ESSE_SHORT_TAG, copy, body, copy + body,
                      (size_t)(len - body - ESSE_SHORT_TAG), copy + len - ESSE_SHORT_TAG) == ESSE_CCM_OK);
  check(ctr > t.ccs_ctr);
  check(ctr <= infomem_ram_counters()->tx_mark);
  t.ccs_ctr = ctr;
  return ctr;
}

/* The DTLS peer of a session the CCS installed from key material ks. */
static peer_t *install_peer(const esse_keystate_t *installed) {
  esse_keystate_t ks = *installed;
  peer_t *p = peer_for(ks.session_id);
  if (!p) {
    p = &t.peers[t.next_peer];
    t.next_peer = (uint8_t)((t.next_peer + 1u) % PEERS);
  }
  ks.role ^= 1u;
  check(esse_record_install(&p->rec, &ks) == ESSE_REC_OK);
  p->rec.recv_window = 0; /* the peer has received nothing in these keys yet */
  memcpy(p->sid, ks.session_id, ESSE_SESSION_ID_LEN);
  p->used = 1;
  return p;
}

/* A session installed from key material whose KEY_ACK never left (the flash write failed): the
 * newest key material sent for that session id is what the CCS holds. */
static peer_t *unacked_peer(const uint8_t *sid) {
  for (unsigned i = t.nkm; i-- > 0;) {
    km_t *s = &t.kms[i];
    if (memcmp(s->ks.session_id, sid, ESSE_SESSION_ID_LEN) != 0) continue;
    if (s->peered) return 0; /* its peer exists already: installing it again would hide a reused nonce */
    s->peered = 1;
    return install_peer(&s->ks);
  }
  return 0;
}

static void on_ack(const uint8_t *m, uint16_t len) {
  check(len == ESSE_ACK_LEN);
  check_ccs_counter(m, len, ESSE_ACK_LEN - ESSE_SHORT_TAG);
  uint32_t acked = esse_get32(m + 5);
  km_t *k = 0;
  check(acked > t.boot_mark && acked <= infomem_ram_counters()->rx_counter);
  for (unsigned i = 0; i < t.nkm && !k; i++)
    if (t.kms[i].counter == acked) k = &t.kms[i];
  check(k && memcmp(m + 9, k->ks.session_id, ESSE_SESSION_ID_LEN) == 0);
  if (!k->peered) install_peer(&k->ks); /* else acknowledged again (its first ACK lost): nothing new */
  k->peered = 1;
}

/* Open every record of a RELAY frame with peer p; 1 when all opened. */
static int peer_opens(peer_t *p, const uint8_t *m, uint16_t len) {
  static uint8_t copy[1400];
  esse_record_view_t view;
  esse_record_t before = p->rec;
  memcpy(copy, m, len);
  for (uint16_t pos = ESSE_RELAY_HEADER; pos < len;) {
    if (esse_record_open(&p->rec, copy + pos, (size_t)(len - pos), &view) != ESSE_REC_OK) {
      p->rec = before;
      return 0;
    }
    pos = (uint16_t)(pos + view.record_len);
  }
  return 1;
}

static void on_relay(const uint8_t *m, uint16_t len) {
  peer_t *p;
  check(len > ESSE_RELAY_HEADER);
  p = peer_for(m + 1);
  if (p && peer_opens(p, m, len)) return;
  /* else keys the CCS installed without acknowledging them (its flash write failed) */
  p = unacked_peer(m + 1);
  check(p != 0 && peer_opens(p, m, len)); /* the CCS only speaks in sessions the SSM gave it */
}

/* The IPv6 output of the CCS: every packet it sends passes here. */
static int capture(const uint8_t *ip, uint16_t len) {
  if (len < 48 || IPV6_NEXT_HEADER(ip) != 17) return 0;
  const uint8_t *udp = ip + 40, *m = udp + 8;
  uint16_t sport = (uint16_t)(udp[0] << 8 | udp[1]), n = (uint16_t)(len - 48);
  if (sport != CCS_SSM_PORT || n == 0) return 0;
  switch (m[0]) {
  case ESSE_MSG_KEY_ACK: on_ack(m, n); break;
  case ESSE_MSG_ERROR: check(n == ESSE_ERROR_LEN); check_ccs_counter(m, n, ESSE_ERROR_LEN - ESSE_SHORT_TAG); break;
  case ESSE_MSG_DELEGATE: check_ccs_counter(m, n, 5); break;
  case ESSE_MSG_RELAY: on_relay(m, n); break;
  case ESSE_MSG_HANDBACK: check(n > ESSE_RELAY_HEADER); break;
  default: check(0);
  }
  return 0;
}

/* One UDP datagram from the SSM's address into the CCS's IPv6 input. */
static void deliver(uint16_t dport, const uint8_t *payload, uint16_t n) {
  uint16_t ulen = (uint16_t)(8 + n);
  if (40u + ulen > sizeof pkt) return;
  memset(pkt, 0, 48);
  pkt[0] = 0x60;
  pkt[4] = (uint8_t)(ulen >> 8);
  pkt[5] = (uint8_t)ulen;
  pkt[6] = 17;
  pkt[7] = 64;
  memcpy(pkt + 8, SSM_ADDR, 16);
  memcpy(pkt + 24, ipv6_linklocal_addr(), 16);
  pkt[40] = SSM_PORT >> 8;
  pkt[41] = SSM_PORT & 0xff;
  pkt[42] = (uint8_t)(dport >> 8);
  pkt[43] = (uint8_t)dport;
  pkt[44] = pkt[4];
  pkt[45] = pkt[5];
  memcpy(pkt + 48, payload, n);
  uint16_t sum = ipv6_upper_checksum(pkt);
  pkt[46] = (uint8_t)(sum >> 8);
  pkt[47] = (uint8_t)sum;
  ipv6_input(pkt, (uint16_t)(40 + ulen), 0);
}

typedef struct {
  const uint8_t *d;
  size_t left;
} input_t;

static int take(input_t *in, size_t n, const uint8_t **out) {
  if (in->left < n) { in->left = 0; return 0; }
  *out = in->d;
  in->d += n;
  in->left -= n;
  return 1;
}

static uint8_t take_byte(input_t *in) {
  const uint8_t *b;
  return take(in, 1, &b) ? b[0] : 0;
}

/* len byte, then up to that many bytes (fewer at the end of the input). */
static uint16_t take_blob(input_t *in, const uint8_t **out) {
  size_t n = take_byte(in);
  if (n > in->left) n = in->left;
  take(in, n, out);
  return (uint16_t)n;
}

/* The next fresh SSM counter (a real SSM never uses one twice). */
static uint32_t fresh_counter(uint8_t step) {
  t.ssm_ctr += 1u + step % 16u;
  return t.ssm_ctr;
}

/* Send msg (and log it), or with a non-positive delta resend one logged message byte for byte. */
static void send_ssm(uint8_t delta, const uint8_t *msg, uint16_t len, const esse_keystate_t *ks) {
  sent_t *s;
  if ((int8_t)delta <= 0) {
    unsigned back = (unsigned)(-(int8_t)delta) % SENT_LOG;
    if (back >= t.nsent) return;
    s = &t.sent[(t.nsent - 1u - back) % SENT_LOG];
  } else {
    if (ks && t.nkm == KM_MAX) return;
    s = &t.sent[t.nsent % SENT_LOG];
    t.nsent++;
    memcpy(s->msg, msg, len);
    s->len = len;
    s->km = 0;
    if (ks) {
      s->km = &t.kms[t.nkm++];
      s->km->ks = *ks;
      s->km->counter = esse_get32(msg + 1);
      s->km->peered = 0;
    }
  }
  deliver(CCS_SSM_PORT, s->msg, s->len);
}

static void op_km(input_t *in) {
  const uint8_t *ks;
  uint8_t msg[ESSE_KM_LEN], nonce[13];
  esse_keystate_t decoded;
  uint8_t delta = take_byte(in);
  if (!take(in, ESSE_KEYSTATE_WIRE_LEN, &ks)) return;
  uint32_t ctr = (int8_t)delta > 0 ? fresh_counter(delta) : 0;
  msg[0] = ESSE_MSG_KEY_MATERIAL;
  esse_put32(msg + 1, ctr);
  memcpy(msg + 5, ks, ESSE_KEYSTATE_WIRE_LEN);
  nonce_of(nonce, ESSE_SENDER_SSM, ctr);
  esse_ccm_seal(&t.psk, nonce, 13, ESSE_KM_TAG, msg, 5, msg + 5, ESSE_KEYSTATE_WIRE_LEN,
                msg + 5 + ESSE_KEYSTATE_WIRE_LEN);
  esse_keystate_decode(&decoded, ks);
  if ((int8_t)delta > 0)
    for (unsigned i = 0; i < t.nkm; i++)
      if (memcmp(t.kms[i].ks.session_id, decoded.session_id, ESSE_SESSION_ID_LEN) == 0)
        return; /* a real SSM seals one KEY_MATERIAL per session and resends it byte for byte (a
                   second counter for one session made a re-ACK below the boot mark look wrong) */
  send_ssm(delta, msg, sizeof msg, &decoded);
}

static void op_relay(input_t *in) {
  static uint8_t frame[1200];
  uint8_t slot = take_byte(in), n = take_byte(in) % 4u;
  peer_t *p = &t.peers[slot % PEERS];
  uint16_t at = ESSE_RELAY_HEADER;
  frame[0] = ESSE_MSG_RELAY;
  if (p->used) memcpy(frame + 1, p->sid, ESSE_SESSION_ID_LEN);
  else memset(frame + 1, slot, ESSE_SESSION_ID_LEN);
  for (uint8_t i = 0; i < n; i++) {
    const uint8_t *h, *payload = 0;
    if (!take(in, 4, &h)) break;
    uint16_t len = take_blob(in, &payload);
    if (!p->used) break;
    p->rec.next_send_seq = (uint64_t)(h[1] << 8 | h[2]);
    int k = esse_record_seal(&p->rec, h[0], payload, len, frame + at, sizeof frame - at);
    if (k < 0) continue;
    if (h[3] & 1u) frame[at + (h[3] >> 1) % k] ^= 0x01; /* damaged on the way */
    at = (uint16_t)(at + k);
  }
  deliver(CCS_SSM_PORT, frame, at);
}

static void op_error(input_t *in) {
  uint8_t msg[ESSE_ERROR_LEN], nonce[13], empty[1];
  uint8_t delta = take_byte(in), code = take_byte(in), slot = take_byte(in);
  peer_t *p = &t.peers[slot % PEERS];
  uint32_t ctr = (int8_t)delta > 0 ? fresh_counter(delta) : 0;
  msg[0] = ESSE_MSG_ERROR;
  esse_put32(msg + 1, ctr);
  msg[5] = code;
  if (p->used) memcpy(msg + 6, p->sid, ESSE_SESSION_ID_LEN);
  else memset(msg + 6, slot, ESSE_SESSION_ID_LEN);
  nonce_of(nonce, ESSE_SENDER_SSM, ctr);
  esse_ccm_seal(&t.psk, nonce, 13, ESSE_SHORT_TAG, msg, ESSE_ERROR_LEN - ESSE_SHORT_TAG, empty, 0,
                msg + ESSE_ERROR_LEN - ESSE_SHORT_TAG);
  send_ssm(delta, msg, sizeof msg, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int started;
  input_t in = {data, size};
  const uint8_t *blob;
  uint16_t n;
  if (!started) {
    host_seed(1);
    host_ccs_start(1, 1);
    started = 1;
  }
  /* every input starts from a freshly provisioned CCS: the same input, the same run */
  memset(&t, 0, sizeof t);
  esse_aes128_init(&t.psk, PSK);
  infomem_ram_reset(PSK);
  ipv6_set_output(capture);
  ccs_secure_init();
  while (in.left > 0) {
    switch (take_byte(&in) % 8u) {
    case 0: n = take_blob(&in, &blob); if (n) deliver(CCS_SSM_PORT, blob, n); break;
    case 1: op_km(&in); break;
    case 2: op_relay(&in); break;
    case 3: op_error(&in); break;
    case 4: n = take_blob(&in, &blob); deliver(CCS_MGMT_PORT, blob, n); break;
    case 5: t.boot_mark = infomem_ram_counters()->rx_counter; ccs_secure_init(); break;
    case 6: infomem_ram_fail_writes(take_byte(&in) & 1); break;
    default:
      t.now += (uint32_t)take_byte(&in) * 64u;
      host_set_time_ms(t.now);
      host_ccs_periodic();
      break;
    }
  }
  return 0;
}
