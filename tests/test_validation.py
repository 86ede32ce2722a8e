"""Validation of the batched inference against pymdp's numpy reference and by hand.

The project's path is :func:`agents.build_agent` plus the compiled
:func:`agents.population.update` (pymdp 1.x, JAX, float32, a batch of
members). The reference is :class:`pymdp.legacy.agent.Agent` (numpy,
float64, one agent at a time). Both run fixed-point iteration (FPI) for the
state posterior from a uniform start for the same number of iterations, so
they agree up to float32 rounding.

Tolerances, from the largest differences measured on the shipped scenarios
(2 policy lengths, 4 steps, 3 members each):

- ``qs`` and ``q_pi``: measured at most 8e-7 and 3e-7; checked to 1e-5
  absolute, about 80 float32 steps (eps 1.2e-7) of headroom.
- ``neg_efe``: measured at most 5e-6 nats on values of a few nats; checked to
  1e-4 nats, because it sums about a hundred float32 products per policy.
"""

from __future__ import annotations

import dataclasses
import math

import jax.numpy as jnp
import numpy as np
import pytest
from jax import random as jr
from pymdp.legacy import utils as legacy_utils
from pymdp.legacy.agent import Agent as LegacyAgent

from agents import build_agent
from agents.generative_model import Factor, GenerativeModel
from agents.population import update
from scenarios import load_scenario, shipped_scenarios
from simulation import CoordinationModel

STATE_ATOL = 1e-5
POLICY_ATOL = 1e-5
EFE_ATOL = 1e-4
# Actions are compared only where the best choice wins by more than this
# margin; closer calls may flip on float32 rounding, and the reference breaks
# exact ties at random.
ACTION_MARGIN = 1e-4
MEMBERS = 3
STEPS = 4


def object_array(arrays) -> np.ndarray:
    """Pack arrays into the numpy object array the legacy API expects."""
    packed = legacy_utils.obj_array(len(arrays))
    for index, array in enumerate(arrays):
        packed[index] = np.asarray(array, dtype=np.float64)
    return packed


def legacy_agent(model: GenerativeModel, D, gamma: float) -> LegacyAgent:
    """Build the numpy reference agent for one member of ``model``."""
    agent = LegacyAgent(
        A=object_array(model.A),
        B=object_array(model.B),
        C=object_array(model.C),
        D=object_array(D),
        A_factor_list=[list(deps) for deps in model.A_dependencies],
        gamma=gamma,
        alpha=model.alpha,
        policy_len=model.policy_len,
        action_selection="deterministic",
        sampling_mode=model.sampling_mode,
    )
    # The legacy constructor replaces any inference_params argument with its
    # defaults (pymdp 1.0.4), which stop FPI early once the free energy changes
    # by less than 1e-3. Run exactly num_iter iterations, as pymdp 1.x does.
    agent.inference_params = {
        "num_iter": model.num_iter,
        "dF": 1.0,
        "dF_tol": 0.0,
        "compute_vfe": False,
    }
    return agent


def member_priors(model, factors, rng) -> list[np.ndarray]:
    """Draw a different prior per member for every factor the agent cannot set."""
    priors = []
    for factor, d in zip(factors, model.D, strict=True):
        if factor.kind == "control" or d.size == 1:
            priors.append(np.tile(d, (MEMBERS, 1)))
        else:
            priors.append(rng.dirichlet(np.full(d.size, 2.0), MEMBERS))
    return priors


def random_observations(scenario, rng) -> list[np.ndarray]:
    """Draw one one-hot observation per member and modality.

    Soft observations are left to :func:`test_soft_observation_uses_expected_log`
    because the two implementations read them differently.
    """
    observations = []
    for modality in scenario.modalities:
        picks = rng.integers(modality.num_outcomes, size=MEMBERS)
        observations.append(np.eye(modality.num_outcomes)[picks])
    return observations


def population_cases():
    cases = []
    for name in shipped_scenarios():
        scenario = load_scenario(name)
        for model in scenario.populations:
            # Two-step policies only for the smallest scenario, to keep the
            # number of compiled shapes (each a few seconds) low.
            for policy_len in (1, 2) if name == "two-camps" else (1,):
                cases.append(
                    pytest.param(
                        name,
                        model.name,
                        policy_len,
                        id=f"{name}-{model.name}-T{policy_len}",
                    )
                )
    return cases


