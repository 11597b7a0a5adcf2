/* ccs_temperature.c — see ccs_temperature.h. */
#include "ccs_temperature.h"

/*
 * T x 10 = (ADC x 1.5 / 4095 - 0.986) / 0.00355 x 10
 *        = (ADC x 1500000 / 4095 - 986000) / 355           (in microvolts; 355 uV per 0.1 degC)
 *        = (ADC x 100000 - 986000 x 273) / (273 x 355)     (1500000 / 4095 = 100000 / 273)
 *        = (ADC x 20000 - 53835600) / 19383                (both divided by 5)
 * The numerator stays within +-2^31 (|num| <= 81.9e6). The divisor is odd, so num / 19383 is never
 * exactly halfway between two tenths: rounding half away from zero is rounding to the nearest.
 */
#define NUM_PER_COUNT 20000L
#define NUM_OFFSET 53835600L
#define DIVISOR 19383L

int16_t ccs_temperature_decicelsius(uint16_t adc)
{
    int32_t num;
    if (adc > 4095u)
        adc = 4095u;
    num = (int32_t)adc * NUM_PER_COUNT - NUM_OFFSET;
    if (num >= 0)
        return (int16_t)((num + DIVISOR / 2) / DIVISOR);
    return (int16_t)-((-num + DIVISOR / 2) / DIVISOR);
}

uint16_t ccs_temperature_text(uint16_t adc, uint8_t *out, uint16_t max)
{
    int16_t t = ccs_temperature_decicelsius(adc);
    uint16_t mag = (uint16_t)(t < 0 ? -t : t);
    uint8_t tmp[CCS_TEMPERATURE_TEXT_MAX];
    uint16_t n = 0, i;
    /* built backwards: unit, tenths, point, whole degrees (at least one digit), sign */
    tmp[n++] = 'C';
    tmp[n++] = ' ';
    tmp[n++] = (uint8_t)('0' + mag % 10u);
    tmp[n++] = '.';
    mag /= 10u;
    do {
        tmp[n++] = (uint8_t)('0' + mag % 10u);
        mag /= 10u;
    } while (mag);
    if (t < 0)
        tmp[n++] = '-';
    if (n > max)
        return 0;
    for (i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}
