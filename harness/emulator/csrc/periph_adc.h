/* periph_adc.h — ADC12: ADC12CTL0 0x1A0, ADC12CTL1 0x1A2, ADC12IFG 0x1A4, ADC12IE 0x1A6, ADC12IV 0x1A8,
 * ADC12MEM0-15 0x140-0x15E, ADC12MCTL0-15 0x080-0x08F (bytes); vector 0xFFEE. Conversions take the
 * sample time (SHP = 1: 4 * ADC12CLK * {1,2,4,8,16,24,32,48,64,96,128,192,256...} per SHT) plus 13
 * ADC12CLK cycles; all CONSEQ modes, trigger ADC12SC only (SHS = 0). The result is the value set for
 * the input channel (12 bit); in noise mode the low `bits` bits come from a seeded xorshift PRNG. */
#ifndef ESSE_PERIPH_ADC_H
#define ESSE_PERIPH_ADC_H
#include "mote.h"
void adc_set_channel(mote_t *m, int ch, uint16_t value);   /* ch 0..15, value 0..4095 */
void adc_set_channel_noise(mote_t *m, int ch, int bits);   /* 0: off, 1..12 low bits random */
void adc_seed(mote_t *m, uint64_t seed);
void adc_attach(mote_t *m);
void adc_reset(mote_t *m, int por);
void adc_detach(mote_t *m);
#endif
