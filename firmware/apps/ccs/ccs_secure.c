/* ccs_secure.c — see ccs_secure.h. */
#include <stdio.h>
#include <string.h>

#include "ccs_coaps.h"
#include "ccs_secure.h"
#include "ccs_sensors.h"
#include "ccs_temperature.h"
#include "coap.h"
#include "coap_server.h"
#include "netplat.h"
#include "esse_util.h"
#include "infomem.h"
#include "ssm_client.h"
#include "udp.h"

#define ALERT_WARNING 1u
#define ALERT_FATAL 2u
#define ALERT_CLOSE_NOTIFY 0u
/* plaintext of an outgoing record sits here in udp_payload_buf(): after the RELAY header, the record
 * header and the explicit nonce, so esse_record_seal() protects it in place */
#define PLAIN_AT (ESSE_RELAY_HEADER + ESSE_RECORD_HEADER + ESSE_RECORD_EXPLICIT)
#define TAG_MAX 16u

typedef struct {
    esse_record_t rec;
    uint16_t last_used; /* LRU stamp */
} session_t;

static session_t sessions[CCS_MAX_SESSIONS];
static esse_ssm_link_t link;
static infomem_counters_t stored;  /* what the information flash holds */
static uint8_t ssm_addr[16];
static uint16_t ssm_port;
static uint8_t have_ssm;
static uint16_t use_clock;
static uint8_t rx[CCS_RX_MAX];
static ccs_secure_stats_t stats;
static uint8_t have_identity;
static struct {
    uint8_t pending;  /* DELEGATE sent, the reading goes out once a client-role session arrives */
    uint8_t path[24]; /* NUL-terminated Uri-Path of the request */
    uint8_t method;   /* COAP_GET or COAP_PUT (the temperature as payload) */
    uint16_t mid;
} outbound;

const ccs_secure_stats_t *ccs_secure_stats(void) { return &stats; }

uint8_t ccs_secure_sessions(void)
{
    uint8_t i, n = 0;
    for (i = 0; i < CCS_MAX_SESSIONS; i++)
        n = (uint8_t)(n + sessions[i].rec.active);
    return n;
}

/* Write the counters to flash when the accepted SSM counter moved or `more` own counters would pass
 * the reserved mark. Must return before the message that depends on it is sent. */
static int persist(uint8_t more)
{
    infomem_counters_t want = stored;
    want.rx_counter = link.last_rx_counter;
    if (link.tx_counter + more > stored.tx_mark)
        want.tx_mark = link.tx_counter + more + CCS_TX_RESERVE;
    if (want.rx_counter == stored.rx_counter && want.tx_mark == stored.tx_mark)
        return 0;
    if (infomem_write_counters(&want) != 0) {
        printf("ccs: information flash write failed\n");
        return -1;
    }
    stored = want;
    stats.flash_writes++;
    return 0;
}

static void to_ssm(const uint8_t *frame, uint16_t len)
{
    if (have_ssm)
        udp_send(ssm_addr, ssm_port, CCS_SSM_PORT, frame, len);
}

static void send_error(uint8_t code, const uint8_t sid[ESSE_SESSION_ID_LEN])
{
    uint8_t *out = udp_payload_buf();
    int n;
    if (persist(1) != 0)
        return;
    n = esse_error_build(&link, code, sid, out, UDP_PAYLOAD_MAX);
    if (n > 0) {
        to_ssm(out, (uint16_t)n);
        stats.errors_sent++;
    }
}

/* Protect the plaintext at udp_payload_buf() + PLAIN_AT as one record and relay it. */
static void send_record(session_t *s, uint8_t type, uint16_t plain_len)
{
    uint8_t *out = udp_payload_buf();
    int n = esse_record_seal(&s->rec, type, out + PLAIN_AT, plain_len, out + ESSE_RELAY_HEADER,
                             UDP_PAYLOAD_MAX - ESSE_RELAY_HEADER);
    if (n < 0) {
        stats.record_errors++;
        return;
    }
    out[0] = ESSE_MSG_RELAY;
    memcpy(out + 1, s->rec.session_id, ESSE_SESSION_ID_LEN);
    to_ssm(out, (uint16_t)(ESSE_RELAY_HEADER + (uint16_t)n));
    stats.records_out++;
}

static void send_alert(session_t *s, uint8_t level, uint8_t desc)
{
    uint8_t *p = udp_payload_buf() + PLAIN_AT;
    p[0] = level;
    p[1] = desc;
    send_record(s, ESSE_CT_ALERT, 2);
}

/* End a session: wipe the keys, tell the SSM so it frees the relay row. */
static void close_session(session_t *s)
{
    uint8_t sid[ESSE_SESSION_ID_LEN];
    memcpy(sid, s->rec.session_id, sizeof sid);
    esse_record_wipe(&s->rec);
    stats.closed++;
    send_error(ESSE_ECODE_SESSION_CLOSED, sid);
}

