/*
 * ccs_temperature.h — the reading of the MSP430F1611's internal temperature diode (ADC12 INCH 10,
 * internal 1.5 V reference) in degrees Celsius, integer arithmetic only. Pure functions: the mote
 * build and the host build of the app (tests) share them.
 *
 * Datasheet (MSP430F161x, temperature sensor): V_TEMP = 0.00355 V/degC x T + 0.986 V, and the
 * conversion gives ADC = V_TEMP / 1.5 V x 4095, so
 *   T = (ADC x 1.5 / 4095 - 0.986) / 0.00355 degC.
 * Range: ADC 0 -> -277.7 degC, ADC 4095 -> 144.8 degC (outside the part's rating, still defined).
 */
#ifndef CCS_TEMPERATURE_H
#define CCS_TEMPERATURE_H

#include <stdint.h>

/* Longest text of ccs_temperature_text: "-277.7 C". */
#define CCS_TEMPERATURE_TEXT_MAX 8u

/* T in tenths of a degree Celsius, rounded to the nearest tenth (adc above 4095 is taken as 4095). */
int16_t ccs_temperature_decicelsius(uint16_t adc);

/* T as text with one decimal and the unit, e.g. "23.5 C", "-3.2 C", "0.0 C"; returns its length,
 * 0 (nothing written) when max is too small. */
uint16_t ccs_temperature_text(uint16_t adc, uint8_t *out, uint16_t max);

#endif
