"""The energy report (harness.energy.report) on SetupRun values built by hand: tables, totals, ratios,
missing kinds, JSON/CSV files, Figure 11 plots, and `esse energy report` on a saved report."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from harness.cli import main as esse
from harness.energy import report
from harness.energy.phases import SetupRun

from .runs import esse_run, handshake_run

# The Sky model's figures (REFERENCE.md, Contiki's energy tools), written out here as the oracle.
V, CPU_MA, LPM_MA, TX_MA, RX_MA = 3.0, 1.8, 0.0545, 17.7, 20.0


def mj(ms: float, ma: float) -> float:
    return ms / 1000 * ma * V


def runner_of(runs: dict[str, SetupRun], errors: dict[str, Exception] | None = None) -> report.Runner:
    """A runner with run_setup's signature that hands out given runs (or raises the given error)."""
    def run(kind: str, *, seed: int = 1, exchanges: int = 3, loss: float = 0.0,
            channel_check_hz: float | None = None, sessions: int = 1, progress=None) -> SetupRun:
        if errors and kind in errors:
            raise errors[kind]
        if progress is not None:
            progress(1, 2)
        return runs[kind]
    return run


def full_report() -> report.EnergyReport:
    runs = {"esse": esse_run(), "psk": handshake_run("psk"), "ecdhe": handshake_run("ecdhe", cpu_scale=10)}
    return report.measure(list(runs), runner=runner_of(runs))


def test_setup_energy_per_state_follows_the_model() -> None:
    run = esse_run()
    assert report.setup_mj(run, "CPU") == pytest.approx(mj(20 + 5, CPU_MA))
    assert report.setup_mj(run, "LPM") == pytest.approx(mj(80 + 45, LPM_MA))
    assert report.setup_mj(run, "TX") == pytest.approx(mj(1 + 2, TX_MA))
    assert report.setup_mj(run, "RX") == pytest.approx(mj(100 + 50, RX_MA))
    t = report.totals(run)
    assert t["set-up"]["bytes"] == 110 and t["set-up"]["frames"] == 2
    assert t["exchanges"]["total mJ"] == pytest.approx(3 * (mj(10, CPU_MA) + mj(90, LPM_MA) + mj(2, TX_MA)
                                                            + mj(100, RX_MA)))
    assert t["all"]["total mJ"] == pytest.approx(run.total_mj())


def test_phase_table_has_a_row_per_phase_and_the_totals() -> None:
    run = handshake_run("psk")
    lines = report.phase_table(run)
    names = [line.split()[0] + " " + line.split()[1] for line in lines[2:8]]
    assert names == [f"flight {i}" for i in range(1, 7)]
    flight5 = lines[2 + 4].split()
    # flight 5 (peer): CPU 500 ms, LPM 100 ms, TX 1 ms, listen 200 ms; 500 bytes, 5 frames, 2 fragments
    assert [float(x) for x in flight5[3:8]] == pytest.approx(
        [mj(500, CPU_MA), mj(100, LPM_MA), mj(1, TX_MA), mj(200, RX_MA),
         mj(500, CPU_MA) + mj(100, LPM_MA) + mj(1, TX_MA) + mj(200, RX_MA)], abs=5e-4)
    assert flight5[8:11] == ["500", "5", "2"]
    assert [line.split()[0] for line in lines[-3:]] == ["set-up", "exchanges", "all"]


def test_ratios_are_full_handshake_over_esse() -> None:
    rep = full_report()
    by = {(r.other, r.what): r for r in rep.ratios()}
    esse, psk = esse_run(), handshake_run("psk")
    assert by["psk", "set-up"].factor == pytest.approx(report.setup_mj(psk) / report.setup_mj(esse))
    assert by["psk", "set-up CPU"].factor == pytest.approx(sum(100 * i for i in range(1, 7)) / 25)
    assert by["ecdhe", "set-up CPU"].factor == pytest.approx(sum(1000 * i for i in range(1, 7)) / 25)
    assert by["psk", "set-up + exchanges"].other_mj == pytest.approx(psk.total_mj())
    text = report.text_report(rep)
    assert "How many times more energy than ESSE" in text
    assert f"{by['psk', 'set-up'].factor:8.2f} x" in text


def test_a_kind_that_cannot_run_is_reported_missing_not_fatal() -> None:
    runs = {"esse": esse_run(), "psk": handshake_run("psk")}
    rep = report.measure(["esse", "psk", "ecdhe"], runner=runner_of(
        runs, {"ecdhe": FileNotFoundError("no firmware app ccs_ecdhe")}))
    assert set(rep.runs()) == {"esse", "psk"}
    assert rep.missing() == {"ecdhe": "FileNotFoundError: no firmware app ccs_ecdhe"}
    text = report.text_report(rep)
    assert "ecdhe: NOT MEASURED: FileNotFoundError: no firmware app ccs_ecdhe" in text
    assert {r.other for r in rep.ratios()} == {"psk"}


def test_without_esse_there_are_no_ratios_and_it_says_why() -> None:
    rep = report.measure(["esse", "psk"], runner=runner_of({"psk": handshake_run()},
                                                           {"esse": RuntimeError("SSM did not answer")}))
    assert rep.ratios() == []
    assert "No ratios: ESSE was not measured." in report.text_report(rep)


def test_unknown_kind_is_a_clear_error() -> None:
    with pytest.raises(report.ReportError, match=r"unknown kind\(s\) rsa \(known: esse, psk, ecdhe\)"):
        report.measure(["esse", "rsa"], runner=runner_of({}))


