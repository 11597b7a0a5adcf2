"""Simulation outputs: Cooja-style logs, pcap of the radio traffic, power tracker CSV/JSON, summary.

Files written by `Recorder.write(out_dir)`:

* `COOJA.testlog` — first line `Random seed: N`, then one line per mote output line as the usual
  Cooja test script logs it (`<time µs> <id> <text>`), then `TEST OK` or `TEST FAILED` (no verdict
  line when the run had no success condition).
* `mote-output.log` — `<time µs>\\tID:<id>\\t<text>` per line (Cooja's mote output format).
* `radio.pcap` — every frame put on the air, at its start time, LINKTYPE 195 (802.15.4 with FCS).
* `power.csv`, `power.json` — time per mote per mode (CPU, LPM, TX, RX) and energy in mJ.
* `summary.json` — seed, end time, stop reason, verdict, frame counters, energy per mote.
"""

from __future__ import annotations

import csv
import io
import json
import struct
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from harness.emulator.resets import ResetEvent
from harness.energy.model import CURRENT_MA, SUPPLY_V, energy_mj
from harness.sim.engine import MoteLine
from harness.sim.interfaces import POWER_MODES
from harness.sim.medium import MediumStats, RadioEvent

if TYPE_CHECKING:
    from harness.emulator.unmodelled import UnmodelledUse
    from harness.sim.engine import Engine

LINKTYPE_IEEE802_15_4_WITHFCS = 195
PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_SNAPLEN = 65535



def format_testlog_line(line: MoteLine) -> str:
    """A line of COOJA.testlog: time, mote id, text."""
    return f"{line.time_us} {line.mote_id} {line.text}"


def format_mote_log_line(line: MoteLine) -> str:
    """A line of the mote output log, as Cooja's LogListener writes it."""
    return f"{line.time_us}\tID:{line.mote_id}\t{line.text}"


def testlog_text(seed: int, lines: list[MoteLine], verdict: bool | None) -> str:
    """COOJA.testlog: the seed, the mote lines and TEST OK / TEST FAILED."""
    out = [f"Random seed: {seed}"]
    out += [format_testlog_line(ln) for ln in lines]
    if verdict is not None:
        out.append("TEST OK" if verdict else "TEST FAILED")
    return "\n".join(out) + "\n"


def mote_log_text(lines: list[MoteLine]) -> str:
    """The mote output log of these lines."""
    return "".join(format_mote_log_line(ln) + "\n" for ln in lines)


class PcapWriter:
    """Classic libpcap file (microsecond timestamps), written by hand: a 24-byte global header,
    then per packet a 16-byte record header (seconds, microseconds, captured and original length)."""

    def __init__(self, linktype: int = LINKTYPE_IEEE802_15_4_WITHFCS) -> None:
        self._buf = io.BytesIO()
        self._buf.write(struct.pack("<IHHiIII", PCAP_MAGIC_US, 2, 4, 0, 0, PCAP_SNAPLEN, linktype))
        self.count = 0

    def add(self, time_us: int, data: bytes) -> None:
        """Append one packet captured at `time_us`."""
        sec, usec = divmod(time_us, 1_000_000)
        self._buf.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
        self._buf.write(data)
        self.count += 1

    def getvalue(self) -> bytes:
        """The pcap file so far."""
        return self._buf.getvalue()

    def write(self, path: Path) -> None:
        """Write the pcap file."""
        path.write_bytes(self.getvalue())


def power_table(power: dict[int, dict[str, int]]) -> dict[int, dict[str, dict[str, float]]]:
    """{mote: {mode: {"time_us": t, "energy_mJ": e}}} for the four modes, in id order."""
    table: dict[int, dict[str, dict[str, float]]] = {}
    for mote_id in sorted(power):
        modes = power[mote_id]
        unknown = set(modes) - set(POWER_MODES)
        if unknown:
            raise ValueError(f"mote {mote_id}: unknown power modes {sorted(unknown)} (want {POWER_MODES})")
        table[mote_id] = {
            m: {"time_us": int(modes.get(m, 0)), "energy_mJ": round(energy_mj(m, int(modes.get(m, 0))), 9)}
            for m in POWER_MODES
        }
    return table


