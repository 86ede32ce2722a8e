"""Parameter sweeps over scenario values, run on Dask distributed.

A sweep is a list of *points* (each a mapping from dotted scenario paths to
values, as ``--set`` takes them) crossed with replicate seeds. Every run is one
Dask task that builds the scenario, runs the model without the per-agent table
and returns its summary and model table. Each finished run is written at once
to ``DIR/runs/run-<run_id>.parquet`` (one row) and its per-step model table to
``DIR/steps/run-<run_id>.parquet``, so a crash loses no finished run and
``resume=True`` skips the runs that finished with status ``"ok"``.

>>> from simulation.sweep import run_sweep
>>> runs = run_sweep(
...     "two-camps",
...     grid={"interventions.campaign.start": [2, 6]},
...     replicates=3,
...     workers=2,
...     out="runs/two-camps-sweep",
... )  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from scenarios import Scenario, build_scenario
from simulation.sweep_design import (  # noqa: F401 - re-exported
    DESIGNS,
    MORRIS_LEVELS,
    RBD_FAST_HARMONICS,
    RUNS_FOLDER,
    STEPS_FOLDER,
    Overrides,
    SweepPlan,
    current_value,
    grid_points,
    minimum_samples,
    plan_sweep,
    replicate_seeds,
    run_id,
    sample_design,
    validate_points,
)
from simulation.sweep_folder import SweepLock, check_plan

logger = logging.getLogger(__name__)

# Seconds that a closing worker process gets to exit before its nanny kills
# it. A worker that has run the model needs several seconds to shut JAX down.
WORKER_CLOSE_TIMEOUT = 30.0


# -- one run ------------------------------------------------------------------


def simulate(
    data: Mapping[str, Any],
    source: str,
    path: Path | None,
    overrides: list[tuple[str, Any]],
    seed: int,
    steps: int,
) -> dict[str, Any]:
    """Run one point with one seed: the function that each Dask task calls.

    It depends only on its arguments, so a run repeats exactly on any worker.
    A graph file is read again on the worker, from ``path``'s folder.

    NOTE: a scenario held in memory (``path`` None) resolves a relative
    ``graph.path`` against each worker's working folder, which on a remote
    worker may differ from the client's. Give such files as absolute paths.
    The compiled population update is cached per process, so a worker compiles
    once per population shape and reuses it for every later run.

    Returns
    -------
    dict
        ``{"summary": ..., "steps": model table}`` when the run finishes, or
        ``{"error": "Type: message", "traceback": text}`` when it raises.
    """
    from simulation.model import CoordinationModel

    try:
        scenario = build_scenario(data, source=source, path=path, overrides=overrides)
        model = CoordinationModel(scenario, record_agents=False, rng=seed)
        model.run(steps)
        return {"summary": model.summary(), "steps": model.model_table}
    except Exception as error:
        logger.debug("run with seed %d and %s failed: %s", seed, overrides, error)
        return {
            "error": f"{type(error).__name__}: {error}",
            "traceback": traceback.format_exc(),
        }


def flatten_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Flatten a run summary into one row of scalars.

    Per population ``p`` and action ``a``: ``n.<p>``, ``final_share.<p>.<a>``
    and ``divergence_final.<p>``. Step numbers become floats with NaN for
    "never" so that every run file has the same column types; lists are
    dropped.
    """
    row: dict[str, Any] = {}
    for key, value in summary.items():
        if key == "populations":
            for name, values in value.items():
                row[f"n.{name}"] = int(values["n"])
                for action, share in values["final_action_share"].items():
                    row[f"final_share.{name}.{action}"] = float(share)
                row[f"divergence_final.{name}"] = float(values["divergence_final"])
        elif key.endswith("_step"):
            row[key] = np.nan if value is None else float(value)
        elif isinstance(value, bool | int | float | str):
            row[key] = value
    return row


# -- storage ------------------------------------------------------------------