def test_progress_covers_all_kinds_once() -> None:
    seen: list[tuple[int, int]] = []
    runs = {"esse": esse_run(), "psk": handshake_run()}
    report.measure(["esse", "psk"], runner=runner_of(runs), progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (2000, 2000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_json_round_trip_and_csv_rows(tmp_path: Path) -> None:
    rep = report.measure(["esse", "psk", "ecdhe"], runner=runner_of(
        {"esse": esse_run(), "psk": handshake_run()}, {"ecdhe": RuntimeError("not built")}))
    report.write_json(rep, tmp_path / "r.json")
    back = report.read_json(tmp_path / "r.json")
    assert back == rep
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["kinds"][2] == {"kind": "ecdhe", "missing": "RuntimeError: not built"}
    assert doc["kinds"][1]["totals"]["set-up"]["fragments"] == 2 + 4
    report.write_csv(rep, tmp_path / "r.csv")
    rows = list(csv.DictReader((tmp_path / "r.csv").open()))
    # esse: 2 hand-off + 3 exchanges + 3 totals; psk: 6 flights + 3 exchanges + 3 totals; ecdhe: 1
    assert len(rows) == 8 + 12 + 1
    f6 = next(r for r in rows if r["kind"] == "psk" and r["phase"] == "flight 6")
    assert float(f6["tx_mj"]) == pytest.approx(mj(18, TX_MA), abs=1e-6) and f6["fragments"] == "4"
    assert rows[-1]["phase"] == "missing" and rows[-1]["messages"] == "RuntimeError: not built"


def test_plots_are_written_and_deterministic(tmp_path: Path) -> None:
    rep = full_report()
    first = report.write_outputs(rep, tmp_path / "a")
    second = report.write_outputs(rep, tmp_path / "b")
    names = sorted(p.name for p in first)
    assert names == sorted(["report.txt", "report.json", "report.csv", "energest.csv", "figure11.png",
                            "figure11.svg", "kinds.png", "kinds.svg", "totals.png", "totals.svg"])
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert (tmp_path / "a" / "figure11.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (tmp_path / "a" / "figure11.svg").read_text()
    assert "<svg" in svg
    # one bar per (kind, phase, state) with energy: esse 5 phases x 4, psk and ecdhe 9 x 4
    assert svg.count('id="patch_') >= (5 + 9 + 9) * 4


def test_no_run_no_plot(tmp_path: Path) -> None:
    rep = report.EnergyReport({"seed": 1}, (report.KindResult("esse", None, "not merged"),))
    assert report.plot_figure11(rep, tmp_path / "f") == []


def test_esse_energy_report_re_renders_a_saved_report(tmp_path: Path, capsys) -> None:
    report.write_json(full_report(), tmp_path / "r.json")
    argv = ["energy", "report", "--from-json", str(tmp_path / "r.json"), "--out", str(tmp_path / "o")]
    assert esse(argv) == 0
    out = capsys.readouterr().out
    assert "flight 6" in out and "KEY_ACK" in out and "psk   set-up " in out
    assert (tmp_path / "o" / "figure11.svg").exists()


def test_esse_energy_report_bad_input(tmp_path: Path, capsys) -> None:
    assert esse(["energy", "report", "--from-json", str(tmp_path / "none.json")]) == 2
    assert "cannot read an energy report" in capsys.readouterr().err
    (tmp_path / "x.json").write_text('{"kinds": 3}')
    assert esse(["energy", "report", "--from-json", str(tmp_path / "x.json")]) == 2
    assert "not an energy report" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        esse(["energy", "report", "--kinds", "esse,rsa"])
    assert "kinds are a comma list of esse, psk, ecdhe" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        esse(["energy", "report", "--loss", "1.5"])
    assert "a loss is a fraction" in capsys.readouterr().err


def test_bootstrap_and_rd_phases_are_a_once_per_device_part_outside_set_up_and_ratios() -> None:
    from .runs import phase

    device = [phase("BOOT_REQUEST", "bootstrap", "mote", cpu_ms=10, lpm_ms=10, tx_ms=1, listen_ms=20,
                    nbytes=19, frames=1),
              phase("BOOT_CONFIRM", "bootstrap", "mote", cpu_ms=100, lpm_ms=0, tx_ms=1, listen_ms=100,
                    nbytes=15, frames=1),
              phase("RD POST", "RD registration", "mote", cpu_ms=20, lpm_ms=0, tx_ms=1, listen_ms=20,
                    nbytes=37, frames=1)]
    plain = esse_run()
    fresh = SetupRun("esse", 1, plain.params, tuple(device) + plain.phases)
    t = report.totals(fresh)
    assert t["set-up"] == report.totals(plain)["set-up"]
    assert t["exchanges"] == report.totals(plain)["exchanges"]
    assert t["bootstrap + RD"]["CPU mJ"] == pytest.approx(mj(130, CPU_MA))
    assert t["bootstrap + RD"]["total mJ"] == pytest.approx(
        mj(130, CPU_MA) + mj(10, LPM_MA) + mj(3, TX_MA) + mj(140, RX_MA))
    assert (t["bootstrap + RD"]["frames"], t["bootstrap + RD"]["bytes"]) == (3, 71)
    assert t["all"]["total mJ"] == pytest.approx(t["bootstrap + RD"]["total mJ"] + plain.total_mj())
    assert "bootstrap + RD" not in report.totals(plain)
    runs = {"esse": fresh, "psk": handshake_run("psk")}
    rep = report.measure(list(runs), runner=runner_of(runs))
    same = report.measure(["esse", "psk"], runner=runner_of({"esse": plain, "psk": runs["psk"]}))
    assert [x.factor for x in rep.ratios()] == [x.factor for x in same.ratios()]
    text = report.text_report(rep)
    assert "esse: once per device, before any session: bootstrapping and RD registration" in text
    assert report.phase_order([fresh])[:3] == ["BOOT_REQUEST", "BOOT_CONFIRM", "RD POST"]
