/* periph_port.h — digital I/O ports P1..P6. P1: IN 0x20 OUT 0x21 DIR 0x22 IFG 0x23 IES 0x24 IE 0x25
 * SEL 0x26; P2: 0x28..0x2E; P3: IN 0x18 OUT 0x19 DIR 0x1A SEL 0x1B; P4: 0x1C..0x1F; P5: 0x30..0x33;
 * P6: 0x34..0x37. P1/P2 edge interrupts (IES 0: rising, 1: falling) on PORT1 0xFFE8 / PORT2 0xFFE2.
 * PxIN reads the pin: the external level for inputs, the output latch for outputs.
 * Sky CC2420 wiring: inputs driven by the radio FIFOP P1.0, FIFO P1.3, CCA P1.4, SFD P4.1 (also Timer_B
 * CCI1A when P4SEL.1 = 1); outputs it listens to CSn P4.2, VREG_EN P4.5, RESETn P4.6. */
#ifndef ESSE_PERIPH_PORT_H
#define ESSE_PERIPH_PORT_H
#include "mote.h"

/* Drive an input pin from outside (port 1..6, pin 0..7, level 0/1). Triggers P1/P2 edge flags and
 * routes to timer capture inputs when PxSEL selects them. Pins start low at power-on. */
void port_set_input(mote_t *m, int port, int pin, int level);
/* Pin level as the chip sees it (PxIN bit). */
int port_get_pin(mote_t *m, int port, int pin);
/* Whether a level change driven on this input pin could raise an interrupt line now: a P1/P2 pin
 * with its PxIE bit set, or any pin PxSEL hands to a module (e.g. a timer capture input). */
int port_input_can_irq(mote_t *m, int port, int pin);
uint8_t port_get_out(mote_t *m, int port);
uint8_t port_get_dir(mote_t *m, int port);

/* Output listener: called whenever the driven outputs (OUT & DIR) or DIR of a port change.
 * `out` = PxOUT & PxDIR, `dir` = PxDIR, `changed` = bits of out|dir that changed. Up to 8 listeners. */
typedef void (*port_out_fn)(mote_t *m, void *ctx, int port, uint8_t out, uint8_t dir, uint8_t changed);
int port_add_output_listener(mote_t *m, port_out_fn fn, void *ctx); /* 0 ok, -1 full */

/* Pin listener: called whenever the level of a pin as the chip sees it (PxIN) changes, whoever
 * changed it (the CPU writing OUT/DIR, a device driving an input, a reset). `levels` = the port's
 * PxIN after the change, `changed` = the bits that changed. Up to 4 listeners (observers such as the
 * VCD trace: none is registered unless one is asked for, so plain runs pay one test per port write). */
typedef void (*port_pin_fn)(mote_t *m, void *ctx, int port, uint8_t levels, uint8_t changed);
int port_add_pin_listener(mote_t *m, port_pin_fn fn, void *ctx); /* 0 ok, -1 full */

void port_attach(mote_t *m);
void port_reset(mote_t *m, int por);
void port_detach(mote_t *m);
#endif
