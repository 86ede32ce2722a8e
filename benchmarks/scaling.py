"""Time per step and peak memory against the number of agents.

Each size runs in a fresh Python process (``python -m benchmarks.scaling N
STEPS``), so its peak resident set size (``VmHWM`` in ``/proc/self/status``)
belongs to that size alone and its compile time is not hidden by a cache
that an earlier size filled.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time

from benchmarks.common import Spread, scaled_scenario

logger = logging.getLogger(__name__)


def peak_rss_bytes() -> int:
    """Return this process's peak resident set size in bytes.

    Reads ``VmHWM`` from ``/proc/self/status`` and falls back to
    ``resource.getrusage`` (kilobytes on Linux) where that file is missing.
    """
    try:
        with open("/proc/self/status", encoding="utf-8") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure_size(n_agents: int, steps: int, seed: int = 0) -> dict[str, object]:
    """Build and run one model without the per-agent table, in this process.

    The first step is timed on its own: it includes compiling the update for
    each population's batch size. The remaining ``steps - 1`` steps give the
    time per step. Returns seconds and bytes.
    """
    if steps < 2:
        raise ValueError(f"steps={steps}: need at least 2 (one to compile)")
    from simulation import CoordinationModel

    baseline = peak_rss_bytes()
    scenario = scaled_scenario(n_agents)
    start = time.perf_counter()
    model = CoordinationModel(scenario, record_agents=False, rng=seed)
    build_s = time.perf_counter() - start

    start = time.perf_counter()
    model.step()
    first_step_s = time.perf_counter() - start

    step_times = []
    for _ in range(steps - 1):
        start = time.perf_counter()
        model.step()
        step_times.append(time.perf_counter() - start)
    step = Spread.of(step_times)
    return {
        "n_agents": n_agents,
        "steps": steps,
        "build_s": build_s,
        "first_step_s": first_step_s,
        "compile_s": max(first_step_s - step.median, 0.0),
        "step_s": step.as_dict(),
        "peak_rss_bytes": peak_rss_bytes(),
        "import_rss_bytes": baseline,
    }


def measure_scaling(
    sizes: list[int], steps: int, seed: int = 0, timeout_s: float = 3600
) -> list[dict[str, object]]:
    """Run :func:`measure_size` for each size in its own subprocess.

    Raises ``RuntimeError`` with the worker's error output when a worker
    fails.
    """
    results = []
    environment = dict(os.environ)
    environment.setdefault("JAX_PLATFORMS", "cpu")
    for n_agents in sizes:
        logger.info("scaling: %d agents, %d steps", n_agents, steps)
        command = [
            sys.executable,
            "-m",
            "benchmarks.scaling",
            str(n_agents),
            str(steps),
            str(seed),
        ]
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=environment,
            timeout=timeout_s,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"scaling worker for {n_agents} agents failed with exit code "
                f"{completed.returncode}:\n{completed.stderr[-4000:]}"
            )
        result = json.loads(completed.stdout.strip().splitlines()[-1])
        result["step_s"] = Spread(**result["step_s"])
        results.append(result)
    return results


def main(argv: list[str]) -> None:
    """Measure one size and print the result as one JSON line."""
    if len(argv) not in (2, 3):
        raise SystemExit("usage: python -m benchmarks.scaling N_AGENTS STEPS [SEED]")
    n_agents, steps = int(argv[0]), int(argv[1])
    seed = int(argv[2]) if len(argv) == 3 else 0
    print(json.dumps(measure_size(n_agents, steps, seed)))


if __name__ == "__main__":
    main(sys.argv[1:])