static session_t *find(const uint8_t *sid)
{
    uint8_t i;
    for (i = 0; i < CCS_MAX_SESSIONS; i++)
        if (sessions[i].rec.active && memcmp(sessions[i].rec.session_id, sid, ESSE_SESSION_ID_LEN) == 0)
            return &sessions[i];
    return 0;
}

/* A free slot, else the least recently used session (still active: the caller evicts it). */
static session_t *slot_for_new(void)
{
    uint8_t i;
    session_t *lru = &sessions[0];
    for (i = 0; i < CCS_MAX_SESSIONS; i++) {
        if (!sessions[i].rec.active)
            return &sessions[i];
        if ((uint16_t)(use_clock - sessions[i].last_used) > (uint16_t)(use_clock - lru->last_used))
            lru = &sessions[i];
    }
    return lru;
}

/* Outbound: our CON request to the server (PUT: the temperature as payload). */
static void send_reading(session_t *s)
{
    uint8_t *p = udp_payload_buf() + PLAIN_AT, text[CCS_TEMPERATURE_TEXT_MAX], token[2] = {'e', 'o'};
    coap_writer_t w;
    uint16_t n = ccs_temperature_text(ccs_sensor_temperature_raw(), text, sizeof text);
    int len;
    outbound.pending = 0;
    outbound.mid = (uint16_t)(netplat_random16() | 1u);
    coap_writer_init(&w, p, (uint16_t)(UDP_PAYLOAD_MAX - PLAIN_AT - TAG_MAX), COAP_TYPE_CON, outbound.method,
                     outbound.mid, token, sizeof token);
    coap_write_path_options(&w, COAP_OPT_URI_PATH, (const char *)outbound.path, '/');
    if (outbound.method == COAP_PUT) {
        coap_write_uint_option(&w, COAP_OPT_CONTENT_FORMAT, COAP_FORMAT_TEXT);
        coap_write_payload(&w, text, n);
    }
    len = coap_writer_finish(&w);
    if (len > 0)
        send_record(s, ESSE_CT_APPLICATION_DATA, (uint16_t)len);
}

/* Outbound: the server's answer to our request (we are the DTLS client here, nothing to serve). */
static void outbound_answer(const uint8_t *p, uint16_t n)
{
    coap_msg_t m;
    uint8_t text[32];
    uint16_t k;
    if (coap_parse(&m, p, n) != 0 || m.code < 64u)
        return;
    k = m.payload_len < sizeof text - 1u ? m.payload_len : (uint16_t)(sizeof text - 1u);
    if (k)
        memcpy(text, m.payload, k); /* an answer without payload has none: memcpy from NULL is undefined */
    text[k] = 0;
    printf("ccs: outbound answer %u.%02u '%s'\n", (unsigned)(m.code >> 5), (unsigned)(m.code & 31u), (char *)text);
}

int ccs_secure_outbound(const uint8_t *req, uint16_t len)
{
    uint8_t alen, idlen, *out;
    uint16_t at, sport, path_len;
    int n;
    if (!have_identity || len < 16u + 2u + 1u)
        return -1;
    alen = req[18];
    at = (uint16_t)(19u + alen);
    if ((alen != 4u && alen != 16u) || len < at + 3u)
        return -1;
    sport = (uint16_t)((req[at] << 8) | req[at + 1u]);
    idlen = req[at + 2u];
    if (len < at + 3u + idlen || idlen > ESSE_DELEGATE_MAX_IDENTITY)
        return -1;
    if (len < at + 4u + idlen)
        return -1;
    outbound.method = req[at + 3u + idlen];
    path_len = (uint16_t)(len - (at + 4u + idlen));
    if ((outbound.method != COAP_GET && outbound.method != COAP_PUT) || path_len == 0 ||
        path_len >= sizeof outbound.path || persist(1) != 0)
        return -1;
    memcpy(outbound.path, req + at + 4u + idlen, path_len);
    outbound.path[path_len] = 0;
    memcpy(ssm_addr, req, 16);
    ssm_port = (uint16_t)((req[16] << 8) | req[17]);
    have_ssm = 1;
    out = udp_payload_buf();
    n = esse_delegate_build(&link, req + 19, alen, sport, req + at + 3u, idlen, out, UDP_PAYLOAD_MAX);
    if (n < 0)
        return -1;
    outbound.pending = 1;
    to_ssm(out, (uint16_t)n);
    return 0;
}

