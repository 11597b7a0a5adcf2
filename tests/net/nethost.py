"""The firmware net stack built for the host (gcc, shared library) and driven through cffi (ABI mode,
the cdef read from host/host_glue.h and the stack's own prototypes).

Each `Node` loads its own copy of the library (its own globals = its own mote). `Medium` carries
the MAC frames the nodes queue between them, as a 127-byte-frame radio would; the UART of a node
is a byte queue (`uart_read`/`uart_write`).
"""

from __future__ import annotations

import ctypes
import itertools
import queue
import random
import re
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path

from cffi import FFI
from simnet import EngineSession

from harness import paths
from harness.cffi_build import header_cdef
from harness.emulator.errors import SerialOverflow
from harness.proc import require, run
from harness.sim.engine import Engine
from harness.sim.medium import PA_LEVEL_MAX, UDGMMedium, UDGMParams
from harness.wire.ieee802154 import air_time_us, with_fcs

REPO = paths.REPO_ROOT
NET_DIR = REPO / "firmware" / "net"
CCS_DIR = REPO / "firmware" / "apps" / "ccs"
HOST_DIR = Path(__file__).parent / "host"
GLUE = HOST_DIR / "host_glue.c"
LIB_DIR = paths.build_dir() / "net-host"
LIB = LIB_DIR / "libnethost.so"
CFLAGS = ["-std=c99", "-O1", "-g", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror", "-Wl,-Bsymbolic"]


AIR_CHANNEL = 26  # the channel of the host nodes' air (one medium, so any one channel)


def sources(with_mac: bool) -> list[Path]:
    # netplat_sky.c and radio_cc2420.c are the board's; mac802154.c only when it is the MAC.
    skip = {"netplat_sky.c", "radio_cc2420.c"} | (set() if with_mac else {"mac802154.c"})
    net = sorted(p for p in NET_DIR.glob("*.c") if p.name not in skip)
    return [*net, CCS_DIR / "ccs_app.c", CCS_DIR / "ccs_temperature.c", GLUE]


def _compile(out: Path, srcs: list[Path], extra: list[str]) -> Path:
    inputs = [*srcs, *NET_DIR.glob("*.h"), *CCS_DIR.glob("*.h"), *HOST_DIR.glob("*.h"), Path(__file__)]
    if out.exists() and out.stat().st_mtime >= max(p.stat().st_mtime for p in inputs):
        return out
    gcc = require("gcc", "apt-get install gcc")
    LIB_DIR.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.so")
    run([gcc, *CFLAGS, *extra, f"-I{NET_DIR}", f"-I{CCS_DIR}", "-o", tmp, *srcs])
    tmp.replace(out)
    return out


def build_library(with_mac: bool = False) -> Path:
    """Compile (when a source or header is newer than the library) and return its path.

    Without the MAC, the host glue is the MAC (frames queue up for `Medium`); with it, mac802154.c
    runs on the glue's radio and `Air` carries the frames."""
    if with_mac:
        return _compile(LIB_DIR / "libnethost_mac.so", sources(True), ["-DHOST_WITH_MAC"])
    return _compile(LIB, sources(False), [])


_instance = itertools.count()


def firmware_decls(names: list[str]) -> str:
    """The prototypes of `names` as the firmware's headers (net, ccs) declare them, one line each:
    the cdef of the few stack functions the tests call directly (so they are never re-typed here)."""
    decls = {}
    for header in sorted([*NET_DIR.glob("*.h"), *CCS_DIR.glob("*.h")]):
        for m in re.finditer(r"^[A-Za-z_][\w *]*?\b(\w+)\([^;{]*\);", header.read_text(), re.M):
            decls.setdefault(m.group(1), m.group(0))
    missing = [n for n in names if n not in decls]
    if missing:
        raise LookupError(f"no prototype in the net or ccs headers for {', '.join(missing)}")
    return "\n".join(decls[n] for n in names)


# One cffi (ABI mode) description of the host libraries: the glue's and the air's headers, plus the
# stack functions the tests call. Each node dlopens its own copy of the library through it.
ffi = FFI()
ffi.cdef(
    header_cdef(HOST_DIR / "host_glue.h")
    + firmware_decls(
        [
            "udp_send",
            "sixlowpan_reass_in_use",
            "sixlowpan_periodic",
            "icmp6_send_rs",
            "ipv6_linklocal_addr",
            "coap_client_active",
            "ccs_temperature_text",
            "ccs_temperature_decicelsius",
        ]
    )
)


class Node:
    """One node: a private copy of the library (its globals are this node's state). `lib` is the cffi
    face (host_glue.h and the declared stack functions); `firmware` the same library for the ctypes
    calls of the stack's internals some tests make. A harness.target Target once started in a role."""

    def __init__(self, workdir: Path, with_mac: bool = False) -> None:
        self.workdir = workdir
        self.with_mac = with_mac
        self.role: tuple[str, int, tuple[int, ...]] | None = None  # (role, node id, start arguments)
        self.sensors: tuple[int, int] | None = None
        self.on_air = False
        self._load()

    def _load(self) -> None:
        self.path = self.workdir / f"node{next(_instance)}.so"
        shutil.copyfile(build_library(self.with_mac), self.path)
        self.lib = ffi.dlopen(str(self.path))
        self.firmware = ctypes.CDLL(str(self.path))  # the same loaded copy (dlopen counts references)
        self.time_ms = 0

    # ---- roles (what the firmware's main would start)
    def start(self, role: str, node_id: int, *args: int) -> None:
        """Start the node as `role` (ccs: args = link 0 SLIP / 1 radio; br; node: args = short address)."""
        if role not in ("ccs", "br", "node"):
            raise ValueError(f"unknown role {role!r} (ccs, br or node)")
        getattr(self.lib, f"host_{role}_start")(node_id, *args)
        self.role = (role, node_id, args)

    def periodic(self) -> None:
        """The role's periodic work (the bare node has none)."""
        if self.role is not None and self.role[0] != "node":
            getattr(self.lib, f"host_{self.role[0]}_periodic")()

    def set_sensors(self, temperature_adc: int, light_adc: int) -> None:
        """ADC counts the CCS reads (they survive a reset, like the physical inputs)."""
        self.lib.host_set_sensors(temperature_adc, light_adc)
        self.sensors = (temperature_adc, light_adc)

    # ---- harness.target Target
    @property
    def node_id(self) -> int:
        if self.role is None:
            raise RuntimeError(f"{self.path.name}: not started, no node id yet")
        return self.role[1]

    def reset(self) -> None:
        """Power-on: a fresh copy of the library (all globals at their initial values), the sensors
        set again and the role started again, as the firmware's main would."""
        if self.on_air:
            raise RuntimeError(f"{self.path.name}: on an Air, which holds this copy's radio: build a new Air")
        self._load()
        if self.sensors is not None:
            self.set_sensors(*self.sensors)
        if self.role is not None:
            self.start(self.role[0], self.role[1], *self.role[2])

    def read_serial(self) -> bytes:
        return self.uart_read()

    def write_serial(self, data: bytes) -> None:
        self.uart_write(data)

    # ---- platform
    def set_time(self, ms: int) -> None:
        self.time_ms = ms
        self.lib.host_set_time_ms(ms & 0xFFFFFFFF)

    # ---- links
    def uart_read(self) -> bytes:
        """UART bytes since the last read; SerialOverflow when the node's buffer dropped some."""
        out = bytearray()
        buf = ffi.new("uint8_t[]", 4096)
        while n := self.lib.host_uart_drain(buf, 4096):
            out += ffi.buffer(buf, n)
        if lost := self.lib.host_uart_dropped():
            raise SerialOverflow(f"{self.path.name}: {lost} byte(s) of UART output lost (16 KB buffer full)")
        return bytes(out)

    def uart_write(self, data: bytes) -> None:
        self.lib.host_uart_input(data, len(data))

    def mac_pop(self) -> tuple[bytes, bytes] | None:
        """(destination link address, frame payload) of the oldest queued frame."""
        dst, dst_len, payload = ffi.new("uint8_t[8]"), ffi.new("uint8_t *"), ffi.new("uint8_t[127]")
        n = self.lib.host_mac_pop(dst, dst_len, payload)
        if n == 0:
            return None
        return ffi.buffer(dst, dst_len[0])[:], ffi.buffer(payload, n)[:]

    def mac_input(self, src: bytes, dst: bytes, payload: bytes) -> None:
        self.lib.host_mac_input(
            src.ljust(8, b"\0"), len(src), dst.ljust(8, b"\0"), len(dst), payload, len(payload)
        )

    def lladdr(self) -> bytes:
        buf, n = ffi.new("uint8_t[8]"), ffi.new("uint8_t *")
        self.lib.host_get_lladdr(buf, n)
        return ffi.buffer(buf, n[0])[:]

    def link_local(self) -> bytes:
        """The node's IPv6 link-local address (16 bytes)."""
        return ffi.buffer(self.lib.ipv6_linklocal_addr(), 16)[:]

    # ---- probes
    def last_ip(self) -> tuple[int, bytes]:
        """(packets forwarded so far, the last one)."""
        buf, n = ffi.new("uint8_t[]", 2048), ffi.new("uint16_t *")
        count = self.lib.host_last_ip(buf, n)
        return count, ffi.buffer(buf, n[0])[:]

    def udp_last(self) -> tuple[int, bytes, bytes, int]:
        """(datagrams received on the listened port, the last one's payload, source address, port)."""
        buf, n = ffi.new("uint8_t[]", 2048), ffi.new("uint16_t *")
        src, sport = ffi.new("uint8_t[16]"), ffi.new("uint16_t *")
        count = self.lib.host_udp_last(buf, n, src, sport)
        return count, ffi.buffer(buf, n[0])[:], ffi.buffer(src)[:], sport[0]

    def coap_result(self) -> tuple[int, int, bytes]:
        """The CoAP client's outcome: (status: 0 done / 1 waiting / <0 failed, response code, payload)."""
        code, buf, n = ffi.new("uint8_t *"), ffi.new("uint8_t[]", 256), ffi.new("uint16_t *")
        status = self.lib.host_coap_result(code, buf, n)
        return status, code[0], ffi.buffer(buf, n[0])[:]


class LLAddr(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint8), ("addr", ctypes.c_uint8 * 8)]

    @classmethod
    def of(cls, addr: bytes) -> LLAddr:
        ll = cls()
        ll.len = len(addr)
        for i, b in enumerate(addr):
            ll.addr[i] = b
        return ll


