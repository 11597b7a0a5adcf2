/*
 * mote.h — the contract between the MSP430 CPU core and everything else in one emulated mote.
 *
 * The CPU core (cpu.c) knows only this header: memory, the I/O hook table for the peripheral
 * address space, the interrupt lines, the cycle-timer event queue and the mode listeners.
 * Peripherals (periph_*.c) each own an address range and some interrupt lines; the CPU never
 * names a peripheral. External devices (the CC2420) attach to peripherals, never to the CPU.
 *
 * Time: `now` counts MCLK-rate cycles since reset, *including* time spent in low-power modes
 * (the way MSPSim counts). When the CPU is off, the run loop jumps straight to the next event.
 * Clock-domain conversions (ACLK ticks -> cycles, cycles -> simulated ns) belong to the Basic
 * Clock module, which publishes the current DCO frequency here in `mclk_hz`.
 *
 * Within an instruction, operand reads (I/O read hooks) see `now` at the instruction's start and
 * result writes (I/O write hooks, SR writes entering LPM) see it after the instruction's cycles
 * were added. Interrupt acceptance (6 cycles) and RETI (5) follow the same rule.
 */
#ifndef ESSE_MOTE_H
#define ESSE_MOTE_H

#include <stdint.h>
#include <stddef.h>

#define MOTE_MEM_SIZE 0x10000u
#define MOTE_IO_END 0x0200u /* 0x0000..0x01FF: SFRs, 8-bit and 16-bit peripherals */
#define MOTE_NUM_VECTORS 16 /* TI numbering 1..16 maps to index 0..15; index 15 = reset */
#define MOTE_VEC_NMI 14     /* 0xFFFC */
#define MOTE_VEC_RESET 15   /* 0xFFFE */
#define MOTE_DCO_WAKE_NS 6000u /* DCO start-up after LPM3/LPM4 (F1611 datasheet: wake-up < 6 us) */

/* F1611 memory map */
#define MOTE_RAM_START 0x1100u
#define MOTE_RAM_END 0x3900u /* exclusive */
#define MOTE_INFO_START 0x1000u
#define MOTE_INFO_END 0x1100u /* exclusive */
#define MOTE_FLASH_START 0x4000u /* main flash incl. vectors up to 0xFFFF */
/* The lowest 2 KB of RAM (0x1100-0x18FF) also appear at 0x0200-0x09FF (F1611 datasheet memory map:
 * "mirrored" RAM): a write through either address changes both, code runs from either. The core
 * keeps the two copies equal (host writes to RAM are copied over at every reset). */
#define MOTE_MIRROR_START 0x0200u
#define MOTE_MIRROR_END 0x0A00u /* exclusive */
#define MOTE_MIRROR_OFFSET (MOTE_RAM_START - MOTE_MIRROR_START) /* mirror + offset = RAM */
#define MOTE_SERIAL_BUF 8192u /* bytes of UART output the core holds per port between two host drains */

typedef struct mote mote_t;

/* ---- I/O hooks: one read and one write handler per byte address below MOTE_IO_END ---- */
typedef uint16_t (*mote_io_read_fn)(mote_t *m, void *ctx, uint16_t addr, int is_byte);
typedef void (*mote_io_write_fn)(mote_t *m, void *ctx, uint16_t addr, uint16_t value, int is_byte);

typedef struct {
    mote_io_read_fn read;   /* NULL: plain memory byte in m->mem (the CPU reads it on its fast path) */
    mote_io_write_fn write; /* NULL: plain memory byte in m->mem */
    void *ctx;
} mote_io_hook_t;

/* Map [start, end) to a peripheral. Word accesses are dispatched on the even address. */
int mote_map_io(mote_t *m, uint16_t start, uint16_t end, mote_io_read_fn rd, mote_io_write_fn wr,
                void *ctx); /* -1 (see mote_setup_error): outside the I/O space or already mapped */

/* Writes into flash or info memory from the CPU go through this hook (the flash controller);
 * with no hook installed, such a write is a fault. */
typedef void (*mote_flash_write_fn)(mote_t *m, void *ctx, uint16_t addr, uint16_t value, int is_byte);
void mote_set_flash_writer(mote_t *m, mote_flash_write_fn fn, void *ctx);

