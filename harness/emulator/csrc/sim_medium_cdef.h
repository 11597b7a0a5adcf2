/* sim_medium_cdef.h — what only cffi needs besides sim_medium.h: the Python side of the callback for
 * radios without a C model (harness/sim/medium.py). */
extern "Python" int _med_py_radio(void *ctx, int op, int slot, int64_t arg, double rssi, int flag);
