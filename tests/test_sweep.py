"""Parameter sweeps on a real Dask scheduler, worker and local cluster."""

from __future__ import annotations

import json
import logging
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from scenarios import ScenarioError, load_scenario
from simulation.cli import app
from simulation.sweep import (
    close_local_cluster,
    execute,
    grid_points,
    plan_sweep,
    plan_tasks,
    read_runs,
    read_steps,
    replicate_seeds,
    run_sweep,
    sample_design,
    start_local_cluster,
)
from simulation.sweep_cli import parse_grid, parse_param, print_points, split_values
from simulation.sweep_folder import (
    LOCK_FILE,
    PLAN_FILE,
    SweepLock,
    SweepLockedError,
    check_plan,
)
from simulation.sweep_report import interval, metric_range, sensitivity_indices

pytestmark = pytest.mark.slow

# Ten members per camp and five steps keep each compiled run well under a second.
# Every sweep below uses these sizes, so each worker compiles the update once.
TINY = {
    "populations.hopeful.size": 10,
    "populations.sceptical.size": 10,
    "scenario.steps": 5,
}
TINY_SET = [arg for path, value in TINY.items() for arg in ("--set", f"{path}={value}")]
ENV = {**os.environ, "JAX_PLATFORMS": "cpu"}
MODELFIRST = Path(sys.executable).parent / "modelfirst"