BROADCAST = b"\xff\xff"


class Medium:
    """Delivers each queued frame to the node whose link address it names (all others for broadcast)."""

    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = nodes
        self.frames: list[tuple[bytes, bytes, bytes]] = []  # (src, dst, payload) as carried

    def pump(self) -> int:
        moved = 0
        progress = True
        while progress:
            progress = False
            for sender in self.nodes:
                while (frame := sender.mac_pop()) is not None:
                    dst, payload = frame
                    src = sender.lladdr()
                    self.frames.append((src, dst, payload))
                    for node in self.nodes:
                        if node is not sender and (dst == BROADCAST or dst == node.lladdr()):
                            node.mac_input(src, dst, payload)
                    moved += 1
                    progress = True
        return moved


class _HostRadio:
    """A host node's radio (host_glue.c with the MAC) as the sim medium sees it: always listening on
    one channel; a frame that ends undamaged goes to the node's radio "interrupt" (host_radio_rx)."""

    def __init__(self, node: Node) -> None:
        self.node = node

    def attach(self, sink: object) -> None:
        """Transmissions reach the medium through `Air`, which keeps the air's own clock."""

    def channel(self) -> int:
        return AIR_CHANNEL

    def listening(self) -> bool:
        return True

    def rx_start(self, frame: bytes, rssi: float, start_us: int, end_us: int) -> None:
        """Reception is whole-frame here: nothing to do at the preamble."""

    def air_energy(self, levels: dict[int, float]) -> None:
        """The host MAC's CCA is scripted (host_set_cca_busy), not read from the air."""

    def deliver(self, frame: bytes, rssi: float, crc_ok: bool, start_us: int) -> None:
        if crc_ok:
            payload = frame[:-2]  # the radio strips the FCS it checked
            self.node.lib.host_radio_rx(payload, len(payload))


