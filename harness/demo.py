"""The main job (`esse demo`, `invoke demo`): what the README's first command ends with.

1. build every firmware app (the size table);
2. run `hello` on the emulated Sky mote and check its self-test against the Python oracle;
3. start the CCS network in the simulation exactly as a user would (`esse sim run
   cooja_configs/scenarios/ccs_demo.toml --realtime --port-base 0`, a child process): a border router
   (mote 1, UART1 on a serial socket the OS picks the port of) and two CoAP sensors;
4. open the bridge on the border router's serial socket (what `esse bridge` runs), ping a sensor and
   GET its resources with aiocoap through the loopback ports, print the answers, stop everything.

The simulation runs at real-time pace: the host side (bridge, CoAP client) keeps wall-clock timers
(CoAP ACK_TIMEOUT, ping timeouts), and the sleeping motes let the engine keep up with the wall clock
with room to spare. Any failure ends the demo with exit code 1 and says what failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

from harness.paths import COOJA_CONFIGS_DIR, build_dir

SCENARIO = COOJA_CONFIGS_DIR / "scenarios" / "ccs_demo.toml"
ESSE_SCENARIO = COOJA_CONFIGS_DIR / "scenarios" / "esse_demo.toml"
BORDER_ROUTER = 1
PREFIX = "fd00::/64"
BRIDGE_BASE_PORT = 5700
DEADLINE_S = 45.0  # the network part (simulation start to the last answer)


class DemoError(RuntimeError):
    """A demo step failed; the message says which and why."""


def step(text: str) -> None:
    """Print the heading of a demo step."""
    print(f"\n== {text}", flush=True)


# ---------------------------------------------------------------------------------------- steps 1, 2
def build_everything() -> None:
    """Step 1: build every firmware app and print the size table."""
    import harness.tinydtls.firmware  # noqa: F401 - registers the TinyDTLS firmware with build_all
    from harness.build import build_all

    step("Building every firmware app (clang-16 for the MSP430F1611)")
    build_all(verbose=True)


def run_hello() -> None:
    """Step 2: run `hello` on the emulated Sky mote and compare its self-test with the Python oracle."""
    from harness.build import build_app
    from harness.build import selftest_oracle as oracle
    from harness.emulator.mote import Mote

    step("Running `hello` on the emulated Tmote Sky (cycle-counting MSP430 + peripherals)")
    mote = Mote(build_app("hello").elf, node_id=1)
    run = mote.run_until_uart(rb"T selftest_ticks=\d+\n", max_cycles=150_000_000)
    text = mote.uart_text()
    if run.reason != "uart":
        raise DemoError(f"hello did not finish its self-test (stopped by {run.reason}): {text[-300:]!r}")
    lines = text.splitlines()
    for line in lines[:3]:
        print(f"  UART1| {line}")
    print(f"  UART1| ... ({len(lines) - 5} more lines) ...")
    for line in lines[-2:]:
        print(f"  UART1| {line}")
    errors = oracle.check_output(text)
    if errors:
        raise DemoError(f"hello's self-test differs from the Python oracle: {errors[:3]}")
    print(f"  self-test: {len(lines)} lines, equal to the Python oracle (libc subset and MSPABI helpers)")


# ---------------------------------------------------------------------------------------- step 3
class Simulation:
    """`esse sim run SCENARIO --realtime` as a child process; waits for its SERIAL READY line."""

    def __init__(self, scenario: Path, out_dir: Path) -> None:
        self.scenario = scenario
        self.out_dir = out_dir
        self.proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []

    def start(self, timeout: float) -> str:
        # --port-base 0: free ports picked by the OS (announced on SERIAL READY), so a second demo or a
        # user's own simulation on the default ports does not get in the way
        """Start the simulation; the border router's serial URL once it listens (DemoError on timeout)."""
        argv = ["sim", "run", str(self.scenario), "--realtime", "--out", str(self.out_dir)]
        argv += ["--port-base", "0"]
        print(f"  $ esse {' '.join(argv)}")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "harness.cli", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = self._lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                break
            m = re.match(rf"SERIAL READY id={BORDER_ROUTER} port=(\d+)", line)
            if m:
                print(f"  simulation up: {line.strip()}")
                return f"socket://127.0.0.1:{m.group(1)}"
        self.stop()
        raise DemoError(
            "the simulation did not open the border router's serial socket:\n" + "".join(self.output)
        )

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def stop(self) -> None:
        """Stop the simulation as Ctrl-C would, killing it if it does not exit in 5 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def demo_ccs() -> list[int]:
    """The node ids of the CoAP sensors in the demo scenario."""
    data = tomllib.loads(SCENARIO.read_text())
    return [i for i, m in enumerate(data["motes"], start=1) if m["app"] == "ccs"]


# ---------------------------------------------------------------------------------------- step 4
async def talk_to_motes(url: str, ccs: list[int]) -> None:
    """Step 4: bridge the serial line, ping each sensor and GET its resources with aiocoap."""
    import aiocoap

    from harness.bridge import Bridge, BridgeError
    from harness.bridge.ipv6 import parse_prefix

    step(f"Bridge on the border router's serial line {url} (what `esse bridge` runs)")
    async with Bridge(url, parse_prefix(PREFIX), base_port=0, motes=ccs) as bridge:  # ports the OS picks
        for mote in ccs:
            print(
                f"  mote {mote}: coap://127.0.0.1:{bridge.port_of(mote)} -> [{bridge.address_of(mote)}]:5683"
            )
        print(f"  Router Advertisement sent: prefix {PREFIX}; waiting for the motes to take it")
        for mote in ccs:
            for attempt in range(60):
                try:
                    rtt = await bridge.ping(mote, timeout=0.5)
                    break
                except BridgeError:
                    if attempt == 59:
                        raise DemoError(
                            f"mote {mote} never answered a ping at {bridge.address_of(mote)}"
                        ) from None
            print(f"  ping {bridge.address_of(mote)} (mote {mote}) -> echo reply in {rtt * 1000:.0f} ms")

        step("CoAP requests with aiocoap through the bridge")
        ctx = await aiocoap.Context.create_client_context()
        try:

            async def get(mote: int, path: str) -> aiocoap.Message:
                uri = f"coap://127.0.0.1:{bridge.port_of(mote)}/{path}"
                req = aiocoap.Message(code=aiocoap.GET, uri=uri)
                try:
                    resp = await asyncio.wait_for(ctx.request(req).response, 20)
                except Exception as exc:  # noqa: BLE001 - any client failure ends the demo
                    raise DemoError(f"CoAP GET {uri} failed: {exc!r}") from exc
                if not resp.code.is_successful():
                    raise DemoError(f"CoAP GET {uri} -> {resp.code}")
                text = resp.payload.decode(errors="replace")
                shown = text if len(text) < 60 else text[:57] + "..."
                print(f"  CoAP GET {uri} -> {resp.code} '{shown}'")
                return resp

            for mote in ccs:
                await get(mote, "sensors/temperature")
                await get(mote, "sensors/light")
            wk = await get(ccs[0], ".well-known/core")
            print(f"    ({len(wk.payload)} bytes of link-format: carried in 6LoWPAN fragments)")
            for link in wk.payload.decode().split(","):
                print(f"    {link}")
        finally:
            await ctx.shutdown()


def demo() -> int:
    """`esse demo`: every step in turn; exit code 0, or 1 saying which step failed."""
    t0 = time.monotonic()
    sim: Simulation | None = None
    try:
        build_everything()
        run_hello()
        step("Starting the CCS network in the simulation: border router (mote 1) + CoAP sensors")
        out_dir = build_dir() / "demo"
        ccs = demo_ccs()
        sim = Simulation(SCENARIO, out_dir / "sim")
        url = sim.start(timeout=30)
        asyncio.run(asyncio.wait_for(talk_to_motes(url, ccs), DEADLINE_S))
        sim.stop()
        sim = None
        step(
            "ESSE: coaps:// to the sensors through the SSM (handshake at the SSM, session handed to the mote)"
        )
        from harness.up import demo_dtls

        asyncio.run(asyncio.wait_for(demo_dtls(out_dir / "esse", ESSE_SCENARIO), DEADLINE_S))
    except (DemoError, OSError) as exc:
        print(f"\nesse demo: FAILED: {exc}", file=sys.stderr)
        return 1
    except TimeoutError:
        print(f"\nesse demo: FAILED: the network part took longer than {DEADLINE_S:.0f} s", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - a newcomer gets one line and the exit code
        print(f"\nesse demo: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        if sim is not None:
            sim.stop()
    step(f"Demo done in {time.monotonic() - t0:.0f} s. Try it yourself:")
    print(f"  esse sim run cooja_configs/scenarios/{SCENARIO.name} --realtime &")
    print(f"  esse bridge --serial socket://127.0.0.1:60001 --motes 2,3 --base-port {BRIDGE_BASE_PORT} &")
    print(f"  coap-client-notls coap://127.0.0.1:{BRIDGE_BASE_PORT + 2}/sensors/temperature")
    print(f"  esse up cooja_configs/scenarios/{ESSE_SCENARIO.name} --port 5684   # then, as it prints:")
    print("  coap-client-openssl -u alice -k secretPSK coaps://127.0.0.1:5684/sensors/temperature")
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Register the `demo` sub-command."""
    p = sub.add_parser(
        "demo",
        help="build everything, run hello on the emulator, then CoAP to simulated sensors through the bridge",
    )
    p.set_defaults(func=lambda args: demo())


if os.environ.get("ESSE_DEMO_DEBUG"):  # pragma: no cover - `ESSE_DEMO_DEBUG=1 esse demo` logs the bridge
    import logging

    logging.basicConfig(level=logging.DEBUG)
