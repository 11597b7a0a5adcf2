"""The host stand-in CCS keeps its counters in a file, as the mote keeps them in information flash: after
a restart an old KEY_MATERIAL is refused and its own counters continue above the reserved mark."""

from __future__ import annotations

import os

from harness.ssm import protocol
from harness.standin.ccs import COUNTER_RESERVE, StandinCcs

PSK_DN = bytes(range(16))


def key_material(counter: int) -> bytes:
    ks = protocol.KeyState(
        os.urandom(8), 0xC0A8, 0xFEFD, 1, 1, 1, 0, 1,
        bytearray(os.urandom(16)), bytearray(os.urandom(16)),
        bytearray(os.urandom(4)), bytearray(os.urandom(4)),
    )  # fmt: skip
    return bytes(protocol.seal_key_material(PSK_DN, counter, ks.encode()))


def test_restart_refuses_old_key_material_and_never_reuses_a_counter(tmp_path, rec):
    state = tmp_path / "ccs.counters"
    ccs = StandinCcs(PSK_DN, counter_file=state)
    km = key_material(7)
    (ack,) = ccs.handle(km)
    counter, acked, _ = protocol.open_ack(PSK_DN, ack, 0)
    assert (counter, acked) == (1, 7)
    assert state.read_text().split() == ["7", str(1 + COUNTER_RESERVE)]  # written before the ACK left
    ccs.close()

    again = StandinCcs(PSK_DN, counter_file=state)  # a restart
    assert again.handle(km) == [] and again.stats["km_rejected_replay"] == 1
    (ack2,) = again.handle(key_material(8))
    counter2, acked2, _ = protocol.open_ack(PSK_DN, ack2, counter)
    assert acked2 == 8 and counter2 > 1 + COUNTER_RESERVE  # above everything the first run may have used
    again.close()


def test_without_a_file_counters_start_at_zero(rec):
    ccs = StandinCcs(PSK_DN)
    (ack,) = ccs.handle(key_material(1))
    assert protocol.open_ack(PSK_DN, ack, 0)[0] == 1
    ccs.close()
