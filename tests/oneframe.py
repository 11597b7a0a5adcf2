"""tshark checks of what crossed one IEEE 802.15.4 hop: a UDP datagram as exactly one frame (no RFC 4944
fragment), short MAC addresses, both IPv6 addresses elided by IPHC context 0 (RFC 6282).

Shared by tests/net/test_net_oneframe.py (host builds, emulated Skys) and tests/esse/test_esse_oneframe.py
(the real KEY_MATERIAL / KEY_ACK of an `esse up` session). Sizes: MAC header 9 + IPHC 2 + UDP NHC 4
(1 dispatch, 1 ports, 2 checksum) + payload + FCS 2 (docs/protocol.md, "Size on the air").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from ipaddress import IPv6Network
from pathlib import Path

from harness.proc import require, run

OVERHEAD = 9 + 2 + 4 + 2  # MAC header, IPHC, UDP NHC, FCS


def frame_for(payload_len: int) -> int:
    """Bytes on the air (MAC header to FCS) of a UDP payload of `payload_len` bytes."""
    return OVERHEAD + payload_len


def tshark_json(pcap: Path, prefs: dict[str, str] | None = None) -> list[dict]:
    """Dissect with tshark; one dict of layers per frame."""
    tshark = require("tshark", "apt-get install tshark")
    argv = [tshark, "-r", str(pcap), "-T", "json", "-n"]
    for key, value in (prefs or {}).items():
        argv += ["-o", f"{key}:{value}"]
    res = run(argv, timeout=120)
    return [p["_source"]["layers"] for p in json.loads(res.stdout)]


def tshark_layers(pcap: Path, prefix: IPv6Network) -> list[dict]:
    """Every frame of `pcap` as tshark dissects it, with context 0 = `prefix` and UDP checksums checked."""
    return tshark_json(pcap, {"6lowpan.context0": str(prefix), "udp.check_checksum": "TRUE"})


def keys(tree: object) -> Iterator[str]:
    """Every field name in a tshark JSON layer tree."""
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield k
            yield from keys(v)
    elif isinstance(tree, list):
        for v in tree:
            yield from keys(v)


def keys_values(tree: object) -> Iterator[tuple[str, str]]:
    """Every (field, value) pair with a plain value in a tshark JSON layer tree."""
    if isinstance(tree, dict):
        for k, v in tree.items():
            if isinstance(v, str):
                yield k, v
            else:
                yield from keys_values(v)


def udp_payload(lay: dict) -> bytes:
    """The UDP payload of a dissected frame (empty when it has none)."""
    return bytes.fromhex(lay.get("udp", {}).get("udp.payload", "").replace(":", ""))


def assert_one_udp_frame(
    layers: list[dict],
    src: int,
    dst: int,
    sport: int,
    dport: int,
    size: int,
    prefix: IPv6Network,
    first_byte: int | None = None,
) -> dict:
    """Exactly one distinct frame (MAC retransmissions aside) carries the UDP datagram sport -> dport
    (whose payload starts with `first_byte` when given); it is `size` bytes long, unfragmented, with
    short addresses and fully elided IPv6 addresses. No frame of the run is malformed. Returns the frame's
    layers."""
    bad = [
        i for i, lay in enumerate(layers, 1) if "_ws.malformed" in lay or lay["wpan"]["wpan.fcs_ok"] != "1"
    ]
    assert not bad, f"malformed frames: {bad}"
    hits = [
        lay
        for lay in layers
        if lay.get("udp", {}).get("udp.srcport") == str(sport)
        and lay.get("udp", {}).get("udp.dstport") == str(dport)
        and (first_byte is None or udp_payload(lay)[:1] == bytes([first_byte]))
    ]
    assert hits, f"no frame carries UDP {sport} -> {dport}"
    assert len({lay["wpan"]["wpan.seq_no"] for lay in hits}) == 1, "the datagram took more than one frame"
    lay = hits[0]
    assert int(lay["frame"]["frame.len"]) == size
    assert not [k for k in keys(layers) if k.startswith("6lowpan.frag")], "a fragment on the air"
    f = dict(keys_values(lay))
    assert (f["wpan.dst_addr_mode"], f["wpan.src_addr_mode"]) == ("0x0002", "0x0002")  # short, short
    assert f["wpan.pan_id_compression"] == "1"
    assert (int(f["wpan.dst16"], 16), int(f["wpan.src16"], 16)) == (dst, src)
    iphc = tuple(f[f"6lowpan.iphc.{k}"] for k in ("tf", "nh", "hlim", "cid", "sac", "sam", "m", "dac", "dam"))
    assert iphc == ("0x0003", "1", "0x0002", "0", "1", "0x0003", "0", "1", "0x0003"), iphc
    assert f["6lowpan.iphc.sctx.prefix"] == f["6lowpan.iphc.dctx.prefix"] == str(prefix.network_address)
    assert (f["6lowpan.nhc.udp.ports"], f["6lowpan.nhc.udp.checksum"]) == ("3", "0")  # 4+4 bits, carried
    ports = lay["udp"]
    assert ports["udp.checksum.status"] == "1"
    assert int(ports["udp.length"]) == 8 + size - OVERHEAD
    return lay
