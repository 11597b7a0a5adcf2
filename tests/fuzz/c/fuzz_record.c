/* Fuzz target: the record layer and the SSM<->CCS messages on arbitrary bytes.
 * Input byte 0 picks the parser; for the record layer the next 75 bytes are an encoded key state
 * (so the state installed is fuzzed too), the rest is the datagram. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "dtls_record.h"
#include "ssm_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t buf[2048];
  if (size < 1 || size - 1 > sizeof buf) return 0;
  uint8_t which = data[0] % 3;
  data++; size--;
  if (which == 0) {
    esse_keystate_t ks;
    esse_record_t st;
    esse_record_view_t view;
    if (size < 75) return 0;
    esse_keystate_decode(&ks, data);
    if (esse_record_install(&st, &ks) != 0) return 0;
    memcpy(buf, data + 75, size - 75);
    (void)esse_record_open(&st, buf, size - 75, &view);
    esse_record_wipe(&st);
  } else {
    static const uint8_t psk[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    esse_ssm_link_t link;
    esse_ssm_link_init(&link, psk, 0, 0);
    memcpy(buf, data, size);
    if (which == 1) {
      esse_keystate_t ks;
      uint32_t counter;
      (void)esse_km_open(&link, buf, size, &ks, &counter);
    } else {
      uint8_t code, sid[8];
      (void)esse_error_open(&link, buf, size, &code, sid);
    }
  }
  return 0;
}
