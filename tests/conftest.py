"""Shared fixtures: strict JAX on the CPU and small scenarios.

JAX reads ``JAX_PLATFORMS`` when it is first imported, so it is set here,
before any test module imports the model. Rank promotion raises, so a
broadcast between arrays of different rank fails instead of silently
producing the wrong shape.
"""

from __future__ import annotations

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("MPLBACKEND", "Agg")

import jax
import pytest

from scenarios import Scenario, load_scenario, shipped_scenarios

jax.config.update("jax_numpy_rank_promotion", "raise")

# Sizes shared by the model tests, so that pymdp's compiled step is built once
# per population size and reused by every test in the session.
SMALL_SIZE = 12
SMALL_TWO_CAMPS = {
    "populations.hopeful.size": SMALL_SIZE,
    "populations.sceptical.size": SMALL_SIZE,
    "scenario.steps": 6,
    "graph.mean_degree": 4,
}

# Small sizes for every shipped scenario, used by the command-line tests.
SMALL_OVERRIDES = {
    "ai-infrastructure": {
        "populations.daily_users.size": 10,
        "populations.non_users.size": 10,
        "populations.host_communities.size": 10,
        "graph.mean_degree": 4,
    },
    "baseline-consensus": {
        "populations.north.size": 8,
        "populations.south.size": 8,
    },
    "two-camps": {
        "populations.hopeful.size": SMALL_SIZE,
        "populations.sceptical.size": SMALL_SIZE,
        "graph.mean_degree": 4,
    },
}


def small_scenario(name: str = "two-camps", **overrides: object) -> Scenario:
    """Load a shipped scenario at its small test size, with extra overrides."""
    values = dict(SMALL_TWO_CAMPS if name == "two-camps" else SMALL_OVERRIDES[name])
    values.update(overrides)
    return load_scenario(name, values)


@pytest.fixture
def load_small():
    """Return :func:`small_scenario`, the loader of small shipped scenarios."""
    return small_scenario


@pytest.fixture(scope="session")
def small_overrides() -> dict[str, dict[str, object]]:
    """Return the small-size overrides of every shipped scenario, by name."""
    return {name: dict(values) for name, values in SMALL_OVERRIDES.items()}


@pytest.fixture
def two_camps() -> Scenario:
    """Two-camps with 12 members per camp, mean degree 4 and 6 steps."""
    return small_scenario("two-camps")


@pytest.fixture
def two_camps_text() -> str:
    """The shipped two-camps scenario file as text, to edit into variants."""
    return shipped_scenarios()["two-camps"].read_text()


@pytest.fixture
def write_scenario(tmp_path):
    """Return a function that writes scenario text to a ``.toml`` file.

    ``write_scenario(text, replace={old: new}, name="scenario.toml")`` applies
    each replacement (each ``old`` must occur in ``text``) and returns the
    path of the written file inside the test's temporary folder.
    """

    def write(
        text: str, replace: dict[str, str] | None = None, name: str = "scenario.toml"
    ):
        for old, new in (replace or {}).items():
            if old not in text:
                raise KeyError(f"{old!r} does not occur in the scenario text")
            text = text.replace(old, new)
        path = tmp_path / name
        path.write_text(text)
        return path

    return write