static void key_material(const uint8_t src[16], uint16_t sport, uint16_t len)
{
    esse_keystate_t ks;
    uint32_t counter;
    session_t *s = 0;
    uint8_t evict = 0, evicted_sid[ESSE_SESSION_ID_LEN], sid[ESSE_SESSION_ID_LEN], *out;
    int rc = esse_km_open(&link, rx, len, &ks, &counter), n;
    if (rc == ESSE_KM_DUPLICATE && !find(ks.session_id))
        rc = ESSE_KM_ERR_REPLAY; /* a used counter, its session not held (e.g. from before a reboot) */
    if (rc < 0) {
        esse_keystate_wipe(&ks);
        stats.km_rejected++;
        printf("ccs: key material refused (%d)\n", rc);
        return;
    }
    memcpy(ssm_addr, src, 16); /* authenticated: this is our SSM */
    ssm_port = sport;
    have_ssm = 1;
    if (rc == ESSE_KM_OK) {
        s = find(ks.session_id);
        if (!s) {
            s = slot_for_new();
            if (s->rec.active) {
                evict = 1;
                memcpy(evicted_sid, s->rec.session_id, sizeof evicted_sid);
                send_alert(s, ALERT_WARNING, ALERT_CLOSE_NOTIFY); /* tell its client, while we have the keys */
                stats.evicted++;
            }
        }
        if (esse_record_install(&s->rec, &ks) != ESSE_REC_OK) {
            esse_record_wipe(&s->rec);
            s = 0;
        } else {
            s->last_used = ++use_clock;
            stats.km_installed++;
        }
    } else {
        stats.km_duplicate++;
        /* re-acknowledge only what is installed: a retry of state the record layer refused (or of a
         * session closed since) would otherwise tell the SSM a dead session is up */
        s = find(ks.session_id);
    }
    memcpy(sid, ks.session_id, sizeof sid);
    esse_keystate_wipe(&ks);
    if (persist(evict ? 2 : 1) != 0)
        return; /* no ACK for a counter the flash does not hold */
    if (s) { /* else state refused by the record layer: no ACK, the SSM gives up after its retries */
        out = udp_payload_buf();
        n = esse_km_ack(&link, counter, sid, out, UDP_PAYLOAD_MAX);
        if (n > 0) {
            to_ssm(out, (uint16_t)n);
            stats.acks++;
        }
    }
    if (evict) /* the evicted session is gone even when the new state was refused */
        send_error(ESSE_ECODE_SESSION_CLOSED, evicted_sid);
    if (s && rc == ESSE_KM_OK && s->rec.role == ESSE_ROLE_CLIENT && outbound.pending)
        send_reading(s);
}

static void on_alert(session_t *s, const uint8_t *p, uint16_t n)
{
    stats.alerts_in++;
    if (n != 2 || (p[0] != ALERT_FATAL && p[1] != ALERT_CLOSE_NOTIFY))
        return; /* a warning other than close_notify: nothing to do */
    if (p[1] == ALERT_CLOSE_NOTIFY)
        send_alert(s, ALERT_WARNING, ALERT_CLOSE_NOTIFY); /* RFC 5246 7.2.1: answer close_notify */
    close_session(s);
}

static void relay(uint16_t len)
{
    esse_record_view_t view;
    uint16_t pos = ESSE_RELAY_HEADER;
    session_t *s = find(rx + 1);
    if (!s) {
        stats.unknown_session++;
        send_error(ESSE_ECODE_UNKNOWN_SESSION, rx + 1);
        return;
    }
    while (pos < len && s->rec.active) {
        int rc = esse_record_open(&s->rec, rx + pos, (size_t)(len - pos), &view);
        uint8_t *out = udp_payload_buf();
        if (rc == ESSE_REC_PASSBACK) {
            int n = esse_relay_build(ESSE_MSG_HANDBACK, s->rec.session_id, rx + pos, view.record_len, out,
                                     UDP_PAYLOAD_MAX);
            if (n > 0)
                to_ssm(out, (uint16_t)n);
            stats.handbacks++;
        } else if (rc == ESSE_REC_OK) {
            stats.records_in++;
            s->last_used = ++use_clock;
            if (view.type == ESSE_CT_APPLICATION_DATA && s->rec.role == ESSE_ROLE_CLIENT) {
                outbound_answer(view.payload, view.payload_len);
            } else if (view.type == ESSE_CT_APPLICATION_DATA) {
                int n = ccs_coaps_answer(view.payload, view.payload_len, out + PLAIN_AT,
                                         (uint16_t)(UDP_PAYLOAD_MAX - PLAIN_AT - TAG_MAX));
                if (n > 0)
                    send_record(s, ESSE_CT_APPLICATION_DATA, (uint16_t)n);
            } else if (view.type == ESSE_CT_ALERT) {
                on_alert(s, view.payload, view.payload_len);
            }
        } else {
            stats.record_errors++; /* RFC 6347 4.1.2.7: invalid records are silently discarded */
        }
        if (view.record_len == 0)
            break;
        pos = (uint16_t)(pos + view.record_len);
    }
}

