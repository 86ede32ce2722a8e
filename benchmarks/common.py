"""Helpers shared by the benchmarks: scaled scenarios, statistics, machine facts."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata

import numpy as np

from scenarios import Scenario, load_scenario

SCENARIO = "ai-infrastructure"


def population_sizes(base: Sequence[int], n_agents: int) -> list[int]:
    """Scale ``base`` population sizes to add up to ``n_agents``.

    The proportions of ``base`` are kept; the rounding remainder goes to the
    populations with the largest fractional parts, so the sizes always sum to
    ``n_agents`` exactly. Raises ``ValueError`` when ``n_agents`` is smaller
    than the number of populations.
    """
    if n_agents < len(base):
        raise ValueError(
            f"n_agents={n_agents} is fewer than the {len(base)} populations; "
            f"ask for at least {len(base)} agents"
        )
    exact = np.asarray(base, dtype=float) * n_agents / sum(base)
    sizes = np.maximum(np.floor(exact).astype(int), 1)
    remainder = n_agents - int(sizes.sum())
    order = np.argsort(-(exact - np.floor(exact)), kind="stable")
    for index in range(abs(remainder)):
        sizes[order[index % len(sizes)]] += 1 if remainder > 0 else -1
    return [int(s) for s in sizes]


def scaled_scenario(n_agents: int, name: str = SCENARIO) -> Scenario:
    """Load ``name`` with its population sizes scaled to ``n_agents`` in total."""
    base = load_scenario(name)
    sizes = population_sizes([p.size for p in base.populations], n_agents)
    overrides = {
        f"populations.{p.name}.size": size
        for p, size in zip(base.populations, sizes, strict=True)
    }
    return load_scenario(name, overrides)


@dataclass(frozen=True)
class Spread:
    """The median of repeated measurements with their minimum and maximum."""

    median: float
    low: float
    high: float
    count: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        """Summarise ``values``; raises ``ValueError`` when there are none."""
        if len(values) == 0:
            raise ValueError("no measurements to summarise")
        return cls(
            float(statistics.median(values)),
            float(min(values)),
            float(max(values)),
            len(values),
        )

    def format(self, scale: float = 1.0, digits: int = 3) -> str:
        """Write ``median (low-high, n=count)`` with values multiplied by ``scale``."""
        return (
            f"{self.median * scale:.{digits}g} "
            f"({self.low * scale:.{digits}g}–{self.high * scale:.{digits}g}, "
            f"n={self.count})"
        )

    def as_dict(self) -> dict[str, float | int]:
        return {
            "median": self.median,
            "low": self.low,
            "high": self.high,
            "count": self.count,
        }


def seconds(call: Callable[[], object]) -> float:
    """Return the wall-clock time of one ``call()`` in seconds."""
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def cpu_model() -> str:
    """Return the CPU model name from ``/proc/cpuinfo``, or the platform's guess."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_total_gib() -> float | None:
    """Return the machine's total memory in GiB from ``/proc/meminfo``."""
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return None


def machine() -> dict[str, object]:
    """Describe the machine and the versions that the numbers depend on."""
    versions = {"python": platform.python_version()}
    for label, distribution in [
        ("jax", "jax"),
        ("jaxlib", "jaxlib"),
        ("pymdp", "inferactively-pymdp"),
        ("mesa", "mesa"),
        ("numpy", "numpy"),
        ("networkx", "networkx"),
    ]:
        try:
            versions[label] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            versions[label] = "not installed"
    import jax

    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "memory_gib": memory_total_gib(),
        "platform": platform.platform(),
        "jax_backend": jax.default_backend(),
        "versions": versions,
    }
