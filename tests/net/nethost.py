"""The firmware net stack built for the host (gcc, shared library) and driven through ctypes.

Each `Node` loads its own copy of the library (its own globals = its own mote). `Medium` carries
the MAC frames the nodes queue between them, as a 127-byte-frame radio would; the UART of a node
is a byte queue (`uart_read`/`uart_write`).
"""

from __future__ import annotations

import ctypes
import itertools
import shutil
from pathlib import Path

from harness import paths
from harness.proc import require, run

REPO = paths.REPO_ROOT
NET_DIR = REPO / "firmware" / "net"
CCS_DIR = REPO / "firmware" / "apps" / "ccs"
GLUE = Path(__file__).parent / "host" / "host_glue.c"
LIB_DIR = paths.build_dir() / "net-host"
LIB = LIB_DIR / "libnethost.so"
CFLAGS = ["-std=c99", "-O1", "-g", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror", "-Wl,-Bsymbolic"]


AIR = Path(__file__).parent / "host" / "air.c"


def sources(with_mac: bool) -> list[Path]:
    # netplat_sky.c and radio_cc2420.c are the board's; mac802154.c only when it is the MAC.
    skip = {"netplat_sky.c", "radio_cc2420.c"} | (set() if with_mac else {"mac802154.c"})
    net = sorted(p for p in NET_DIR.glob("*.c") if p.name not in skip)
    return [*net, CCS_DIR / "ccs_app.c", CCS_DIR / "ccs_temperature.c", GLUE]


def _compile(out: Path, srcs: list[Path], extra: list[str]) -> Path:
    inputs = [*srcs, *NET_DIR.glob("*.h"), *CCS_DIR.glob("*.h"), Path(__file__)]
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


def build_air() -> Path:
    return _compile(LIB_DIR / "libair.so", [AIR], [])


_instance = itertools.count()


class Node:
    """One node: a private copy of the library."""

    def __init__(self, workdir: Path, with_mac: bool = False) -> None:
        path = workdir / f"node{next(_instance)}.so"
        shutil.copyfile(build_library(with_mac), path)
        self.with_mac = with_mac
        self.lib = ctypes.CDLL(str(path))
        lib = self.lib
        u8p = ctypes.c_char_p
        lib.host_uart_drain.restype = ctypes.c_uint32
        lib.host_uart_drain.argtypes = [u8p, ctypes.c_uint32]
        lib.host_uart_input.argtypes = [u8p, ctypes.c_uint32]
        if with_mac:
            lib.host_radio_rx.argtypes = [u8p, ctypes.c_uint8]
            lib.host_radio_delay_us.restype = ctypes.c_uint32
            lib.host_radio_transmissions.restype = ctypes.c_uint32
        else:
            lib.host_mac_pop.argtypes = [u8p, ctypes.POINTER(ctypes.c_uint8), u8p]
            lib.host_mac_input.argtypes = [u8p, ctypes.c_uint8, u8p, ctypes.c_uint8, u8p, ctypes.c_uint8]
        lib.host_set_time_ms.argtypes = [ctypes.c_uint32]
        lib.host_seed.argtypes = [ctypes.c_uint32]
        lib.host_set_sensors.argtypes = [ctypes.c_uint16, ctypes.c_uint16]
        lib.ccs_leds_get.restype = ctypes.c_uint8
        lib.host_ccs_start.argtypes = [ctypes.c_uint16, ctypes.c_int]
        lib.host_br_start.argtypes = [ctypes.c_uint16]
        lib.host_node_start.argtypes = [ctypes.c_uint16, ctypes.c_int]
        lib.host_get_lladdr.argtypes = [u8p, ctypes.POINTER(ctypes.c_uint8)]
        lib.sixlowpan_output.argtypes = [u8p, ctypes.c_uint16, ctypes.c_void_p]
        lib.ipv6_output.argtypes = [u8p, ctypes.c_uint16]
        lib.host_last_ip.restype = ctypes.c_uint16
        lib.host_last_ip.argtypes = [u8p, ctypes.POINTER(ctypes.c_uint16)]
        lib.sixlowpan_reass_in_use.restype = ctypes.c_uint8
        lib.host_coap_describe.argtypes = [u8p, ctypes.c_uint16, u8p, ctypes.c_uint16, u8p, ctypes.c_uint16]
        lib.host_mac_oversize.restype = ctypes.c_uint16
        lib.udp_send.argtypes = [u8p, ctypes.c_uint16, ctypes.c_uint16, u8p, ctypes.c_uint16]
        lib.host_udp_last.restype = ctypes.c_uint16
        self.time_ms = 0

    # ---- platform
    def set_time(self, ms: int) -> None:
        self.time_ms = ms
        self.lib.host_set_time_ms(ms & 0xFFFFFFFF)

    # ---- links
    def uart_read(self) -> bytes:
        out = bytearray()
        buf = ctypes.create_string_buffer(4096)
        while n := self.lib.host_uart_drain(buf, 4096):
            out += buf.raw[:n]
        return bytes(out)

    def uart_write(self, data: bytes) -> None:
        self.lib.host_uart_input(data, len(data))

    def mac_pop(self) -> tuple[bytes, bytes] | None:
        """(destination link address, frame payload) of the oldest queued frame."""
        dst = ctypes.create_string_buffer(8)
        dst_len = ctypes.c_uint8()
        payload = ctypes.create_string_buffer(127)
        n = self.lib.host_mac_pop(dst, ctypes.byref(dst_len), payload)
        if n == 0:
            return None
        return dst.raw[: dst_len.value], payload.raw[:n]

    def mac_input(self, src: bytes, dst: bytes, payload: bytes) -> None:
        self.lib.host_mac_input(
            src.ljust(8, b"\0"), len(src), dst.ljust(8, b"\0"), len(dst), payload, len(payload)
        )

    def lladdr(self) -> bytes:
        buf = ctypes.create_string_buffer(8)
        n = ctypes.c_uint8()
        self.lib.host_get_lladdr(buf, ctypes.byref(n))
        return buf.raw[: n.value]

    def last_ip(self) -> tuple[int, bytes]:
        buf = ctypes.create_string_buffer(2048)
        n = ctypes.c_uint16()
        count = self.lib.host_last_ip(buf, ctypes.byref(n))
        return count, buf.raw[: n.value]


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


class Air:
    """The radio channel for nodes built with the MAC (host/air.c): frames reach every other node at
    once, ACKs included, so the MAC's ACK wait sees them."""

    def __init__(self, workdir: Path, nodes: list[Node]) -> None:
        path = workdir / f"air{next(_instance)}.so"
        shutil.copyfile(build_air(), path)
        self.lib = ctypes.CDLL(str(path))
        self.lib.air_log_frame.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]
        self.nodes = nodes
        transmit = ctypes.cast(self.lib.air_transmit, ctypes.c_void_p)
        for i, node in enumerate(nodes):
            assert node.with_mac
            self.lib.air_register(i, ctypes.cast(node.lib.host_radio_rx, ctypes.c_void_p))
            node.lib.host_set_air.argtypes = [ctypes.c_void_p, ctypes.c_int]
            node.lib.host_set_air(transmit, i)

    def drop(self, data: int = 0, acks: int = 0) -> None:
        self.lib.air_drop(data, acks)

    def log(self) -> list[tuple[int, bytes]]:
        """(sender index, frame without FCS) of every transmission so far."""
        out = []
        buf = ctypes.create_string_buffer(127)
        sender = ctypes.c_int()
        for i in range(self.lib.air_log_count()):
            n = self.lib.air_log_frame(i, buf, ctypes.byref(sender))
            out.append((sender.value, buf.raw[:n]))
        return out

    def process(self) -> None:
        """Every node's main loop takes its received frames (until nothing moves)."""
        before = -1
        while before != self.lib.air_log_count():
            before = self.lib.air_log_count()
            for node in self.nodes:
                node.lib.host_radio_process()
