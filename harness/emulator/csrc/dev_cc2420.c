/* dev_cc2420.c — CC2420 radio model (see dev_cc2420.h). Written from the CC2420 datasheet. */
#include "dev_cc2420.h"

#include <stdlib.h>
#include <string.h>

#include "dev_cc2420_aes.h"
#include "periph.h"

/* ---------------------------------------------------------------- chip constants */

enum {
    REG_MAIN = 0x10, REG_MDMCTRL0, REG_MDMCTRL1, REG_RSSI, REG_SYNCWORD, REG_TXCTRL, REG_RXCTRL0,
    REG_RXCTRL1, REG_FSCTRL, REG_SECCTRL0, REG_SECCTRL1, REG_BATTMON, REG_IOCFG0, REG_IOCFG1,
    REG_MANFIDL, REG_MANFIDH, REG_FSMTC, REG_MANAND, REG_MANOR, REG_AGCCTRL, REG_AGCTST0, REG_AGCTST1,
    REG_AGCTST2, REG_FSTST0, REG_FSTST1, REG_FSTST2, REG_FSTST3, REG_RXBPFTST, REG_FSMSTATE,
    REG_ADCTST, REG_DACTST, REG_TOPTST, REG_RESERVED,
    REG_FIRST = REG_MAIN, REG_LAST = REG_RESERVED,
    ADDR_TXFIFO = 0x3E, ADDR_RXFIFO = 0x3F
};

/* Reset values of registers 0x10..0x30 (datasheet register descriptions). The test registers
 * (AGCTST*, FSTST*, RXBPFTST, ADCTST, DACTST, TOPTST) are only stored: they have no effect here. */
static const uint16_t reg_reset[REG_LAST - REG_FIRST + 1] = {
    0xF800, 0x0AE2, 0x0000, 0xE080, 0xA70F, 0xA0FF, 0x12E5, 0x0A56, 0x4165, 0x0384, 0x0000,
    0x0000, 0x0040, 0x0000, 0x233D, 0x3000, 0x7A94, 0xFFFF, 0x0000, 0x07F3, 0x332A, 0x073E,
    0x0000, 0x0A00, 0x4032, 0x0460, 0x6508, 0x0000, 0x0000, 0x0000, 0x0000, 0x0010, 0x0000,
};

enum {
    S_SNOP = 0x00, S_SXOSCON, S_STXCAL, S_SRXON, S_STXON, S_STXONCCA, S_SRFOFF, S_SXOSCOFF,
    S_SFLUSHRX, S_SFLUSHTX, S_SACK, S_SACKPEND, S_SRXDEC, S_STXENC, S_SAES
};

/* MAIN */
#define MAIN_RESETN 0x8000u
#define MAIN_ENC_RESETN 0x4000u

/* SECCTRL0: stand-alone key select (0: KEY0, 1: KEY1; reset 1) */
#define SEC_SAKEYSEL 0x0080u

/* MDMCTRL0 */
#define MDM_RESERVED_FRAME_MODE 0x2000u
#define MDM_PAN_COORDINATOR 0x1000u
#define MDM_ADR_DECODE 0x0800u
#define MDM_AUTOCRC 0x0020u
#define MDM_AUTOACK 0x0010u

/* IOCFG0 */
#define IOC_BCN_ACCEPT 0x0800u
#define IOC_FIFO_POL 0x0400u
#define IOC_FIFOP_POL 0x0200u
#define IOC_SFD_POL 0x0100u
#define IOC_CCA_POL 0x0080u

/* RAM map */
#define RAM_SIZE 0x170u
#define RAM_TXFIFO 0x000u
#define RAM_RXFIFO 0x080u
#define RAM_KEY0 0x100u
#define RAM_SABUF 0x120u
#define RAM_KEY1 0x130u
#define RAM_IEEEADR 0x160u
#define RAM_PANID 0x168u
#define RAM_SHORTADR 0x16Au
#define FIFO_SIZE 128u

/* Sky pins */
#define PIN_FIFOP_PORT 1
#define PIN_FIFOP 0
#define PIN_FIFO_PORT 1
#define PIN_FIFO 3
#define PIN_CCA_PORT 1
#define PIN_CCA 4
#define PIN_SFD_PORT 4
#define PIN_SFD 1
#define CTL_PORT 4
#define CTL_CSN 0x04u
#define CTL_VREG_EN 0x20u
#define CTL_RESETN 0x40u

#define NOISE_FLOOR_DBM (-100)

/* ---------------------------------------------------------------- model state */

enum spi_phase { SPI_IDLE, SPI_ADDR, SPI_REG_HI, SPI_REG_LO, SPI_TXFIFO, SPI_RXFIFO, SPI_RAM_ADDR2, SPI_RAM_DATA };

typedef struct {
    mote_event_t ev;
    uint64_t at_ns;
} tev_t; /* an event with its deadline in simulated time */

typedef struct {
    tev_t t;
    int in_use;
    int phase; /* 0: before start, 1: on the air (before SFD), 2: after SFD (until end) */
    uint8_t psdu[127];
    unsigned len;
    int channel, rssi_dbm, corr;
    int corrupted;
    uint64_t start_ns, sfd_ns, end_ns;
    uint64_t id_ns; /* start_ns as the caller gave it (before a late start moved it): cc2420_corrupt() key */
    struct cc2420 *r;
} air_t;

enum fsm_step { FSM_NONE, FSM_XOSC_STABLE, FSM_VREG_READY, FSM_RX_SEARCH, FSM_TX_SFD, FSM_TX_END, FSM_ACK_START };

struct cc2420 {
    mote_t *m;
    int comp;
    cc2420_tx_fn tx_fn;
    void *tx_ctx;

    /* pins from the MCU */
    int csn_low, vreg_en, resetn;
    /* chip (the scalars that every pin update reads first, the big arrays last: fewer host cache
     * lines per event with many motes) */
    int state;
    int pins; /* bit 0 FIFOP, 1 FIFO, 2 CCA, 3 SFD (driven levels) */
    int sfd_active;
    int rssi_valid;
    uint16_t reg[REG_LAST - REG_FIRST + 1];
    int tx_underflow;
    int noise_dbm;
    int chan_energy[16]; /* per channel 11..26, dBm */
    /* channel_energy_dbm's last answer, valid while egen == egen_cached (egen moves with every
     * input: registers, frames on the air, the medium's levels, noise) */
    unsigned egen, egen_cached;
    int energy_cached;
    /* cca_clear's last answer: pins are recomputed on every byte, SPI transfer and air edge, and CCA
     * rarely moves in between. Valid while egen (registers, energy) and the other inputs (state,
     * RSSI valid, receiving: cca_key) are those it was computed from. */
    unsigned cca_egen;
    int cca_key, cca_cached;

    /* SPI transaction */
    int spi_phase;
    int spi_read;
    uint8_t spi_reg;
    uint8_t spi_hi;
    uint16_t ram_addr;

    /* TXFIFO */
    unsigned tx_count;
    int tx_sent;      /* a frame went out: the next TXFIFO write flushes first */
    /* RXFIFO: circular in ram[RAM_RXFIFO..] */
    unsigned rx_head, rx_count;
    int rx_overflow;
    int fifop_frame_done; /* last byte of a frame arrived; cleared by the next RXFIFO read */

    /* frame being received */
    struct {
        int active;    /* locked on a frame (accepted or being skipped) */
        int rejected;  /* failed address recognition: skipping until end */
        int accepted;  /* passed address recognition (or none configured) */
        unsigned pushed;     /* bytes of this frame in the RXFIFO */
        unsigned next;       /* next byte index: 0 = length byte, k = MPDU byte k-1 */
        unsigned hdr_need;   /* MPDU bytes needed to decide address recognition */
        unsigned len;
        int rssi_dbm, corr, crc_ok;
        uint64_t start_ns, sfd_ns;
        uint64_t id_ns; /* air_t.id_ns of the frame locked on */
        int ack_strobe, ack_pending_strobe;
        uint8_t psdu[127];
    } rx;
    tev_t rx_byte_ev;
    /* Lazy RXFIFO: bytes rx.next .. rx_lazy_end - 1 arrive without an event of their own (their push
     * changes no pin and decides nothing); rx_byte_ev waits at byte rx_lazy_end. Only while the CPU
     * sleeps, and only up to the next other event of the mote: every entry into the model first
     * pushes those already due (rx_sync), so nothing can tell them from eager bytes. */
    unsigned rx_lazy_end;

