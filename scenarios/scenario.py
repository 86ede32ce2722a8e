"""The validated scenario that the model is built from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from agents.generative_model import Factor, GenerativeModel, Modality
from scenarios.schema import ScenarioFile


@dataclass(frozen=True, eq=False)
class Intervention:
    """A compiled intervention.

    Attributes
    ----------
    start, stop : active at steps ``start <= t < stop`` (``stop`` may be
        ``None`` for the rest of the run).
    populations : indices of the targeted populations.
    nodes : explicit node ids, or ``None``.
    share : share of targeted members reached, drawn once per run.
    modality : index of the intervention modality it is observed on.
    observation : distribution over that modality's outcomes, shape
        ``(num_outcomes,)``, or ``None`` for a purely structural intervention.
    context : ``{factor index: true state index}`` set while active.
    A : ``{modality index: true likelihood}`` replacing the environment's
        while active.
    """

    name: str
    start: int
    stop: int | None
    populations: tuple[int, ...]
    nodes: tuple[int, ...] | None
    share: float
    modality: int | None
    observation: np.ndarray | None
    context: dict[int, int]
    A: dict[int, np.ndarray]
    description: str = ""

    def active(self, step: int) -> bool:
        return self.start <= step and (self.stop is None or step < self.stop)

    @property
    def structural(self) -> bool:
        return bool(self.context or self.A)


@dataclass(frozen=True, eq=False)
class Environment:
    """The generative process.

    Attributes
    ----------
    context : shape ``(num_populations, num_factors)``, the true state index
        of each context factor for the members of each population (``-1`` for
        factors that are not context factors).
    A : ``{modality index: true likelihood}`` for environment modalities,
        shaped like the populations' ``A``.
    """

    context: np.ndarray
    A: dict[int, np.ndarray]


@dataclass(frozen=True, eq=False)
class Scenario:
    """A scenario that passed every check and can be simulated.

    ``data`` contains the tables as read (after overrides), so the scenario can
    be re-validated with more overrides (see :func:`scenarios.load_scenario`).
    """

    name: str
    description: str
    steps: int
    source: str
    path: Path | None
    data: dict[str, Any]
    spec: ScenarioFile
    factors: tuple[Factor, ...]
    modalities: tuple[Modality, ...]
    populations: tuple[GenerativeModel, ...]
    environment: Environment
    interventions: tuple[Intervention, ...]
    joint_factor: int
    joint_action: int
    joint_threshold: float
    joint_sustain: int
    convergence_factors: tuple[int, ...]
    convergence_tolerance: float
    convergence_sustain: int
    graph_file: nx.Graph | None = None

    @property
    def n_agents(self) -> int:
        return sum(p.size for p in self.populations)

    @property
    def population_names(self) -> list[str]:
        return [p.name for p in self.populations]

    @property
    def context_factors(self) -> list[int]:
        return [i for i, f in enumerate(self.factors) if f.kind == "context"]

    @property
    def control_factors(self) -> list[int]:
        return [i for i, f in enumerate(self.factors) if f.kind == "control"]

    @property
    def joint_action_name(self) -> str:
        return self.factors[self.joint_factor].actions[self.joint_action]

    def factor_index(self, name: str) -> int:
        return [f.name for f in self.factors].index(name)

    def modality_index(self, name: str) -> int:
        return [m.name for m in self.modalities].index(name)

    def population(self, name: str) -> GenerativeModel:
        for population in self.populations:
            if population.name == name:
                return population
        raise KeyError(f"no population named {name!r}; known: {self.population_names}")
