"""The generative process: what each agent observes at each step.

Observations at step ``t`` are computed for every agent at once from the
state at the end of step ``t - 1`` (a synchronous update):

- ``intervention`` modalities: the active intervention's observation for the
  agents it reaches, otherwise the ``none`` outcome;
- ``social`` modalities: the share of an agent's neighbours whose last action
  was the watched action, binned into the outcomes (an isolated node
  observes the lowest bin);
- ``environment`` modalities: sampled from the true likelihood at the true
  states (true context, true social state, own last action);
- ``self`` modalities: the agent's own last action.
"""

from __future__ import annotations

import hashlib

import numpy as np
import scipy.sparse as sp

from scenarios import Intervention, Scenario
from simulation.metrics import bin_shares


class World:
    """The environment of one model run.

    Parameters
    ----------
    scenario : the validated scenario.
    adjacency : sparse adjacency, shape ``(n, n)``.
    population_of_node : shape ``(n,)``.
    seed : seeds the draws of who each intervention reaches and of the
        environment's outcomes. They come from separate streams, and each
        intervention's reach from a stream keyed by its name, so that adding,
        removing or moving one intervention changes no other draw of a run
        with the same seed (runs that differ only in interventions are paired).
    """

    def __init__(
        self,
        scenario: Scenario,
        adjacency: sp.csr_array,
        population_of_node: np.ndarray,
        seed: np.random.SeedSequence,
    ):
        self.scenario = scenario
        self.adjacency = adjacency
        self.degree = np.asarray(adjacency.sum(axis=1)).ravel()
        self.population_of_node = population_of_node
        self.n = len(population_of_node)
        outcome_seed, self.reach_seed = seed.spawn(2)
        self.rng = np.random.default_rng(outcome_seed)
        self.node_index = np.arange(self.n)
        self.base_context = scenario.environment.context[population_of_node]
        self.interventions: list[Intervention] = []
        self.reached: list[np.ndarray] = []
        for intervention in scenario.interventions:
            self.add_intervention(intervention)

    def add_intervention(self, intervention: Intervention) -> np.ndarray:
        """Schedule ``intervention`` and draw the agents it reaches.

        Returns the boolean mask of reached agents, shape ``(n,)``.
        """
        candidates = np.flatnonzero(
            np.isin(self.population_of_node, intervention.populations)
        )
        count = round(intervention.share * len(candidates))
        # The first `count` of a permutation keyed by the name: a larger share
        # reaches a superset of the members a smaller share reaches.
        order = self.reach_rng(intervention.name).permutation(candidates)
        chosen = order[:count]
        mask = np.zeros(self.n, dtype=bool)
        mask[chosen] = True
        if intervention.nodes:
            mask[list(intervention.nodes)] = True
        self.interventions.append(intervention)
        self.reached.append(mask)
        return mask

    def reach_rng(self, name: str) -> np.random.Generator:
        """Return the generator that draws who the intervention ``name`` reaches."""
        digest = hashlib.sha256(name.encode("utf-8")).digest()
        key = int.from_bytes(digest[:8], "little")
        seed = np.random.SeedSequence(
            self.reach_seed.entropy, spawn_key=(*self.reach_seed.spawn_key, key)
        )
        return np.random.default_rng(seed)

    def active(self, step: int) -> list[tuple[Intervention, np.ndarray]]:
        """Return the interventions active at ``step`` with their reach masks."""
        return [
            (intervention, mask)
            for intervention, mask in zip(self.interventions, self.reached, strict=True)
            if intervention.active(step)
        ]

    def true_context(self, step: int) -> np.ndarray:
        """Return each agent's true context states, shape ``(n, num_factors)``."""
        context = self.base_context.copy()
        for intervention, mask in self.active(step):
            for factor, state in intervention.context.items():
                context[mask, factor] = state
        return context

    def neighbour_shares(
        self, actions: np.ndarray, factor: int, action: int
    ) -> np.ndarray:
        """Return the share of each agent's neighbours whose last action is ``action``.

        ``actions`` has shape ``(n, num_factors)`` (action index per factor).
        Isolated nodes get 0.
        """
        taking = (actions[:, factor] == action).astype(np.float32)
        counts = self.adjacency @ taking
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = np.where(self.degree > 0, counts / np.maximum(self.degree, 1), 0.0)
        return shares

    def _watched(self, action_name: str) -> tuple[int, int]:
        for index, factor in enumerate(self.scenario.factors):
            if factor.kind == "control" and action_name in factor.actions:
                return index, factor.actions.index(action_name)
        raise KeyError(action_name)  # pragma: no cover - checked on load

    def true_states(
        self,
        step: int,
        actions: np.ndarray,
        shares: dict[tuple[int, int], np.ndarray] | None = None,
    ) -> np.ndarray:
        """Return each agent's true state per factor, shape ``(n, num_factors)``.

        ``shares`` caches :meth:`neighbour_shares` by ``(factor, action)`` for
        the same ``actions``; entries computed here are added to it.
        """
        shares = {} if shares is None else shares
        states = self.true_context(step)
        for index, factor in enumerate(self.scenario.factors):
            if factor.kind == "social":
                watched = self._shares(actions, factor.action, shares)
                states[:, index] = bin_shares(watched, factor.bins)
            elif factor.kind == "control":
                states[:, index] = actions[:, index]
        return states

    def _shares(
        self,
        actions: np.ndarray,
        action_name: str,
        cache: dict[tuple[int, int], np.ndarray],
    ) -> np.ndarray:
        watched = self._watched(action_name)
        if watched not in cache:
            cache[watched] = self.neighbour_shares(actions, *watched)
        return cache[watched]

    def observe(self, step: int, actions: np.ndarray) -> list[np.ndarray]:
        """Return every agent's observations for ``step``.

        ``actions`` contains each agent's last action per factor, shape
        ``(n, num_factors)``. Returns one array per modality of shape
        ``(n, num_outcomes)``, each row a distribution over outcomes.
        """
        shares: dict[tuple[int, int], np.ndarray] = {}
        states = self.true_states(step, actions, shares)
        active = self.active(step)
        observations = []
        for index, modality in enumerate(self.scenario.modalities):
            one_hot = np.zeros((self.n, modality.num_outcomes), dtype=np.float32)
            if modality.kind == "intervention":
                one_hot[:, modality.outcomes.index("none")] = 1.0
                # The intervention that started last wins where several overlap.
                ordered = sorted(
                    (item for item in active if item[0].modality == index),
                    key=lambda item: item[0].start,
                )
                for intervention, mask in ordered:
                    one_hot[mask] = intervention.observation
            elif modality.kind == "social":
                watched = self._shares(actions, modality.action, shares)
                one_hot[self.node_index, bin_shares(watched, modality.bins)] = 1.0
            elif modality.kind == "self":
                one_hot[self.node_index, actions[:, modality.depends_on[0]]] = 1.0
            else:
                probabilities = self._true_probabilities(index, states, active)
                outcomes = self._sample(probabilities)
                one_hot[self.node_index, outcomes] = 1.0
            observations.append(one_hot)
        return observations

    def _true_probabilities(
        self, modality: int, states: np.ndarray, active: list
    ) -> np.ndarray:
        """Return each agent's outcome distribution, shape ``(num_outcomes, n)``.

        Outcomes run along the first axis so that the sums over outcomes in
        :meth:`_sample` read contiguous rows.
        """
        depends = self.scenario.modalities[modality].depends_on
        index = tuple(states[:, f] for f in depends)
        base = self.scenario.environment.A[modality]
        probabilities = base[(slice(None), *index)]
        for intervention, mask in active:
            if modality in intervention.A:
                changed = intervention.A[modality][(slice(None), *index)]
                probabilities = np.where(mask[None, :], changed, probabilities)
        return probabilities

    def _sample(self, probabilities: np.ndarray) -> np.ndarray:
        """Draw one outcome per agent from ``(num_outcomes, n)`` probabilities.

        The running sum over outcomes is taken row by row, the same additions in
        the same order as ``np.cumsum``, which is several times slower over a
        short first axis.
        """
        running = probabilities[0]
        cumulative = [running]
        for row in probabilities[1:]:
            running = running + row
            cumulative.append(running)
        draws = self.rng.random(self.n) * running
        below = np.zeros(self.n, dtype=np.int64)
        for bound in cumulative:
            below += bound <= draws
        return np.minimum(below, len(probabilities) - 1)