static void ssm_error(uint16_t len)
{
    uint8_t code, sid[ESSE_SESSION_ID_LEN];
    session_t *s;
    if (esse_error_open(&link, rx, len, &code, sid) != ESSE_KM_OK) {
        stats.dropped++;
        return;
    }
    stats.errors_in++;
    if (code == ESSE_ECODE_HANDSHAKE_FAILED && outbound.pending) {
        outbound.pending = 0;
        printf("ccs: outbound handshake failed at the SSM\n");
    }
    s = find(sid);
    if (s) {
        /* the SSM ended it (revocation, quota): tell the client while we have the keys */
        if (code == ESSE_ECODE_SESSION_CLOSED || code == ESSE_ECODE_CLOSE_ALERT)
            send_alert(s, ALERT_WARNING, ALERT_CLOSE_NOTIFY);
        esse_record_wipe(&s->rec);
    }
}

static void ssm_input(const uint8_t src[16], uint16_t sport, uint16_t dport, const uint8_t *data, uint16_t len)
{
    (void)dport;
    if (len == 0 || len > sizeof rx) {
        stats.dropped++;
        return;
    }
    memcpy(rx, data, len);
    if (rx[0] == ESSE_MSG_KEY_MATERIAL) {
        key_material(src, sport, len);
    } else if (rx[0] == ESSE_MSG_RELAY && len > ESSE_RELAY_HEADER) {
        if (!have_ssm) { /* after a reboot: answer the sender so it frees what we lost */
            memcpy(ssm_addr, src, 16);
            ssm_port = sport;
            have_ssm = 1;
        }
        relay(len);
    } else if (rx[0] == ESSE_MSG_ERROR) {
        ssm_error(len);
    } else {
        stats.dropped++;
    }
    esse_wipe(rx, len); /* decrypted application data and key material do not linger */
}

static void mgmt_input(const uint8_t src[16], uint16_t sport, uint16_t dport, const uint8_t *data, uint16_t len)
{
    uint8_t status = ccs_secure_outbound(data, len) == 0 ? 0u : 1u;
    (void)dport;
    udp_send(src, sport, CCS_MGMT_PORT, &status, 1);
}

/* RFC 7252 4.4: a peer answers a message ID it saw within EXCHANGE_LIFETIME (247 s) with its old
 * response, so a rebooted CCS must not start from the last boot's IDs and tokens (the RD ignored the
 * re-registration of a mote re-enrolled after revocation for its whole retransmission span). The
 * generator's boot seed repeats; a PRF of the persistent state does not, once a boot sent or accepted
 * a message or a new PSK_DN came. First byte 0xFF: no CCM block under PSK_DN starts with it. */
void ccs_secure_reseed(void)
{
    uint8_t in[ESSE_AES_BLOCK], out[ESSE_AES_BLOCK];
    if (!have_identity)
        return;
    memset(in, 0, sizeof in);
    in[0] = 0xFFu;
    esse_put32(in + 4, stored.rx_counter);
    esse_put32(in + 8, stored.tx_mark);
    esse_aes128_encrypt(&link.psk_dn, in, out);
    netplat_random_mix((uint16_t)((uint16_t)out[0] << 8 | out[1]));
    esse_wipe(out, sizeof out);
    coap_restart_mids();
}

int ccs_secure_init(void)
{
    infomem_identity_t id;
    int rc = infomem_read_identity(&id);
    memset(sessions, 0, sizeof sessions);
    memset(&stats, 0, sizeof stats);
    memset(&outbound, 0, sizeof outbound); /* init is a reboot: nothing of a previous run survives in RAM */
    have_ssm = 0;
    use_clock = 0;
    if (rc != 0 || !id.has_psk_dn) {
        printf("ccs: no PSK_DN in information flash (%d): DTLS off\n", rc);
        return -1;
    }
    have_identity = 1;
    infomem_read_counters(&stored, 0);
    /* continue above everything a previous run may have used or accepted */
    esse_ssm_link_init(&link, id.psk_dn, stored.rx_counter, stored.tx_mark);
    esse_wipe(id.psk_dn, sizeof id.psk_dn);
    printf("ccs: SSM port %u, counters rx %lu tx %lu, %u sessions x %u B\n", CCS_SSM_PORT,
           (unsigned long)stored.rx_counter, (unsigned long)stored.tx_mark, CCS_MAX_SESSIONS,
           (unsigned)sizeof(session_t));
    udp_bind(CCS_MGMT_PORT, mgmt_input);
    return udp_bind(CCS_SSM_PORT, ssm_input);
}
