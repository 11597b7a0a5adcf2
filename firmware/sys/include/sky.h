/*
 * sky.h - the Tmote Sky board layer: clock, LEDs, UART1, monotonic clock, mote id.
 *
 * sky_init() brings the board up in this order: LEDs off, DCO calibrated against the
 * 32 768 Hz ACLK (Timer_A capture of ACLK/8), Timer_A restarted as the monotonic clock on
 * ACLK, UART1 at 115200 8N1 on SMCLK (P3.6 TXD, P3.7 RXD) as the stdio sink, interrupts on.
 * Timer_B is left untouched (its CCR1 captures the CC2420 SFD).
 */
#ifndef ESSE_SKY_H
#define ESSE_SKY_H

#include <stdint.h>

/* Interrupt vector numbers, TI numbering: vector N lives at 0xFFE0 + 2*(N-1). */
#define SKY_VECTOR_DACDMA 1
#define SKY_VECTOR_PORT2 2
#define SKY_VECTOR_USART1TX 3
#define SKY_VECTOR_USART1RX 4
#define SKY_VECTOR_PORT1 5
#define SKY_VECTOR_TIMERA1 6
#define SKY_VECTOR_TIMERA0 7
#define SKY_VECTOR_ADC12 8
#define SKY_VECTOR_USART0TX 9
#define SKY_VECTOR_USART0RX 10
#define SKY_VECTOR_WDT 11
#define SKY_VECTOR_COMPARATORA 12
#define SKY_VECTOR_TIMERB1 13
#define SKY_VECTOR_TIMERB0 14
#define SKY_VECTOR_NMI 15
#define SKY_VECTOR_RESET 16

/* Declares an interrupt handler: SKY_ISR(SKY_VECTOR_TIMERB1, radio_sfd) { ... } */
#define SKY_ISR(vector, name) __attribute__((interrupt(vector))) void name(void)

/* Declares an interrupt handler that can wake main() from sky_sleep(): the body is a plain C
 * function; when it (or anything it calls) runs sky_wake_main(), the entry code clears the
 * low-power bits in the status register saved on the stack, so the CPU stays awake after RETI.
 * The entry and exit code also tell energest (energest.h) when the interrupt came in a low-power
 * mode: its time is CPU time. Handlers that run while main() may sleep should use this form.
 *     SKY_WAKEUP_ISR(SKY_VECTOR_PORT1, button) { P1IFG = 0; sky_wake_main(); }           */
#define SKY_STR_(x) #x
#define SKY_STR(x) SKY_STR_(x)
#define SKY_WAKEUP_ISR(vector, name)                                                               \
    void name##_body(void);                                                                        \
    __asm__(".section .text." #name ",\"ax\",@progbits\n"                                           \
            ".global " #name "\n"                                                                  \
            ".type " #name ",@function\n" #name ":\n"                                              \
            "\tpush r15\n\tpush r14\n\tpush r13\n\tpush r12\n\tpush r11\n"                         \
            "\tmov &0x0190, r11\n\tpush r11\n" /* TBR (SMCLK) at entry, for energest */            \
            "\tcall #" #name "_body\n"                                                             \
            "\tmov 12(r1), r12\n\tmov 0(r1), r13\n\tcall #__energest_isr\n"                       \
            "\ttst.b &__sky_wake_flag\n"                                                           \
            "\tjz 1f\n"                                                                            \
            "\tbic #0x00F0, 12(r1)\n" /* CPUOFF, OSCOFF, SCG0, SCG1 of the saved SR */             \
            "1:\tadd #2, r1\n"                                                                     \
            "\tpop r11\n\tpop r12\n\tpop r13\n\tpop r14\n\tpop r15\n\treti\n"                      \
            ".size " #name ", .-" #name "\n"                                                       \
            ".section __interrupt_vector_" SKY_STR(vector) ",\"ax\",@progbits\n"                  \
            ".word " #name "\n"                                                                    \
            ".text\n");                                                                           \
    void name##_body(void)