/* ---- cycle-timer event queue (one per mote; drives all time) ---- */
typedef struct mote_event mote_event_t;
typedef void (*mote_event_fn)(mote_t *m, mote_event_t *ev);
/* A quiet event, asked while the CPU sleeps with no interrupt line raised: the earliest simulated
 * time (ns) at which firing it, or the events it schedules in turn, could raise an interrupt line
 * (UINT64_MAX: never). Every other effect of it happens when it fires, lazily or not (sim_group.c
 * lets a sleeping member stay behind until then). It may assume that nothing but quiet events fire
 * before that time and that the host touches the mote only through simm_sync. */
typedef uint64_t (*mote_event_quiet_fn)(mote_t *m, mote_event_t *ev);
struct mote_event {
    uint64_t when;      /* absolute cycle (m->now domain) */
    mote_event_fn fire; /* called with m->now == when (or later if the CPU overshot by <1 insn) */
    void *ctx;
    int32_t slot;       /* internal: heap index, -1 when not queued */
    const char *name;   /* for debugging / traces */
    mote_event_quiet_fn quiet; /* NULL: it may raise an interrupt line when it fires */
};
void mote_event_init(mote_event_t *ev, const char *name, mote_event_fn fire, void *ctx);
void mote_event_schedule(mote_t *m, mote_event_t *ev, uint64_t when); /* reschedules if queued */
void mote_event_cancel(mote_t *m, mote_event_t *ev);
static inline int mote_event_queued(const mote_event_t *ev) { return ev->slot >= 0; }

/* ---- interrupt lines ----
 * A peripheral drives the level of its vector's line (IFG & IE of its sources, OR-ed).
 * The CPU accepts the highest-priority (highest index) asserted line when GIE is set; NMI
 * (index 14) regardless of GIE. On acceptance the CPU calls the vector's accept callback so
 * single-source flags can auto-clear (e.g. TACCR0 CCIFG). */
void mote_irq_set(mote_t *m, int vec, int level);
typedef void (*mote_irq_accept_fn)(mote_t *m, void *ctx, int vec);
int mote_irq_on_accept(mote_t *m, int vec, mote_irq_accept_fn fn, void *ctx); /* -1: taken */

/* ---- operating modes and their listeners (the ground-truth power tracker) ----
 * Every chip (CPU, radio, ...) registers a component and reports mode changes; the tracker
 * totals, per (component, mode), MCLK-rate cycles and simulated nanoseconds. The nanoseconds are
 * the one power tracker every report uses: they are taken from the clock module's exact time base
 * at each change, so they stay right when the DCO is re-tuned (a cycle count converted at one
 * MCLK frequency does not: boot runs at ~750 kHz before the firmware calibrates the DCO).
 * Modes are small integers named by the component. */
#define MOTE_MAX_COMPONENTS 8
#define MOTE_MAX_MODES 8
typedef struct {
    const char *name;
    const char *mode_names[MOTE_MAX_MODES];
    int nmodes;
    int mode;             /* current */
    uint64_t since;       /* cycle at which `mode` was entered */
    uint64_t total[MOTE_MAX_MODES]; /* cycles accumulated in each finished stretch */
    uint64_t since_ns;    /* simulated ns at which `mode` was entered */
    uint64_t total_ns[MOTE_MAX_MODES]; /* ns accumulated in each finished stretch */
} mote_component_t;
int mote_component_register(mote_t *m, const char *name, const char *const *mode_names, int nmodes,
                            int initial_mode);
void mote_component_set_mode(mote_t *m, int component, int mode);
/* CPU modes for component 0 (registered by the core) */
enum { CPU_MODE_ACTIVE = 0, CPU_MODE_LPM0, CPU_MODE_LPM1, CPU_MODE_LPM2, CPU_MODE_LPM3, CPU_MODE_LPM4 };

/* ---- faults ---- */
enum mote_fault {
    MOTE_OK = 0,
    MOTE_FAULT_FETCH,          /* PC outside flash/RAM */
    MOTE_FAULT_FLASH_WRITE,    /* write to flash without the controller */
    MOTE_FAULT_STACK,          /* SP below _end */
    MOTE_FAULT_ILLEGAL,        /* undefined opcode */
    MOTE_FAULT_HALT,           /* stopped on request (stop address reached) */
    MOTE_FAULT_INTERNAL,       /* emulator limit hit (event queue full): a peripheral bug */
};

/* ---- status register bits ---- */
#define SR_C 0x0001u
#define SR_Z 0x0002u
#define SR_N 0x0004u
#define SR_GIE 0x0008u
#define SR_CPUOFF 0x0010u
#define SR_OSCOFF 0x0020u
#define SR_SCG0 0x0040u
#define SR_SCG1 0x0080u
#define SR_V 0x0100u

