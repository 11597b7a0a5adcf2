"""The sweep (harness.energy.sweep): confidence intervals, the grid, and a small sweep on a local Dask
cluster that must give exactly the runs of the same sweep done here one by one."""

from __future__ import annotations

import importlib.util
import json
import statistics
from pathlib import Path

import pytest
from requirements import require

from harness.cli import main as esse
from harness.energy import sweep
from harness.energy.report import ReportError


@pytest.mark.parametrize(("df", "t"), [(1, 12.706), (2, 4.303), (9, 2.262), (30, 2.042), (120, 1.980)])
def test_t_quantiles_from_the_table(df: int, t: float) -> None:
    assert sweep.t975(df) == t


def test_t_quantiles_between_rows_and_beyond() -> None:
    # published values: t(0.975, 50) = 2.009, t(0.975, 1000) = 1.962
    assert sweep.t975(50) == pytest.approx(2.009, abs=0.002)
    assert sweep.t975(1000) == pytest.approx(1.962, abs=0.002)
    assert sweep.t975(10**9) == pytest.approx(1.960, abs=1e-6)
    with pytest.raises(ValueError):
        sweep.t975(0)


def test_estimate_mean_and_half_width() -> None:
    values = [10.0, 12.0, 11.0, 13.0]
    e = sweep.Estimate.of(values)
    assert e.mean == 11.5 and e.n == 4
    assert e.half_width == pytest.approx(3.182 * statistics.stdev(values) / 2)
    one = sweep.Estimate.of([3.0])
    assert one.half_width is None and one.mean == 3.0


def test_grid_is_the_product_of_the_axes() -> None:
    spec = sweep.SweepSpec(kinds=("esse", "psk"), losses=(0.0, 0.1, 0.3), channel_check_hz=(None, 8.0),
                           sessions=(1,), seeds=(1, 2))
    points = spec.points()
    assert len(points) == 2 * 3 * 2 and len(spec.jobs()) == 24
    assert points[0] == {"kind": "esse", "loss": 0.0, "channel_check_hz": None, "sessions": 1, "exchanges": 3}
    assert sweep.x_axis(spec) == "loss"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"losses": (0.0, 1.2)}, "a loss is a fraction in"),
    ({"kinds": ("esse", "rsa")}, "unknown kind"),
    ({"seeds": (1, 1)}, "distinct seeds"),
    ({"sessions": (0,)}, "sessions must be at least 1"),
    ({"channel_check_hz": (-8.0,)}, "positive number of Hz"),
])
def test_bad_grids_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ReportError, match=message):
        sweep.SweepSpec(**kwargs)


def test_cli_refuses_bad_lists(capsys) -> None:
    with pytest.raises(SystemExit):
        esse(["sweep", "--seeds", "1-x"])
    assert "a list of integers like 1,2,3 or 1-5" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        esse(["sweep", "--channel-check-hz", "fast"])
    assert "a channel-check rate is Hz or 'always'" in capsys.readouterr().err


@pytest.mark.slow
def test_local_cluster_gives_the_sequential_results(tmp_path: Path) -> None:
    """A small sweep of the real set-up runs (harness.energy.setup_run) on a local Dask cluster of two
    workers gives exactly the runs of the same sweep done here one by one."""
    require(importlib.util.find_spec("harness.energy.setup_run") is not None,
            "harness.energy.setup_run (run_setup, the simtime room's) is not on this branch")
    spec = sweep.SweepSpec(kinds=("esse",), losses=(0.0, 0.3), seeds=(1, 2, 3), exchanges=1)
    here = sweep.run_sweep(spec, workers=0)
    progress: list[tuple[int, int]] = []
    dask = sweep.run_sweep(spec, workers=2, progress=lambda d, t: progress.append((d, t)))
    assert dask.where == "local cluster, 2 worker(s)" and here.where == "sequential"
    assert [p.runs for p in dask.points] == [p.runs for p in here.points]
    assert [p.estimates for p in dask.points] == [p.estimates for p in here.points]
    assert progress[-1] == (6, 6)
    assert all(p.estimates["set-up mJ"].mean > 0 for p in here.points)
    assert [p.params["loss"] for p in here.points] == [0.0, 0.3]
    written = sweep.write_outputs(here, tmp_path)
    assert {p.name for p in written} == {"sweep.txt", "sweep.json", "sweep.csv", "sweep.png", "sweep.svg"}
    doc = json.loads((tmp_path / "sweep.json").read_text())
    assert doc["points"][1]["estimates"]["set-up mJ"]["n"] == 3
    assert "loss 30 %" in (tmp_path / "sweep.txt").read_text()


@pytest.mark.slow
def test_scheduler_address_sends_the_sweep_to_an_existing_cluster() -> None:
    """--scheduler: a cluster started elsewhere (here: its own scheduler and worker processes, reached
    by its tcp:// address only) runs the sweep and gives the sequential runs."""
    require(importlib.util.find_spec("harness.energy.setup_run") is not None,
            "harness.energy.setup_run (run_setup, the simtime room's) is not on this branch")
    from dask.distributed import LocalCluster

    spec = sweep.SweepSpec(kinds=("esse",), losses=(0.1,), seeds=(4, 5), exchanges=1)
    no_http = {"dashboard": False, "dashboard_address": ":0"}  # no fixed port
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, scheduler_port=0,
                      dashboard_address=None, scheduler_kwargs=no_http) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://")
        remote = sweep.run_sweep(spec, scheduler=address)
    assert remote.where == f"{address} (1 worker(s))"
    assert [p.runs for p in remote.points] == [p.runs for p in sweep.run_sweep(spec, workers=0).points]
