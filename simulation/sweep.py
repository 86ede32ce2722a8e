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

import hashlib
import itertools
import json
import logging
import os
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from scenarios import Scenario, ScenarioError, build_scenario, load_scenario
from scenarios.errors import Problem

logger = logging.getLogger(__name__)

DESIGNS = ("sobol", "morris", "lhs")
MORRIS_LEVELS = 4
RUNS_FOLDER = "runs"
STEPS_FOLDER = "steps"

Overrides = Mapping[str, Any] | Iterable[tuple[str, Any]] | None


@dataclass(frozen=True)
class SweepPlan:
    """The runs of a sweep, fixed before anything is submitted.

    Attributes
    ----------
    scenario : the base scenario, with every ``overrides`` value applied.
    design : ``"grid"``, ``"sobol"``, ``"morris"`` or ``"lhs"``.
    parameters : the dotted paths that vary, in design order.
    points : one mapping from path to value per point, in design order.
    steps : the number of steps of each point's scenario.
    seeds : the replicate seeds, the same for every point.
    problem : the SALib problem (``names``, ``bounds``) of a sampled design.
    samples : the SALib sample matrix, shape ``(n_points, n_parameters)``,
        before integer fields are rounded; ``None`` for a grid.
    """

    scenario: Scenario
    design: str
    parameters: tuple[str, ...]
    points: list[dict[str, Any]]
    steps: list[int]
    seeds: list[int]
    problem: dict[str, Any] | None = None
    samples: np.ndarray | None = None

    @property
    def n_runs(self) -> int:
        return len(self.points) * len(self.seeds)


