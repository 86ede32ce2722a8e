"""The points of a sweep: full grids, sampled designs and replicate seeds.

Every point is validated before any run is submitted, and each run gets a
stable id from the scenario data, the point and the seed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from scenarios import Scenario, ScenarioError, build_scenario, load_scenario
from scenarios.errors import Problem

logger = logging.getLogger(__name__)

DESIGNS = ("sobol", "morris", "lhs")
MORRIS_LEVELS = 4
# Harmonics that SALib's RBD-FAST sums (its default ``M``).
RBD_FAST_HARMONICS = 10
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
    overrides : the dotted paths and values applied to every point.
    seed : the seed that the replicate seeds and the sampler start from.
    n_samples : the base sample size ``N`` of a sampled design; ``None`` for a
        grid.
    """

    scenario: Scenario
    design: str
    parameters: tuple[str, ...]
    points: list[dict[str, Any]]
    steps: list[int]
    seeds: list[int]
    problem: dict[str, Any] | None = None
    samples: np.ndarray | None = None
    overrides: tuple[tuple[str, Any], ...] = ()
    seed: int = 0
    n_samples: int | None = None

    @property
    def n_runs(self) -> int:
        return len(self.points) * len(self.seeds)


# -- designs ------------------------------------------------------------------


def minimum_samples(design: str) -> int:
    """Return the smallest base sample size ``N`` that a design's analyser needs.

    - ``lhs`` is analysed with SALib's RBD-FAST, which sums the first
      ``M = 10`` harmonics of a periodogram of the ``N`` outputs. It needs
      ``N // 2 > M`` (below that the sum covers every harmonic, so ``S1`` is
      1.0 for any output, even noise), and its confidence interval applies
      the same estimate to bootstrap halves of ``N // 2`` points, so
      ``N >= 4 * (M + 1) = 44``.
    - ``sobol`` and ``morris`` need ``N >= 2``: Saltelli's confidence
      intervals bootstrap the ``N`` base rows (one row gives a zero width),
      and Morris's ``sigma`` is a standard deviation over ``N`` trajectories
      with one degree of freedom removed.
    """
    if design == "lhs":
        return 4 * (RBD_FAST_HARMONICS + 1)
    return 2


def check_samples(design: str, samples: int) -> None:
    """Reject a base sample size that the design's analyser cannot use.

    Raises
    ------
    ValueError
        When ``samples`` is below :func:`minimum_samples`, or, for ``sobol``,
        not a power of two (the balance of Sobol' points needs one).
    """
    minimum = minimum_samples(design)
    analyser = {
        "lhs": "RBD-FAST",
        "sobol": "Saltelli's estimator",
        "morris": "Morris's method",
    }[design]
    if samples < minimum:
        raise ValueError(
            f"--samples {samples} is too small for --design {design}: "
            f"{analyser} needs at least {minimum}; pass --samples {minimum} or more"
        )
    if design == "sobol" and samples & (samples - 1):
        power = 1 << samples.bit_length()
        raise ValueError(
            f"--samples {samples} for --design sobol is not a power of two, which "
            f"the balance of Sobol' points needs; pass --samples {power // 2} "
            f"or {power}"
        )


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
    samples : the base sample size ``N`` of the design, at least
        :func:`minimum_samples`.
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
    for path, (low, high) in params.items():
        if not low < high:
            raise ValueError(
                f"--param {path}: the range {low}:{high} is empty; write LOW:HIGH "
                "with LOW below HIGH"
            )
    check_samples(design, samples)
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
        When the design is not fully specified, both a grid and a sampled
        design are given, or ``samples`` is below what the design's analyser
        needs (see :func:`check_samples`).
    ScenarioError
        With one line per invalid value, each naming the point that contains it,
        before any run starts.
    """
    override_items = normalise_overrides(overrides)
    if isinstance(scenario, Scenario):
        if override_items:
            scenario = build_scenario(
                scenario.data,
                source=scenario.source,
                path=scenario.path,
                overrides=list(override_items),
            )
    else:
        scenario = load_scenario(scenario, list(override_items))
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
        overrides=override_items,
        seed=seed,
        n_samples=samples if grid is None else None,
    )


def normalise_overrides(overrides: Overrides) -> tuple[tuple[str, Any], ...]:
    """Return overrides as ``(path, value)`` pairs, as given."""
    if not overrides:
        return ()
    items = overrides.items() if isinstance(overrides, Mapping) else overrides
    return tuple((str(path), value) for path, value in items)


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