@pytest.mark.parametrize(
    ("scenario_name", "population", "policy_len"), population_cases()
)
def test_batched_update_matches_legacy(scenario_name, population, policy_len):
    scenario = load_scenario(scenario_name)
    model = dataclasses.replace(
        scenario.population(population),
        policy_len=policy_len,
        action_selection="deterministic",
    )
    rng = np.random.default_rng(7)
    D = member_priors(model, scenario.factors, rng)
    gamma = np.array([0.5, model.gamma, 16.0])
    agent = build_agent(model, scenario.factors, MEMBERS, D=D, gamma=gamma)
    references = [
        legacy_agent(model, [d[i] for d in D], gamma[i]) for i in range(MEMBERS)
    ]

    # pymdp's expected utility uses C as written; the reference first turns C
    # into log-probabilities, C - logsumexp(C), which lowers every policy's
    # neg_efe by policy_len * sum over modalities of logsumexp(C_m).
    utility_shift = policy_len * sum(float(np.log(np.exp(c).sum())) for c in model.C)

    assert np.array_equal(
        np.asarray(agent.policies.policy_arr), np.array(references[0].policies)
    )
    prior = list(agent.D)
    compared_actions = 0
    for step in range(STEPS):
        observations = random_observations(scenario, rng)
        keys = jr.split(jr.key(step), MEMBERS * len(scenario.factors))
        qs, q_pi, neg_efe, actions, next_prior = update(
            agent,
            [jnp.asarray(o[:, None, :], dtype=jnp.float32) for o in observations],
            prior,
            keys.reshape(MEMBERS, len(scenario.factors)),
        )
        prior = list(next_prior)
        for i, reference in enumerate(references):
            reference_qs = reference.infer_states(
                object_array([o[i] for o in observations]), distr_obs=True
            )
            reference_q_pi, reference_neg_efe = reference.infer_policies()
            reference.sample_action()
            for f, q in enumerate(reference_qs):
                np.testing.assert_allclose(np.asarray(qs[f][i]), q, atol=STATE_ATOL)
            np.testing.assert_allclose(
                np.asarray(q_pi[i]), reference_q_pi, atol=POLICY_ATOL
            )
            np.testing.assert_allclose(
                np.asarray(neg_efe[i]) - utility_shift,
                reference_neg_efe,
                atol=EFE_ATOL,
            )
            top_two = np.sort(reference_q_pi)[-2:]
            if top_two[1] - top_two[0] > ACTION_MARGIN:
                assert np.array_equal(
                    np.asarray(actions[i]), reference.action.astype(np.int64)
                )
                compared_actions += 1
            # Both continue from the project's action, so a near tie cannot
            # send the two down different paths.
            reference.action = np.asarray(actions[i], dtype=np.float64)
    assert compared_actions > 0


# -- hand-worked models --------------------------------------------------------

WORLD = Factor("world", "context", ("good", "bad"))
STANCE = Factor("stance", "control", ("wait", "act"), actions=("wait", "act"))
CHOOSE = np.zeros((2, 2, 2))
CHOOSE[0, :, 0] = 1.0  # action wait puts the stance in state wait from any state
CHOOSE[1, :, 1] = 1.0


def hand_model(A, A_dependencies, B_world, C, D_world, gamma=1.0) -> GenerativeModel:
    return GenerativeModel(
        name="hand",
        size=1,
        A=[np.asarray(a, dtype=float) for a in A],
        B=[np.asarray(B_world, dtype=float)[:, :, None], CHOOSE],
        C=[np.asarray(c, dtype=float) for c in C],
        D=[np.asarray(D_world, dtype=float), np.array([1.0, 0.0])],
        gamma=gamma,
        alpha=16.0,
        policy_len=1,
        num_iter=8,
        inference_algo="fpi",
        action_selection="deterministic",
        sampling_mode="full",
        initial_action=(0,),
        A_dependencies=[list(d) for d in A_dependencies],
    )


def run_update(model, observations, prior=None):
    agent = build_agent(model, (WORLD, STANCE), 1)
    keys = jr.split(jr.key(0), 2).reshape(1, 2)
    obs = [
        jnp.asarray(np.asarray(o)[None, None, :], dtype=jnp.float32)
        for o in observations
    ]
    return agent, update(agent, obs, list(agent.D) if prior is None else prior, keys)


