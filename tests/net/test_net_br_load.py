"""The border router under load, headless and deterministic: the host streams SLIP datagrams (ICMPv6
echo requests for a CCS) back to back while the CCS's answers come in by radio at every phase of the
serial stream. Every request must reach the CCS and every reply the host: no byte of the host's lost
at UART1 (the handler must read each within one character time, whatever the radio driver does with
interrupts off meanwhile) and no frame lost while the main loop works through the serial input.

Found by a flaky end-to-end test (tests/esse/test_esse_sessions.py): a border router reading a frame
from the RXFIFO in 8-byte bursts with interrupts off let a byte of the SSM's datagram wait 333 of its
339-cycle character time, and lost one now and then; and a main loop that decoded the whole serial
backlog before polling the radio dropped 91 of 100 acknowledged replies."""

from __future__ import annotations

import tomllib
from ipaddress import IPv6Network

from elftools.elf.elffile import ELFFile
from requirements import require_module

from harness.bridge import ipv6, slip
from harness.build import build_app
from harness.paths import COOJA_CONFIGS_DIR
from harness.sim.engine import Engine
from harness.sim.medium import UDGMParams
from harness.sim.runner import build_motes
from harness.sim.scenario import scenario_from_dict

require_module("harness.emulator.simmote", "python setup.py build_ext --inplace")

PREFIX = IPv6Network("fd00:e55e::/64")
IDENT = 0xE55E
REQUESTS = 120
# the longest a received UART1 character may wait for the firmware, as a share of a character time:
# room left for what changes with the code (a handler of higher priority, energest's stamp)
WAIT_BUDGET = 0.75


def demo_engine() -> Engine:
    """The demo network (border router 1, CCS 2 and 3) in a headless engine."""
    data = tomllib.loads((COOJA_CONFIGS_DIR / "scenarios" / "ccs_demo.toml").read_text())
    for app in {m["app"] for m in data["motes"]}:
        build_app(app)
    sim = scenario_from_dict(data, "ccs_demo").sim
    m = sim.medium
    params = UDGMParams(m.transmitting_range, m.interference_range, m.success_ratio_tx, m.success_ratio_rx)
    return Engine(build_motes(sim), {s.mote_id: s.position for s in sim.motes}, params, seed=5, group=True)


def file_static(elf: str, source: str, name: str) -> int:
    """The address of `name`, a static of `source` (several sources have a `stats`)."""
    with open(elf, "rb") as f:
        source_now = None
        for sym in ELFFile(f).get_section_by_name(".symtab").iter_symbols():
            if sym["st_info"]["type"] == "STT_FILE":
                source_now = sym.name
            elif source_now == source and sym.name == name:
                return int(sym["st_value"])
    raise KeyError(f"{elf}: no static {name} in {source}")


def words(mote, address: int, n: int) -> list[int]:  # noqa: ANN001 - a harness.emulator.mote.Mote
    """n 16-bit words of the mote's RAM."""
    data = mote.read_bytes(address, 2 * n)
    return [int.from_bytes(data[i : i + 2], "little") for i in range(0, 2 * n, 2)]


def echo_replies(serial_out: bytes) -> list[int]:
    """Sequence numbers of the echo replies in the border router's SLIP output."""
    seqs = []
    for frame in slip.Decoder().feed(serial_out):
        try:
            pkt = ipv6.parse(frame)
            msg = ipv6.parse_icmp6(pkt)
        except ipv6.PacketError:
            continue  # the status line before the first SLIP END, router solicitations, ...
        if msg.type == 129 and int.from_bytes(msg.body[:2], "big") == IDENT:
            seqs.append(int.from_bytes(msg.body[2:4], "big"))
    return seqs