struct mote {
    uint8_t mem[MOTE_MEM_SIZE];          /* RAM, flash, info memory; plain I/O bytes */
    mote_io_hook_t io[MOTE_IO_END];      /* per-byte-address peripheral hooks */
    uint16_t r[16];                      /* R0=PC R1=SP R2=SR R3=CG2 */
    uint64_t now;                        /* MCLK-rate cycles since reset, LPM included */
    uint64_t active_cycles;              /* cycles with the CPU on */
    uint32_t mclk_hz;                    /* current MCLK frequency, set by the clock module */
    uint64_t (*time_ns)(mote_t *m);      /* simulated ns at `now`, published by the clock module;
                                            NULL: now / mclk_hz (exact only at a fixed MCLK) */

    /* interrupts */
    uint16_t irq_lines;                  /* bit v = line of vector index v asserted */
    mote_irq_accept_fn irq_accept[MOTE_NUM_VECTORS];
    void *irq_accept_ctx[MOTE_NUM_VECTORS];

    /* event queue: binary min-heap on `when` */
    mote_event_t *heap[256];
    int nheap;

    /* flash controller hook */
    mote_flash_write_fn flash_write;
    void *flash_write_ctx;

    /* modes */
    mote_component_t comp[MOTE_MAX_COMPONENTS];
    int ncomp;

    /* faults and stops */
    int fault;                           /* enum mote_fault */
    uint16_t fault_pc;
    uint16_t stack_limit;                /* _end from the ELF; 0 disables the check */
    int32_t stop_pc;                     /* run until this PC is about to execute; -1: none */

    /* node_id variable (Cooja writes the mote id there, and re-writes it on each store) */
    int32_t node_id_addr;                /* -1: none */
    uint16_t node_id;

    /* opaque per-peripheral state, owned by periph code */
    void *periph[16];

    /* ---- core-internal state (added by the core; peripherals should not touch) ---- */
    uint64_t next_check;                 /* run loop leaves its fast path when now >= next_check */
    uint64_t run_until;                  /* limit of the current mote_run call */
    struct cpu_decoded *dcache;          /* predecoded instructions, indexed by PC/2: own_dcache
                                            or code_share's */
    struct cpu_decoded *own_dcache;      /* the private cache, mapped on demand (NULL while shared) */
    struct mote_code_share *code_share;  /* NULL: private (see mote_share_code) */
    int irq_defer;                       /* EINT: execute one more instruction before accepting */
    int puc_pending;                     /* PUC requested by a peripheral, applied between insns */
    int stop_request;                    /* a stop condition (serial byte) ends mote_run */
    int serial_break;                    /* mote_serial_out() ends mote_run (run-until-UART) */
    struct mote_reset_hook { void (*fn)(mote_t *m, void *ctx, int por); void *ctx; } reset_hooks[32];
    int nreset_hooks;
    struct mote_mode_hook {
        void (*fn)(mote_t *m, void *ctx, int component, int old_mode, int new_mode);
        void *ctx;
    } mode_hooks[16];
    int nmode_hooks;
    struct mote_serial_buf { uint8_t data[MOTE_SERIAL_BUF]; uint32_t len; uint64_t total; uint64_t dropped; } serial[2];
    mote_event_t irq_pulse_ev[MOTE_NUM_VECTORS]; /* mote_schedule_irq (host/test API) */
    /* while an event's fire() runs: its scheduled cycle (now may be up to one instruction later);
     * a peripheral that timestamps the event (a timer capture) uses this. UINT64_MAX otherwise. */
    uint64_t event_when;
    /* resets seen (enum mote_reset_cause); the cause of a pending PUC is puc_cause */
    int puc_cause;
    uint32_t reset_count[8];
    int last_reset_cause;
    uint64_t last_reset_cycle;
    /* DCO wake-up from LPM3/LPM4: an interrupt is accepted once the DCO runs again, dco_wake_ns
     * after it woke the chip (user's guide/datasheet: <= 6 us); wake_at is that cycle (0: none) */
    uint32_t dco_wake_ns;
    uint64_t wake_at;
    uint8_t *bp_map; /* debugger breakpoints: 1 bit per word address (NULL: none), see below */
    int mirror_live; /* code has run from the RAM mirror since reset: mem[0x0200..0x09FF] is a copy */
    const struct cpu_xlat_module *xlat; /* translated code in use (cpu_xlat.h); NULL: interpreter only */
    uint8_t *xlat_off; /* per region of xlat: 1 while a stop or breakpoint lies in it (interpreted) */
    uint64_t xlat_runs; /* regions entered since creation (statistics: tests, benchmarks) */
    uint64_t xlat_resumed; /* time checks in a region that fired the due events and went on there */
};

