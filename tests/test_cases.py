"""Cases that active-inference and agent-based tools have got wrong.

Each test takes a small input of one kind of fault and checks the right
behaviour: rejected on load with a message that names the field, or a run
whose numbers stay finite and correctly shaped.
"""

from __future__ import annotations

import jax.random as jr
import numpy as np
import pytest

from scenarios import ScenarioError, load_scenario
from simulation import CoordinationModel, metrics


def load_error(name: str, overrides: dict) -> ScenarioError:
    with pytest.raises(ScenarioError) as error:
        load_scenario(name, overrides)
    return error.value


# -- bad model input -------------------------------------------------------------


def test_unnormalised_transition_rejected_as_b():
    error = load_error(
        "two-camps",
        {"populations.sceptical.B.system": [[0.8, 0.1], [0.1, 0.9]]},
    )
    # Column from=works sums to 0.8 + 0.1 = 0.9.
    assert len(error.lines) == 1
    line = error.lines[0]
    assert "populations.sceptical.B.system" in line
    assert "from=works" in line
    assert "0.9" in line
    assert ".A." not in line


def test_unnormalised_prior_rejected_as_d():
    error = load_error(
        "two-camps", {"populations.hopeful.D.system": {"works": 0.6, "rigged": 0.5}}
    )
    # 0.6 + 0.5 = 1.1
    assert len(error.lines) == 1
    assert "populations.hopeful.D.system" in error.lines[0]
    assert "1.1" in error.lines[0]


def test_all_zero_likelihood_column_rejected():
    news = {
        "works": {"none": 0.6, "campaign": 0.3, "scandal": 0.1},
        "rigged": {"none": 0.0, "campaign": 0.0, "scandal": 0.0},
    }
    error = load_error("two-camps", {"populations.hopeful.A.news": news})
    assert len(error.lines) == 1
    assert "populations.hopeful.A.news" in error.lines[0]
    assert "system=rigged" in error.lines[0]
    assert "all zeros" in error.lines[0]


@pytest.mark.parametrize("key", ["pA", "pB", "learn_A", "learn_B"])
def test_learning_keys_rejected_as_unknown(key):
    # The loader has no parameter learning: counts and learning switches are
    # rejected on load, so no run can start learning without counts.
    value = True if key.startswith("learn") else {"news": 1.0}
    error = load_error("two-camps", {f"populations.hopeful.{key}": value})
    assert len(error.lines) == 1
    assert error.lines[0].startswith(
        f"{error.source}: populations.hopeful.{key}: unknown key {key!r}; "
    )
    line = error.lines[0]
    assert "accepted in populations.hopeful: size, A, B, C, D, gamma" in line


ONE_STATE_FACTOR = """
[factors.region]
kind = "context"
states = ["only"]

[factors.others]"""


def test_one_state_factor_keeps_its_axis(two_camps_text, write_scenario):
    path = write_scenario(
        two_camps_text,
        replace={
            "\n[factors.others]": ONE_STATE_FACTOR,
            'system = "works"': 'system = "works"\nregion = "only"',
            'factors = ["system"]': 'factors = ["system", "region"]',
        },
    )
    scenario = load_scenario(
        path,
        {
            "populations.hopeful.size": 6,
            "populations.sceptical.size": 6,
            "graph.mean_degree": 3,
        },
    )
    model = CoordinationModel(scenario, rng=1)
    model.run(2)

    region = scenario.factor_index("region")
    assert scenario.populations[0].D[region].shape == (1,)
    for population in model.populations:
        assert population.qs[region].shape == (6, 1)
        np.testing.assert_allclose(population.qs[region], 1.0)
    assert model.beliefs(region).shape == (12, 1)
    table = model.agent_table
    assert "belief.region.only" in table.columns
    np.testing.assert_allclose(table["belief.region.only"], 1.0)
    assert np.all(np.isfinite(model.model_table["belief_divergence"]))


def test_policy_space_over_budget_reports_count():
    # One control factor with 2 actions and policy_len 12: 2 ** 12 = 4096
    # policies, over the default budget of 1024.
    error = load_error("two-camps", {"populations.hopeful.policy_len": 12})
    assert len(error.lines) == 1
    assert "populations.hopeful.policy_len" in error.lines[0]
    assert "4096 policies" in error.lines[0]


# -- numbers -----------------------------------------------------------------------

# The hopeful camp thinks a campaign can never happen, in either state.
NO_CAMPAIGN = {
    "works": {"none": 0.7, "campaign": 0.0, "scandal": 0.3},
    "rigged": {"none": 0.4, "campaign": 0.0, "scandal": 0.6},
}


