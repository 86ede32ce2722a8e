"""The cost of the full model step over the bare batched pymdp kernel.

The kernel is the compiled :func:`agents.population.update`, called once per
population on the same agents, priors and keys as the model, with one fixed
set of observations: inference, planning, action sampling and the empirical
prior, and nothing else. The model step adds the observations from the
environment, the conversion of results to numpy, the metrics and the data
collection. Their ratio is the overhead of everything around pymdp.
"""

from __future__ import annotations

import logging
import time

import jax
import jax.numpy as jnp

from benchmarks.common import Spread, scaled_scenario
from simulation import CoordinationModel

logger = logging.getLogger(__name__)


def kernel_inputs(model: CoordinationModel) -> list[tuple]:
    """Return ``(agent, observations, prior, keys)`` for each population.

    The observations are what the model's environment produces for its next
    step, converted once to the ``(size, 1, num_outcomes)`` float32 arrays
    that the compiled update takes.
    """
    step = model.steps
    observations = model.world.observe(step, model.actions)
    inputs = []
    for population in model.populations:
        rows = [
            jnp.asarray(o[population.nodes][:, None, :], dtype=jnp.float32)
            for o in observations
        ]
        keys = population.step_keys(step)
        inputs.append((population.agent, rows, population.prior, keys))
    return inputs


def time_kernel_step(inputs: list[tuple]) -> float:
    """Return the seconds of one bare kernel step.

    One step is one compiled update per population, each waited on until its
    results exist.
    """
    from agents.population import update

    start = time.perf_counter()
    for arguments in inputs:
        jax.block_until_ready(update(*arguments))
    return time.perf_counter() - start


def time_model_step(model: CoordinationModel) -> float:
    """Return the seconds of one model step."""
    start = time.perf_counter()
    model.step()
    return time.perf_counter() - start


def measure_kernel_ratio(
    n_agents: int, *, steps: int = 10, repeats: int = 5, seed: int = 0
) -> dict[str, object]:
    """Measure the model step against the kernel step at ``n_agents`` agents.

    Both models (with and without the per-agent table) and the kernel take
    turns step by step, ``steps`` steps each per repeat, so a slow moment of
    the machine falls on all three. Each repeat gives one ratio, the model's
    mean step over the kernel's mean step in that repeat. Returns per-step
    seconds and the two ratios, each as a :class:`Spread` over the repeats,
    plus the one-off build and first-step (compile) seconds.
    """
    scenario = scaled_scenario(n_agents)

    start = time.perf_counter()
    full = CoordinationModel(scenario, record_agents=True, rng=seed)
    build_s = time.perf_counter() - start
    lean = CoordinationModel(scenario, record_agents=False, rng=seed)

    start = time.perf_counter()
    full.step()
    first_step_s = time.perf_counter() - start
    lean.step()

    inputs = kernel_inputs(lean)

    timers = {
        "kernel": lambda: time_kernel_step(inputs),
        "full": lambda: time_model_step(full),
        "lean": lambda: time_model_step(lean),
    }
    names = list(timers)
    time_kernel_step(inputs)
    totals: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(repeats):
        spent = dict.fromkeys(names, 0.0)
        for step in range(steps):
            # The three sides take turns step by step, and the order rotates,
            # so a burst of load from other processes, or a cache warmed by the
            # side before, falls on all of them alike.
            for offset in range(len(names)):
                name = names[(step + repeat + offset) % len(names)]
                spent[name] += timers[name]()
        for name in names:
            totals[name].append(spent[name] / steps)
        logger.info(
            "kernel ratio repeat %d: model %.4f s, lean %.4f s, kernel %.4f s",
            repeat,
            totals["full"][-1],
            totals["lean"][-1],
            totals["kernel"][-1],
        )
    model_full, model_lean, kernel = totals["full"], totals["lean"], totals["kernel"]

    return {
        "n_agents": n_agents,
        "population_sizes": {p.name: p.size for p in scenario.populations},
        "steps": steps,
        "repeats": repeats,
        "build_s": build_s,
        "first_step_s": first_step_s,
        "model_step_s": Spread.of(model_full),
        "lean_step_s": Spread.of(model_lean),
        "kernel_step_s": Spread.of(kernel),
        "ratio": Spread.of([m / k for m, k in zip(model_full, kernel, strict=True)]),
        "lean_ratio": Spread.of(
            [m / k for m, k in zip(model_lean, kernel, strict=True)]
        ),
    }