/* ======================================================================================
 * Core API (implemented by mote.c / cpu.c). Added after the first contract; all names above
 * are unchanged.
 * ====================================================================================== */

/* Lifecycle. mote_create() zeroes memory, registers component 0 (CPU) and attaches the
 * peripherals (periph_attach_all() from periph.h when present), then does a POR. */
mote_t *mote_create(void);
void mote_destroy(mote_t *m);

/* Resets. POR (power-on: mote_reset) and PUC (mote_puc, e.g. watchdog expiry or flash key
 * violation) both reload PC from the reset vector and clear SR; registered reset hooks run
 * first (por = 1 for POR, 0 for PUC) so peripherals restore their reset values. mote_puc()
 * may be called from inside an I/O handler: it is applied between instructions. */
typedef void (*mote_reset_fn)(mote_t *m, void *ctx, int por);
int mote_on_reset(mote_t *m, mote_reset_fn fn, void *ctx); /* -1: table full or already registered */
void mote_reset(mote_t *m);
void mote_puc(mote_t *m);

/* Why a reset happened (counted in m->reset_count[cause], the latest in last_reset_cause/_cycle, so
 * no reset goes unnoticed). mote_puc() is mote_puc_cause(m, MOTE_RESET_PUC_OTHER). */
enum mote_reset_cause {
    MOTE_RESET_POR = 0,        /* power-on reset (mote_reset) */
    MOTE_RESET_WATCHDOG,       /* watchdog expiry in watchdog mode */
    MOTE_RESET_WDT_KEY,        /* WDTCTL written without the 0x5A password */
    MOTE_RESET_FLASH_KEY,      /* FCTLx written without the 0xA5 key */
    MOTE_RESET_VECTOR,         /* the reset-vector line asserted (host/test API) */
    MOTE_RESET_PUC_OTHER,      /* mote_puc() without a cause */
};
void mote_puc_cause(mote_t *m, int cause);

/* Mode-change listeners (e.g. the clock module watches the CPU's SCG0/SCG1/OSCOFF through
 * component 0: LPM1..LPM4 gate the clocks). Called after the totals are updated. */
typedef void (*mote_mode_fn)(mote_t *m, void *ctx, int component, int old_mode, int new_mode);
int mote_on_mode_change(mote_t *m, mote_mode_fn fn, void *ctx); /* -1: full or already registered */
/* Cycles spent so far in (component, mode), the open stretch included. */
uint64_t mote_component_time(const mote_t *m, int component, int mode);
/* Simulated nanoseconds spent so far in (component, mode), the open stretch included. */
uint64_t mote_component_ns(mote_t *m, int component, int mode);
/* Simulated nanoseconds since power-on at `now` (m->time_ns, or the fixed-MCLK fallback). */
uint64_t mote_now_ns(mote_t *m);

/* Serial output towards the host: a UART module calls this with each byte that has finished
 * transmitting (port 0 = USART0, 1 = USART1). The host drains the buffer. */
void mote_serial_out(mote_t *m, int port, uint8_t byte);
/* Copy up to `max` buffered bytes of `port` into `out`, remove them; returns the count. */
uint32_t mote_serial_take(mote_t *m, int port, uint8_t *out, uint32_t max);
/* Bytes of `port` lost since mote_create because the buffer was full (the host did not drain). */
uint64_t mote_serial_dropped(const mote_t *m, int port);
/* Host access to memory as the CPU's data accesses see it, without I/O hooks: the RAM mirror
 * (0x0200-0x09FF) resolves to RAM. Addresses wrap at 0x10000. */
void mote_host_read(const mote_t *m, uint16_t addr, uint8_t *out, uint32_t n);
void mote_host_write(mote_t *m, uint16_t addr, const uint8_t *in, uint32_t n);

/* Data accesses as an instruction makes them (I/O hooks, the RAM mirror, node_id, writes into flash
 * through the flash controller), for another bus master (the DMA controller, periph_dma.c). Called
 * between instructions, with the run loop's state in the mote (m->now, m->r current). A word access
 * uses the even address. */
uint16_t mote_data_read(mote_t *m, uint16_t addr, int is_byte);
void mote_data_write(mote_t *m, uint16_t addr, uint16_t value, int is_byte);