    /* state machine timer + RSSI valid */
    tev_t fsm_ev;
    int fsm_step;
    uint64_t tx_sfd_ns, tx_end_ns;
    tev_t rssi_ev;
    tev_t power_ev; /* VREG / XOSC start-up */
    int power_step;

    /* acknowledgement to send after the current reception */
    int ack_pending_flag; /* SACKPEND: set frame-pending in auto acks until SACK */
    uint8_t ack_seq;
    int ack_frame_pending;

    /* stand-alone encryption (SAES) in progress: the ciphertext lands in SABUF when aes_ev fires */
    tev_t aes_ev;
    int aes_busy;
    uint8_t aes_result[16]; /* as it will sit in SABUF (reversed, like the key and the plaintext) */

    cc2420_stats_t stats;

    uint8_t ram[RAM_SIZE];
    air_t air[CC2420_MAX_AIR];
};

static const char *const radio_mode_names[] = {"off", "powerdown", "idle", "listen", "transmit"};

/* ---------------------------------------------------------------- helpers */

static uint16_t *regp(cc2420_t *r, int a) { return &r->reg[a - REG_FIRST]; }
static uint16_t regv(const cc2420_t *r, int a) { return r->reg[a - REG_FIRST]; }

static uint64_t now_ns(cc2420_t *r) { return clk_now_ns(r->m); }

static void tev_schedule(cc2420_t *r, tev_t *t, uint64_t at_ns)
{
    t->at_ns = at_ns;
    uint64_t cyc = clk_cycle_at_ns(r->m, at_ns);
    if (cyc < r->m->now)
        cyc = r->m->now;
    mote_event_schedule(r->m, &t->ev, cyc);
}

static void tev_cancel(cc2420_t *r, tev_t *t) { mote_event_cancel(r->m, &t->ev); }

/* CRC-16 ITU-T as used by IEEE 802.15.4 (x^16+x^12+x^5+1, init 0, bits LSB first), a byte at a
 * time: crc_table[v] is the bit-at-a-time register after shifting the 8 bits of v out (filled when
 * the library loads; every frame received is checked, so the 8 steps a byte showed in profiles). */
static uint16_t crc_table[256];

__attribute__((constructor)) static void crc_table_fill(void)
{
    for (unsigned v = 0; v < 256; v++) {
        uint16_t crc = (uint16_t)v;
        for (int b = 0; b < 8; b++)
            crc = (crc & 1u) ? (uint16_t)((crc >> 1) ^ 0x8408u) : (uint16_t)(crc >> 1);
        crc_table[v] = crc;
    }
}

static uint16_t crc16_802154(const uint8_t *p, unsigned n)
{
    uint16_t crc = 0;
    for (unsigned i = 0; i < n; i++)
        crc = (uint16_t)((crc >> 8) ^ crc_table[(crc ^ p[i]) & 0xFFu]);
    return crc;
}

static int freq_channel(uint16_t fsctrl)
{
    int freq = fsctrl & 0x3FF;
    if (freq >= 357 && (freq - 357) % 5 == 0 && (freq - 357) / 5 <= 15)
        return 11 + (freq - 357) / 5;
    return -(2048 + freq);
}

static int is_rx_state(int s) { return s == CC2420_RX_CALIBRATE || s == CC2420_RX_SEARCH || s == CC2420_RX_FRAME; }
static int is_tx_state(int s)
{
    return s == CC2420_TX_CALIBRATE || s == CC2420_TX_FRAME || s == CC2420_ACK_CALIBRATE || s == CC2420_ACK_FRAME;
}
static int xosc_on(int s) { return s >= CC2420_IDLE; }

static int mode_of(int s)
{
    if (s == CC2420_OFF || s == CC2420_VREG_STARTING) return CC2420_MODE_OFF;
    if (s == CC2420_POWER_DOWN) return CC2420_MODE_POWERDOWN;
    if (is_rx_state(s)) return CC2420_MODE_LISTEN;
    if (is_tx_state(s)) return CC2420_MODE_TRANSMIT;
    return CC2420_MODE_IDLE; /* XOSC_STARTING, IDLE */
}

/* Approximate FSMSTATE codes (idle 1, RX calibrate 2, SFD search 3, RX frame 16, TX calibrate 32,
 * TX frame 37, ACK calibrate 48, ACK frame 52; power down 0). */
static uint16_t fsm_code(int s)
{
    static const uint16_t code[] = {0, 0, 0, 0, 1, 2, 3, 16, 32, 37, 48, 52};
    return code[s];
}

static void update_pins(cc2420_t *r);
static void saes_abort(cc2420_t *r);

static void set_state(cc2420_t *r, int s)
{
    r->state = s;
    *regp(r, REG_FSMSTATE) = fsm_code(s);
    mote_component_set_mode(r->m, r->comp, mode_of(s));
}

/* Energy on our channel now (dBm): noise, frames on the air. */
static int channel_energy_dbm(cc2420_t *r)
{
    if (r->egen == r->egen_cached)
        return r->energy_cached;
    int ch = freq_channel(regv(r, REG_FSCTRL));
    int e = r->noise_dbm;
    if (ch >= 11 && ch <= 26 && r->chan_energy[ch - 11] > e)
        e = r->chan_energy[ch - 11];
    for (int i = 0; i < CC2420_MAX_AIR; i++) {
        air_t *a = &r->air[i];
        if (a->in_use && a->phase >= 1 && a->channel == ch && a->rssi_dbm > e)
            e = a->rssi_dbm;
    }
    r->energy_cached = e;
    r->egen_cached = r->egen;
    return e;
}

static int clamp8(int v) { return v < -128 ? -128 : v > 127 ? 127 : v; }

static int rssi_val(cc2420_t *r)
{
    if (!r->rssi_valid) return -128;
    return clamp8(channel_energy_dbm(r) - CC2420_RSSI_OFFSET_DBM);
}

/* CCA per MDMCTRL0.CCA_MODE: 1 energy below threshold, 2 not receiving 802.15.4 data, 3 both. */
static int cca_clear(cc2420_t *r)
{
    if (!r->rssi_valid || !(r->state == CC2420_RX_SEARCH || r->state == CC2420_RX_FRAME))
        return 0;
    int mode = (regv(r, REG_MDMCTRL0) >> 6) & 3;
    int thr = (int8_t)(regv(r, REG_RSSI) >> 8);
    int energy_busy = rssi_val(r) >= thr;
    int receiving = r->rx.active && !r->rx.rejected;
    switch (mode) {
    case 1: return !energy_busy;
    case 2: return !receiving;
    case 3: return !energy_busy && !receiving;
    default: return 1; /* reserved: always clear */
    }
}

/* cca_clear, memoised (see cca_cached in struct cc2420) */
static inline int cca_now(cc2420_t *r)
{
    int key = r->state << 3 | (r->rssi_valid != 0) << 2 | (r->rx.active != 0) << 1 | (r->rx.rejected != 0);
    if (r->egen != r->cca_egen || key != r->cca_key) {
        r->cca_cached = cca_clear(r);
        r->cca_egen = r->egen;
        r->cca_key = key;
    }
    return r->cca_cached;
}

static unsigned fifop_thr(cc2420_t *r) { return regv(r, REG_IOCFG0) & 0x7Fu; }

/* FIFOP (bit 0) and FIFO (bit 1) as the chip computes them, before their polarities; io: IOCFG0. */
static inline int fifo_levels(const cc2420_t *r, unsigned io)
{
    unsigned counted = r->rx_count;
    if (r->rx.active && !r->rx.accepted) /* not before address recognition passed */
        counted -= r->rx.pushed < counted ? r->rx.pushed : counted;
    int fifop = r->rx_overflow || r->fifop_frame_done || counted > (io & 0x7Fu); /* fifop_thr */
    int fifo = r->rx_count > 0 && !r->rx_overflow;
    return fifop | fifo << 1;
}

