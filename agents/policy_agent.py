"""The Mesa agent: a view on one member of a population."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa.discrete_space import FixedAgent

if TYPE_CHECKING:
    from agents.population import Population


class PolicyAgent(FixedAgent):
    """One person on the network.

    The agent stores only its population and its row in the population's
    arrays; beliefs and actions are read from those arrays on access, so the
    batched update never has to copy anything into Mesa agents.
    """

    def __init__(self, model, population: Population, index: int, cell):
        super().__init__(model)
        self.population = population
        self.index = index
        self.cell = cell

    @property
    def node(self) -> int:
        return int(self.population.nodes[self.index])

    @property
    def population_name(self) -> str:
        return self.population.name

    @property
    def qs(self) -> list[np.ndarray]:
        """Posterior over each factor's states, one array per factor."""
        return [q[self.index] for q in self.population.qs]

    @property
    def action(self) -> str:
        """Name of the last action on the joint-action factor."""
        return self.model.action_name(self.population, self.index)

    def belief(self, factor: str) -> dict[str, float]:
        """Return the posterior over ``factor`` as ``{state: probability}``."""
        index = [f.name for f in self.population.factors].index(factor)
        states = self.population.factors[index].states
        values = self.population.qs[index][self.index]
        return {state: float(v) for state, v in zip(states, values, strict=True)}

    def __repr__(self) -> str:
        return f"PolicyAgent(node={self.node}, population={self.population_name!r})"
