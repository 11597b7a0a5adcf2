"""invoke tasks: thin wrappers over the same functions the `esse` CLI calls."""

from __future__ import annotations

import sys

from invoke import task


@task
def demo(c):
    """Build every firmware app and run the demo."""
    from harness.demo import demo as run_demo

    sys.exit(run_demo())


@task
def test(c, k="", x=False):
    """Run the whole test suite."""
    args = [sys.executable, "-m", "pytest", "-q"]
    if k:
        args += ["-k", k]
    if x:
        args.append("-x")
    c.run(" ".join(args), pty=False)


@task
def lint(c):
    """ruff (style, docstrings) over the Python code, then mypy over harness/ (pyproject.toml [tool.mypy])."""
    ruff = c.run(f"{sys.executable} -m ruff check harness tests tasks.py setup.py", warn=True)
    mypy = c.run(f"{sys.executable} -m mypy", warn=True)
    if ruff.failed or mypy.failed:
        sys.exit(1)


@task(iterable=["app"], help={"app": "app name (repeatable); default: all", "clean": "rebuild from scratch"})
def build(c, app=None, clean=False, verbose=False):
    """Build firmware apps and print the size table (same as `esse build`)."""
    import harness.tinydtls.firmware  # noqa: F401 - registers the TinyDTLS firmware with the build
    from harness.build.cli import build_command

    code = build_command(list(app or []), clean=clean, verbose=verbose)
    if code:
        sys.exit(code)


@task(name="bench-selfboot", help={"seed": "simulation seed"})
def bench_selfboot(c, seed=1):
    """A fresh ccs with only IK_d bootstraps and registers in the RD: time, CPU cycles, frames (prints)."""
    from harness.bench.selfboot import main as run_bench

    sys.exit(run_bench(int(seed)))


@task(
    name="bench-sim",
    help={
        "quick": "20 emulated motes only (skip the 100-mote run)",
        "motes": "also N emulated motes (e.g. 1000, issue 15's target), 5 s simulated",
        "spacing": "grid spacing of that run in metres (default 20: each mote hears ~20 others; 40: ~4)",
    },
)
def bench_sim(c, quick=False, motes=0, spacing=20.0):
    """Simulation speed vs real time: scripted motes (engine + medium) and emulated Sky motes
    (beacon firmware, 1 frame/s each, LPM3 otherwise) through the C group stepper, interpreted and
    translated (--translate) (prints figures)."""
    from harness.bench.sim import main as run_bench

    run_bench(quick=quick, extra_motes=int(motes), extra_spacing_m=float(spacing))


@task(iterable=["profile"], help={"profile": "record, psk or ecc (repeatable); default: all"})
def tinydtls_sizes(c, profile=None):
    """Benchmark: build the TinyDTLS mote profiles and print flash/RAM per profile and component."""
    from harness.tinydtls.cli import profiles_command

    code = profiles_command(list(profile or []))
    if code:
        sys.exit(code)


@task(help={"offline": "use only the cached sdist"})
def tinydtls_prepare(c, offline=False):
    """Fetch, verify and patch the pinned TinyDTLS; build the host extension."""
    from harness.tinydtls.cli import extension_command, prepare_command

    code = prepare_command(offline) or extension_command()
    if code:
        sys.exit(code)


@task(name="bench-ssm", help={"sessions": "relay sessions to build (default 10000)"})
def bench_ssm(c, sessions=10_000):
    """SSM delegator: PSK handshakes/s, relay latency p50/p99, memory at N relay sessions (prints figures)."""
    from harness.bench.ssm import main as run_bench

    sys.exit(run_bench(["--sessions", str(sessions)]))


@task(name="net-footprint")
def net_footprint(c):
    """Benchmark: ROM/RAM of the firmware net stack (MAC, 6LoWPAN, IPv6/UDP, CoAP, SLIP) on the MSP430."""
    from harness.bench.net_footprint import report
    from harness.build import build_app

    for app in ("ccs", "border_router"):  # for the linked figures
        build_app(app)
    print(report())


@task(name="dtls-footprint")
def dtls_footprint(c):
    """Benchmark: ROM of the DTLS code linked into the CCS (record layer, SSM client, SAES driver)."""
    from harness.bench.dtls_footprint import report
    from harness.build import build_app

    for app in ("ccs_saes", "ccs"):  # for their map files
        build_app(app)
    print(report())


@task(name="bench-emulator")
def bench_emulator(c):
    """Emulator speed: emulated MHz on CPU-bound loops and the hello self-test, simulated seconds
    per host second on an idle LPM3 firmware."""
    from harness.bench.emulator import main as run_bench

    run_bench()


