"""One compiled active-inference step for a batched population."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from jax import random as jr
from pymdp.agent import Agent

from agents import Factor, GenerativeModel, Population, build_agent

WORLD = Factor("world", "context", ("good", "bad"))
STANCE = Factor("stance", "control", ("wait", "act"), ("wait", "act"))
SIDE = Factor("side", "control", ("left", "right"), ("left", "right"))

# news has outcomes (none, yes, no); columns are the world states good, bad.
NEWS = np.array([[0.2, 0.2], [0.6, 0.2], [0.2, 0.6]])


def controlled(num_actions: int) -> np.ndarray:
    """Return ``B`` for a factor whose action sets its state, ``(to, from, u)``."""
    B = np.zeros((num_actions, num_actions, num_actions))
    for action in range(num_actions):
        B[action, :, action] = 1.0
    return B


def solo_model(
    D_world=(0.7, 0.3),
    news: np.ndarray = NEWS,
    D_concentration: float | None = None,
    gamma_cv: float = 0.0,
) -> GenerativeModel:
    """Build a model with one context factor, one control factor, two modalities.

    Modality 0 (news) depends on the world; modality 1 (own action) on the
    stance. Preferences are flat, so both policies are equally good.
    """
    return GenerativeModel(
        name="solo",
        size=1,
        A=[news, np.eye(2)],
        B=[np.eye(2)[:, :, None], controlled(2)],
        C=[np.zeros(3), np.zeros(2)],
        D=[np.asarray(D_world, dtype=float), np.array([0.5, 0.5])],
        gamma=4.0,
        alpha=16.0,
        policy_len=1,
        num_iter=8,
        inference_algo="fpi",
        action_selection="stochastic",
        sampling_mode="full",
        initial_action=(0,),
        D_concentration=D_concentration,
        gamma_cv=gamma_cv,
        A_dependencies=[[0], [1]],
    )


def population(model, size=1, factors=(WORLD, STANCE), seed=0) -> Population:
    return Population(
        model, factors, np.arange(size), np.random.SeedSequence(seed), jr.key(seed)
    )


def observe(*rows, size=1) -> list[np.ndarray]:
    """Return observations: each row repeated for ``size`` members."""
    return [np.tile(np.asarray(row, dtype=float), (size, 1)) for row in rows]


# -- exact inference ----------------------------------------------------------------


def test_one_step_is_bayes_rule():
    members = population(solo_model())

    result = members.step(observe([0, 1, 0], [1, 0]), step=1)

    # Prior [0.7, 0.3], likelihood of 'yes' [0.6, 0.2]:
    # [0.42, 0.06] / 0.48 = [0.875, 0.125].
    np.testing.assert_allclose(result.qs[0], [[0.875, 0.125]], atol=1e-5)
    # Own action 'wait' observed through the identity: stance is wait.
    np.testing.assert_allclose(result.qs[1], [[1.0, 0.0]], atol=1e-5)


def test_uninformative_soft_observation_keeps_prior():
    members = population(solo_model())

    result = members.step(observe([0, 0.5, 0.5], [1, 0]), step=1)

    # Half 'yes', half 'no': good gives 0.5 * 0.6 + 0.5 * 0.2 = 0.4 and bad
    # 0.5 * 0.2 + 0.5 * 0.6 = 0.4, so the posterior is the prior [0.7, 0.3].
    np.testing.assert_allclose(result.qs[0], [[0.7, 0.3]], atol=1e-5)


def test_one_hot_equals_integer_outcome():
    model = solo_model()
    soft = build_agent(model, (WORLD, STANCE), 1)
    integer = Agent(
        A=list(soft.A),
        B=list(soft.B),
        C=list(soft.C),
        D=list(soft.D),
        A_dependencies=[[0], [1]],
        B_dependencies=[[0], [1]],
        batch_size=1,
        num_iter=8,
        inference_algo="fpi",
        categorical_obs=False,
    )

    for outcome in range(3):
        one_hot = jnp.zeros((1, 1, 3)).at[0, 0, outcome].set(1.0)
        from_soft = soft.infer_states(
            [one_hot, jnp.array([[[1.0, 0.0]]])], list(soft.D)
        )
        from_integer = integer.infer_states(
            [jnp.array([[outcome]]), jnp.array([[0]])], list(soft.D)
        )
        for q_soft, q_integer in zip(from_soft, from_integer, strict=True):
            np.testing.assert_array_equal(np.asarray(q_soft), np.asarray(q_integer))


def test_impossible_observation_stays_finite():
    # The member is sure the world is good, and good never produces 'yes'.
    news = np.array([[0.5, 0.2], [0.0, 0.6], [0.5, 0.2]])
    members = population(solo_model(D_world=(1.0, 0.0), news=news))

    result = members.step(observe([0, 1, 0], [1, 0]), step=1)

    for q in result.qs:
        assert np.all(np.isfinite(q))
        np.testing.assert_allclose(q.sum(axis=1), 1.0, atol=1e-5)
    assert np.all(np.isfinite(result.q_pi))
    np.testing.assert_allclose(result.q_pi.sum(axis=1), 1.0, atol=1e-5)
    members.check_finite(step=1)


def test_beliefs_carry_to_next_step():
    members = population(solo_model(), size=1)

    members.step(observe([0, 1, 0], [1, 0]), step=1)
    result = members.step(observe([0, 1, 0], [1, 0]), step=2)

    # The world does not change (B is the identity), so the prior of step 2 is
    # [0.875, 0.125]; with 'yes' again: [0.525, 0.025] / 0.55 = [0.954545, 0.045455].
    np.testing.assert_allclose(result.qs[0], [[0.954545, 0.045455]], atol=1e-5)


# -- random keys ------------------------------------------------------------------


def test_step_keys_unique_per_member_and_factor():
    members = population(solo_model(), size=5)

    keys = members.step_keys(step=3)
    data = np.asarray(jr.key_data(keys)).reshape(5 * 2, -1)

    assert keys.shape == (5, 2)
    assert len({tuple(row) for row in data}) == 10
    assert not np.array_equal(
        np.asarray(jr.key_data(members.step_keys(step=4))),
        np.asarray(jr.key_data(keys)),
    )


def test_identical_members_draw_differently():
    size = 40
    members = population(solo_model(), size=size)

    result = members.step(observe([1, 0, 0], [1, 0], size=size), step=1)

    # Flat preferences give q_pi = [0.5, 0.5]; one shared key would make all
    # 40 members take the same action.
    np.testing.assert_allclose(result.q_pi, 0.5, atol=1e-5)
    acting = int(result.actions[:, 0].sum())
    assert 0 < acting < size


@pytest.mark.parametrize("sampling_mode", ["full", "marginal"])
def test_two_control_factors_draw_independently(sampling_mode):
    size = 40
    model = GenerativeModel(
        name="pair",
        size=size,
        A=[np.eye(2), np.eye(2)],
        B=[controlled(2), controlled(2)],
        C=[np.zeros(2), np.zeros(2)],
        D=[np.array([0.5, 0.5]), np.array([0.5, 0.5])],
        gamma=4.0,
        alpha=16.0,
        policy_len=1,
        num_iter=8,
        inference_algo="fpi",
        action_selection="stochastic",
        sampling_mode=sampling_mode,
        initial_action=(0, 0),
        A_dependencies=[[0], [1]],
    )
    members = population(model, size=size, factors=(STANCE, SIDE))

    result = members.step(observe([1, 0], [1, 0], size=size), step=1)

    # Four equally good policies; a key shared by both factors would make the
    # two columns of actions equal for every member.
    assert result.actions.shape == (size, 2)
    assert np.any(result.actions[:, 0] != result.actions[:, 1])
    assert 0 < result.actions[:, 0].sum() < size
    assert 0 < result.actions[:, 1].sum() < size


# -- heterogeneity ---------------------------------------------------------------------


def test_concentration_spreads_priors():
    size = 200
    members = population(solo_model(D_world=(0.75, 0.25), D_concentration=20.0), size)

    good = members.D[0][:, 0]
    # Dirichlet(20 * [0.75, 0.25]) = Beta(15, 5): mean 0.75, variance
    # 15 * 5 / (20^2 * 21) = 0.00893, standard deviation 0.0945.
    np.testing.assert_allclose(members.D[0].sum(axis=1), 1.0)
    assert abs(good.mean() - 0.75) < 0.03
    assert 0.07 < good.std() < 0.12
    # The control factor's prior is not spread.
    np.testing.assert_array_equal(members.D[1], np.full((size, 2), 0.5))


def test_concentration_keeps_ruled_out_states():
    members = population(solo_model(D_world=(1.0, 0.0), D_concentration=5.0), 20)

    np.testing.assert_array_equal(members.D[0][:, 1], 0.0)
    np.testing.assert_allclose(members.D[0][:, 0], 1.0)


def test_gamma_cv_spreads_precision():
    size = 400
    members = population(solo_model(gamma_cv=0.5), size)

    # Log-normal with mean gamma = 4 and coefficient of variation 0.5.
    assert members.gamma.shape == (size,)
    assert np.all(members.gamma > 0)
    assert abs(members.gamma.mean() - 4.0) < 0.3
    assert abs(members.gamma.std() / members.gamma.mean() - 0.5) < 0.08


def test_no_spread_without_heterogeneity():
    members = population(solo_model(), 10)

    np.testing.assert_array_equal(members.gamma, np.full(10, 4.0))
    np.testing.assert_array_equal(members.D[0], np.tile([0.7, 0.3], (10, 1)))


def test_heterogeneity_reproducible_from_seed():
    model = solo_model(D_concentration=10.0, gamma_cv=0.3)

    first = population(model, 30, seed=7)
    again = population(model, 30, seed=7)
    other = population(model, 30, seed=8)

    np.testing.assert_array_equal(first.D[0], again.D[0])
    np.testing.assert_array_equal(first.gamma, again.gamma)
    assert not np.array_equal(first.D[0], other.D[0])
    assert not np.array_equal(first.gamma, other.gamma)