def test_impossible_observation_keeps_beliefs_finite(load_small):
    scenario = load_small(
        "two-camps",
        **{
            "populations.hopeful.A.news": NO_CAMPAIGN,
            "interventions.campaign.start": 1,
        },
    )
    model = CoordinationModel(scenario, rng=2)
    model.run(3)

    hopeful = model.populations[0]
    for q in hopeful.qs:
        assert np.all(np.isfinite(q))
        np.testing.assert_allclose(q.sum(axis=1), 1.0, atol=1e-5)
    assert np.all(np.isfinite(hopeful.q_pi))
    np.testing.assert_allclose(hopeful.q_pi.sum(axis=1), 1.0, atol=1e-5)


def test_one_hot_distribution_equals_outcome_name(load_small):
    by_name = load_small("two-camps", **{"interventions.campaign.start": 1})
    as_table = load_small(
        "two-camps",
        **{
            "interventions.campaign.start": 1,
            "interventions.campaign.observation": {
                "none": 0.0,
                "campaign": 1.0,
                "scandal": 0.0,
            },
        },
    )
    tables = []
    for scenario in (by_name, as_table):
        model = CoordinationModel(scenario, rng=4)
        model.run(3)
        tables.append(model.agent_table)

    assert tables[0].equals(tables[1])


def test_divergence_with_zero_probabilities():
    one_hot = np.array([[1.0, 0.0], [0.5, 0.5]])
    # Mixture [0.75, 0.25]: H = 0.75 * 0.415037 + 0.25 * 2 = 0.811278 bits.
    # H([1, 0]) = 0 (0 log 0 = 0) and H([0.5, 0.5]) = 1 bit.
    # JSD = 0.811278 - (0 + 1) / 2 = 0.311278 bits, over log2(2) = 1.
    value = metrics.jensen_shannon(one_hot)
    assert value == pytest.approx(0.311278, abs=1e-6)

    opposite = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    # Mixture [0.5, 0, 0.5]: H = 1 bit, members 0 bits, so 1 / log2(3).
    assert metrics.jensen_shannon(opposite) == pytest.approx(1 / np.log2(3))
    assert 0.0 <= metrics.jensen_shannon(opposite) <= 1.0


# -- randomness --------------------------------------------------------------------

VOICE_FACTOR = """
[factors.voice]
kind = "control"
states = ["quiet", "loud"]
actions = ["quiet", "loud"]

[modalities.news]"""


def test_keys_differ_per_member_and_factor(two_camps_text, write_scenario):
    path = write_scenario(two_camps_text, replace={"\n[modalities.news]": VOICE_FACTOR})
    scenario = load_scenario(
        path,
        {
            "populations.hopeful.size": 200,
            "populations.sceptical.size": 10,
            "populations.hopeful.sampling_mode": "marginal",
            "populations.hopeful.heterogeneity.D_concentration": None,
            "populations.hopeful.heterogeneity.gamma_cv": 0.0,
            "graph.mean_degree": 4,
        },
    )
    model = CoordinationModel(scenario, rng=5)
    hopeful = model.populations[0]

    draws = 200 * len(scenario.factors)
    keys = jr.key_data(hopeful.step_keys(1)).reshape(draws, -1)
    assert len(np.unique(keys, axis=0)) == draws

    model.step()
    stance, voice = hopeful.actions[:, 0], hopeful.actions[:, 1]
    # Nothing the camp prefers depends on its voice, so every member chooses
    # loud with probability 1/2; with 200 members the share lies in
    # 0.5 +- 0.2 unless the draws are shared (about 6 standard deviations).
    assert 0.3 < voice.mean() < 0.7
    assert not np.array_equal(stance, voice)
    assert not np.array_equal(stance, 1 - voice)


# -- data --------------------------------------------------------------------------


def test_every_step_has_one_row(two_camps):
    model = CoordinationModel(two_camps, rng=6)
    model.run(4)

    steps = model.model_table["step"].tolist()
    assert steps == [0, 1, 2, 3, 4]
    agents = model.agent_table
    assert sorted(agents["step"].unique().tolist()) == steps
    counts = agents.groupby("step").size()
    assert (counts == two_camps.n_agents).all()
    assert model.summary()["steps"] == 4


def test_replicate_seeds_distinct_and_stable():
    from simulation.sweep import replicate_seeds

    seeds = replicate_seeds(7, 5)
    assert len(set(seeds)) == 5
    assert 7 not in seeds
    assert replicate_seeds(7, 5) == seeds
    # Spawned children do not depend on how many siblings were spawned.
    assert replicate_seeds(7, 3) == seeds[:3]
