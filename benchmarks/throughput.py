"""Runs per minute of a parameter sweep: modelfirst's sweep against Mesa's.

Both sides run the same runs: the same scenario, one grid of intervention
start steps crossed with the same replicate seeds, on two local worker
processes, each run to the scenario's step count without the per-agent
table. The wall-clock time includes starting the workers, because a user
waits for that too. Each worker compiles the population update once and
reuses it for its later runs on both sides.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

from benchmarks.common import SCENARIO
from scenarios import load_scenario
from simulation import CoordinationModel

logger = logging.getLogger(__name__)

GRID_PATH = "interventions.awareness_campaign.start"


class BatchRunModel(CoordinationModel):
    """The model as Mesa's ``batch_run`` builds it: keyword parameters only.

    Parameters
    ----------
    start : step at which the awareness campaign starts.
    steps : the scenario's run length, in steps.
    rng : the run's seed.
    """

    def __init__(self, start: int = 5, steps: int = 80, rng: int | None = None):
        overrides = {GRID_PATH: start, "scenario.steps": steps}
        super().__init__(
            load_scenario(SCENARIO, overrides), record_agents=False, rng=rng
        )

    @property
    def datacollector(self):
        """Mesa's collector of the model table, where ``batch_run`` reads it."""
        return self.recorder.collector


def sweep_module_available() -> bool:
    """Return whether ``simulation.sweep.run_sweep`` can be imported."""
    try:
        from simulation.sweep import run_sweep  # noqa: F401
    except ImportError:
        return False
    return True


def measure_sweep_throughput(
    starts: list[int], replicates: int, steps: int, workers: int = 2, seed: int = 0
) -> dict[str, object]:
    """Time the same runs with ``run_sweep`` and with ``mesa.batch_run``.

    Returns the run count, the wall-clock seconds of each side and their
    runs per minute.
    """
    import mesa

    from simulation.sweep import replicate_seeds, run_sweep

    runs = len(starts) * replicates
    with tempfile.TemporaryDirectory(prefix="modelfirst-bench-") as folder:
        start = time.perf_counter()
        table = run_sweep(
            SCENARIO,
            grid={GRID_PATH: starts},
            overrides={"scenario.steps": steps},
            replicates=replicates,
            seed=seed,
            workers=workers,
            out=Path(folder) / "sweep",
            progress=False,
        )
        sweep_s = time.perf_counter() - start
    if len(table) != runs:
        raise RuntimeError(f"sweep returned {len(table)} runs, expected {runs}")

    start = time.perf_counter()
    results = mesa.batch_run(
        BatchRunModel,
        parameters={"start": starts, "steps": steps},
        number_processes=workers,
        rng=replicate_seeds(seed, replicates),
        max_steps=steps,
        data_collection_period=-1,
        display_progress=False,
    )
    batch_run_s = time.perf_counter() - start
    if len(results) != runs:
        raise RuntimeError(f"batch_run returned {len(results)} runs, expected {runs}")

    logger.info(
        "sweep %.1f s, batch_run %.1f s for %d runs", sweep_s, batch_run_s, runs
    )
    return {
        "runs": runs,
        "steps": steps,
        "workers": workers,
        "starts": starts,
        "replicates": replicates,
        "sweep_s": sweep_s,
        "batch_run_s": batch_run_s,
        "sweep_runs_per_min": runs / sweep_s * 60,
        "batch_run_runs_per_min": runs / batch_run_s * 60,
    }