/* The pin levels the radio drives in its present state (bit 0 FIFOP, 1 FIFO, 2 CCA, 3 SFD). Inline
 * and without branches on the polarities (update_fifo_pins recomputes only the first two). */
static inline int pins_now(cc2420_t *r)
{
    if (r->state < CC2420_POWER_DOWN)
        return 0;
    unsigned io = regv(r, REG_IOCFG0);
    int sfd = r->sfd_active != 0; /* 0 or 1 */
    int pins = fifo_levels(r, io) | cca_now(r) << 2 | sfd << 3;
    /* IOC_FIFOP_POL (bit 9) -> bit 0, IOC_FIFO_POL (10) -> 1, IOC_CCA_POL (7) -> 2, IOC_SFD_POL (8) -> 3 */
    return pins ^ (int)(((io >> 9) & 3u) | ((io >> 5) & 0xCu));
}

/* Drive the pins whose level changed to `pins` (pins_now's bits). */
static void set_pins(cc2420_t *r, int pins)
{
    int changed = pins ^ r->pins;
    int fifop = pins & 1, fifo = (pins >> 1) & 1, cca = (pins >> 2) & 1, sfd = (pins >> 3) & 1;
    r->pins = pins;
    if (changed & 1) port_set_input(r->m, PIN_FIFOP_PORT, PIN_FIFOP, fifop);
    if (changed & 2) port_set_input(r->m, PIN_FIFO_PORT, PIN_FIFO, fifo);
    if (changed & 4) port_set_input(r->m, PIN_CCA_PORT, PIN_CCA, cca);
    if (changed & 8) port_set_input(r->m, PIN_SFD_PORT, PIN_SFD, sfd);
}

static void update_pins(cc2420_t *r)
{
    int pins = pins_now(r);
    if (pins != r->pins)
        set_pins(r, pins);
}

/* After an RXFIFO read (every byte of a received frame; the oscillator runs, so pins_now's
 * powered-down case cannot arise): the read moves the count, the frame's pushed bytes and
 * fifop_frame_done, which only FIFO and FIFOP depend on; CCA and SFD stay as the last update left
 * them (every change of their inputs updates the pins). */
static inline void update_fifo_pins(cc2420_t *r)
{
    unsigned io = regv(r, REG_IOCFG0);
    int pins = ((fifo_levels(r, io) ^ (int)((io >> 9) & 3u)) & 3) | (r->pins & 0xC);
    if (pins != r->pins)
        set_pins(r, pins);
}

static uint8_t status_byte(cc2420_t *r)
{
    uint8_t s = 0;
    if (xosc_on(r->state) && r->state != CC2420_XOSC_STARTING) s |= CC2420_ST_XOSC16M_STABLE;
    if (r->tx_underflow) s |= CC2420_ST_TX_UNDERFLOW;
    if (is_tx_state(r->state)) s |= CC2420_ST_TX_ACTIVE;
    if (r->state == CC2420_RX_SEARCH || r->state == CC2420_RX_FRAME || r->state == CC2420_TX_FRAME ||
        r->state == CC2420_ACK_FRAME)
        s |= CC2420_ST_LOCK;
    if (r->rssi_valid) s |= CC2420_ST_RSSI_VALID;
    if (r->aes_busy) s |= CC2420_ST_ENC_BUSY;
    return s;
}

/* ---------------------------------------------------------------- RXFIFO */

static void rxfifo_flush(cc2420_t *r)
{
    r->rx_head = 0;
    r->rx_count = 0;
    r->rx_overflow = 0;
    r->fifop_frame_done = 0;
}

static int rxfifo_push(cc2420_t *r, uint8_t b)
{
    if (r->rx_count >= FIFO_SIZE)
        return -1;
    r->ram[RAM_RXFIFO + (r->rx_head + r->rx_count) % FIFO_SIZE] = b;
    r->rx_count++;
    return 0;
}

static uint8_t rxfifo_pop(cc2420_t *r)
{
    if (r->rx_count == 0)
        return 0; /* underflow: nothing meaningful on SO */
    uint8_t b = r->ram[RAM_RXFIFO + r->rx_head];
    r->rx_head = (r->rx_head + 1) % FIFO_SIZE;
    r->rx_count--;
    if (r->rx.active && r->rx.pushed > r->rx_count)
        r->rx.pushed = r->rx_count; /* the MCU read into the frame being received */
    r->fifop_frame_done = 0;
    return b;
}

/* Remove the newest n bytes (the frame being received). */
static void rxfifo_drop_tail(cc2420_t *r, unsigned n)
{
    r->rx_count -= n < r->rx_count ? n : r->rx_count;
}

/* ---------------------------------------------------------------- reception */

static void rx_abort(cc2420_t *r, int drop_bytes)
{
    if (!r->rx.active)
        return;
    if (drop_bytes && !r->rx_overflow)
        rxfifo_drop_tail(r, r->rx.pushed);
    r->rx.active = 0;
    r->rx.pushed = 0;
    r->sfd_active = 0;
    tev_cancel(r, &r->rx_byte_ev);
}