#define SKY_DCO_TARGET_HZ 3900000ul /* the DCO is tuned to this against ACLK */
#define SKY_ACLK_HZ 32768ul
#define SKY_CLOCK_HZ SKY_ACLK_HZ /* tick rate of sky_clock_ticks() */
#define SKY_UART_BAUD 115200ul

/* LEDs on port 5, active low */
#define SKY_LED_RED 0x10u   /* P5.4 */
#define SKY_LED_GREEN 0x20u /* P5.5 */
#define SKY_LED_BLUE 0x40u  /* P5.6 */
#define SKY_LED_ALL (SKY_LED_RED | SKY_LED_GREEN | SKY_LED_BLUE)

void sky_init(void);

/* DCO calibration: returns the measured SMCLK frequency in Hz (ACLK/8 periods x 4096), or 0
 * when ACLK gave no capture edges (then the DCO is left where the search stopped). */
uint32_t sky_dco_calibrate(void);
uint32_t sky_dco_hz(void); /* last calibrated value */
/* ACLK ticks since power-on (after sky_clock_start()): the boot up to the end of the DCO
 * calibration, from Timer_B (started on ACLK by crt0) and the calibration's ACLK/8 captures, plus
 * sky_clock_ticks(). */
uint32_t sky_boot_ticks(void);

void sky_leds_init(void);
void sky_leds_on(uint8_t leds);
void sky_leds_off(uint8_t leds);
void sky_leds_toggle(uint8_t leds);
uint8_t sky_leds_get(void); /* mask of LEDs that are lit */

/* Monotonic clock: Timer_A continuous on ACLK, extended to 32 bits by its overflow interrupt. */
void sky_clock_start(void);
uint32_t sky_clock_ticks(void);
void sky_clock_wait(uint32_t ticks); /* busy-wait */
/* One alarm on Timer_A CCR1: at `at` ticks (an instant already past fires at once) it sets the
 * expired flag and wakes main() from sky_sleep(). Setting it again re-arms it. */
void sky_clock_set_alarm(uint32_t at);
void sky_clock_cancel_alarm(void);
int sky_clock_alarm_expired(void);
/* Called from the Timer_A1 interrupt for capture/compare 2 events (TAIV = 4); CCR1 is the
 * alarm's. The handler may call sky_wake_main(). */
typedef void (*sky_timera_ccr_fn)(uint16_t taiv);
void sky_timera_set_ccr_handler(sky_timera_ccr_fn fn);

/* Low-power sleep. sky_sleep() enters the given mode with interrupts enabled and returns after
 * an interrupt handler called sky_wake_main() (at once if one did since the last sleep, so an
 * event that arrives between checking for work and sleeping is not lost). It returns with
 * interrupts enabled. LPM3 stops SMCLK (UART1): the call first lets the transmitter drain.
 * The sys handlers wake main on: the alarm, every received UART1 byte. */
#define SKY_LPM0 0x0010u /* CPUOFF: SMCLK (UART) and ACLK keep running */
#define SKY_LPM3 0x00D0u /* CPUOFF | SCG0 | SCG1: only ACLK runs */
void sky_sleep(uint16_t mode);
void sky_wake_main(void);

/* UART1 */
void sky_uart1_init(uint32_t smclk_hz, uint32_t baud);
void sky_uart1_putc(char c);
typedef void (*sky_uart_rx_fn)(uint8_t byte); /* runs in interrupt context */
void sky_uart1_set_rx_handler(sky_uart_rx_fn fn);
/* Bytes UART1 lost to a late receive interrupt (hardware overrun, OE) since start-up. */
uint16_t sky_uart1_overruns(void);
/* UxBR and UxMCTL for a clock and baud rate: the integer divisor, and the fractional part
 * spread over the 8 modulation bits (bit i set when the accumulated fraction carries). */
void sky_uart_divisor(uint32_t clock_hz, uint32_t baud, uint16_t *ubr, uint8_t *umctl);

/* The mote id Cooja (and the emulator) write into the firmware variable `node_id`. */
uint16_t sky_node_id(void);

#endif /* ESSE_SKY_H */
