/* dev_cc2420_cdef.h — what only cffi needs besides dev_cc2420.h (whose declarations _build_core.py
 * reads directly): the Python side of the TX callback (harness/emulator/radio.py). */
extern "Python" void _cc2420_py_tx(void *ctx, cc2420_t *r, const uint8_t *psdu, unsigned len, int channel,
                                   int power, uint64_t start_ns, uint64_t end_ns);