/* MPDU bytes up to the end of the addressing fields, or 0 for an invalid addressing mode. */
static unsigned header_len(uint16_t fcf)
{
    int dst = (fcf >> 10) & 3, src = (fcf >> 14) & 3, intra = (fcf >> 6) & 1;
    if (dst == 1 || src == 1)
        return 0;
    unsigned n = 3;
    if (dst) n += 2 + (dst == 2 ? 2 : 8);
    if (src) n += (intra && dst ? 0 : 2) + (src == 2 ? 2 : 8);
    return n;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* Address recognition (IEEE 802.15.4-2003 7.5.6.2 as listed in the datasheet). */
static int address_ok(cc2420_t *r, const uint8_t *f, unsigned len)
{
    if (len < 3) return 0;
    uint16_t fcf = rd16(f);
    int type = fcf & 7;
    uint16_t mdm = regv(r, REG_MDMCTRL0);
    if (type >= 4) return (mdm & MDM_RESERVED_FRAME_MODE) != 0;
    unsigned need = header_len(fcf);
    if (need == 0 || len < need) return 0;
    int dst = (fcf >> 10) & 3, src = (fcf >> 14) & 3, intra = (fcf >> 6) & 1;
    uint16_t pan = rd16(&r->ram[RAM_PANID]);
    unsigned i = 3;
    if (dst) {
        uint16_t dpan = rd16(f + i);
        i += 2;
        if (dpan != pan && dpan != 0xFFFF) return 0;
        if (dst == 2) {
            uint16_t a = rd16(f + i);
            i += 2;
            if (a != rd16(&r->ram[RAM_SHORTADR]) && a != 0xFFFF) return 0;
        } else {
            if (memcmp(f + i, &r->ram[RAM_IEEEADR], 8) != 0) return 0;
            i += 8;
        }
    }
    uint16_t span = 0;
    int have_span = 0;
    if (src) {
        if (!(intra && dst)) {
            span = rd16(f + i);
            have_span = 1;
        } else {
            span = rd16(f + 3);
            have_span = 1;
        }
    }
    if (type == 0) { /* beacon */
        if (!have_span) return 0;
        return pan == 0xFFFF || span == pan;
    }
    if (type == 2) /* acknowledgement: no addresses */
        return 1;
    if (!dst) { /* data/command with source only: PAN coordinator of that PAN */
        if (!src) return 0;
        return (mdm & MDM_PAN_COORDINATOR) && span == pan;
    }
    return 1;
}

static void start_ack(cc2420_t *r, uint64_t frame_end_ns);

static void rx_finish(cc2420_t *r)
{
    uint16_t mdm = regv(r, REG_MDMCTRL0);
    r->rx.active = 0;
    r->rx.pushed = 0;
    r->sfd_active = 0;
    r->fifop_frame_done = 1;
    r->stats.rx_frames++;
    if (!r->rx.crc_ok) r->stats.rx_crc_errors++;
    set_state(r, CC2420_RX_SEARCH);
    const uint8_t *f = r->rx.psdu;
    int ack = 0;
    if (r->rx.crc_ok && r->rx.len >= 3) {
        uint16_t fcf = rd16(f);
        if ((mdm & MDM_AUTOACK) && (mdm & MDM_ADR_DECODE) && (fcf & 0x20u) && (fcf & 7) != 2)
            ack = 1;
        if (r->rx.ack_strobe)
            ack = 1;
    }
    if (ack) {
        r->ack_seq = f[2];
        r->ack_frame_pending = r->ack_pending_flag || r->rx.ack_pending_strobe;
        start_ack(r, r->rx.sfd_ns + (uint64_t)(1 + r->rx.len) * CC2420_BYTE_NS);
    }
}

static uint64_t rx_byte_ns(const cc2420_t *r, unsigned k) { return r->rx.sfd_ns + (uint64_t)(k + 1) * CC2420_BYTE_NS; }

/* Byte k of the frame as it enters the RXFIFO: length, MPDU, or RSSI and CRC-OK/correlation in place
 * of the FCS with MDMCTRL0.AUTOCRC. */
static uint8_t rx_byte_value(cc2420_t *r, unsigned k)
{
    unsigned len = r->rx.len;
    int autocrc = (regv(r, REG_MDMCTRL0) & MDM_AUTOCRC) != 0;
    if (k == 0)
        return (uint8_t)len;
    if (autocrc && len >= 2 && k == len - 1)
        return (uint8_t)clamp8(r->rx.rssi_dbm - CC2420_RSSI_OFFSET_DBM);
    if (autocrc && len >= 2 && k == len)
        return (uint8_t)((r->rx.crc_ok ? 0x80 : 0) | (r->rx.corr & 0x7F));
    return r->rx.psdu[k - 1];
}

/* Push the lazy bytes before byte `upto`. */
static void rx_push_lazy(cc2420_t *r, unsigned upto)
{
    while (r->rx.next < upto) {
        rxfifo_push(r, rx_byte_value(r, r->rx.next)); /* room: the plan stops before an overflow */
        r->rx.pushed++;
        r->rx.next++;
    }
}

/* Push the lazy bytes that have arrived by cycle `bound` (an event at that cycle would have fired).
 * Arrival cycles grow with the index: at most log2(127) conversions. */
static void rx_catch_up(cc2420_t *r, uint64_t bound)
{
    unsigned lo = r->rx.next, hi = r->rx_lazy_end;
    if (lo >= hi)
        return;
    if (clk_cycle_at_ns(r->m, rx_byte_ns(r, hi - 1)) > bound) {
        hi--; /* the first byte not due is in [lo, hi] */
        while (lo < hi) {
            unsigned mid = lo + (hi - lo) / 2;
            if (clk_cycle_at_ns(r->m, rx_byte_ns(r, mid)) > bound)
                hi = mid;
            else
                lo = mid + 1;
        }
    }
    rx_push_lazy(r, hi);
}

/* (Re)queue rx_byte_ev at byte rx_lazy_end as a newly scheduled event, the way an eager byte's event
 * is queued when the previous one fires: among events due in one cycle the heap lets one queued
 * earlier fire first (an SPI byte started before, say), and a reschedule in place would not. */
static void rx_byte_requeue(cc2420_t *r)
{
    tev_cancel(r, &r->rx_byte_ev);
    tev_schedule(r, &r->rx_byte_ev, rx_byte_ns(r, r->rx_lazy_end));
}

/* Events fire in cycle order before the instruction at `now`: inside an event the bytes due are those
 * up to its cycle, elsewhere those up to now. */
static uint64_t rx_due_bound(const mote_t *m) { return m->event_when != UINT64_MAX ? m->event_when : m->now; }

/* Entry into the model (SPI byte, pin, clock, CPU wake, radio event, host call): push the bytes that
 * are due, then give the next one its own event again (what follows may change what the plan
 * assumed). */
static void rx_sync(cc2420_t *r)
{
    if (r->rx.next >= r->rx_lazy_end)
        return;
    rx_catch_up(r, rx_due_bound(r->m));
    if (r->rx.next < r->rx_lazy_end) {
        r->rx_lazy_end = r->rx.next;
        rx_byte_requeue(r);
    }
}

static unsigned rx_quiet_end(cc2420_t *r);

/* rx_byte_ev was just scheduled at byte rx.next; with the CPU asleep, move it to the first byte that
 * needs an event (rx_quiet_end) or is due no earlier than the mote's next other event, whichever
 * comes first: nothing but that event (or a host call, an entry) can look at the radio meanwhile. */
static void rx_lazy_plan(cc2420_t *r)
{
    mote_t *m = r->m;
    if (!(m->r[2] & SR_CPUOFF))
        return;
    unsigned first = r->rx.next, end = rx_quiet_end(r);
    if (end <= first + 1 || r->rx_byte_ev.ev.when <= m->now)
        return;
    uint64_t other = UINT64_MAX; /* earliest other event: the heap's root, or a child of ours */
    mote_event_t *self = &r->rx_byte_ev.ev;
    if (m->nheap && m->heap[0] != self)
        other = m->heap[0]->when;
    else
        for (int i = 1; i <= 2 && i < m->nheap; i++)
            if (m->heap[i]->when < other)
                other = m->heap[i]->when;
    if (clk_cycle_at_ns(m, rx_byte_ns(r, end - 1)) >= other) { /* cycles grow with the index */
        unsigned lo = first, hi = end - 1; /* the first byte due at or after `other` is in (lo, hi] */
        if (r->rx_byte_ev.ev.when >= other)
            return;
        while (hi - lo > 1) {
            unsigned mid = lo + (hi - lo) / 2;
            if (clk_cycle_at_ns(m, rx_byte_ns(r, mid)) >= other)
                hi = mid;
            else
                lo = mid;
        }
        end = hi;
        if (end <= first + 1)
            return;
    }
    r->rx_lazy_end = end;
    rx_byte_requeue(r);
}

static void rx_byte_fire(mote_t *m, mote_event_t *ev)
{
    cc2420_t *r = ev->ctx;
    (void)m;
    rx_push_lazy(r, r->rx_lazy_end); /* all due before this event's cycle */
    unsigned k = r->rx.next;
    if (r->rx.rejected) { /* end of a rejected frame: search again */
        r->rx.active = 0;
        r->rx.rejected = 0;
        if (r->state == CC2420_RX_FRAME) set_state(r, CC2420_RX_SEARCH);
        update_pins(r);
        return;
    }
    unsigned len = r->rx.len;
    if (rxfifo_push(r, rx_byte_value(r, k)) < 0) {
        /* RXFIFO overflow: reception halts until SFLUSHRX; bytes already stored stay. */
        r->rx_overflow = 1;
        r->stats.rx_overflows++;
        r->rx.active = 0;
        r->rx.pushed = 0;
        r->sfd_active = 0;
        set_state(r, CC2420_RX_SEARCH);
        update_pins(r);
        return;
    }
    r->rx.pushed++;
    r->rx.next = k + 1;
    if (!r->rx.accepted && k >= 1 && k == r->rx.hdr_need) {
        if (address_ok(r, r->rx.psdu, len)) {
            r->rx.accepted = 1;
        } else {
            rxfifo_drop_tail(r, r->rx.pushed);
            r->rx.pushed = 0;
            r->rx.rejected = 1;
            r->sfd_active = 0;
            r->stats.rx_rejected++;
            tev_schedule(r, &r->rx_byte_ev, r->rx.sfd_ns + (uint64_t)(1 + len) * CC2420_BYTE_NS);
            update_pins(r);
            return;
        }
    }
    if (k == len) {
        if (!r->rx.accepted) { /* shorter than its own header */
            rxfifo_drop_tail(r, r->rx.pushed);
            r->rx.active = 0;
            r->rx.pushed = 0;
            r->sfd_active = 0;
            r->stats.rx_rejected++;
            set_state(r, CC2420_RX_SEARCH);
        } else {
            rx_finish(r);
        }
    } else {
        r->rx_lazy_end = k + 1;
        tev_schedule(r, &r->rx_byte_ev, rx_byte_ns(r, k + 1));
        update_pins(r);
        rx_lazy_plan(r); /* after the pins: the plan compares against them */
        return;
    }
    update_pins(r);
}

/* A frame's SFD has arrived: lock on it if we can. */
static void rx_try_lock(cc2420_t *r, air_t *a)
{
    int ch = freq_channel(regv(r, REG_FSCTRL));
    if (a->channel != ch)
        return;
    if (r->state != CC2420_RX_SEARCH || r->rx.active || r->rx_overflow) {
        r->stats.rx_missed++;
        return;
    }
    memcpy(r->rx.psdu, a->psdu, a->len);
    r->rx.len = a->len;
    r->rx.rssi_dbm = a->rssi_dbm;
    r->rx.corr = a->corr;
    r->rx.crc_ok = !a->corrupted && a->len >= 2 && crc16_802154(a->psdu, a->len - 2) == rd16(a->psdu + a->len - 2);
    r->rx.start_ns = a->start_ns;
    r->rx.id_ns = a->id_ns;
    r->rx.sfd_ns = a->sfd_ns;
    r->rx.active = 1;
    r->rx.rejected = 0;
    r->rx.pushed = 0;
    r->rx.next = 0;
    r->rx_lazy_end = 0;
    r->rx.ack_strobe = 0;
    r->rx.ack_pending_strobe = 0;
    r->rx.accepted = 1;
    r->rx.hdr_need = 0;
    if (regv(r, REG_MDMCTRL0) & MDM_ADR_DECODE) {
        uint16_t fcf = a->len >= 2 ? rd16(a->psdu) : 0;
        unsigned need = ((fcf & 7) >= 4) ? 2 : header_len(fcf);
        r->rx.accepted = 0;
        r->rx.hdr_need = need ? need : 2; /* invalid addressing: decide (reject) after the FCF */
        if (r->rx.hdr_need > a->len) r->rx.hdr_need = a->len;
        if (r->rx.hdr_need == 0) r->rx.hdr_need = 1;
    }
    r->sfd_active = 1;
    set_state(r, CC2420_RX_FRAME);
    tev_schedule(r, &r->rx_byte_ev, a->sfd_ns + CC2420_BYTE_NS);
    update_pins(r);
}

static void air_fire(mote_t *m, mote_event_t *ev)
{
    (void)m;
    air_t *a = ev->ctx;
    cc2420_t *r = a->r;
    rx_sync(r);
    r->egen++;
    if (a->phase == 0) {
        a->phase = 1;
        tev_schedule(r, &a->t, a->sfd_ns);
    } else if (a->phase == 1) {
        a->phase = 2;
        tev_schedule(r, &a->t, a->end_ns);
        rx_try_lock(r, a);
    } else {
        a->in_use = 0;
    }
    update_pins(r); /* energy changed: CCA */
}

/* ---------------------------------------------------------------- quiet events (mote.h)
 * While the MCU sleeps, most of a reception's events cannot wake it: the bytes between the first and
 * the last one only fill the RXFIFO (no pin changes), and a frame's energy starting or ending moves
 * only CCA, which wakes nobody unless its port pin can interrupt. The group stepper then leaves the
 * mote asleep until the first event that could. */

/* The first byte at or after rx.next whose arrival may change a pin or needs a decision (address
 * recognition, overflow, the last byte), from the pushed ones (rx.active, not rejected). The same stop
 * as pushing byte after byte and comparing the pins (the scan this replaced; both agreed on the
 * identity runs and the tests): after the first push only the FIFOP threshold can still flip a pin,
 * the counts moving together. */
static unsigned rx_quiet_end(cc2420_t *r)
{
    unsigned len = r->rx.len, j = r->rx.next, count = r->rx_count, pushed = r->rx.pushed;
    if (j >= len || count >= FIFO_SIZE)
        return j;
    unsigned end = len;
    if (!r->rx.accepted && r->rx.hdr_need >= j && r->rx.hdr_need >= 1 && r->rx.hdr_need < end)
        end = r->rx.hdr_need; /* address recognition decides */
    if (j + (FIFO_SIZE - count) < end)
        end = j + (FIFO_SIZE - count); /* overflow */
    r->rx_count = count + 1;
    r->rx.pushed = pushed + 1;
    int after = pins_now(r);
    r->rx_count = count;
    r->rx.pushed = pushed;
    if (after != r->pins)
        end = j;
    unsigned thr = fifop_thr(r);
    if (r->state >= CC2420_POWER_DOWN && r->rx.accepted && !r->rx_overflow && !r->fifop_frame_done &&
        count + 1 <= thr && j + (thr - count) < end)
        end = j + (thr - count); /* FIFOP rises with the push that takes the count above the threshold */
    return end;
}

/* The first received byte at or after the next one whose arrival may change a pin, as its time. */
static uint64_t rx_byte_quiet(mote_t *m, mote_event_t *ev)
{
    (void)m;
    cc2420_t *r = ev->ctx;
    uint64_t first = r->rx_byte_ev.at_ns;
    if (!r->rx.active || r->rx.rejected || r->rx_overflow)
        return first;
    unsigned j = rx_quiet_end(r);
    return j == r->rx.next ? first : rx_byte_ns(r, j);
}

/* A frame's energy arriving (phase 0) or leaving (phase 2) changes only CCA; the SFD (phase 1) is
 * where a reception may start. */
static uint64_t air_quiet(mote_t *m, mote_event_t *ev)
{
    air_t *a = ev->ctx;
    if (a->phase == 1 || port_input_can_irq(m, PIN_CCA_PORT, PIN_CCA))
        return a->t.at_ns;
    return a->phase == 0 ? a->sfd_ns : UINT64_MAX;
}

/* ---------------------------------------------------------------- state machine */

static void rssi_fire(mote_t *m, mote_event_t *ev)
{
    (void)m;
    cc2420_t *r = ev->ctx;
    rx_sync(r);
    if (r->state == CC2420_RX_SEARCH || r->state == CC2420_RX_FRAME)
        r->rssi_valid = 1;
    update_pins(r);
}

static void enter_rx_calibrate(cc2420_t *r, uint64_t from_ns)
{
    r->rssi_valid = 0;
    tev_cancel(r, &r->rssi_ev);
    set_state(r, CC2420_RX_CALIBRATE);
    r->fsm_step = FSM_RX_SEARCH;
    tev_schedule(r, &r->fsm_ev, from_ns + CC2420_TURNAROUND_NS);
}

static void emit(cc2420_t *r, const uint8_t *psdu, unsigned len, uint64_t start_ns, uint64_t end_ns)
{
    r->stats.tx_frames++;
    if (r->tx_fn)
        r->tx_fn(r->tx_ctx, r, psdu, len, freq_channel(regv(r, REG_FSCTRL)), regv(r, REG_TXCTRL) & 0x1F,
                 start_ns, end_ns);
}

static unsigned shr_bytes(cc2420_t *r) { return (regv(r, REG_MDMCTRL0) & 0xFu) + 3u; }

/* STXON / STXONCCA accepted at now. */
static void start_tx(cc2420_t *r)
{
    uint64_t t0 = now_ns(r);
    rx_abort(r, 1);
    r->rssi_valid = 0;
    tev_cancel(r, &r->rssi_ev);
    set_state(r, CC2420_TX_CALIBRATE);
    uint64_t start = t0 + CC2420_TURNAROUND_NS;
    uint64_t sfd = start + (uint64_t)shr_bytes(r) * CC2420_BYTE_NS;
    int autocrc = (regv(r, REG_MDMCTRL0) & MDM_AUTOCRC) != 0;
    unsigned len = r->tx_count ? (r->ram[RAM_TXFIFO] & 0x7Fu) : 0;
    unsigned from_fifo = autocrc ? (len >= 2 ? len - 2 : 0) : len;
    if (r->tx_count == 0 || r->tx_count - 1 < from_fifo) {
        /* TXFIFO underflow: the frame stops where the data ends; nothing decodable is emitted. */
        unsigned have = r->tx_count ? r->tx_count - 1 : 0;
        r->tx_underflow = 1;
        r->stats.tx_underflows++;
        r->tx_sfd_ns = sfd;
        r->tx_end_ns = sfd + (uint64_t)(r->tx_count ? 1 + have : 0) * CC2420_BYTE_NS;
        r->fsm_step = FSM_TX_SFD;
        tev_schedule(r, &r->fsm_ev, sfd);
        update_pins(r);
        return;
    }
    uint8_t psdu[127];
    memcpy(psdu, &r->ram[RAM_TXFIFO + 1], from_fifo);
    if (autocrc && len >= 2) {
        uint16_t crc = crc16_802154(psdu, from_fifo);
        psdu[from_fifo] = (uint8_t)crc;
        psdu[from_fifo + 1] = (uint8_t)(crc >> 8);
    }
    r->tx_sfd_ns = sfd;
    r->tx_end_ns = sfd + (uint64_t)(1 + len) * CC2420_BYTE_NS;
    r->tx_sent = 1;
    emit(r, psdu, len, start, r->tx_end_ns);
    r->fsm_step = FSM_TX_SFD;
    tev_schedule(r, &r->fsm_ev, sfd);
    update_pins(r);
}

static void start_ack(cc2420_t *r, uint64_t frame_end_ns)
{
    uint64_t start = frame_end_ns + CC2420_TURNAROUND_NS;
    uint64_t sfd = start + (uint64_t)shr_bytes(r) * CC2420_BYTE_NS;
    uint8_t psdu[5];
    psdu[0] = (uint8_t)(0x02u | (r->ack_frame_pending ? 0x10u : 0));
    psdu[1] = 0x00;
    psdu[2] = r->ack_seq;
    uint16_t crc = crc16_802154(psdu, 3);
    psdu[3] = (uint8_t)crc;
    psdu[4] = (uint8_t)(crc >> 8);
    r->rssi_valid = 0;
    tev_cancel(r, &r->rssi_ev);
    set_state(r, CC2420_ACK_CALIBRATE);
    r->tx_sfd_ns = sfd;
    r->tx_end_ns = sfd + (uint64_t)(1 + 5) * CC2420_BYTE_NS;
    r->stats.tx_acks++;
    emit(r, psdu, 5, start, r->tx_end_ns);
    r->fsm_step = FSM_TX_SFD;
    tev_schedule(r, &r->fsm_ev, sfd);
}

static void fsm_fire(mote_t *m, mote_event_t *ev)
{
    (void)m;
    cc2420_t *r = ev->ctx;
    rx_sync(r);
    int step = r->fsm_step;
    r->fsm_step = FSM_NONE;
    switch (step) {
    case FSM_RX_SEARCH:
        if (r->state == CC2420_RX_CALIBRATE) {
            set_state(r, CC2420_RX_SEARCH);
            tev_schedule(r, &r->rssi_ev, r->fsm_ev.at_ns + CC2420_RSSI_VALID_NS);
        }
        break;
    case FSM_TX_SFD:
        set_state(r, r->state == CC2420_ACK_CALIBRATE ? CC2420_ACK_FRAME : CC2420_TX_FRAME);
        r->sfd_active = r->tx_end_ns > r->tx_sfd_ns; /* an empty underflowed frame has no SFD pulse */
        r->fsm_step = FSM_TX_END;
        tev_schedule(r, &r->fsm_ev, r->tx_end_ns);
        break;
    case FSM_TX_END:
        r->sfd_active = 0;
        enter_rx_calibrate(r, r->tx_end_ns); /* after a transmission the radio returns to RX */
        break;
    default:
        break;
    }
    update_pins(r);
}

static void power_fire(mote_t *m, mote_event_t *ev)
{
    (void)m;
    cc2420_t *r = ev->ctx;
    rx_sync(r);
    if (r->power_step == FSM_VREG_READY && r->state == CC2420_VREG_STARTING)
        set_state(r, CC2420_POWER_DOWN);
    else if (r->power_step == FSM_XOSC_STABLE && r->state == CC2420_XOSC_STARTING)
        set_state(r, CC2420_IDLE);
    r->power_step = FSM_NONE;
    update_pins(r);
}

/* Back to power-down defaults: registers reset, oscillator off, FIFOs empty (RAM kept). */
static void chip_reset(cc2420_t *r)
{
    memcpy(r->reg, reg_reset, sizeof r->reg);
    r->egen++;
    tev_cancel(r, &r->fsm_ev);
    tev_cancel(r, &r->rssi_ev);
    tev_cancel(r, &r->rx_byte_ev);
    tev_cancel(r, &r->power_ev);
    saes_abort(r);
    r->fsm_step = FSM_NONE;
    r->power_step = FSM_NONE;
    r->rssi_valid = 0;
    r->rx.active = 0;
    r->rx.rejected = 0;
    r->rx.pushed = 0;
    r->sfd_active = 0;
    r->tx_count = 0;
    r->tx_sent = 0;
    r->tx_underflow = 0;
    r->ack_pending_flag = 0;
    rxfifo_flush(r);
    r->spi_phase = SPI_IDLE;
}

static void go_idle_from_active(cc2420_t *r)
{
    rx_abort(r, 1);
    tev_cancel(r, &r->fsm_ev);
    tev_cancel(r, &r->rssi_ev);
    r->fsm_step = FSM_NONE;
    r->rssi_valid = 0;
    r->sfd_active = 0;
}

/* ---------------------------------------------------------------- stand-alone encryption (SAES)
 * Datasheet section 21 (21.1 keys, 21.3 stand-alone encryption, 21.8 timing): the SAES strobe
 * encrypts the 16-byte plaintext in SABUF (RAM 0x120) with KEY0 (0x100) or KEY1 (0x130), as
 * SECCTRL0.SEC_SAKEYSEL selects, and writes the ciphertext back into SABUF; the status byte shows
 * ENC_BUSY meanwhile (14 us, Table 8). Security data is stored little-endian: the least significant
 * byte goes first over SPI, to the lowest address; so a key or block in FIPS-197 order (most
 * significant byte first) sits reversed, its byte 0 at the highest address. A security strobe while
 * the engine is busy is ignored. The model takes key and plaintext at the strobe and writes the
 * ciphertext at the end (RAM writes to them meanwhile: unspecified on silicon, overwritten here). */

static int ram_usable(cc2420_t *r) { return xosc_on(r->state) && r->state != CC2420_XOSC_STARTING; }

static void ram_block_reversed(const cc2420_t *r, unsigned addr, uint8_t out[16])
{
    for (int i = 0; i < 16; i++)
        out[i] = r->ram[addr + 15u - (unsigned)i];
}

static void saes_start(cc2420_t *r)
{
    uint8_t key[16], block[16];
    if (r->aes_busy || !ram_usable(r) || !(regv(r, REG_MAIN) & MAIN_ENC_RESETN)) {
        r->stats.saes_ignored++;
        return;
    }
    ram_block_reversed(r, (regv(r, REG_SECCTRL0) & SEC_SAKEYSEL) ? RAM_KEY1 : RAM_KEY0, key);
    ram_block_reversed(r, RAM_SABUF, block);
    cc2420_aes128_encrypt(key, block, block);
    for (int i = 0; i < 16; i++)
        r->aes_result[15 - i] = block[i];
    r->aes_busy = 1;
    tev_schedule(r, &r->aes_ev, now_ns(r) + CC2420_SAES_NS);
}

static void saes_abort(cc2420_t *r)
{
    tev_cancel(r, &r->aes_ev);
    r->aes_busy = 0;
}

static void aes_fire(mote_t *m, mote_event_t *ev)
{
    (void)m;
    cc2420_t *r = ev->ctx;
    rx_sync(r);
    memcpy(&r->ram[RAM_SABUF], r->aes_result, 16);
    r->aes_busy = 0;
    r->stats.saes_blocks++;
}

static void strobe(cc2420_t *r, uint8_t s)
{
    int st = r->state;
    switch (s) {
    case S_SXOSCON:
        if (st == CC2420_POWER_DOWN) {
            set_state(r, CC2420_XOSC_STARTING);
            r->power_step = FSM_XOSC_STABLE;
            tev_schedule(r, &r->power_ev, now_ns(r) + CC2420_XOSC_STARTUP_NS);
        }
        break;
    case S_SRXON:
        if (st == CC2420_IDLE || is_rx_state(st)) {
            rx_abort(r, 1);
            enter_rx_calibrate(r, now_ns(r));
        }
        break;
    case S_STXON:
        if (st == CC2420_IDLE || is_rx_state(st))
            start_tx(r);
        break;
    case S_STXONCCA:
        if (is_rx_state(st)) {
            if (cca_clear(r))
                start_tx(r);
            else
                r->stats.cca_failures++;
        }
        break;
    case S_SRFOFF:
        if (xosc_on(st) && st != CC2420_XOSC_STARTING) {
            go_idle_from_active(r);
            set_state(r, CC2420_IDLE);
        }
        break;
    case S_SXOSCOFF:
        if (xosc_on(st)) {
            go_idle_from_active(r);
            tev_cancel(r, &r->power_ev);
            set_state(r, CC2420_POWER_DOWN);
        }
        break;
    case S_SFLUSHRX:
        rx_abort(r, 0);
        rxfifo_flush(r);
        if (r->state == CC2420_RX_FRAME) set_state(r, CC2420_RX_SEARCH);
        break;
    case S_SFLUSHTX:
        r->tx_count = 0;
        r->tx_sent = 0;
        r->tx_underflow = 0;
        break;
    case S_SACK:
    case S_SACKPEND:
        r->ack_pending_flag = (s == S_SACKPEND);
        if (r->rx.active && !r->rx.rejected) {
            r->rx.ack_strobe = 1;
            r->rx.ack_pending_strobe = (s == S_SACKPEND);
        }
        break;
    case S_SAES:
        saes_start(r);
        break;
    default: /* SNOP, STXCAL (synthesizer kept implicit), in-line security SRXDEC/STXENC (not modelled) */
        break;
    }
    update_pins(r);
}

/* ---------------------------------------------------------------- registers and SPI */

static int chip_usable(cc2420_t *r) { return r->state >= CC2420_POWER_DOWN && r->resetn; }

static void reg_write(cc2420_t *r, int a, uint16_t v)
{
    switch (a) {
    case REG_MAIN:
        if (!(v & 0x8000u)) { /* RESETn bit: reset like the pin, released by writing 1 */
            chip_reset(r);
            set_state(r, CC2420_POWER_DOWN);
            *regp(r, REG_MAIN) = v;
            return;
        }
        if (!(v & MAIN_ENC_RESETN)) /* the encryption module held in reset */
            saes_abort(r);
        break;
    case REG_RSSI: /* RSSI_VAL is read-only */
        v = (uint16_t)((v & 0xFF00u) | (regv(r, REG_RSSI) & 0x00FFu));
        break;
    case REG_MANFIDL:
    case REG_MANFIDH:
    case REG_FSMSTATE:
        return; /* read-only */
    default:
        break;
    }
    *regp(r, a) = v;
    r->egen++;
    update_pins(r);
}

static uint16_t reg_read(cc2420_t *r, int a)
{
    if (a == REG_RSSI)
        return (uint16_t)((regv(r, REG_RSSI) & 0xFF00u) | (uint8_t)rssi_val(r));
    return regv(r, a);
}


static uint8_t spi_exchange(mote_t *m, void *ctx, uint8_t mosi)
{
    (void)m;
    cc2420_t *r = ctx;
    rx_sync(r);
    r->stats.spi_bytes++;
    if (!r->csn_low || !chip_usable(r))
        return 0x00; /* SO is high-impedance; the USART reads zeros */
    uint8_t out = 0;
    switch (r->spi_phase) {
    case SPI_IDLE:
    case SPI_ADDR:
        out = status_byte(r);
        if (mosi & 0x80u) {
            r->ram_addr = mosi & 0x7Fu;
            r->spi_phase = SPI_RAM_ADDR2;
        } else {
            uint8_t a = mosi & 0x3Fu;
            r->spi_read = (mosi & 0x40u) != 0;
            if (a <= S_SAES) {
                strobe(r, a);
                r->spi_phase = SPI_ADDR;
            } else if (a >= REG_FIRST && a <= REG_LAST) {
                r->spi_reg = a;
                r->spi_phase = SPI_REG_HI;
            } else if (a == ADDR_TXFIFO) {
                r->spi_phase = SPI_TXFIFO;
            } else if (a == ADDR_RXFIFO) {
                r->spi_phase = SPI_RXFIFO;
            } else {
                r->spi_phase = SPI_ADDR;
            }
        }
        break;
    case SPI_REG_HI:
        out = (uint8_t)(reg_read(r, r->spi_reg) >> 8);
        r->spi_hi = mosi;
        r->spi_phase = SPI_REG_LO;
        break;
    case SPI_REG_LO:
        out = (uint8_t)reg_read(r, r->spi_reg);
        if (!r->spi_read)
            reg_write(r, r->spi_reg, (uint16_t)(r->spi_hi << 8 | mosi));
        r->spi_phase = SPI_ADDR;
        break;
    case SPI_TXFIFO:
        out = status_byte(r);
        if (ram_usable(r) && !r->spi_read) {
            if (r->tx_sent) { /* writing after a transmission starts a new frame */
                r->tx_count = 0;
                r->tx_sent = 0;
            }
            if (r->tx_count < FIFO_SIZE)
                r->ram[RAM_TXFIFO + r->tx_count++] = mosi;
        }
        break;
    case SPI_RXFIFO:
        if (!ram_usable(r)) {
            out = 0;
        } else if (r->spi_read) {
            out = rxfifo_pop(r);
            update_fifo_pins(r);
        } else {
            out = status_byte(r);
        }
        break;
    case SPI_RAM_ADDR2:
        r->ram_addr = (uint16_t)(r->ram_addr | ((mosi >> 6) & 3u) << 7);
        r->spi_read = (mosi & 0x20u) != 0;
        r->spi_phase = SPI_RAM_DATA;
        out = 0;
        break;
    case SPI_RAM_DATA:
        if (ram_usable(r) && r->ram_addr < RAM_SIZE) {
            out = r->ram[r->ram_addr];
            if (!r->spi_read)
                r->ram[r->ram_addr] = mosi;
        }
        r->ram_addr++;
        break;
    }
    return out;
}

/* ---------------------------------------------------------------- MCU pins */

static void power_off(cc2420_t *r)
{
    chip_reset(r);
    set_state(r, CC2420_OFF);
    update_pins(r);
}

static void ctl_pins(mote_t *m, void *ctx, int port, uint8_t out, uint8_t dir, uint8_t changed)
{
    (void)m;
    (void)dir;
    (void)changed;
    cc2420_t *r = ctx;
    if (port != CTL_PORT)
        return;
    rx_sync(r);
    /* A pin the MCU does not drive (input after a reset) counts as low. */
    int csn_low = !(out & CTL_CSN);
    int vreg = (out & CTL_VREG_EN) != 0;
    int resetn = (out & CTL_RESETN) != 0;
    if (csn_low != r->csn_low) {
        r->csn_low = csn_low;
        r->spi_phase = csn_low ? SPI_ADDR : SPI_IDLE;
    }
    if (vreg != r->vreg_en) {
        r->vreg_en = vreg;
        if (!vreg) {
            power_off(r);
        } else if (r->state == CC2420_OFF) {
            memset(r->ram, 0, sizeof r->ram); /* RAM is lost without supply */
            chip_reset(r);
            set_state(r, CC2420_VREG_STARTING);
            r->power_step = FSM_VREG_READY;
            tev_schedule(r, &r->power_ev, now_ns(r) + CC2420_VREG_STARTUP_NS);
        }
    }
    if (resetn != r->resetn) {
        r->resetn = resetn;
        if (!resetn && r->state >= CC2420_POWER_DOWN) {
            chip_reset(r);
            set_state(r, CC2420_POWER_DOWN);
        }
    }
    update_pins(r);
}

/* The CPU wakes (interrupt acceptance, reset): it may read the radio from its next instruction, so
 * the bytes due come in and the next one gets its event. The CPU goes to sleep (an SR write, at the
 * end of its instruction): the bytes from the next one on may go lazy at once instead of from the
 * next byte event (the one after the SFD interrupt's return, typically). */
static void cpu_mode(mote_t *m, void *ctx, int component, int old_mode, int new_mode)
{
    (void)m;
    cc2420_t *r = ctx;
    if (component != 0)
        return;
    if (new_mode == CPU_MODE_ACTIVE)
        rx_sync(r);
    else if (old_mode == CPU_MODE_ACTIVE && r->rx.active && !r->rx.rejected && !r->rx_overflow &&
             r->rx_lazy_end == r->rx.next && mote_event_queued(&r->rx_byte_ev.ev))
        rx_lazy_plan(r); /* rx_byte_ev waits at byte rx.next, as after a byte event */
}

/* The DCO changed: re-map every pending deadline to the new cycle rate. */
static void clk_changed(mote_t *m, void *ctx, int phase)
{
    cc2420_t *r = ctx;
    if (clk_change_is_smclk_gating(m))
        return; /* the cycle -> time mapping stays: so do the cycles of its events */
    rx_sync(r); /* phase 0: the bytes due under the old mapping; 1: their follower re-mapped below */
    if (phase != 1)
        return;
    tev_t *evs[] = {&r->fsm_ev, &r->rssi_ev, &r->rx_byte_ev, &r->power_ev, &r->aes_ev};
    for (unsigned i = 0; i < sizeof evs / sizeof evs[0]; i++)
        if (mote_event_queued(&evs[i]->ev))
            tev_schedule(r, evs[i], evs[i]->at_ns);
    for (int i = 0; i < CC2420_MAX_AIR; i++)
        if (mote_event_queued(&r->air[i].t.ev))
            tev_schedule(r, &r->air[i].t, r->air[i].t.at_ns);
}

/* ---------------------------------------------------------------- public API */

cc2420_t *cc2420_attach(mote_t *m)
{
    cc2420_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->m = m;
    /* USART0's SPI slot is the radio's: a second attach fails here (mote_setup_error says why) */
    if (spi_attach(m, 0, spi_exchange, r) != 0) {
        free(r);
        return NULL;
    }
    r->comp = mote_component_register(m, "radio", radio_mode_names, 5, CC2420_MODE_OFF);
    if (r->comp < 0 || port_add_output_listener(m, ctl_pins, r) != 0 || clk_add_listener(m, clk_changed, r) != 0 ||
        mote_on_mode_change(m, cpu_mode, r) != 0) {
        spi_attach(m, 0, NULL, NULL); /* the component or a listener may stay registered: mote unusable */
        free(r);
        return NULL;
    }
    mote_event_init(&r->fsm_ev.ev, "cc2420-fsm", fsm_fire, r);
    mote_event_init(&r->rssi_ev.ev, "cc2420-rssi", rssi_fire, r);
    mote_event_init(&r->rx_byte_ev.ev, "cc2420-rxbyte", rx_byte_fire, r);
    r->rx_byte_ev.ev.quiet = rx_byte_quiet;
    mote_event_init(&r->power_ev.ev, "cc2420-power", power_fire, r);
    mote_event_init(&r->aes_ev.ev, "cc2420-saes", aes_fire, r);
    for (int i = 0; i < CC2420_MAX_AIR; i++) {
        mote_event_init(&r->air[i].t.ev, "cc2420-air", air_fire, &r->air[i]);
        r->air[i].t.ev.quiet = air_quiet;
        r->air[i].r = r;
    }
    r->noise_dbm = NOISE_FLOOR_DBM;
    r->egen = 1; /* nothing cached yet (egen_cached 0) */
    r->cca_key = -1;
    for (int i = 0; i < 16; i++)
        r->chan_energy[i] = -128;
    r->csn_low = 0;
    chip_reset(r);
    r->state = CC2420_OFF;
    /* Pick up the current pin levels (the firmware may already drive them). */
    r->vreg_en = 0;
    r->resetn = 0;
    r->csn_low = 0;
    uint8_t out = port_get_out(m, CTL_PORT) & port_get_dir(m, CTL_PORT);
    ctl_pins(m, r, CTL_PORT, out, port_get_dir(m, CTL_PORT), 0xFF);
    return r;
}

void cc2420_free(cc2420_t *r) { free(r); }

void cc2420_set_tx_callback(cc2420_t *r, cc2420_tx_fn fn, void *ctx)
{
    r->tx_fn = fn;
    r->tx_ctx = ctx;
}

int cc2420_receive(cc2420_t *r, const uint8_t *psdu, unsigned len, int channel, int rssi_dbm, int corr,
                   uint64_t start_ns)
{
    if (len < 1 || len > 127)
        return -1;
    air_t *a = NULL;
    for (int i = 0; i < CC2420_MAX_AIR; i++)
        if (!r->air[i].in_use) {
            a = &r->air[i];
            break;
        }
    if (!a)
        return -2;
    rx_sync(r);
    a->id_ns = start_ns;
    uint64_t now = now_ns(r);
    if (start_ns < now) { /* handed over late: a fraction of an instruction (or a quantum too long) */
        r->stats.rx_late++;
        if (start_ns + 5ull * CC2420_BYTE_NS < now) /* past its SFD: the frame starts now */
            start_ns = now;
    }
    memcpy(a->psdu, psdu, len);
    a->len = len;
    a->channel = channel;
    a->rssi_dbm = rssi_dbm;
    a->corr = corr < 0 ? 0 : corr > 127 ? 127 : corr;
    a->start_ns = start_ns;
    a->sfd_ns = start_ns + 5ull * CC2420_BYTE_NS; /* 4 preamble bytes + SFD */
    a->end_ns = a->sfd_ns + (uint64_t)(1 + len) * CC2420_BYTE_NS;
    a->in_use = 1;
    a->phase = 0;
    r->egen++;
    a->corrupted = 0;
    tev_schedule(r, &a->t, start_ns);
    return 0;
}

void cc2420_set_noise_dbm(cc2420_t *r, int dbm)
{
    rx_sync(r);
    r->noise_dbm = dbm;
    r->egen++;
    update_pins(r);
}

void cc2420_set_channel_busy(cc2420_t *r, int busy) { cc2420_set_noise_dbm(r, busy ? 0 : NOISE_FLOOR_DBM); }

void cc2420_set_channel_energy(cc2420_t *r, int channel, int dbm)
{
    if (channel < 11 || channel > 26)
        return;
    rx_sync(r);
    r->chan_energy[channel - 11] = dbm;
    r->egen++;
    update_pins(r);
}

int cc2420_corrupt(cc2420_t *r, uint64_t start_ns)
{
    rx_sync(r);
    for (int i = 0; i < CC2420_MAX_AIR; i++) {
        air_t *a = &r->air[i];
        if (!a->in_use || a->id_ns != start_ns)
            continue;
        int locked_on_it = a->phase == 2 && r->rx.id_ns == start_ns;
        if (locked_on_it && !r->rx.active)
            return 0; /* its last byte (with CRC-OK) is already in the RXFIFO */
        a->corrupted = 1;
        if (locked_on_it)
            r->rx.crc_ok = 0;
        return 1;
    }
    return 0;
}

int cc2420_state(const cc2420_t *r) { return r->state; }
int cc2420_component(const cc2420_t *r) { return r->comp; }
int cc2420_cca_can_irq(const cc2420_t *r) { return port_input_can_irq(r->m, PIN_CCA_PORT, PIN_CCA); }
int cc2420_channel(const cc2420_t *r) { return freq_channel(regv(r, REG_FSCTRL)); }

uint16_t cc2420_reg(const cc2420_t *r, int addr)
{
    if (addr < REG_FIRST || addr > REG_LAST)
        return 0;
    if (addr == REG_RSSI)
        return reg_read((cc2420_t *)r, addr);
    return regv(r, addr);
}

/* Observers of the RXFIFO push the bytes due first (the model's state changes, nothing observable). */
uint8_t cc2420_ram(const cc2420_t *r, int addr)
{
    rx_catch_up((cc2420_t *)r, rx_due_bound(r->m));
    return (addr >= 0 && addr < (int)RAM_SIZE) ? r->ram[addr] : 0;
}
uint8_t cc2420_status(const cc2420_t *r) { return status_byte((cc2420_t *)r); }
int cc2420_rxfifo_count(const cc2420_t *r)
{
    rx_catch_up((cc2420_t *)r, rx_due_bound(r->m));
    return (int)r->rx_count;
}
int cc2420_txfifo_count(const cc2420_t *r) { return (int)r->tx_count; }
int cc2420_rx_overflow(const cc2420_t *r) { return r->rx_overflow; }
int cc2420_pins(const cc2420_t *r) { return r->pins; }
void cc2420_get_stats(const cc2420_t *r, cc2420_stats_t *out) { *out = r->stats; }
