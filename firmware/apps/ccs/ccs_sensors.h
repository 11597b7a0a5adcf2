/*
 * ccs_sensors.h — the CCS's sensors and actuators. On the mote (ccs_sensors.c): ADC12 single
 * conversions and the Sky LEDs; host builds of the app (tests) supply their own implementation.
 *
 * Temperature: ADC12 input channel 10, the MSP430's internal temperature diode, against the
 * internal 1.5 V reference. Light: ADC12 channel 4, the Sky's photosynthetically-active-radiation
 * photodiode (Hamamatsu S1087) against AVcc. Both return the raw 12-bit conversion (0..4095); the
 * app answers the temperature in degrees Celsius (ccs_temperature.h) and the light as this raw count.
 */
#ifndef CCS_SENSORS_H
#define CCS_SENSORS_H

#include <stdint.h>

#define CCS_LED_RED 1u
#define CCS_LED_GREEN 2u
#define CCS_LED_BLUE 4u

void ccs_sensors_init(void);
uint16_t ccs_sensor_temperature_raw(void);
uint16_t ccs_sensor_light_raw(void);
void ccs_leds_set(uint8_t mask); /* CCS_LED_* bits, others ignored */
uint8_t ccs_leds_get(void);

#endif