/* Registration (I/O ranges, hooks, listeners, components, devices) fails loudly: the function
 * returns -1 (NULL for an attach) and mote_setup_fail() leaves a message, read with
 * mote_setup_error() (per thread, "" when none; mote_setup_clear() empties it). mote_create()
 * returns NULL when a registration failed while it attached the peripherals. */
int mote_setup_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *mote_setup_error(void);
void mote_setup_clear(void);

/* Stop the run loop from a peripheral or callback with a fault code (enum mote_fault). */
void mote_fault(mote_t *m, int code, uint16_t pc);

/* Run until now >= until, a fault, the stop PC or a serial stop. Returns MOTE_OK when the limit
 * was reached, MOTE_STOP_SERIAL for a serial byte with serial_break set, otherwise the fault code
 * (also left in m->fault; clear it with mote_clear_fault before running again). */
#define MOTE_STOP_SERIAL 100
int mote_run(mote_t *m, uint64_t until);
void mote_clear_fault(mote_t *m);
/* Stop before executing the instruction at pc (-1: none). */
void mote_set_stop_pc(mote_t *m, int32_t pc);
/* Debugger breakpoints (any number): the run stops with MOTE_FAULT_HALT before executing pc, like
 * the stop PC. Checked when an instruction is decoded, so they cost nothing in the run loop. */
void mote_set_breakpoint(mote_t *m, uint16_t pc, int on);
/* Host/test API: assert (level 1) or release (0) line `vec` at absolute cycle `when`. */
void mote_schedule_irq(mote_t *m, int vec, int level, uint64_t when);
/* Forget predecoded instructions (after the host rewrites program memory). */
void mote_invalidate_code(mote_t *m);
/* Let m run from with's predecoded instructions (one cache for both, and for every mote that shares
 * with either later). An entry depends only on its address and the opcode words it was decoded from,
 * which every fetch compares, so sharing is exact for any code; motes running the same firmware
 * then touch one cache instead of one each (host cache misses: many motes run a few hundred
 * instructions each in turn). Not for motes with a stop PC or breakpoints (the decoder places those;
 * setting one takes the mote back to a private cache), nor for motes run from different threads.
 * A mote whose code first runs from the RAM mirror goes private too (cpu.c: the mirror's bytes are a
 * copy only while it runs from there). Returns -1 (and shares nothing) for a mote with a stop. */
int mote_share_code(mote_t *m, mote_t *with);
/* Back to a private (empty) cache; nothing when it is private already. */
void mote_unshare_code(mote_t *m);
/* 1 when a and b run from one shared cache. */
int mote_shares_code(const mote_t *a, const mote_t *b);

/* ---- translated code (cpu_xlat.h; made by harness/emulator/translate.py) ---- */
/* Run m's flash code from a translated module (a struct cpu_xlat_module): same cycles, memory and
 * events as the interpreter, faster. 0: attached; -1: built for another core (ABI or struct size);
 * -2: m's memory differs from the module's image; -3: out of memory. Takes m to a private cache
 * (share it again after: mote_share_code shares only between motes with the same module). Stops
 * and breakpoints send their region back to the interpreter while they are set. A write into the
 * translated range (the flash controller, the host, an ELF load) detaches m. */
int mote_xlat_attach(mote_t *m, const void *module);
void mote_xlat_detach(mote_t *m);
/* Bytes [lo, hi) of m's memory were rewritten (the flash controller, the host): detaches m when they
 * overlap its translated code. */
void mote_xlat_written(mote_t *m, uint32_t lo, uint32_t hi);
/* For the translator: instruction shapes (mote_xlat_insn.fmt) */
enum { XLAT_NONE, XLAT_F1, XLAT_F1_SR, XLAT_F2, XLAT_JUMP };
struct mote_xlat_insn {
    uint16_t key, kind, cval, dbase, aux; /* the interpreter's entry (cpu.h struct cpu_decoded) */
    uint8_t sreg, dreg, cycles;
    uint8_t fmt, op, bw, s, d;            /* fmt: XLAT_*; format I: opcode, B/W, source, destination
                                             kind; format II: operation, B/W, mode; jump: condition */
    uint8_t len;                          /* bytes */
};
/* Decode the instruction at pc (no pairs, no stop, no fault): 0, or -1 (illegal / not fetchable). */
int mote_xlat_decode(const mote_t *m, uint16_t pc, struct mote_xlat_insn *out);

#endif /* ESSE_MOTE_H */