def write_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write a Parquet file through a temporary file and a rename.

    The temporary name starts with a dot, which Parquet dataset readers skip,
    so a reader never sees a half-written file.
    """
    temporary = path.with_name(f".{path.name}.tmp")
    frame.to_parquet(temporary, index=False)
    os.replace(temporary, path)


def read_runs(out: str | Path) -> pd.DataFrame:
    """Read every finished run of a sweep folder, one row per run."""
    folder = Path(out) / RUNS_FOLDER
    files = sorted(folder.glob("run-*.parquet"))
    if not files:
        return pd.DataFrame(columns=["run_id", "status"])
    return pd.concat([pd.read_parquet(file) for file in files], ignore_index=True)


def read_steps(out: str | Path) -> pd.DataFrame:
    """Read the per-step model tables of every finished run of a sweep folder."""
    files = sorted((Path(out) / STEPS_FOLDER).glob("run-*.parquet"))
    if not files:
        return pd.DataFrame(columns=["run_id", "step"])
    return pd.concat([pd.read_parquet(file) for file in files], ignore_index=True)


@dataclass(frozen=True)
class RunTask:
    """One run of a plan: its id, point and seed."""

    run_id: str
    point_index: int
    point: dict[str, Any]
    replicate: int
    seed: int
    steps: int


def plan_tasks(plan: SweepPlan) -> list[RunTask]:
    """List the runs of a plan, points in design order, replicates inside."""
    tasks = []
    for index, (point, steps) in enumerate(zip(plan.points, plan.steps, strict=True)):
        for replicate, seed in enumerate(plan.seeds):
            tasks.append(
                RunTask(
                    run_id=run_id(plan.scenario.data, point, seed),
                    point_index=index,
                    point=point,
                    replicate=replicate,
                    seed=seed,
                    steps=steps,
                )
            )
    return tasks


def record_run(out: Path, task: RunTask, result: Mapping[str, Any]) -> str:
    """Write one run's row (and its model table when it finished); return status."""
    row: dict[str, Any] = {
        "run_id": task.run_id,
        **task.point,
        "seed": task.seed,
        "replicate": task.replicate,
    }
    labels = dict(row)
    if "summary" in result:
        metrics = flatten_summary(result["summary"])
        metrics.pop("seed", None)
        row.update(metrics)
        row["status"] = "ok"
        row["error"] = ""
        steps = result["steps"].copy()
        for key, value in reversed(labels.items()):
            steps.insert(0, key, value)
        write_atomic(steps, out / STEPS_FOLDER / f"run-{task.run_id}.parquet")
    else:
        row["status"] = "failed"
        row["error"] = str(result.get("error", "unknown error"))
    write_atomic(pd.DataFrame([row]), out / RUNS_FOLDER / f"run-{task.run_id}.parquet")
    return row["status"]


# -- execution ----------------------------------------------------------------


