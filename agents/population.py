"""A population type as one batched pymdp agent.

Every member of a population shares the population's generative model and
is one row of a pymdp 1.x :class:`pymdp.agent.Agent` with
``batch_size = size``. One compiled call per step infers states, infers
policies, samples actions and advances the empirical prior for all members.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import random as jr
from pymdp.agent import Agent

from agents.generative_model import Factor, GenerativeModel

logger = logging.getLogger(__name__)


@dataclass
class StepResult:
    """Numpy arrays produced by one population update.

    Attributes
    ----------
    qs : one array per factor, shape ``(size, num_states)``.
    q_pi : shape ``(size, num_policies)``.
    neg_efe : negative expected free energy, shape ``(size, num_policies)``,
        in nats.
    actions : shape ``(size, num_control_factors)``, action indices.
    """

    qs: list[np.ndarray]
    q_pi: np.ndarray
    neg_efe: np.ndarray
    actions: np.ndarray


def build_agent(
    model: GenerativeModel,
    factors: tuple[Factor, ...],
    size: int,
    D: list[np.ndarray] | None = None,
    gamma: np.ndarray | None = None,
) -> Agent:
    """Build the batched pymdp agent for ``size`` members of ``model``.

    ``A``, ``B`` and ``C`` are shared by the members (a leading axis of 1 that
    pymdp broadcasts); ``D`` and ``gamma`` may differ per member, with shapes
    ``(size, num_states)`` and ``(size,)``.
    """
    if D is None:
        D = [np.broadcast_to(d, (size, d.size)) for d in model.D]
    if gamma is None:
        gamma = np.full(size, model.gamma)
    return Agent(
        A=[jnp.asarray(a[None], dtype=jnp.float32) for a in model.A],
        B=[jnp.asarray(b[None], dtype=jnp.float32) for b in model.B],
        C=[jnp.asarray(c[None], dtype=jnp.float32) for c in model.C],
        D=[jnp.asarray(d, dtype=jnp.float32) for d in D],
        A_dependencies=[list(deps) for deps in model.A_dependencies],
        B_dependencies=[[f] for f in range(len(factors))],
        batch_size=size,
        gamma=jnp.asarray(gamma, dtype=jnp.float32),
        alpha=model.alpha,
        policy_len=model.policy_len,
        num_iter=model.num_iter,
        inference_algo=model.inference_algo,
        action_selection=model.action_selection,
        sampling_mode=model.sampling_mode,
        categorical_obs=True,
    )


def _sample(agent: Agent, q_pi: jax.Array, keys: jax.Array) -> jax.Array:
    """Choose each member's actions from its policy posterior.

    ``keys`` is a typed key array of shape ``(size, num_factors)``: one key
    per member and per factor, so no two members or control factors share a
    random draw.
    Returns action indices of shape ``(size, num_factors)`` (uncontrolled
    factors get action 0).
    """
    policies = agent.policies.policy_arr  # (num_policies, policy_len, num_factors)
    alpha = agent.alpha[:, None]
    if agent.sampling_mode == "full":
        logits = alpha * jnp.log(jnp.clip(q_pi, 1e-16))
        if agent.action_selection == "deterministic":
            chosen = jnp.argmax(q_pi, axis=-1)
        else:
            chosen = jax.vmap(jr.categorical)(keys[:, 0], logits)
        return policies[chosen, 0]
    actions = []
    for f, num_controls in enumerate(agent.num_controls):
        first_actions = policies[:, 0, f]
        one_hot = jax.nn.one_hot(first_actions, num_controls)  # (P, U)
        marginal = q_pi @ one_hot  # (size, U)
        if agent.action_selection == "deterministic" or num_controls == 1:
            actions.append(jnp.argmax(marginal, axis=-1))
        else:
            logits = alpha * jnp.log(jnp.clip(marginal, 1e-16))
            actions.append(jax.vmap(jr.categorical)(keys[:, f], logits))
    return jnp.stack(actions, axis=-1)


@eqx.filter_jit
def update(agent: Agent, observations, prior, keys):
    """Run one compiled active-inference step for every member.

    Parameters
    ----------
    observations : one array per modality, shape ``(size, 1, num_outcomes)``,
        each row a distribution over outcomes.
    prior : one array per factor, shape ``(size, num_states)``.
    keys : typed key array, shape ``(size, num_factors)``.

    Returns
    -------
    qs, q_pi, neg_efe, actions, next_prior
    """
    qs = agent.infer_states(observations, prior)
    q_pi, neg_efe = agent.infer_policies(qs)
    actions = _sample(agent, q_pi, keys)
    next_prior = agent.update_empirical_prior(actions, qs)
    qs_now = [q[:, -1] for q in qs]
    return qs_now, q_pi, neg_efe, actions, next_prior


@partial(jax.jit, static_argnames=("size", "num_factors"))
def _step_keys(key: jax.Array, step: int, size: int, num_factors: int) -> jax.Array:
    # Compiled because the three eager key operations took longer than the
    # update itself at 1,000 members. The keys equal the eager ones bit for bit.
    keys = jr.split(jr.fold_in(key, step), size * num_factors)
    return keys.reshape(size, num_factors)


class Population:
    """All members of one population type, stepped together.

    Parameters
    ----------
    model : the population's generative model.
    factors : the scenario's factors (shared by every population).
    nodes : network node of each member, shape ``(size,)``.
    seed : seeds the heterogeneity draws.
    key : the population's JAX key; a step's keys derive from it and the step.
    """

    def __init__(
        self,
        model: GenerativeModel,
        factors: tuple[Factor, ...],
        nodes: np.ndarray,
        seed: np.random.SeedSequence,
        key: jax.Array,
    ):
        self.model = model
        self.name = model.name
        self.factors = factors
        self.nodes = np.asarray(nodes, dtype=np.int64)
        self.size = len(self.nodes)
        self.control_factors = [i for i, f in enumerate(factors) if f.kind == "control"]
        self.key = key
        rng = np.random.default_rng(seed)
        self.D = self._member_priors(rng)
        self.gamma = self._member_precisions(rng)
        self.agent = build_agent(model, factors, self.size, self.D, self.gamma)
        self.prior = list(self.agent.D)
        self.qs: list[np.ndarray] = [np.array(d, dtype=np.float32) for d in self.D]
        self.q_pi: np.ndarray | None = None
        self.neg_efe: np.ndarray | None = None
        self.actions = np.tile(
            np.asarray(model.initial_action, dtype=np.int64), (self.size, 1)
        )

    def _member_priors(self, rng: np.random.Generator) -> list[np.ndarray]:
        priors = []
        concentration = self.model.D_concentration
        for factor, d in zip(self.factors, self.model.D, strict=True):
            if concentration is None or factor.kind == "control" or d.size == 1:
                priors.append(np.broadcast_to(d, (self.size, d.size)).copy())
                continue
            # A Dirichlet centred on D; states D rules out stay ruled out.
            support = d > 0
            draws = np.zeros((self.size, d.size))
            draws[:, support] = rng.dirichlet(concentration * d[support], self.size)
            draws = np.clip(draws, 1e-12, None) * support
            priors.append(draws / draws.sum(axis=1, keepdims=True))
        return priors

    def _member_precisions(self, rng: np.random.Generator) -> np.ndarray:
        cv = self.model.gamma_cv
        if cv <= 0:
            return np.full(self.size, self.model.gamma)
        # Log-normal with mean gamma and coefficient of variation cv.
        sigma = np.sqrt(np.log1p(cv**2))
        mu = np.log(self.model.gamma) - sigma**2 / 2
        return rng.lognormal(mu, sigma, self.size)

    def step_keys(self, step: int) -> jax.Array:
        """Return one key per member and factor for ``step``."""
        return _step_keys(self.key, step, self.size, len(self.factors))

    def step(self, observations: list[np.ndarray], step: int) -> StepResult:
        """Update every member from one observation per modality.

        ``observations`` contains one array per modality, shape
        ``(size, num_outcomes)``, each row a distribution over outcomes.
        """
        # Numpy arrays go straight into the compiled call, which converts them
        # itself. A jnp.asarray per modality added about 1 ms per step at
        # 10,000 agents on a 2-core machine.
        obs = [np.asarray(o, dtype=np.float32)[:, None, :] for o in observations]
        qs, q_pi, neg_efe, actions, next_prior = update(
            self.agent, obs, self.prior, self.step_keys(step)
        )
        self.prior = list(next_prior)
        self.qs = [np.asarray(q) for q in qs]
        self.q_pi = np.asarray(q_pi)
        self.neg_efe = np.asarray(neg_efe)
        self.actions = np.asarray(actions)[:, self.control_factors].astype(np.int64)
        return StepResult(self.qs, self.q_pi, self.neg_efe, self.actions)

    def check_finite(self, step: int) -> None:
        """Raise if any belief or policy posterior is NaN or infinite."""
        arrays = [*self.qs] + ([self.q_pi] if self.q_pi is not None else [])
        for array in arrays:
            if not np.all(np.isfinite(array)):
                raise FloatingPointError(
                    f"population {self.name!r}: non-finite belief at step {step}; "
                    "check for likelihoods that rule out every state and for extreme "
                    "precision values"
                )
