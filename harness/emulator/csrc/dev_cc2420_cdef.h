/* dev_cc2420_cdef.h — the CC2420 model's API for cffi's cdef() (plain declarations; keep in step with
 * dev_cc2420.h). _build_core.py appends every csrc/dev_*_cdef.h and includes the matching dev_*.h. */
typedef struct cc2420 cc2420_t;
typedef void (*cc2420_tx_fn)(void *ctx, cc2420_t *r, const uint8_t *psdu, unsigned len, int channel,
                             int power, uint64_t start_ns, uint64_t end_ns);
typedef struct {
    uint64_t tx_frames;
    uint64_t tx_acks;
    uint64_t tx_underflows;
    uint64_t cca_failures;
    uint64_t rx_frames;
    uint64_t rx_crc_errors;
    uint64_t rx_rejected;
    uint64_t rx_missed;
    uint64_t rx_overflows;
    uint64_t rx_late;
    uint64_t spi_bytes;
} cc2420_stats_t;

cc2420_t *cc2420_attach(mote_t *m);
void cc2420_free(cc2420_t *r);
void cc2420_set_tx_callback(cc2420_t *r, cc2420_tx_fn fn, void *ctx);
int cc2420_receive(cc2420_t *r, const uint8_t *psdu, unsigned len, int channel, int rssi_dbm, int corr,
                   uint64_t start_ns);
int cc2420_corrupt(cc2420_t *r, uint64_t start_ns);
void cc2420_set_noise_dbm(cc2420_t *r, int dbm);
void cc2420_set_channel_energy(cc2420_t *r, int channel, int dbm);
void cc2420_set_channel_busy(cc2420_t *r, int busy);
int cc2420_state(const cc2420_t *r);
int cc2420_component(const cc2420_t *r);
int cc2420_channel(const cc2420_t *r);
uint16_t cc2420_reg(const cc2420_t *r, int addr);
uint8_t cc2420_ram(const cc2420_t *r, int addr);
uint8_t cc2420_status(const cc2420_t *r);
int cc2420_rxfifo_count(const cc2420_t *r);
int cc2420_txfifo_count(const cc2420_t *r);
int cc2420_rx_overflow(const cc2420_t *r);
int cc2420_pins(const cc2420_t *r);
void cc2420_get_stats(const cc2420_t *r, cc2420_stats_t *out);

/* The Python side of the TX callback (harness/emulator/radio.py). */
extern "Python" void _cc2420_py_tx(void *ctx, cc2420_t *r, const uint8_t *psdu, unsigned len, int channel,
                                   int power, uint64_t start_ns, uint64_t end_ns);
