/* sim_group_cdef.h — sim_group.h for cffi's cdef() (plain declarations; keep in step with sim_group.h).
 * _build_core.py appends it like the dev_*_cdef.h pieces and includes sim_group.h. */
typedef struct simm simm_t;
typedef struct simg simg_t;
simm_t *simm_attach(mote_t *m);
void simm_free(simm_t *s);
uint64_t simm_now_ns(simm_t *s);
int simm_run_until_ns(simm_t *s, uint64_t ns);
uint64_t simm_mode_ns(simm_t *s, int component, int mode);
size_t simm_uart_pending(simm_t *s);
size_t simm_uart_take(simm_t *s, uint64_t *t_ns, uint8_t *bytes, size_t max);
simg_t *simg_create(uint64_t lookahead_ns);
void simg_free(simg_t *g);
int simg_add(simg_t *g, simm_t *s);
void simg_note_event(simg_t *g);
int simg_run(simg_t *g, uint64_t now_us, uint64_t limit_us, uint64_t *reached_us, int *fault_index);
int simg_uart_members(simg_t *g, int *out, int max);
uint64_t simg_windows(simg_t *g);