class Air:
    """The radio channel for nodes built with the MAC: the simulation's UDGM medium (harness/sim/medium.py,
    perfect links, every node in range) on an air clock of its own. A frame goes on the air when the MAC
    transmits and is delivered at once (the host MAC waits for its ACK inside radio_transmit), frame by
    frame: a frame sent while one is being delivered (an ACK) goes on the air after that one ended."""

    def __init__(self, workdir: Path, nodes: list[Node]) -> None:
        self.nodes = nodes
        self.medium = UDGMMedium(UDGMParams(), random.Random(0))  # perfect links: no draw is made
        self._log: list[tuple[int, bytes]] = []
        self._queue: list[tuple[int, bytes]] = []
        self._busy = False
        self._now_us = 0
        self._drop = {"data": 0, "acks": 0}
        self._transmit = ffi.callback("host_air_fn", self._on_transmit)  # kept alive with the Air
        for i, node in enumerate(nodes):
            if not node.with_mac:
                raise ValueError(f"node {i} was built without the MAC: it has no radio for the air")
            self.medium.add_radio(i, (0.0, 0.0, 0.0), _HostRadio(node))
            node.lib.host_set_air(self._transmit, i)
            node.on_air = True

    def drop(self, data: int = 0, acks: int = 0) -> None:
        """Lose the next `data` data frames and `acks` ACK frames (they are still logged)."""
        self._drop = {"data": data, "acks": acks}

    def log(self) -> list[tuple[int, bytes]]:
        """(sender index, frame without FCS) of every transmission so far."""
        return list(self._log)

    def _on_transmit(self, sender: int, frame: object, length: int) -> None:
        self._queue.append((sender, ffi.buffer(frame, length)[:]))
        if self._busy:
            return  # sent during a delivery: on the air once that frame has ended
        self._busy = True
        try:
            while self._queue:
                self._air(*self._queue.pop(0))
        finally:
            self._busy = False

    def _air(self, sender: int, frame: bytes) -> None:
        self._log.append((sender, frame))
        kind = "acks" if frame and frame[0] & 7 == 2 else "data"
        if self._drop[kind] > 0:
            self._drop[kind] -= 1
            return
        psdu = with_fcs(frame)
        start, end = self._now_us, self._now_us + air_time_us(len(psdu))
        self.medium.transmit(sender, psdu, start, end, AIR_CHANNEL, PA_LEVEL_MAX)
        self.medium.process(start)
        self.medium.process(end)
        self._now_us = end

    def process(self) -> None:
        """Every node's main loop takes its received frames (until nothing moves)."""
        before = -1
        while before != len(self._log):
            before = len(self._log)
            for node in self.nodes:
                node.lib.host_radio_process()


