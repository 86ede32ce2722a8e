"""The Mesa model: populations of active-inference agents on a network."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import jax.random as jr
import mesa
import numpy as np
from mesa.discrete_space import Network

from agents import PolicyAgent, Population
from scenarios import Intervention, Scenario, load_scenario
from simulation import metrics
from simulation.environment import World
from simulation.graph import adjacency, build_graph, measured_homophily
from simulation.recorder import Recorder

logger = logging.getLogger(__name__)

RngLike = int | np.integer | np.random.Generator | np.random.SeedSequence | None


def seed_sequence(rng: RngLike) -> np.random.SeedSequence:
    """Return the one seed sequence that every random draw of a run comes from.

    An int gives ``SeedSequence(int)``; a ``numpy.random.Generator`` gives the
    seed sequence it was made from, so ``default_rng(5)`` and ``5`` give the
    same run (draws already taken from the generator do not matter); ``None``
    draws fresh entropy from the operating system.
    """
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        seed_seq = rng.bit_generator.seed_seq
        if not isinstance(seed_seq, np.random.SeedSequence):
            raise TypeError("rng is a Generator without a SeedSequence; pass an int")
        return seed_seq
    if rng is None:
        return np.random.SeedSequence()
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"seed must be a non-negative integer, got {rng}")
        return np.random.SeedSequence(int(rng))
    raise TypeError(f"rng must be an int, a numpy Generator or None, got {rng!r}")


def node_rows(nodes: np.ndarray) -> slice | np.ndarray:
    """Return a slice over sorted, unique ``nodes`` if they form one block.

    Other ``nodes`` come back unchanged. Indexing with the slice gives a view,
    so the populations of a stochastic block graph, which occupy contiguous
    blocks of nodes, step without copying rows.
    """
    if len(nodes) and int(nodes[-1]) - int(nodes[0]) + 1 == len(nodes):
        return slice(int(nodes[0]), int(nodes[-1]) + 1)
    return nodes


class CoordinationModel(mesa.Model):
    """Populations with different generative models acting on one network.

    Parameters
    ----------
    scenario : a :class:`scenarios.Scenario`, or a shipped scenario name or
        path, loaded with :func:`scenarios.load_scenario`.
    record_agents : keep the per-agent table (beliefs and actions of every
        agent at every step); it costs memory proportional to agents x steps.
    rng : an int seed, a ``numpy.random.Generator`` or ``None`` (see
        :func:`seed_sequence`).

    Each :meth:`step` computes every agent's observations from the state at
    the end of the previous step, runs one compiled pymdp update per
    population and records the metrics. Step 0 is the initial state: beliefs
    equal the priors ``D`` and actions the populations' initial actions.
    """

    def __init__(
        self,
        scenario: Scenario | str,
        *,
        record_agents: bool = True,
        rng: RngLike = None,
    ):
        seeds = seed_sequence(rng)
        graph_seed, key_seed, member_seed, world_seed, mesa_seed = seeds.spawn(5)
        super().__init__(rng=np.random.default_rng(mesa_seed))
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        self.scenario = scenario
        self.seed = int(seeds.entropy) if isinstance(seeds.entropy, int) else None
        self.record_agents = record_agents
        logger.info(
            "building %s: %d agents, seed %s",
            scenario.name,
            scenario.n_agents,
            self.seed,
        )

        # Network: built once, no layout until something draws it.
        self.graph, self.population_of_node = build_graph(scenario, graph_seed)
        self.adjacency = adjacency(self.graph)
        self.homophily = measured_homophily(self.graph, self.population_of_node)
        self.network = Network(self.graph, capacity=1, random=self.random, layout=None)
        self._layout: dict[int, np.ndarray] | None = None

        # Populations: one batched pymdp agent each, with its own key and draws.
        root_key = jr.key(int(key_seed.generate_state(1, dtype=np.uint32)[0]))
        population_keys = jr.split(root_key, len(scenario.populations))
        member_seeds = member_seed.spawn(len(scenario.populations))
        self.populations: list[Population] = []
        for index, model in enumerate(scenario.populations):
            nodes = np.flatnonzero(self.population_of_node == index)
            self.populations.append(
                Population(
                    model,
                    scenario.factors,
                    nodes,
                    member_seeds[index],
                    population_keys[index],
                )
            )
        self.groups = [p.nodes for p in self.populations]
        self.rows = [node_rows(p.nodes) for p in self.populations]

        # Mesa agents: one view per node.
        cells = list(self.network.all_cells)
        for population in self.populations:
            for index, node in enumerate(population.nodes):
                PolicyAgent(self, population, index, cells[node])

        # Environment and the actions every observation is computed from.
        self.world = World(
            scenario,
            self.adjacency,
            self.population_of_node,
            world_seed,
        )
        self.actions = np.zeros(
            (scenario.n_agents, len(scenario.factors)), dtype=np.int64
        )
        for population in self.populations:
            self.actions[np.ix_(population.nodes, population.control_factors)] = (
                population.actions
            )

        self.recorder = Recorder(self)
        self.recorder.collect()

    # -- Mesa's scenario attribute ---------------------------------------------

    @property
    def scenario(self) -> Any:
        """The validated scenario this model was built from."""
        return self._modelfirst_scenario

    @scenario.setter
    def scenario(self, value: Any) -> None:
        # mesa.Model.__init__ first stores a parameter container of its own here;
        # the model replaces it with the validated scenario right after.
        self._modelfirst_scenario = value

    # -- stepping ----------------------------------------------------------------

    def step(self) -> None:
        """Advance every agent by one synchronous step and record the metrics."""
        step = self.steps
        observations = self.world.observe(step, self.actions)
        next_actions = self.actions.copy()
        for population, rows in zip(self.populations, self.rows, strict=True):
            result = population.step([o[rows] for o in observations], step)
            population.check_finite(step)
            next_actions[np.ix_(population.nodes, population.control_factors)] = (
                result.actions
            )
        self.actions = next_actions
        self.last_observations = observations
        self.recorder.collect()

    def run(self, steps: int | None = None, progress: bool = False) -> None:
        """Run ``steps`` more steps (the scenario's ``steps`` by default)."""
        steps = self.scenario.steps if steps is None else steps
        iterator = range(steps)
        if progress:
            from tqdm.auto import tqdm

            iterator = tqdm(iterator, desc=self.scenario.name, unit="step")
        for _ in iterator:
            self.step()

    # -- interventions -------------------------------------------------------------

    def apply_intervention(
        self,
        name: str,
        *,
        populations: list[str] | None = None,
        share: float | None = None,
        duration: int | None = None,
    ) -> Intervention:
        """Apply a scenario's intervention from the next step on.

        The intervention keeps its observation and effect; ``populations``,
        ``share`` and ``duration`` (in steps, ``None`` for the rest of the run)
        replace its targets and window. Returns the scheduled copy.
        """
        known = {i.name: i for i in self.scenario.interventions}
        if name not in known:
            raise KeyError(f"no intervention named {name!r}; known: {sorted(known)}")
        names = self.scenario.population_names
        if populations is None:
            targets = known[name].populations
        else:
            unknown = [p for p in populations if p not in names]
            if unknown:
                raise KeyError(f"unknown populations {unknown}; known: {names}")
            targets = tuple(names.index(p) for p in populations)
        start = self.steps + 1
        scheduled = replace(
            known[name],
            start=start,
            stop=None if duration is None else start + duration,
            populations=targets,
            nodes=None,
            share=known[name].share if share is None else share,
        )
        self.world.add_intervention(scheduled)
        logger.info("applied %s from step %d to %s", name, start, targets)
        return scheduled

    # -- views ------------------------------------------------------------------------

    def action_name(self, population: Population, index: int) -> str:
        factor = self.scenario.factors[self.scenario.joint_factor]
        position = population.control_factors.index(self.scenario.joint_factor)
        return factor.actions[population.actions[index, position]]

    def beliefs(self, factor: int) -> np.ndarray:
        """Return every agent's posterior over ``factor``, shape ``(n, num_states)``."""
        num_states = self.scenario.factors[factor].num_states
        out = np.empty((self.scenario.n_agents, num_states), dtype=np.float32)
        for population, rows in zip(self.populations, self.rows, strict=True):
            out[rows] = population.qs[factor]
        return out

    def joint_shares(self) -> np.ndarray:
        """Return each population's share taking the joint action, shape ``(P,)``."""
        taking = (
            self.actions[:, self.scenario.joint_factor] == self.scenario.joint_action
        )
        return np.array([taking[nodes].mean() for nodes in self.groups])

    def layout(self) -> dict[int, np.ndarray]:
        """Return node positions, computed on first use and kept for the run."""
        if self._layout is None:
            import networkx as nx

            seed = int(self.rng.integers(2**31 - 1))
            self._layout = nx.spring_layout(self.graph, seed=seed, iterations=50)
        return self._layout

    @property
    def model_table(self):
        return self.recorder.model_table()

    @property
    def agent_table(self):
        return self.recorder.agent_table()

    def summary(self) -> dict[str, Any]:
        return self.recorder.summary()


__all__ = ["CoordinationModel", "metrics", "seed_sequence"]
