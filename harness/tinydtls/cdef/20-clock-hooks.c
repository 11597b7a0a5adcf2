/* 20: the PRNG hook's declaration (the clock hook's comes with dtls_time.h). */
#include "dtls_prng.h"