HOST_LOOKAHEAD_US = 10_000  # host nodes put no frame on the engine's medium: nothing bounds their windows


class HostMote:
    """A started host-built node on the simulation engine's timeline (a harness.sim SimMote): the
    engine owns time, UART pacing and the serial socket; its `HostNet` group carries the frames
    between the nodes (`Medium`; with the MAC, `Air`) at each window end."""

    lookahead_us = HOST_LOOKAHEAD_US
    radio = None  # frames travel through the group's Medium/Air, not the engine's UDGM medium

    def __init__(self, node: Node) -> None:
        self.node = node
        self.mote_id = node.node_id
        self._now = 0

    @property
    def group_class(self) -> type[HostNet]:
        return HostNet

    def now_us(self) -> int:
        return self._now

    def run_until(self, time_us: int) -> None:
        """Set the node's clock to `time_us` and let it do its periodic work."""
        self._now = time_us
        self.node.set_time(time_us // 1000)
        self.node.periodic()

    def uart_rx(self, data: bytes) -> None:
        self.node.uart_write(data)

    def drain_uart_tx(self) -> list[tuple[int, int]]:
        return [(self._now, b) for b in self.node.uart_read()]

    def power(self) -> dict[str, int]:
        raise RuntimeError(f"node {self.mote_id}: a host-built node tracks no power modes")


class HostNet:
    """The engine's group of host motes: advances them together and moves their frames through a
    `Medium` when they have no MAC (with it, `Air` delivers as they transmit); runs `call`ed functions
    on the engine's thread between windows."""

    def __init__(self, motes: Sequence[HostMote]) -> None:
        self.motes = list(motes)
        nodes = [m.node for m in self.motes]
        self.medium = None if nodes[0].with_mac else Medium(nodes)  # with the MAC, Air delivers at once
        self._calls: queue.Queue[tuple[Callable[[], object], Future]] = queue.Queue()

    def call(self, fn: Callable[[], object]) -> Future:
        """Run fn on the engine's thread at the next window end; its result as a Future."""
        fut: Future = Future()
        self._calls.put((fn, fut))
        return fut

    def run_until(self, now_us: int, limit_us: int) -> int:
        while not self._calls.empty():
            fn, fut = self._calls.get()
            try:
                fut.set_result(fn())
            except Exception as exc:  # noqa: BLE001 - handed to the caller
                fut.set_exception(exc)
        for m in self.motes:
            m.run_until(limit_us)
        if self.medium is not None:
            self.medium.pump()
        return limit_us

    def uart_members(self) -> list[HostMote]:
        return self.motes


def host_session(motes: list[HostMote], serial_mote: int | None = None) -> EngineSession:
    """The host motes on a real-time engine, `serial_mote` (default: the first) on a serial socket."""
    return EngineSession(Engine(motes), motes[0].mote_id if serial_mote is None else serial_mote)
