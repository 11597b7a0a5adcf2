"""cffi (API mode) build of the emulator core: `python harness/emulator/_build_core.py`.

Compiles every C file in csrc/ (the CPU, the mote framework and the peripheral modules
periph_*.c) into the extension module `harness.emulator._core`.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
if str(HERE.parent.parent) not in sys.path:  # run by path (setup.py, CffiExtension): find `harness`
    sys.path.insert(0, str(HERE.parent.parent))

from harness.cffi_build import header_cdef  # noqa: E402

CSRC = HERE / "csrc"
REPO_ROOT = HERE.parent.parent

# The Python-visible part of mote.h. Structs end with `...;` so the compiler fills in layout.
CDEF = """
typedef struct mote mote_t;
typedef struct mote_event mote_event_t;
struct cpu_xlat_module;
typedef struct {
    const char *name;
    const char *mode_names[8];
    int nmodes;
    int mode;
    uint64_t since;
    uint64_t total[8];
    uint64_t since_ns;
    uint64_t total_ns[8];
} mote_component_t;

struct mote {
    uint8_t mem[65536];
    uint16_t r[16];
    uint64_t now;
    uint64_t active_cycles;
    uint32_t mclk_hz;
    uint16_t irq_lines;
    mote_component_t comp[8];
    int ncomp;
    int fault;
    uint16_t fault_pc;
    uint16_t stack_limit;
    int32_t stop_pc;
    int32_t node_id_addr;
    uint16_t node_id;
    int serial_break;
    uint32_t reset_count[8];
    int last_reset_cause;
    uint64_t last_reset_cycle;
    uint32_t dco_wake_ns;
    const struct cpu_xlat_module *xlat;
    uint64_t xlat_runs;
    uint64_t xlat_resumed;
    ...;
};

#define MOTE_STOP_SERIAL 100
#define MOTE_MEM_SIZE ...
#define MOTE_IO_END ...
#define MOTE_SERIAL_BUF ...
/* values from mote.h (the compiler checks them) */
enum mote_fault {
    MOTE_OK, MOTE_FAULT_FETCH, MOTE_FAULT_FLASH_WRITE, MOTE_FAULT_STACK, MOTE_FAULT_ILLEGAL,
    MOTE_FAULT_HALT, MOTE_FAULT_INTERNAL
};
enum { CPU_MODE_ACTIVE, CPU_MODE_LPM0, CPU_MODE_LPM1, CPU_MODE_LPM2, CPU_MODE_LPM3, CPU_MODE_LPM4 };