def power_csv_text(power: dict[int, dict[str, int]]) -> str:
    """power.csv: time and energy per mote and mode."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["mote", "mode", "time_us", "current_mA", "energy_mJ"])
    for mote_id, modes in power_table(power).items():
        for mode, v in modes.items():
            w.writerow([mote_id, mode, v["time_us"], CURRENT_MA[mode], f"{v['energy_mJ']:.6f}"])
    return out.getvalue()


def power_json_obj(power: dict[int, dict[str, int]]) -> dict:
    """power.json: supply, currents and time/energy per mote and mode."""
    motes = {}
    for mote_id, modes in power_table(power).items():
        total = round(sum(v["energy_mJ"] for v in modes.values()), 9)
        motes[str(mote_id)] = {"modes": modes, "total_energy_mJ": total}
    return {"supply_V": SUPPLY_V, "current_mA": CURRENT_MA, "motes": motes}


def _dump(obj: object) -> str:
    return json.dumps(obj, indent=2, sort_keys=True) + "\n"


class Recorder:
    """Collects an engine's output lines and radio frames; writes the output files at the end."""

    def __init__(self) -> None:
        self.lines: list[MoteLine] = []
        self.resets: list[ResetEvent] = []
        self.pcap = PcapWriter()

    def attach(self, engine: Engine) -> None:
        """Record the engine's mote lines and radio frames."""
        engine.add_line_listener(self.lines.append)
        engine.add_reset_listener(self.resets.append)
        engine.add_radio_listener(self._on_radio)

    def _on_radio(self, ev: RadioEvent) -> None:
        if ev.kind == "tx":
            self.pcap.add(ev.time_us, ev.frame)

    def write(
        self,
        out_dir: Path,
        *,
        seed: int,
        power: dict[int, dict[str, int]],
        stats: MediumStats,
        per_mote: dict[int, MediumStats],
        end_us: int,
        reason: str,
        verdict: bool | None,
        unmodelled: list[tuple[int, UnmodelledUse]] | None = None,
    ) -> dict[str, Path]:
        """Write every output file to `out_dir`; {kind: path}."""
        out_dir.mkdir(parents=True, exist_ok=True)
        files = {
            "testlog": out_dir / "COOJA.testlog",
            "mote_log": out_dir / "mote-output.log",
            "pcap": out_dir / "radio.pcap",
            "power_csv": out_dir / "power.csv",
            "power_json": out_dir / "power.json",
            "summary": out_dir / "summary.json",
        }
        files["testlog"].write_text(testlog_text(seed, self.lines, verdict))
        files["mote_log"].write_text(mote_log_text(self.lines))
        self.pcap.write(files["pcap"])
        files["power_csv"].write_text(power_csv_text(power))
        pj = power_json_obj(power)
        files["power_json"].write_text(_dump(pj))
        summary = {
            "seed": seed,
            "end_us": end_us,
            "stop_reason": reason,
            "verdict": None if verdict is None else ("OK" if verdict else "FAILED"),
            "frames": asdict(stats),
            "frames_per_mote": {str(k): asdict(v) for k, v in sorted(per_mote.items())},
            "energy_mJ": {k: v["total_energy_mJ"] for k, v in pj["motes"].items()},
            "output_lines": len(self.lines),
            "resets": [{"time_us": r.time_us, "mote": r.mote_id, "cause": r.cause} for r in self.resets],
            # parts of the chip a firmware used that the emulator does not model (nothing silent)
            "unmodelled": [
                {"mote": mote, "part": u.part, "register": u.register, "addr": u.addr,
                 "first_us": u.time_ns // 1000, "first_write": u.write, "accesses": u.accesses}
                for mote, u in (unmodelled or [])
            ],
        }
        files["summary"].write_text(_dump(summary))
        return files


def summary_text(summary_path: Path) -> str:
    """Human summary printed at the end of `esse sim run`."""
    s = json.loads(summary_path.read_text())
    f = s["frames"]
    lost = f["tx_lost"] + f["rx_failed"] + f["corrupted"]
    lines = [
        f"simulated {s['end_us'] / 1e6:.6f} s, seed {s['seed']}, stopped by {s['stop_reason']}"
        + (f", verdict {s['verdict']}" if s["verdict"] else ""),
        f"frames: sent {f['frames_sent']}, received {f['received']}, lost {lost} "
        f"(tx {f['tx_lost']}, rx {f['rx_failed']}, corrupted {f['corrupted']})",
    ]
    for mote, mj in s["energy_mJ"].items():
        lines.append(f"mote {mote}: {mj:.3f} mJ")
    resets = s.get("resets", [])
    if resets:
        lines.append(f"resets: {len(resets)}")
        lines += [f"  mote {r['mote']} reset ({r['cause']}) at {r['time_us']} µs" for r in resets[:20]]
    for u in s.get("unmodelled", []):
        lines.append(
            f"WARNING: mote {u['mote']}: the firmware used {u['part']} "
            f"({u['register']} at 0x{u['addr']:04x}, first at {u['first_us']} µs, {u['accesses']} accesses), "
            "which the emulator does not model"
        )
    return "\n".join(lines)