# A sensor of the world: P(o = ping | good) = 0.8, P(o = ping | bad) = 0.3.
SENSOR = [[0.8, 0.3], [0.2, 0.7]]
PING = [1.0, 0.0]
QUIET = [0.0, 1.0]


def test_one_step_posterior_is_exact_bayes():
    model = hand_model(
        A=[SENSOR],
        A_dependencies=[[0]],
        B_world=np.eye(2),
        C=[[0.0, 0.0]],
        D_world=[0.5, 0.5],
    )
    _, (qs, _, _, _, _) = run_update(model, [PING])

    # P(good | ping) = 0.8 * 0.5 / (0.8 * 0.5 + 0.3 * 0.5) = 0.4 / 0.55 = 0.727273
    np.testing.assert_allclose(np.asarray(qs[0][0]), [0.727273, 0.272727], atol=1e-5)


def test_soft_observation_uses_expected_log():
    model = hand_model(
        A=[SENSOR],
        A_dependencies=[[0]],
        B_world=np.eye(2),
        C=[[0.0, 0.0]],
        D_world=[0.5, 0.5],
    )
    _, (qs, _, _, _, _) = run_update(model, [[0.5, 0.5]])

    # pymdp 1.x scores a distribution p over outcomes by sum_o p(o) ln A(o | s):
    #   good: 0.5 * ln 0.8 + 0.5 * ln 0.2 = 0.5 * (-0.223144 - 1.609438) = -0.916291
    #   bad:  0.5 * ln 0.3 + 0.5 * ln 0.7 = 0.5 * (-1.203973 - 0.356675) = -0.780324
    #   q(good) = 1 / (1 + exp(0.135967)) = 1 / 2.145644 = 0.466061
    # (pymdp.legacy would use ln sum_o p(o) A(o | s) = ln 0.5 for both, so 0.5.)
    np.testing.assert_allclose(np.asarray(qs[0][0]), [0.466061, 0.533939], atol=1e-5)


def test_sequence_propagates_prior_through_transitions():
    # From good the world stays good with 0.9; from bad it turns good with 0.2.
    B_world = [[0.9, 0.2], [0.1, 0.8]]
    model = hand_model(
        A=[SENSOR],
        A_dependencies=[[0]],
        B_world=B_world,
        C=[[0.0, 0.0]],
        D_world=[0.5, 0.5],
    )
    agent, (_, _, _, _, next_prior) = run_update(model, [PING])
    # Step 1, as above: q1 = [0.727273, 0.272727].
    # Prior of step 2 is B q1:
    #   good: 0.9 * 0.727273 + 0.2 * 0.272727 = 0.654545 + 0.054545 = 0.709091
    #   bad:  0.1 * 0.727273 + 0.8 * 0.272727 = 0.072727 + 0.218182 = 0.290909
    np.testing.assert_allclose(
        np.asarray(next_prior[0][0]), [0.709091, 0.290909], atol=1e-5
    )

    keys = jr.split(jr.key(1), 2).reshape(1, 2)
    quiet = [jnp.asarray(np.asarray(QUIET)[None, None, :], dtype=jnp.float32)]
    qs2, _, _, _, _ = update(agent, quiet, list(next_prior), keys)
    # Step 2 observes quiet: P(quiet | good) = 0.2, P(quiet | bad) = 0.7.
    #   good: 0.2 * 0.709091 = 0.141818;  bad: 0.7 * 0.290909 = 0.203636
    #   sum 0.345455, so q2 = [0.410526, 0.589474]
    np.testing.assert_allclose(np.asarray(qs2[0][0]), [0.410526, 0.589474], atol=1e-5)