def test_border_router_loses_no_byte_and_no_frame_while_the_host_streams():
    e = demo_engine()
    out = bytearray()
    e.add_uart_tx_listener(1, out.extend)
    e.run(until_us=600_000)  # "border_router 1 up"
    e.queue_uart_rx(1, slip.encode(ipv6.build_router_advertisement(ipv6.mote_link_local(1), PREFIX)))
    e.run(until_us=1_000_000)  # the prefix reached the CCSs
    host, ccs = ipv6.default_host_address(PREFIX), ipv6.mote_address(PREFIX, 2)
    t = e.now_us
    for seq in range(REQUESTS):
        # 89-128 bytes of SLIP (7.7-11.1 ms at 115200 baud), the next queued 12-32 ms later: the CCS's
        # reply arrives while the next request streams in, at a phase that moves from one to the next
        body = b"x" * (seq % 40)
        e.queue_uart_rx(1, slip.encode(ipv6.build_echo(host, ccs, IDENT, seq, body, hop_limit=64)))
        t += 12_000 + (seq * 337) % 20_000
        e.run(until_us=t)
    e.run(until_us=t + 200_000)

    br = e.by_id[1].mote
    elf = str(br.image.path)
    # the host's side: every byte read in time, every datagram decoded and sent on to the CCS
    health = br.uart_rx_health()
    assert health.lost == 0
    assert health.char_cycles > 300  # 115200 baud from the ~3.9 MHz DCO
    assert health.max_wait_cycles <= WAIT_BUDGET * health.char_cycles, health
    # the firmware's loss counters: UART1 OE, the SLIP ring, frames held for the MAC, the RXFIFO
    counters = ("rx_overruns", "overruns", "held_lost", "rx_dropped")
    assert {name: words(br, br.symbol(name), 1)[0] for name in counters} == dict.fromkeys(counters, 0)
    _, rx_bad = words(br, file_static(elf, "ipv6.c", "stats"), 2)
    to_radio = words(br, file_static(elf, "router.c", "stats"), 1)[0]
    assert rx_bad == 0 and to_radio == REQUESTS
    # the radio's side: what the CCS answered reached the host, but for frames the MACs gave up on
    # after their retries (both send at once now and then: the requests follow the replies closely)
    replies = echo_replies(bytes(out))
    assert len(set(replies)) == len(replies) and set(replies) <= set(range(REQUESTS))
    assert len(replies) >= 0.95 * REQUESTS, f"{len(replies)} of {REQUESTS} echo replies"


def test_a_slip_datagram_reaches_the_host_when_its_end_byte_leaves():
    """The group of emulated motes returns to the engine at a SLIP END on UART1 (as at a newline), so
    a host peer (bridge, SSM) reads a datagram from the border router within one window of its last
    byte, not up to a 10 ms free run later: that time is in every DTLS flight the energy runs measure."""
    e = demo_engine()
    br = e.by_id[1]
    drain = br.drain_uart_tx
    delivered: list[tuple[int, list[tuple[int, int]]]] = []

    def spy() -> list[tuple[int, int]]:
        sent = drain()
        if sent:
            delivered.append((e.now_us, sent))
        return sent

    br.drain_uart_tx = spy  # type: ignore[method-assign]
    e.run(until_us=600_000)
    e.queue_uart_rx(1, slip.encode(ipv6.build_router_advertisement(ipv6.mote_link_local(1), PREFIX)))
    e.run(until_us=1_000_000)
    host = ipv6.default_host_address(PREFIX)
    for seq in range(10):
        e.queue_uart_rx(1, slip.encode(ipv6.build_echo(host, ipv6.mote_address(PREFIX, 2), IDENT, seq, b"")))
        e.run(until_us=e.now_us + 50_000 + 3_337 * seq)
    ends = [(now, t) for now, sent in delivered for t, b in sent if b == slip.END]
    assert len(ends) >= 20  # every datagram starts and ends with END
    late = [now - t for now, t in ends]
    assert max(late) <= 192 + 100, late  # one lookahead window (192 us) and a byte's part of one
    assert len(echo_replies(b"".join(bytes(b for _, b in sent) for _, sent in delivered))) == 10
