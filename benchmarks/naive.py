"""The naive design: one pymdp agent per Mesa agent, stepped in a Python loop.

This is how a first implementation usually looks: every Mesa agent owns a
pymdp :class:`~pymdp.agent.Agent` with ``batch_size=1`` and calls
``infer_states``, ``infer_policies``, ``sample_action`` and
``update_empirical_prior`` in turn. Each of the four calls is compiled once
with ``equinox.filter_jit`` and the compiled function is reused by every
agent, which is what a user who has read the JAX documentation would do.
The generative models, member priors, precisions, network and environment
are those of the batched model, so only the stepping differs.
"""

from __future__ import annotations

import logging
import time

import equinox as eqx
import jax.numpy as jnp
import jax.random as jr
import mesa
import numpy as np

from agents.population import build_agent
from benchmarks.common import Spread, scaled_scenario
from simulation import CoordinationModel
from simulation.environment import World

logger = logging.getLogger(__name__)


@eqx.filter_jit
def infer_states(agent, observations, prior):
    return agent.infer_states(observations, prior)


@eqx.filter_jit
def infer_policies(agent, qs):
    return agent.infer_policies(qs)


@eqx.filter_jit
def sample_action(agent, q_pi, key):
    return agent.sample_action(q_pi, rng_key=key)


@eqx.filter_jit
def update_empirical_prior(agent, action, qs):
    return agent.update_empirical_prior(action, qs)


class NaiveAgent(mesa.Agent):
    """A Mesa agent that owns a single-member pymdp agent."""

    def __init__(self, model: NaiveModel, node: int, pymdp_agent, key):
        super().__init__(model)
        self.node = node
        self.pymdp_agent = pymdp_agent
        self.prior = list(pymdp_agent.D)
        self.key = key
        self.qs = None

    def act(self, observations: list[np.ndarray], next_actions: np.ndarray) -> None:
        """Update this agent from its row of ``observations``."""
        rows = [jnp.asarray(o[self.node][None, None, :]) for o in observations]
        self.key, key = jr.split(self.key)
        qs = infer_states(self.pymdp_agent, rows, self.prior)
        q_pi, _ = infer_policies(self.pymdp_agent, qs)
        action = sample_action(self.pymdp_agent, q_pi, key[None])
        self.prior = update_empirical_prior(self.pymdp_agent, action, qs)
        self.qs = qs
        next_actions[self.node] = np.asarray(action)[0]


class NaiveModel(mesa.Model):
    """The batched model's populations, one pymdp agent per node.

    Parameters
    ----------
    reference : a built :class:`CoordinationModel`; its scenario, network,
        member priors ``D`` and precisions ``gamma`` are reused.
    seed : seeds the environment and the agents' JAX keys.
    """

    def __init__(self, reference: CoordinationModel, seed: int = 0):
        super().__init__(rng=np.random.default_rng(seed))
        scenario = reference.scenario
        self.world = World(
            scenario,
            reference.adjacency,
            reference.population_of_node,
            np.random.SeedSequence(seed),
        )
        self.actions = reference.actions.copy()
        root = jr.key(seed)
        for population in reference.populations:
            # One Agent per member. Copying a template with the member's D
            # and gamma gives the same pytree as calling Agent(...) per member.
            # It skips pymdp's validation, which took about 80 ms per call on
            # the 2-core machine in docs/benchmarks.md.
            template = build_agent(population.model, scenario.factors, 1)
            for index, node in enumerate(population.nodes):
                D = [
                    jnp.asarray(d[index][None], dtype=jnp.float32) for d in population.D
                ]
                gamma = jnp.asarray([population.gamma[index]], dtype=jnp.float32)
                member = eqx.tree_at(lambda a: (a.D, a.gamma), template, (D, gamma))
                NaiveAgent(self, int(node), member, jr.fold_in(root, int(node)))

    def step(self) -> None:
        """Step every agent in turn on observations of the previous state."""
        observations = self.world.observe(self.steps, self.actions)
        next_actions = self.actions.copy()
        for agent in self.agents:
            agent.act(observations, next_actions)
        self.actions = next_actions


def measure_naive_speedup(
    n_agents: int, *, naive_steps: int = 5, model_steps: int = 20, seed: int = 0
) -> dict[str, object]:
    """Compare seconds per agent-step of the naive design and of the model.

    Each repeat times one naive step and then ``model_steps`` steps of the
    full model (with the per-agent table), so both sides of each ratio come
    from the same minutes. Returns the per-agent-step seconds and the
    speed-up as :class:`Spread` values over ``naive_steps`` repeats.
    """
    scenario = scaled_scenario(n_agents)
    model = CoordinationModel(scenario, record_agents=True, rng=seed)
    model.step()

    start = time.perf_counter()
    naive = NaiveModel(model, seed)
    naive_build_s = time.perf_counter() - start
    start = time.perf_counter()
    naive.step()
    naive_first_step_s = time.perf_counter() - start

    naive_times, model_times = [], []
    for repeat in range(naive_steps):
        start = time.perf_counter()
        naive.step()
        naive_times.append((time.perf_counter() - start) / n_agents)
        start = time.perf_counter()
        for _ in range(model_steps):
            model.step()
        model_times.append((time.perf_counter() - start) / model_steps / n_agents)
        logger.info(
            "naive repeat %d: naive %.3g s, model %.3g s per agent-step",
            repeat,
            naive_times[-1],
            model_times[-1],
        )

    return {
        "n_agents": n_agents,
        "naive_steps": naive_steps,
        "model_steps": model_steps,
        "naive_build_s": naive_build_s,
        "naive_first_step_s": naive_first_step_s,
        "naive_agent_step_s": Spread.of(naive_times),
        "model_agent_step_s": Spread.of(model_times),
        "speedup": Spread.of(
            [n / m for n, m in zip(naive_times, model_times, strict=True)]
        ),
    }
