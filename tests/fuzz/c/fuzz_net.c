/* Fuzz target: the firmware net stack's input paths, state kept across inputs (fragment reassembly).
 * Byte 0 picks: 0..1 a MAC payload (6LoWPAN: IPHC, FRAG1/FRAGN) from a short/extended source into
 * the CCS node (then IPv6, UDP, CoAP server); 2 the CoAP parser alone; 3 a MAC payload to broadcast.
 * Byte 1 advances the clock (ms/4) so reassembly timeouts run too. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "coap.h"

void host_set_time_ms(uint32_t t);
void host_seed(uint32_t seed);
void host_ccs_start(uint16_t node_id, int link);
void host_ccs_periodic(void);
void host_mac_input(const uint8_t *src, uint8_t src_len, const uint8_t *dst, uint8_t dst_len,
                    const uint8_t *payload, uint8_t len);
int host_mac_pop(uint8_t *dst, uint8_t *dst_len, uint8_t *payload);
void host_get_lladdr(uint8_t *out, uint8_t *len);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int started;
  static uint32_t now;
  static uint8_t own[8], own_len;
  static uint8_t sink[2048];
  uint8_t dst[8], dst_len;
  if (!started) {
    host_seed(1);
    host_ccs_start(1, 1);
    host_get_lladdr(own, &own_len);
    started = 1;
  }
  if (size < 2) return 0;
  uint8_t which = data[0] % 4;
  now += (uint32_t)data[1] * 4u;
  host_set_time_ms(now);
  data += 2; size -= 2;
  if (which != 2) {
    static const uint8_t src[8] = {0x02, 0x12, 0x74, 0x00, 0x00, 0x02, 0x02, 0x02};
    if (size > 127) size = 127;
    uint8_t frame[127];
    memcpy(frame, data, size);  /* exact-size copy so ASan sees over-reads past the frame */
    /* host_mac_input copies 8 bytes of each address whatever its length */
    static const uint8_t bcast[8] = {0xff, 0xff}, short_src[8] = {0x00, 0x02};
    int ext = which == 1;
    host_mac_input(ext ? src : short_src, ext ? 8 : 2, which == 3 ? bcast : own, which == 3 ? 2 : own_len, frame,
                   (uint8_t)size);
  } else if (which == 2) {
    coap_msg_t m;
    if (coap_parse(&m, data, (uint16_t)(size > 0xffff ? 0xffff : size)) == 0) {
      const coap_option_t *o = NULL;
      while ((o = coap_find_option(&m, 11, o)) != NULL) (void)coap_option_uint(o);
      (void)coap_uri_path_equals(&m, "sensors/temperature");
    }
  }
  host_ccs_periodic();
  while (host_mac_pop(dst, &dst_len, sink) > 0) {}
  return 0;
}