def run_sweep(
    scenario: Scenario | str | Path,
    grid: Mapping[str, Sequence[Any]] | None = None,
    design: str | None = None,
    params: Mapping[str, tuple[float, float]] | None = None,
    samples: int | None = None,
    overrides: Overrides = None,
    replicates: int = 1,
    seed: int = 0,
    client: Any = None,
    workers: int | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    progress: bool = True,
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Run a parameter sweep on Dask and write its results.

    Parameters
    ----------
    scenario : a loaded scenario, a shipped name or a path to a ``.toml`` file.
    grid : values per dotted path; every combination is one point.
    design, params, samples : a sampled design instead of a grid (see
        :func:`sample_design`); ``params`` maps a path to ``(low, high)``.
    overrides : dotted paths and values applied to every point.
    replicates : runs per point, with seeds spawned from ``seed`` (see
        :func:`replicate_seeds`); every point uses the same seeds.
    client : a ``dask.distributed.Client`` to submit to. When it is ``None``,
        the sweep connects to ``scheduler`` (an address such as
        ``tcp://127.0.0.1:8786``) if one is given. Otherwise it starts a
        ``LocalCluster`` of ``workers`` single-thread processes on 127.0.0.1
        (default ``os.cpu_count()``) and closes it afterwards.
    out : output folder (default ``runs/<scenario>-sweep``).
    resume : skip the runs already written with status ``"ok"``; runs that
        failed are run again. Without it, a folder that already contains runs is
        rejected. With it, a folder whose ``sweep.json`` records another plan
        is rejected.
    progress : show a progress bar of runs done, failed and time left.

    Returns
    -------
    pandas.DataFrame
        One row per run of this sweep (see :func:`record_run`), in design
        order, with the output folder in ``attrs["out"]`` and the notes of the
        reports (such as metrics left out of the sensitivity analysis because
        they never vary) in ``attrs["notes"]``. ``sweep.json``,
        ``summary.csv``, ``surface.png`` and, for sampled designs,
        ``sensitivity.csv`` are written to ``out``.

    Raises
    ------
    ScenarioError
        When a point is invalid; nothing is submitted then.
    ValueError
        When the design is incomplete, its sample size is below what its
        analyser needs, ``out`` contains runs and ``resume`` is false, or
        ``resume`` is true and ``out`` contains another plan.
    simulation.sweep_folder.SweepLockedError
        When another sweep has locked ``out`` (a ``ValueError``).
    KeyboardInterrupt
        On Ctrl-C, after the cluster is closed; the finished runs stay in
        ``out`` for ``resume``.
    """
    from simulation import sweep_report

    plan = plan_sweep(
        scenario,
        grid=grid,
        design=design,
        params=params,
        samples=samples,
        overrides=overrides,
        replicates=replicates,
        seed=seed,
    )
    out = Path(out) if out is not None else default_out(plan.scenario.name)
    tasks = plan_tasks(plan)
    out.mkdir(parents=True, exist_ok=True)
    with SweepLock(out):
        pending = pending_tasks(out, tasks, resume)
        check_plan(out, plan, resume)
        (out / RUNS_FOLDER).mkdir(exist_ok=True)
        (out / STEPS_FOLDER).mkdir(exist_ok=True)
        unique = list({task.run_id: task for task in pending}.values())
        if unique:
            execute(plan, unique, out, client, scheduler, workers, progress)

        runs = runs_of_tasks(read_runs(out), tasks)
        runs.attrs["out"] = str(out)
        notes = sweep_report.write_reports(plan, runs, out)["notes"]
        runs.attrs["notes"] = notes
    return runs


def default_out(scenario_name: str) -> Path:
    """Return the default output folder of a sweep, ``runs/<scenario>-sweep``."""
    return Path("runs") / f"{scenario_name}-sweep"


def runs_of_tasks(stored: pd.DataFrame, tasks: list[RunTask]) -> pd.DataFrame:
    """Return one row per task, in design order, from the stored runs.

    A design may contain one point twice, as a Saltelli design over one
    parameter does. Both tasks then share one run id and one stored row, and
    each gets that row here with its own ``point`` index.
    """
    order = pd.DataFrame(
        {
            "point": [task.point_index for task in tasks],
            "run_id": [task.run_id for task in tasks],
        }
    )
    return order.merge(stored, on="run_id", how="inner", validate="many_to_one")


def pending_tasks(out: Path, tasks: list[RunTask], resume: bool) -> list[RunTask]:
    """Return the tasks still to run, checking ``out`` against ``resume``."""
    existing = read_runs(out) if (out / RUNS_FOLDER).is_dir() else None
    if existing is None or existing.empty:
        return tasks
    if not resume:
        raise ValueError(
            f"{out}/{RUNS_FOLDER} already contains {len(existing)} runs; pass --resume "
            "to continue that sweep or choose another --out"
        )
    done = set(existing.loc[existing["status"] == "ok", "run_id"])
    pending = [task for task in tasks if task.run_id not in done]
    logger.info(
        "resuming in %s: %d of %d runs done", out, len(tasks) - len(pending), len(tasks)
    )
    return pending


def execute(
    plan: SweepPlan,
    tasks: list[RunTask],
    out: Path,
    client: Any,
    scheduler: str | None,
    workers: int | None,
    progress: bool,
) -> None:
    """Submit one Dask task per run and record each run as it finishes."""
    from dask.distributed import Client, as_completed

    cluster = None
    own_client = client is None
    if client is None:
        if scheduler is not None:
            client = Client(scheduler)
        else:
            cluster = start_local_cluster(workers or os.cpu_count() or 1)
            client = Client(cluster)
    scenario = plan.scenario
    started = time.perf_counter()
    failed = 0
    try:
        futures = {}
        for task in tasks:
            future = client.submit(
                simulate,
                scenario.data,
                scenario.source,
                scenario.path,
                list(task.point.items()),
                task.seed,
                task.steps,
                key=f"run-{task.run_id}",
                pure=False,
            )
            futures[future.key] = (future, task)
        with tqdm(total=len(tasks), unit="run", disable=not progress) as bar:
            for future in as_completed([future for future, _ in futures.values()]):
                task = futures[future.key][1]
                try:
                    result = future.result()
                except Exception as error:
                    logger.error("run %s failed on the cluster: %s", task.run_id, error)
                    result = {"error": f"{type(error).__name__}: {error}"}
                status = record_run(out, task, result)
                if status != "ok":
                    failed += 1
                    logger.warning("run %s failed: %s", task.run_id, result["error"])
                future.release()
                bar.set_postfix(failed=failed, refresh=False)
                bar.update(1)
    finally:
        if own_client:
            client.close()
        if cluster is not None:
            close_local_cluster(cluster)
    elapsed = time.perf_counter() - started
    logger.info("sweep ran %d runs (%d failed) in %.1f s", len(tasks), failed, elapsed)


def start_local_cluster(workers: int) -> Any:
    """Start a ``LocalCluster`` of single-thread worker processes on 127.0.0.1.

    Worker logs are silenced below ERROR. The scheduler serves no dashboard,
    and its plain HTTP endpoints listen on a free port, so a port taken by
    another cluster (8787 by default) does not matter. The workers start with
    SIGINT ignored, a setting that child processes inherit. Ctrl-C in a
    terminal, which signals every process of the foreground group, then
    interrupts only this process, which closes the cluster in order.
    """
    import multiprocessing

    import dask
    from dask.distributed import LocalCluster

    # Workers fork from a server process that has imported the model once, so
    # none of them imports JAX, pymdp and Mesa again; with Dask's default
    # (spawn) a 16-run sweep on two workers took about twice as long.
    multiprocessing.set_forkserver_preload(["simulation.model"])

    def start() -> Any:
        with dask.config.set(
            {"distributed.worker.multiprocessing-method": "forkserver"}
        ):
            return LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
                scheduler_kwargs={"dashboard": False},
                silence_logs=logging.ERROR,
            )

    if threading.current_thread() is not threading.main_thread():
        # Only the main thread may change signal handlers.
        return start()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return start()
    finally:
        signal.signal(signal.SIGINT, previous)


def close_local_cluster(cluster: Any) -> None:
    """Close the workers, waiting for each process to exit, then the cluster.

    ``LocalCluster.close`` gives each worker process 4 s to exit before its
    nanny kills it with a warning, and a worker that has run the model often
    needs longer (dask.distributed 2026.8), so the nannies are closed first
    with :data:`WORKER_CLOSE_TIMEOUT`.
    """

    async def close_workers() -> None:
        nannies = list(cluster.workers.values())
        await asyncio.gather(
            *(nanny.close(timeout=WORKER_CLOSE_TIMEOUT) for nanny in nannies)
        )

    try:
        cluster.sync(close_workers)
    except Exception as error:
        logger.warning("closing the sweep workers failed: %s", error)
    cluster.close()


__all__ = [
    "SweepPlan",
    "default_out",
    "flatten_summary",
    "grid_points",
    "minimum_samples",
    "plan_sweep",
    "read_runs",
    "read_steps",
    "replicate_seeds",
    "run_id",
    "run_sweep",
    "sample_design",
    "simulate",
]