def stop_process(process: subprocess.Popen) -> None:
    """Terminate a process we started, then kill it if it does not exit."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def local_client():
    """A one-worker LocalCluster on 127.0.0.1, closed after the module."""
    from dask.distributed import Client

    cluster = start_local_cluster(1)
    client = Client(cluster)
    yield client
    client.close()
    close_local_cluster(cluster)


@pytest.fixture(scope="module")
def scheduler_address(tmp_path_factory):
    """A ``dask scheduler`` and one ``dask worker`` started as processes."""
    from dask.distributed import Client

    folder = tmp_path_factory.mktemp("dask")
    scheduler_file = folder / "scheduler.json"
    dask = Path(sys.executable).parent / "dask"
    scheduler = subprocess.Popen(
        [
            str(dask),
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(scheduler_file),
        ],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        worker = subprocess.Popen(
            [
                str(dask),
                "worker",
                "--scheduler-file",
                str(scheduler_file),
                "--host",
                "127.0.0.1",
                "--nworkers",
                "1",
                "--nthreads",
                "1",
                "--no-dashboard",
            ],
            env=ENV,
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with Client(scheduler_file=str(scheduler_file)) as client:
            client.wait_for_workers(1, timeout=60)
            address = client.scheduler.address
        yield address
    finally:
        if worker is not None:
            stop_process(worker)
        stop_process(scheduler)


# -- designs ------------------------------------------------------------------


def test_replicate_seeds_distinct_and_reproducible():
    seeds = replicate_seeds(7, 5)
    # Each seed is the first 32-bit word of one spawned child sequence.
    expected = [
        int(child.generate_state(1)[0]) for child in np.random.SeedSequence(7).spawn(5)
    ]
    assert seeds == expected
    assert len(set(seeds)) == 5
    assert replicate_seeds(7, 5) == seeds
    assert replicate_seeds(8, 5) != seeds
    assert replicate_seeds(7, 3) == seeds[:3]


def test_replicate_seeds_reject_zero_replicates():
    with pytest.raises(ValueError, match="at least 1"):
        replicate_seeds(0, 0)


def test_grid_points_cross_every_value():
    points = grid_points({"a.x": [1, 2], "b.y": ["p", "q", "r"]})
    # 2 values x 3 values = 6 points, the last path varying fastest.
    assert len(points) == 6
    assert points[0] == {"a.x": 1, "b.y": "p"}
    assert points[1] == {"a.x": 1, "b.y": "q"}
    assert points[3] == {"a.x": 2, "b.y": "p"}


@pytest.mark.parametrize(
    ("design", "samples", "expected_points"),
    [
        # Saltelli without second order: N * (D + 2) = 4 * (2 + 2) = 16.
        ("sobol", 4, 16),
        # Morris: N trajectories of D + 1 points = 4 * (2 + 1) = 12.
        ("morris", 4, 12),
        # Latin hypercube: N = 44, the smallest that RBD-FAST accepts.
        ("lhs", 44, 44),
    ],
)
def test_sampled_design_rounds_integer_fields(design, samples, expected_points):
    data = load_scenario("two-camps").data
    params = {
        "interventions.campaign.start": (1.0, 9.0),
        "populations.hopeful.gamma": (1.0, 8.0),
    }
    points, problem, matrix = sample_design(data, design, params, samples, seed=3)
    assert len(points) == expected_points
    assert matrix.shape == (expected_points, 2)
    assert problem["names"] == list(params)
    starts = [point["interventions.campaign.start"] for point in points]
    gammas = [point["populations.hopeful.gamma"] for point in points]
    assert all(type(start) is int for start in starts)
    assert all(1 <= start <= 9 for start in starts)
    assert all(type(gamma) is float for gamma in gammas)
    assert all(1.0 <= gamma <= 8.0 for gamma in gammas)


def test_sampled_design_rejects_empty_range():
    data = load_scenario("two-camps").data
    with pytest.raises(ValueError, match="LOW below HIGH"):
        sample_design(data, "lhs", {"populations.hopeful.gamma": (4.0, 4.0)}, 4, 0)


def test_interval_of_three_values():
    mean, low, high = interval(np.array([1.0, 2.0, 3.0]))
    # mean 2, standard error 1 / sqrt(3) = 0.57735, t(0.975, df=2) = 4.302653,
    # half-width 4.302653 * 0.57735 = 2.484138.
    assert mean == pytest.approx(2.0)
    assert low == pytest.approx(2.0 - 2.484138, abs=1e-6)
    assert high == pytest.approx(2.0 + 2.484138, abs=1e-6)


@pytest.mark.parametrize(
    ("design", "samples", "message"),
    [
        # RBD-FAST needs N // 2 > 10 and (N // 2) // 2 > 10: N >= 4 * 11 = 44.
        ("lhs", 8, "at least 44"),
        ("lhs", 43, "at least 44"),
        ("sobol", 1, "at least 2"),
        ("sobol", 6, "--samples 4 or 8"),
        ("morris", 1, "at least 2"),
    ],
)
def test_sampled_design_rejects_small_samples(design, samples, message):
    data = load_scenario("two-camps").data
    params = {"populations.hopeful.gamma": (1.0, 8.0)}
    with pytest.raises(ValueError, match=message):
        sample_design(data, design, params, samples, seed=0)


def test_cli_rejects_small_lhs_before_runs(tmp_path):
    out = tmp_path / "sweep"
    result = CliRunner().invoke(
        app,
        [
            "sweep",
            "two-camps",
            "--design",
            "lhs",
            "--param",
            "populations.hopeful.gamma=1:8",
            "--samples",
            "8",
            "--out",
            str(out),
            *TINY_SET,
        ],
    )
    assert result.exit_code == 2
    assert "at least 44" in result.output
    assert not out.exists()


def test_interval_clipped_to_metric_range():
    mean, low, high = interval(np.array([0.0, 0.0, 1.0]), (0.0, 1.0))
    # mean 1/3, sample standard deviation sqrt((2 * (1/3)**2 + (2/3)**2) / 2)
    # = sqrt(1/3) = 0.57735, standard error 0.57735 / sqrt(3) = 1/3, half-width
    # 4.302653 / 3 = 1.434218: the interval [-1.1009, 1.7676] is clipped.
    assert mean == pytest.approx(1 / 3)
    assert low == 0.0
    assert high == 1.0
    unclipped = interval(np.array([0.0, 0.0, 1.0]))
    assert unclipped[1] == pytest.approx(1 / 3 - 1.434218, abs=1e-6)


def test_metric_range_of_shares_and_steps():
    plan = plan_sweep(
        "two-camps", grid={"interventions.campaign.start": [2]}, overrides=TINY
    )
    assert metric_range(plan, "final_share.hopeful.act") == (0.0, 1.0)
    assert metric_range(plan, "belief_divergence_final") == (0.0, 1.0)
    # TINY runs 5 steps.
    assert metric_range(plan, "joint_action_step") == (0.0, 5.0)


def test_sensitivity_skips_constant_metrics():
    plan = plan_sweep(
        "two-camps",
        design="lhs",
        params={"populations.hopeful.gamma": (1.0, 8.0)},
        samples=44,
        overrides=TINY,
    )
    gamma = plan.samples[:, 0]
    runs = pd.DataFrame(
        {
            "point": range(44),
            "status": "ok",
            "steps": 5,
            "joint_action_reached": False,
            "joint_action_step": np.nan,
            "belief_divergence_final": 0.25,
            # The hopeful share follows gamma; the sceptical share is 0 throughout.
            "final_share.hopeful.act": (gamma - 1.0) / 7.0,
            "final_share.sceptical.act": 0.0,
        }
    )
    table = sensitivity_indices(plan, runs)
    assert set(table["metric"]) == {"final_share.hopeful.act"}
    assert not table["value"].isna().any()
    # A share linear in gamma is explained by gamma: S1 well above 0.5.
    assert table["value"].iloc[0] > 0.5
    notes = table.attrs["notes"]
    assert len(notes) == 4
    assert "joint action is never reached at any point" in notes[1]
    assert "0.25 at every point" in notes[2]


def test_terminal_table_prints_dash_for_never(tmp_path, capsys):
    path = tmp_path / "summary.csv"
    pd.DataFrame(
        {
            "point": [0, 1],
            "interventions.campaign.start": [2, 4],
            "runs": [1, 1],
            "failed": [0, 0],
            "joint_action_share": [0.0, 1.0],
            "joint_action_step_median": [np.nan, 3.0],
        }
    ).to_csv(path, index=False)
    print_points(path)
    output = capsys.readouterr().out
    assert "NaN" not in output
    assert output.splitlines()[1].split()[-1] == "-"
    assert output.splitlines()[2].split()[-1] == "3"


def test_resume_with_other_plan_rejected(tmp_path):
    out = tmp_path / "sweep"
    common = {"overrides": TINY, "out": out, "progress": False, "resume": True}
    # The folder records a first plan; the second is rejected before any run,
    # so no Dask cluster starts.
    first = plan_sweep("two-camps", grid={"interventions.campaign.start": [3]})
    out.mkdir()
    check_plan(out, first, resume=False)
    with pytest.raises(ValueError, match="contains another sweep") as caught:
        run_sweep("two-camps", grid={"interventions.campaign.start": [4]}, **common)
    message = str(caught.value)
    assert "overrides:" in message
    assert "point 0 is" in message
    assert "Run the same command as before" in message
    stored = json.loads((out / PLAN_FILE).read_text())
    assert stored["points"] == [{"interventions.campaign.start": 3}]
    assert not (out / LOCK_FILE).exists()


def test_live_lock_rejects_second_sweep(tmp_path):
    out = tmp_path / "sweep"
    out.mkdir()
    with SweepLock(out):
        holder = json.loads((out / LOCK_FILE).read_text())
        assert holder["pid"] == os.getpid()
        with pytest.raises(SweepLockedError, match=f"pid {os.getpid()}"):
            run_sweep(
                "two-camps",
                grid={"interventions.campaign.start": [3]},
                overrides=TINY,
                out=out,
                progress=False,
            )
        assert (out / LOCK_FILE).exists()
    assert not (out / LOCK_FILE).exists()


def test_stale_lock_replaced_with_warning(tmp_path, caplog):
    out = tmp_path / "sweep"
    out.mkdir()
    # The pid of a child that has exited and been reaped names no process.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = SweepLock(out)
    (out / LOCK_FILE).write_text(
        json.dumps({"pid": dead.pid, "host": lock.content["host"], "token": "old"})
    )
    with caplog.at_level(logging.WARNING, logger="simulation.sweep_folder"), lock:
        holder = json.loads((out / LOCK_FILE).read_text())
        assert holder["token"] == lock.token
    assert f"stale lock {out / LOCK_FILE} of pid {dead.pid}" in caplog.text
    assert not (out / LOCK_FILE).exists()


def test_interval_of_one_value_has_no_bounds():
    mean, low, high = interval(np.array([0.4, np.nan]))
    assert mean == pytest.approx(0.4)
    assert np.isnan(low)
    assert np.isnan(high)


def test_grid_option_splits_top_level_commas():
    assert split_values("1, 2,3") == ["1", "2", "3"]
    assert split_values("[1, 2],[3, 4]") == ["[1, 2]", "[3, 4]"]
    assert split_values('"a,b",c') == ['"a,b"', "c"]
    grid = parse_grid(["interventions.campaign.start=2,6", "graph.kind=complete"])
    assert grid == {"interventions.campaign.start": [2, 6], "graph.kind": ["complete"]}


def test_param_option_needs_two_numbers():
    assert parse_param("populations.hopeful.gamma=1:8") == (
        "populations.hopeful.gamma",
        (1.0, 8.0),
    )
    with pytest.raises(ValueError, match="LOW:HIGH"):
        parse_param("populations.hopeful.gamma=1")


def test_invalid_point_rejected_before_any_run(tmp_path):
    out = tmp_path / "sweep"
    with pytest.raises(ScenarioError) as caught:
        run_sweep(
            "two-camps",
            grid={"interventions.campaign.start": [2, 0]},
            overrides=TINY,
            out=out,
            progress=False,
        )
    assert len(caught.value.lines) == 1
    assert "interventions.campaign.start" in caught.value.lines[0]
    assert "sweep point interventions.campaign.start=0" in caught.value.lines[0]
    assert not out.exists()


def test_cli_rejects_grid_with_design():
    result = CliRunner().invoke(
        app,
        [
            "sweep",
            "two-camps",
            "--grid",
            "interventions.campaign.start=2,6",
            "--design",
            "lhs",
        ],
    )
    assert result.exit_code == 2
    assert "either --grid" in result.output


def test_cli_rejects_invalid_point():
    result = CliRunner().invoke(
        app,
        ["sweep", "two-camps", "--grid", "interventions.campaign.start=0", *TINY_SET],
    )
    assert result.exit_code == 2
    assert "interventions.campaign.start" in result.output


def test_cli_rejects_out_under_file(tmp_path):
    blocker = tmp_path / "results.txt"
    blocker.write_text("keep me\n")
    result = CliRunner().invoke(
        app,
        [
            "sweep",
            "two-camps",
            "--grid",
            "interventions.campaign.start=2,6",
            "--out",
            str(blocker / "sweep"),
            *TINY_SET,
        ],
    )
    assert result.exit_code == 2
    assert "is not a folder" in result.output
    assert blocker.read_text() == "keep me\n"


# -- runs on Dask -------------------------------------------------------------


def test_scheduler_and_local_cluster_agree(tmp_path, scheduler_address, local_client):
    common = {
        "grid": {"interventions.campaign.start": [2, 4]},
        "overrides": TINY,
        "replicates": 2,
        "seed": 11,
        "progress": False,
    }
    remote = run_sweep(
        "two-camps", scheduler=scheduler_address, out=tmp_path / "a", **common
    )
    local = run_sweep("two-camps", client=local_client, out=tmp_path / "b", **common)

    # 2 points x 2 replicates = 4 runs, each on the same two seeds.
    assert len(remote) == 4
    assert (remote["status"] == "ok").all()
    assert sorted(set(remote["seed"])) == sorted(replicate_seeds(11, 2))
    assert (
        remote.groupby("point")["seed"].apply(sorted).tolist()
        == [sorted(replicate_seeds(11, 2))] * 2
    )
    pd.testing.assert_frame_equal(remote, local)
    steps_remote = read_steps(tmp_path / "a").sort_values(["run_id", "step"])
    steps_local = read_steps(tmp_path / "b").sort_values(["run_id", "step"])
    # 4 runs x (5 steps + step 0) = 24 rows.
    assert len(steps_remote) == 24
    pd.testing.assert_frame_equal(
        steps_remote.reset_index(drop=True), steps_local.reset_index(drop=True)
    )
    for name in ("summary.csv", "surface.png"):
        assert (tmp_path / "a" / name).is_file()
    summary = pd.read_csv(tmp_path / "a" / "summary.csv")
    assert summary["runs"].tolist() == [2, 2]


def write_ring(path: Path, n: int) -> Path:
    """Write a ring of ``n`` nodes as an edge list."""
    path.write_text("".join(f"{i} {(i + 1) % n}\n" for i in range(n)))
    return path


def test_failing_run_recorded_others_finish(tmp_path, local_client):
    out = tmp_path / "sweep"
    kept = write_ring(tmp_path / "kept.edgelist", 20)
    removed = write_ring(tmp_path / "removed.edgelist", 20)
    grid = {"graph.kind": ["file"], "graph.path": [str(kept), str(removed)]}
    plan = plan_sweep("two-camps", grid=grid, overrides=TINY, replicates=2)
    # Both files pass validation. Removing one before the runs start makes the
    # worker's own read of that graph raise, so its two runs fail.
    removed.unlink()
    (out / "runs").mkdir(parents=True)
    (out / "steps").mkdir()
    execute(plan, plan_tasks(plan), out, local_client, None, None, progress=False)

    runs = read_runs(out).sort_values(["graph.path", "replicate"])
    assert len(runs) == 4
    assert runs["status"].tolist() == ["ok", "ok", "failed", "failed"]
    assert runs["error"].iloc[0] == ""
    assert runs["error"].iloc[2].startswith("ScenarioError")
    assert "was not found" in runs["error"].iloc[2]
    assert np.isnan(runs["belief_divergence_final"].iloc[2])
    assert len(list((out / "steps").glob("run-*.parquet"))) == 2


def test_existing_runs_need_resume(tmp_path, local_client):
    out = tmp_path / "sweep"
    common = {
        "grid": {"interventions.campaign.start": [3]},
        "overrides": TINY,
        "client": local_client,
        "out": out,
        "progress": False,
    }
    first = run_sweep("two-camps", **common)
    assert first["status"].tolist() == ["ok"]
    summary = pd.read_csv(out / "summary.csv")
    assert summary["failed"].tolist() == [0]
    with pytest.raises(ValueError, match="--resume"):
        run_sweep("two-camps", **common)
    again = run_sweep("two-camps", resume=True, **common)
    assert again["run_id"].tolist() == first["run_id"].tolist()


@pytest.mark.parametrize(
    ("design", "indices", "n_points"),
    [
        # Saltelli over one parameter: 4 * (1 + 2) = 12 points, and each of the 4
        # base rows appears twice (the A-B mix of one column is B itself).
        ("sobol", {"S1", "ST"}, 12),
        # Morris: 4 trajectories of 1 + 1 points = 8.
        ("morris", {"mu_star", "sigma"}, 8),
        # Latin hypercube: the minimum of 44 points.
        ("lhs", {"S1"}, 44),
    ],
)
def test_sampled_design_writes_sensitivity(
    tmp_path, local_client, design, indices, n_points
):
    out = tmp_path / design
    runs = run_sweep(
        "two-camps",
        design=design,
        params={"populations.hopeful.gamma": (1.0, 8.0)},
        samples=n_points if design == "lhs" else 4,
        overrides=TINY,
        client=local_client,
        out=out,
        progress=False,
    )
    assert len(runs) == n_points
    assert runs["point"].tolist() == list(range(n_points))
    assert (runs["status"] == "ok").all()
    stored = len(list((out / "runs").glob("run-*.parquet")))
    assert stored == runs["run_id"].nunique()
    table = pd.read_csv(out / "sensitivity.csv")
    # joint_action_reached, joint_action_step, belief_divergence_final and the
    # final share of 'act' in each of the two camps: 5 metrics, each either
    # analysed or named in a note because it never varies.
    notes = runs.attrs["notes"]
    assert table["metric"].nunique() + len(notes) == 5
    assert not table["value"].isna().any()
    for note in notes:
        assert note.split(":")[0] not in set(table["metric"])
    assert set(table["index"]) <= indices
    assert set(table["parameter"]) == {"populations.hopeful.gamma"}
    assert (out / "surface.png").stat().st_size > 0


def test_resume_after_kill_skips_finished_runs(tmp_path, local_client):
    out = tmp_path / "sweep"
    # 6 points x 2 replicates = 12 runs of 20 steps, about 0.3 s each.
    command = [
        str(MODELFIRST),
        "sweep",
        "two-camps",
        "--grid",
        "interventions.campaign.start=1,2,3,4,5,6",
        "--replicates",
        "2",
        "--workers",
        "1",
        "--out",
        str(out),
        "--no-progress",
        *TINY_SET,
        "--set",
        "scenario.steps=20",
    ]
    process = subprocess.Popen(
        command,
        env=ENV,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None:
            if len(list((out / "runs").glob("run-*.parquet"))) >= 2:
                break
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)

    before = {
        path.name: path.stat().st_mtime_ns
        for path in (out / "runs").glob("run-*.parquet")
    }
    assert 2 <= len(before) < 12

    # The same sweep through the Python API gives the same run ids, so the
    # runs finished by the killed command are skipped.
    resumed = run_sweep(
        "two-camps",
        grid={"interventions.campaign.start": [1, 2, 3, 4, 5, 6]},
        overrides={**TINY, "scenario.steps": 20},
        replicates=2,
        client=local_client,
        out=out,
        resume=True,
        progress=False,
    )
    assert len(resumed) == 12

    after = {
        path.name: path.stat().st_mtime_ns
        for path in (out / "runs").glob("run-*.parquet")
    }
    assert len(after) == 12
    for name, mtime in before.items():
        assert after[name] == mtime, f"{name} was recomputed"
    runs = read_runs(out)
    assert runs["run_id"].is_unique
    assert len(runs) == 12
    assert (runs["status"] == "ok").all()
    steps = read_steps(out)
    # 12 runs x (20 steps + step 0) = 252 rows.
    assert len(steps) == 252


def test_ctrl_c_keeps_runs_and_prints_resume(tmp_path, local_client):
    out = tmp_path / "sweep"
    # 6 points x 2 replicates = 12 runs of 20 steps on two worker processes.
    command = [
        str(MODELFIRST),
        "sweep",
        "two-camps",
        "--grid",
        "interventions.campaign.start=1,2,3,4,5,6",
        "--replicates",
        "2",
        "--workers",
        "2",
        "--out",
        str(out),
        "--no-progress",
        *TINY_SET,
        "--set",
        "scenario.steps=20",
    ]
    # A terminal sends Ctrl-C's SIGINT to the whole foreground process group,
    # so the command runs in its own group and the group gets the signal.
    process = subprocess.Popen(
        command,
        env=ENV,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None:
            if len(list((out / "runs").glob("run-*.parquet"))) >= 2:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the sweep ended before the signal"
        # A second sweep into the folder that the live sweep has locked is rejected.
        with pytest.raises(SweepLockedError, match=f"pid {process.pid}"):
            run_sweep(
                "two-camps",
                grid={"interventions.campaign.start": [1]},
                overrides=TINY,
                out=out,
                progress=False,
            )
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)

    assert process.returncode == 130
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    kept = len(list((out / "runs").glob("run-*.parquet")))
    assert 2 <= kept < 12
    assert lines[0].startswith(f"Interrupted: {kept} finished runs kept in {out}/")
    resume = shlex.split(lines[0].split("finish the sweep with: ")[1])
    assert resume[:3] == ["modelfirst", "sweep", "two-camps"]
    assert resume[-3:] == ["--out", str(out), "--resume"]
    assert not (out / LOCK_FILE).exists()

    resumed = run_sweep(
        "two-camps",
        grid={"interventions.campaign.start": [1, 2, 3, 4, 5, 6]},
        overrides={**TINY, "scenario.steps": 20},
        replicates=2,
        client=local_client,
        out=out,
        resume=True,
        progress=False,
    )
    assert len(resumed) == 12
    assert (resumed["status"] == "ok").all()