# -- designs ------------------------------------------------------------------


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """Spawn one integer seed per replicate from ``seed``.

    Child ``i`` of ``numpy.random.SeedSequence(seed).spawn(replicates)`` is
    reduced to the first 32-bit word of its state,
    ``int(child.generate_state(1)[0])``, so each replicate seed is a plain int
    in ``[0, 2**32)`` that ``CoordinationModel(rng=...)`` accepts and that a
    reader can pass to ``modelfirst run --seed`` to repeat one run.
    """
    if replicates < 1:
        raise ValueError(f"replicates must be at least 1, got {replicates}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    children = np.random.SeedSequence(seed).spawn(replicates)
    return [int(child.generate_state(1)[0]) for child in children]


def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Return the full factorial grid, the last path varying fastest."""
    for path, values in grid.items():
        if len(values) == 0:
            raise ValueError(f"--grid {path}: no values; write {path}=V1,V2,...")
    paths = list(grid)
    return [
        dict(zip(paths, combination, strict=True))
        for combination in itertools.product(*(grid[path] for path in paths))
    ]


def current_value(data: Mapping[str, Any], path: str) -> Any:
    """Return the value at a dotted path of the scenario tables, or ``None``."""
    node: Any = data
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def sample_design(
    data: Mapping[str, Any],
    design: str,
    params: Mapping[str, tuple[float, float]],
    samples: int,
    seed: int,
) -> tuple[list[dict[str, Any]], dict[str, Any], np.ndarray]:
    """Draw a SALib design over parameter ranges.

    Parameters
    ----------
    data : the scenario tables; a path whose current value is an int (and not
        a bool) is rounded to the nearest int, so that fields such as
        ``interventions.campaign.start`` stay ints.
    design : ``"sobol"`` (Saltelli's scheme on a scrambled Sobol' sequence,
        first and total order only: ``samples * (D + 2)`` points), ``"morris"``
        (``samples`` trajectories on 4 levels: ``samples * (D + 1)`` points) or
        ``"lhs"`` (``samples`` Latin hypercube points).
    params : ``(low, high)`` per dotted path.
    samples : the base sample size ``N`` of the design.
    seed : seed of the sampler.

    Returns
    -------
    points, problem, matrix
        One mapping per point, the SALib problem and the sample matrix of
        shape ``(n_points, D)`` before rounding.
    """
    from SALib.sample import latin, morris, sobol

    if design not in DESIGNS:
        raise ValueError(f"unknown design {design!r}; use one of {', '.join(DESIGNS)}")
    if not params:
        raise ValueError(f"design {design!r} needs at least one --param PATH=LOW:HIGH")
    if samples < 1:
        raise ValueError(f"--samples must be at least 1, got {samples}")
    for path, (low, high) in params.items():
        if not low < high:
            raise ValueError(
                f"--param {path}: the range {low}:{high} is empty; write LOW:HIGH "
                "with LOW below HIGH"
            )
    names = list(params)
    problem = {
        "num_vars": len(names),
        "names": names,
        "bounds": [[float(low), float(high)] for low, high in params.values()],
    }
    if design == "sobol":
        matrix = sobol.sample(problem, samples, calc_second_order=False, seed=seed)
    elif design == "morris":
        matrix = morris.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=seed)
    else:
        matrix = latin.sample(problem, samples, seed=seed)

    integer = [
        isinstance(current_value(data, path), int)
        and not isinstance(current_value(data, path), bool)
        for path in names
    ]
    points = []
    for row in matrix:
        point = {}
        for path, value, is_int in zip(names, row, integer, strict=True):
            point[path] = round(float(value)) if is_int else float(value)
        points.append(point)
    return points, problem, np.asarray(matrix, dtype=float)


def plan_sweep(
    scenario: Scenario | str | Path,
    *,
    grid: Mapping[str, Sequence[Any]] | None = None,
    design: str | None = None,
    params: Mapping[str, tuple[float, float]] | None = None,
    samples: int | None = None,
    overrides: Overrides = None,
    replicates: int = 1,
    seed: int = 0,
) -> SweepPlan:
    """Build the points and seeds of a sweep and validate every point.

    Raises
    ------
    ValueError
        When the design is not fully specified or both a grid and a sampled
        design are given.
    ScenarioError
        With one line per invalid value, each naming the point that contains it,
        before any run starts.
    """
    if isinstance(scenario, Scenario):
        if overrides:
            scenario = build_scenario(
                scenario.data,
                source=scenario.source,
                path=scenario.path,
                overrides=overrides,
            )
    else:
        scenario = load_scenario(scenario, overrides)
    if (grid is None) == (design is None):
        raise ValueError("give either a grid or a design (sobol, morris or lhs)")

    problem = matrix = None
    if grid is not None:
        points = grid_points(grid)
        parameters = tuple(grid)
        design_name = "grid"
    else:
        if samples is None:
            raise ValueError(f"design {design!r} needs --samples N")
        points, problem, matrix = sample_design(
            scenario.data, design, params or {}, samples, seed
        )
        parameters = tuple(problem["names"])
        design_name = design
    seeds = replicate_seeds(seed, replicates)
    steps = validate_points(scenario, points)
    logger.info(
        "sweep of %s: %d points x %d replicates, design %s",
        scenario.name,
        len(points),
        len(seeds),
        design_name,
    )
    return SweepPlan(
        scenario=scenario,
        design=design_name,
        parameters=parameters,
        points=points,
        steps=steps,
        seeds=seeds,
        problem=problem,
        samples=matrix,
    )


def validate_points(
    scenario: Scenario, points: Sequence[Mapping[str, Any]]
) -> list[int]:
    """Build every point's scenario and return its number of steps.

    Raises
    ------
    ScenarioError
        With every problem of every point, each line naming its point.
    """
    problems: list[Problem] = []
    seen: set[str] = set()
    steps = []
    for point in points:
        try:
            built = build_scenario(
                scenario.data,
                source=scenario.source,
                path=scenario.path,
                overrides=list(point.items()),
            )
            steps.append(built.steps)
        except ScenarioError as error:
            where = ", ".join(f"{path}={value!r}" for path, value in point.items())
            for problem in error.problems:
                line = f"{problem.path}: {problem.message}"
                if line not in seen:
                    seen.add(line)
                    problems.append(
                        Problem(
                            problem.path, f"{problem.message} (sweep point {where})"
                        )
                    )
    if problems:
        raise ScenarioError(scenario.source, problems)
    return steps


def run_id(data: Mapping[str, Any], point: Mapping[str, Any], seed: int) -> str:
    """Return a stable 16-hex-digit id of one run.

    The id is a SHA-256 hash of the scenario tables (after ``--set``
    overrides), the point and the seed, written as canonical JSON, so the same
    command gives the same ids and a changed scenario gives new ones.
    """
    text = json.dumps(
        {"scenario": data, "point": dict(point), "seed": int(seed)},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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
        failed are run again. Without it, a folder that already holds runs is
        rejected.
    progress : show a progress bar of runs done, failed and time left.

    Returns
    -------
    pandas.DataFrame
        One row per run of this sweep (see :func:`record_run`), in design
        order, with the output folder in ``attrs["out"]``. ``summary.csv``,
        ``surface.png`` and, for sampled designs, ``sensitivity.csv`` are
        written to ``out``.

    Raises
    ------
    ScenarioError
        When a point is invalid; nothing is submitted then.
    ValueError
        When the design is incomplete or ``out`` holds runs and ``resume`` is
        false.
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
    out = Path(out) if out is not None else Path("runs") / f"{plan.scenario.name}-sweep"
    tasks = plan_tasks(plan)
    pending = pending_tasks(out, tasks, resume)
    (out / RUNS_FOLDER).mkdir(parents=True, exist_ok=True)
    (out / STEPS_FOLDER).mkdir(parents=True, exist_ok=True)
    unique = list({task.run_id: task for task in pending}.values())
    if unique:
        execute(plan, unique, out, client, scheduler, workers, progress)

    runs = runs_of_tasks(read_runs(out), tasks)
    runs.attrs["out"] = str(out)
    sweep_report.write_reports(plan, runs, out)
    return runs


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
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    own_client = client is None
    if client is None:
        if scheduler is not None:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
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
            cluster.close()
    elapsed = time.perf_counter() - started
    logger.info("sweep ran %d runs (%d failed) in %.1f s", len(tasks), failed, elapsed)


__all__ = [
    "SweepPlan",
    "flatten_summary",
    "grid_points",
    "plan_sweep",
    "read_runs",
    "read_steps",
    "replicate_seeds",
    "run_id",
    "run_sweep",
    "sample_design",
    "simulate",
]