mote_t *mote_create(void);
void mote_destroy(mote_t *m);
void mote_reset(mote_t *m);
void mote_puc(mote_t *m);
void mote_puc_cause(mote_t *m, int cause);
int mote_run(mote_t *m, uint64_t until);
void mote_clear_fault(mote_t *m);
void mote_set_stop_pc(mote_t *m, int32_t pc);
void mote_irq_set(mote_t *m, int vec, int level);
void mote_schedule_irq(mote_t *m, int vec, int level, uint64_t when);
void mote_invalidate_code(mote_t *m);
int mote_share_code(mote_t *m, mote_t *with);
void mote_unshare_code(mote_t *m);
int mote_shares_code(const mote_t *a, const mote_t *b);
void mote_set_breakpoint(mote_t *m, uint16_t pc, int on);
uint64_t mote_component_time(const mote_t *m, int component, int mode);
uint64_t mote_component_ns(mote_t *m, int component, int mode);
uint64_t mote_now_ns(mote_t *m);
uint32_t mote_serial_take(mote_t *m, int port, uint8_t *out, uint32_t max);
void mote_host_read(const mote_t *m, uint16_t addr, uint8_t *out, uint32_t n);
void mote_host_write(mote_t *m, uint16_t addr, const uint8_t *in, uint32_t n);
uint64_t mote_serial_dropped(const mote_t *m, int port);
void mote_serial_out(mote_t *m, int port, uint8_t byte);
const char *mote_setup_error(void);
typedef void (*mote_flash_write_fn)(mote_t *m, void *ctx, uint16_t addr, uint16_t value, int is_byte);
void mote_set_flash_writer(mote_t *m, mote_flash_write_fn fn, void *ctx);
enum { XLAT_NONE, XLAT_F1, XLAT_F1_SR, XLAT_F2, XLAT_JUMP };
struct mote_xlat_insn {
    uint16_t key, kind, cval, dbase, aux;
    uint8_t sreg, dreg, cycles;
    uint8_t fmt, op, bw, s, d;
    uint8_t len;
};
int mote_xlat_attach(mote_t *m, const void *module);
void mote_xlat_detach(mote_t *m);
void mote_xlat_written(mote_t *m, uint32_t lo, uint32_t hi);
int mote_xlat_decode(const mote_t *m, uint16_t pc, struct mote_xlat_insn *out);
"""


# ESSE_EMU_PERIPH=0 builds the bare CPU + framework (no peripheral modules), for core work.
WITH_PERIPH = os.environ.get("ESSE_EMU_PERIPH", "1") != "0"


def c_sources() -> list[Path]:
    """Every C file of the core, peripherals included (globbed: new periph_*.c join by themselves)."""
    files = sorted(CSRC.glob("*.c"))
    if not WITH_PERIPH:
        files = [f for f in files if not f.name.startswith(("periph", "dev_", "trace_"))]
    return files


def c_inputs() -> list[Path]:
    """Files whose change requires a rebuild."""
    return sorted([*CSRC.glob("*.c"), *CSRC.glob("*.h"), Path(__file__)])


# Peripheral API for Python: periph_cdef.h holds cdef-parsable prototypes of the periph_*.h headers.
PERIPH_CDEF = CSRC / "periph_cdef.h"
PERIPH_API = WITH_PERIPH and PERIPH_CDEF.exists() and (CSRC / "periph.h").exists()
# External devices (csrc/dev_<name>.h, e.g. the CC2420 radio), the harness/sim group stepper
# (csrc/sim_<name>.h) and observers (csrc/trace_<name>.h, the VCD trace) keep their headers plain
# declarations, so the cdef is the header itself minus its preprocessor lines (one copy of each
# prototype). dev_<name>_cdef.h and sim_<name>_cdef.h, when present, add what only cffi
# needs (`extern "Python"` callbacks).
API_HEADERS = (
    sorted(
        h
        for h in [*CSRC.glob("dev_*.h"), *CSRC.glob("sim_*.h"), *CSRC.glob("trace_*.h")]
        if not h.name.endswith("_cdef.h")
    )
    if PERIPH_API
    else []
)
PY_CALLBACKS = sorted([*CSRC.glob("dev_*_cdef.h"), *CSRC.glob("sim_*_cdef.h")]) if PERIPH_API else []
API_INCLUDES = "".join(f'#include "{h.name}"\n' for h in API_HEADERS)


ffibuilder = FFI()
ffibuilder.cdef(
    CDEF
    + (PERIPH_CDEF.read_text() if PERIPH_API else "")
    + "".join(header_cdef(h) for h in API_HEADERS)
    + "".join(p.read_text() for p in PY_CALLBACKS)
)
# setuptools (pip install) wants paths relative to the project; the script build below compiles
# in a scratch directory, so it uses absolute ones.
_AS_SCRIPT = __name__ == "__main__"


def _path(p: Path) -> str:
    return str(p if _AS_SCRIPT else p.relative_to(REPO_ROOT))


ffibuilder.set_source(
    "harness.emulator._core",
    '#include "mote.h"\n' + ('#include "periph.h"\n' if PERIPH_API else "") + API_INCLUDES,
    sources=[_path(p) for p in c_sources()],
    include_dirs=[_path(CSRC)],
    define_macros=[] if WITH_PERIPH else [("MOTE_NO_PERIPH", "1")],
    extra_compile_args=["-O2", "-std=gnu11", "-Wall", "-Wextra", "-fno-strict-aliasing"],
)

if __name__ == "__main__":
    # Build in a scratch directory and move the finished module into place atomically, so a
    # process importing the core meanwhile never sees a half-written .so.
    scratch = Path(tempfile.mkdtemp(prefix="esse-core-"))
    try:
        built = Path(ffibuilder.compile(tmpdir=str(scratch), verbose=False))
        os.replace(built, HERE / built.name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
