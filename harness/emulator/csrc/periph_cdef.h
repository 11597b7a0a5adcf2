/* periph_cdef.h — the peripheral API in a form cffi's cdef() parses (plain prototypes, no includes,
 * no macros with expressions). _build_core.py appends this file's text to its CDEF; it is also valid
 * C (the build's set_source includes periph.h, which declares the same functions). Keep in step with
 * the periph_*.h headers. */

/* whole chip */
void periph_reset_all(mote_t *m, int por);

/* SFRs: reg 0 IE1, 1 IE2, 2 IFG1, 3 IFG2, 4 ME1, 5 ME2 */
uint8_t sfr_get(mote_t *m, int reg);
void sfr_set_bits(mote_t *m, int reg, uint8_t bits);
void sfr_clear_bits(mote_t *m, int reg, uint8_t bits);
void sfr_nmi_pin(mote_t *m, int level);

/* clock and time: src 1 ACLK, 2 SMCLK, 3 MCLK, 4 LFXT1, 5 ADC12OSC, 6 DCO */
uint32_t clk_freq_hz(mote_t *m, int src);
uint32_t clk_dco_model_hz(int rsel, int dco, int mod);
uint64_t clk_ticks(mote_t *m, int src);
uint64_t clk_cycle_of_tick(mote_t *m, int src, uint64_t tick);
uint64_t clk_now_ns(mote_t *m);
uint64_t clk_cycle_to_ns(mote_t *m, uint64_t cycle);
uint64_t clk_cycle_at_ns(mote_t *m, uint64_t ns);
int clk_run_until_ns(mote_t *m, uint64_t ns);
uint64_t clk_aclk_ticks(mote_t *m);
uint64_t clk_cycles_until_aclk_tick(mote_t *m, uint64_t n);

/* watchdog */
uint16_t wdt_counter(mote_t *m);
uint16_t wdt_ctl(mote_t *m);

/* timers (values checked against periph_timer.h by the compiler) */
enum { TIMER_A = 0, TIMER_B = 1 };
void timer_capture_input(mote_t *m, int timer, int ccr, int sel, int level);
void timer_b_capture_input(mote_t *m, int ccr, int level);
void timer_a_capture_input(mote_t *m, int ccr, int sel, int level);
uint16_t timer_counter(mote_t *m, int timer);

/* USART0/1 */
uint64_t uart_tx_count(mote_t *m, int usart);
int uart_rx_byte(mote_t *m, int usart, uint8_t byte);
size_t uart_rx_push(mote_t *m, int usart, const uint8_t *data, size_t len);
size_t uart_rx_queued(mote_t *m, int usart);
uint64_t uart_rx_ready_cycle(mote_t *m, int usart);
uint64_t uart_char_cycles(mote_t *m, int usart);
void uart_rx_health(mote_t *m, int usart, uint64_t *max_wait, uint64_t *lost);

/* ports 1..6 */
void port_set_input(mote_t *m, int port, int pin, int level);
int port_get_pin(mote_t *m, int port, int pin);
uint8_t port_get_out(mote_t *m, int port);
uint8_t port_get_dir(mote_t *m, int port);

/* flash controller */
void flash_cpu_write(mote_t *m, void *ctx, uint16_t addr, uint16_t value, int is_byte);
int flash_busy(mote_t *m);
uint64_t flash_ops_done(mote_t *m);

/* ADC12 */
void adc_set_channel(mote_t *m, int ch, uint16_t value);
void adc_set_channel_noise(mote_t *m, int ch, int bits);
void adc_seed(mote_t *m, uint64_t seed);

/* parts the emulator does not model (periph_unmodelled.h): part 0 I2C, 1 SVS, 2 Comparator_A,
 * 3 DAC12, 4 SPI slave */
uint32_t unmod_touched(mote_t *m);
int unmod_first(mote_t *m, int part, uint16_t *addr, uint64_t *cycle, uint64_t *ns, int *write,
                uint64_t *count);

/* DMA controller */
uint64_t dma_transfers(mote_t *m);
