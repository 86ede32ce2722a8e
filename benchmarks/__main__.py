"""Run the benchmarks and write ``docs/benchmarks.md``.

Usage: ``python -m benchmarks [--quick] [--out PATH] [--seed S] [--label TEXT]
[--before JSON]``. The results also go to ``<stem>.json`` next to the page, and
``--before`` takes such a file from an earlier run to add a before-and-after
table. The last two lines printed are ``kernel_ratio X`` and ``naive_speedup Y``.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger("benchmarks")

APP_STEP_FILE = Path("test-artifacts/app_step_ms.txt")


@dataclass(frozen=True)
class Plan:
    """Sizes and repeat counts of one benchmark run."""

    kernel_agents: int
    kernel_steps: int
    kernel_repeats: int
    naive_agents: int
    naive_steps: int
    naive_model_steps: int
    scaling_sizes: tuple[int, ...]
    scaling_steps: int
    sweep_starts: tuple[int, ...] | None
    sweep_replicates: int
    sweep_steps: int


FULL = Plan(
    kernel_agents=10_000,
    kernel_steps=10,
    kernel_repeats=15,
    naive_agents=1_000,
    naive_steps=5,
    naive_model_steps=20,
    scaling_sizes=(100, 1_000, 10_000, 100_000),
    scaling_steps=100,
    sweep_starts=(5, 10),
    sweep_replicates=8,
    sweep_steps=80,
)

QUICK = Plan(
    kernel_agents=10_000,
    kernel_steps=5,
    kernel_repeats=7,
    naive_agents=1_000,
    naive_steps=2,
    naive_model_steps=10,
    scaling_sizes=(100, 1_000, 10_000),
    scaling_steps=10,
    sweep_starts=None,
    sweep_replicates=1,
    sweep_steps=20,
)


def read_app_step(path: Path = APP_STEP_FILE) -> dict[str, object]:
    """Read the browser test's milliseconds per app step at 500 agents."""
    if not path.is_file():
        return {"measured": False, "reason": f"{path} not found (run the browser test)"}
    text = path.read_text(encoding="utf-8")
    match = re.search(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", text)
    if match is None:
        return {"measured": False, "reason": f"{path} contains no number"}
    return {"measured": True, "ms": float(match.group()), "path": str(path)}


def measure_sweep(plan: Plan, seed: int) -> dict[str, object]:
    """Measure sweep throughput, or return the reason it was not measured."""
    from benchmarks.throughput import measure_sweep_throughput, sweep_module_available

    if plan.sweep_starts is None:
        return {
            "measured": False,
            "reason": "skipped by `--quick`, because starting workers and "
            "compiling in each takes minutes; run `python -m benchmarks`",
        }
    if not sweep_module_available():
        return {"measured": False, "reason": "sweep module missing"}
    result = measure_sweep_throughput(
        list(plan.sweep_starts), plan.sweep_replicates, plan.sweep_steps, seed=seed
    )
    return {"measured": True, **result}


def run(
    plan: Plan, command: str, seed: int = 0, label: str = "working tree"
) -> dict[str, object]:
    """Run every measurement of ``plan`` and return the results."""
    from benchmarks.common import machine
    from benchmarks.kernel import measure_kernel_ratio
    from benchmarks.naive import measure_naive_speedup
    from benchmarks.scaling import measure_scaling

    started = time.perf_counter()
    results: dict[str, object] = {
        "command": command,
        "label": label,
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
    }
    logger.info("kernel ratio at %d agents", plan.kernel_agents)
    results["kernel"] = measure_kernel_ratio(
        plan.kernel_agents,
        steps=plan.kernel_steps,
        repeats=plan.kernel_repeats,
        seed=seed,
    )
    logger.info("naive speed-up at %d agents", plan.naive_agents)
    results["naive"] = measure_naive_speedup(
        plan.naive_agents,
        naive_steps=plan.naive_steps,
        model_steps=plan.naive_model_steps,
        seed=seed,
    )
    logger.info("scaling over %s agents", plan.scaling_sizes)
    results["scaling"] = measure_scaling(
        list(plan.scaling_sizes), plan.scaling_steps, seed=seed
    )
    logger.info("sweep throughput")
    results["sweep"] = measure_sweep(plan, seed)
    results["app"] = read_app_step()
    results["elapsed_s"] = time.perf_counter() - started
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer sizes, steps and repeats and no sweep, to finish in minutes",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("docs/benchmarks.md"),
        help="Markdown file to write. The plot goes next to it as "
        "<stem>-scaling.png (default: docs/benchmarks.md)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of every model")
    parser.add_argument(
        "--label",
        default="working tree",
        help="name of the code being measured, shown in before-and-after tables",
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="results JSON of an earlier run to compare with (default: none)",
    )
    arguments = parser.parse_args(argv)

    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s"
    )
    logging.getLogger("benchmarks").setLevel(logging.INFO)

    from benchmarks.report import read_results, write_report, write_results

    before = None
    if arguments.before is not None:
        before = read_results(arguments.before)
    command = "python -m benchmarks" + (" --quick" if arguments.quick else "")
    plan = QUICK if arguments.quick else FULL
    results = run(plan, command, arguments.seed, arguments.label)
    data = write_results(results, arguments.out.with_suffix(".json"))
    plot = write_report(results, arguments.out, before)
    print(f"wrote {arguments.out}, {plot} and {data}")
    print(f"kernel_ratio {results['kernel']['ratio'].median:.3f}")
    print(f"naive_speedup {results['naive']['speedup'].median:.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