def test_expected_free_energy_by_hand():
    # One outcome, win or lose, that depends on the world and the stance.
    # Waiting reveals nothing: P(win | w, wait) = 0.5 for both worlds.
    # Acting reveals the world: P(win | good, act) = 0.9, P(win | bad, act) = 0.2.
    A = np.zeros((2, 2, 2))
    A[:, :, 0] = 0.5
    A[:, 0, 1] = [0.9, 0.1]
    A[:, 1, 1] = [0.2, 0.8]
    model = hand_model(
        A=[A],
        A_dependencies=[[0, 1]],
        B_world=np.eye(2),
        C=[[1.0, 0.0]],
        D_world=[0.5, 0.5],
        gamma=2.0,
    )
    agent = build_agent(model, (WORLD, STANCE), 1)
    qs = [jnp.asarray([[[0.5, 0.5]]]), jnp.asarray([[[1.0, 0.0]]])]
    q_pi, neg_efe = agent.infer_policies(qs)

    # Policy wait: qo = [0.5, 0.5].
    #   pragmatic = qo . C = 0.5 * 1 + 0.5 * 0 = 0.5
    #   epistemic = H[qo] - E_q[H[A]] = ln 2 - ln 2 = 0
    #   neg_efe = 0.5
    # Policy act: qo = 0.5 * [0.9, 0.1] + 0.5 * [0.2, 0.8] = [0.55, 0.45].
    #   pragmatic = 0.55
    #   H[qo] = 0.55 * 0.597837 + 0.45 * 0.798508 = 0.328810 + 0.359329 = 0.688139
    #   H[0.9, 0.1] = 0.9 * 0.105361 + 0.1 * 2.302585 = 0.325083
    #   H[0.2, 0.8] = 0.2 * 1.609438 + 0.8 * 0.223144 = 0.500402
    #   E_q[H[A]] = 0.5 * (0.325083 + 0.500402) = 0.412743
    #   epistemic = 0.688139 - 0.412743 = 0.275396
    #   neg_efe = 0.55 + 0.275396 = 0.825396
    np.testing.assert_allclose(np.asarray(neg_efe[0]), [0.5, 0.825396], atol=1e-5)

    # q_pi = softmax(gamma * neg_efe) with gamma = 2: the gap is
    # 2 * 0.325396 = 0.650792, so q(act) = 1 / (1 + exp(-0.650792)) = 0.657188.
    np.testing.assert_allclose(np.asarray(q_pi[0]), [0.342812, 0.657188], atol=1e-5)


# -- numerical safety at scale ---------------------------------------------------

# Nearly deterministic likelihoods: each column still sums to 1 within 1e-6.
SHARP_NEWS = {
    "works": {"none": 0.999998, "campaign": 1e-6, "scandal": 1e-6},
    "rigged": {"none": 1e-6, "campaign": 1e-6, "scandal": 0.999998},
}


@pytest.mark.slow
def test_ten_thousand_agents_stay_finite():
    scenario = load_scenario(
        "two-camps",
        {
            "populations.hopeful.size": 5000,
            "populations.sceptical.size": 5000,
            "populations.hopeful.gamma": 1e4,
            "populations.sceptical.gamma": 1e-3,
            "populations.hopeful.A.news": SHARP_NEWS,
            "populations.sceptical.A.news": SHARP_NEWS,
            "populations.hopeful.heterogeneity.gamma_cv": 2.0,
            "graph.mean_degree": 6,
            "scenario.steps": 200,
        },
    )
    model = CoordinationModel(scenario, record_agents=False, rng=3)
    model.run()

    table = model.model_table
    assert len(table) == 201
    numbers = table.select_dtypes("number").to_numpy(dtype=float)
    assert np.all(np.isfinite(numbers))
    assert np.all((table["belief_divergence"] >= 0) & (table["belief_divergence"] <= 1))
    for population in model.populations:
        for q in population.qs:
            assert np.all(np.isfinite(q))
            np.testing.assert_allclose(q.sum(axis=1), 1.0, atol=1e-4)
        assert np.all(np.isfinite(population.q_pi))


def test_nan_belief_names_population_step(load_small):
    model = CoordinationModel(load_small("two-camps"), rng=0)
    model.step()
    sceptical = model.populations[1]
    poisoned = np.array(sceptical.prior[0])
    poisoned[0] = np.nan
    sceptical.prior[0] = jnp.asarray(poisoned)

    with pytest.raises(FloatingPointError) as error:
        model.step()
    assert "'sceptical'" in str(error.value)
    # Mesa counts steps from 1, so the second call to step() is step 2.
    assert "step 2" in str(error.value)


def test_hand_values_are_consistent():
    # The comment arithmetic above, recomputed in float64.
    entropy = lambda p: -sum(x * math.log(x) for x in p)  # noqa: E731
    epistemic = entropy([0.55, 0.45]) - 0.5 * (
        entropy([0.9, 0.1]) + entropy([0.2, 0.8])
    )
    assert epistemic == pytest.approx(0.275396, abs=1e-6)
    assert 1 / (1 + math.exp(-2 * (0.55 + epistemic - 0.5))) == pytest.approx(
        0.657188, abs=1e-6
    )