@task(iterable=["profile"], help={"profile": "psk or ecc (repeatable); default: both (ecc: ~15 s)"})
def tinydtls_mote_handshake(c, profile=None):
    """Benchmark: cycles of a full TinyDTLS handshake on the emulated mote (psk, ecc)."""
    from harness.bench.mote_handshake import main as run_bench

    sys.exit(run_bench(list(profile or [])))


@task(name="bench-mspabi")
def bench_mspabi(c):
    """Cycles per MSPABI helper call on the emulated MSP430F1611."""
    from harness.bench.mspabi import format_cycles, mspabi_cycles

    print(format_cycles(mspabi_cycles()))


@task(name="bench-crypto-kat", help={"ecc": "also P-256 ECDH/ECDSA (~3 G cycles, a few seconds)",
                                      "saes": "also records with the AES on the CC2420 (stand-alone AES)"})
def bench_crypto_kat(c, ecc=False, saes=False):
    """Cycles per crypto operation on the emulated mote (AES block, CCM record, SHA-256 block, HMAC,
    PRF; with --ecc ECDH/ECDSA; with --saes a record both ways on software AES vs the radio's AES),
    measured by the crypto_kat firmware with Timer_B."""
    from harness.bench.crypto import main as run_bench

    sys.exit(run_bench((["--ecc"] if ecc else []) + (["--saes"] if saes else [])))


@task(name="bench-lpl")
def bench_lpl(c, seconds=20.0):
    """Radio duty of low-power listening (ccs_lpl: 8 Hz channel checks) against the always-on ccs."""
    from harness.energy.lpl_bench import report

    print(report(float(seconds)))


@task(name="bench-energest")
def bench_energest(c, idle_s=3600.0, seed=1):
    """The CCS's boot and an idle hour: firmware energest against the emulator's tracker, per state."""
    from harness.energy.energest_bench import report

    print(report(float(idle_s), int(seed)))


@task(name="bench-net-duty")
def bench_net_duty(c, seconds=20.0):
    """CPU duty cycle of border_router and ccs (the demo scenario, idle) on the emulator."""
    from harness.bench.net_duty import report

    print(report(float(seconds)))


@task(help={"seconds": "how long per target (default 60)",
            "target": "record, ssm, net or delegator; default: all", "seed": "libFuzzer seed"})
def fuzz(c, seconds=60.0, target=None, seed=1):
    """Long coverage-guided fuzz run (libFuzzer: firmware C, atheris: the delegator); crashes are kept."""
    # the fuzz harnesses are test code: run their bounded-run tests with a long budget, import nothing of it
    env = {"ESSE_FUZZ_SECONDS": str(float(seconds)), "ESSE_FUZZ_SEED": str(int(seed))}
    keyword = "bounded_run" + (f" and {target}" if target else "")
    c.run(f"{sys.executable} -m pytest -q -s -k '{keyword}'", env=env)


@task(name="energy-report", help={"out": "output directory (default build/energy)", "kinds": "comma list",
                                  "exchanges": "CoAP exchanges after the set-up", "seed": "simulation seed"})
def energy_report(c, out="build/energy", kinds="esse,psk,ecdhe", exchanges=3, seed=1):
    """Per-phase energy of ESSE vs full PSK / ECDHE handshakes: table, JSON, CSV, Figure 11 plots."""
    from harness.cli import main as esse

    sys.exit(esse(["energy", "report", "--out", out, "--kinds", kinds, "--exchanges", str(exchanges),
                   "--seed", str(seed)]))


@task(name="energy-baseline", help={"update": "measure again and rewrite the committed baseline"})
def energy_baseline(c, update=False):
    """CI energy regression: compare with (or rewrite) harness/energy/energy_baseline.json."""
    from harness.cli import main as esse

    sys.exit(esse(["energy", "baseline", *(["--update"] if update else [])]))


@task(help={"loss": "comma list of link losses", "seeds": "e.g. 1-5", "workers": "Dask workers (0: none)",
            "scheduler": "tcp://host:8786 of an existing Dask cluster", "out": "output directory"})
def sweep(c, loss="0,0.1,0.2,0.3", seeds="1-3", kinds="esse", workers=None, scheduler=None,
          out="build/sweep"):
    """Set-up energy over link loss (and seeds) with 95 % confidence intervals, on Dask."""
    from harness.cli import main as esse

    args = ["sweep", "--loss", loss, "--seeds", seeds, "--kinds", kinds, "--out", out]
    args += ["--workers", str(workers)] if workers is not None else []
    args += ["--scheduler", scheduler] if scheduler else []
    sys.exit(esse(args))
