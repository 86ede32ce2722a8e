"""The Mesa model: synchronous steps, tables, seeds, interventions and graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from scenarios import load_scenario
from simulation import CoordinationModel
from simulation.graph import build_graph, measured_homophily

# Factor and modality indices of two-camps, in declared order.
SYSTEM, OTHERS, STANCE = 0, 1, 2
NEWS, NEIGHBOURS, RESULT, OWN = 0, 1, 2, 3
WAIT, ACT = 0, 1


def hopeful_first_acting(model: CoordinationModel, count: int) -> np.ndarray:
    """Return actions where exactly ``count`` agents act, the rest wait."""
    actions = model.actions.copy()
    actions[:, STANCE] = WAIT
    actions[:count, STANCE] = ACT
    return actions


# -- synchronous update ----------------------------------------------------------------


def test_social_observation_bins_neighbours(load_small):
    model = CoordinationModel(load_small(**{"graph.kind": "complete"}), rng=0)
    actions = hopeful_first_acting(model, 8)

    observations = model.world.observe(1, actions)

    # Complete graph of 24 nodes, so every node has 23 neighbours. Bins of the
    # three outcomes have edges 1/3 and 2/3. An acting node observes 7 of 23 acting
    # (0.304, bin 0, few_act); a waiting node observes 8 of 23 (0.348, bin 1).
    neighbours = observations[NEIGHBOURS]
    assert neighbours.shape == (24, 3)
    np.testing.assert_array_equal(neighbours[:8].argmax(axis=1), 0)
    np.testing.assert_array_equal(neighbours[8:].argmax(axis=1), 1)
    np.testing.assert_array_equal(neighbours.sum(axis=1), 1.0)
    # The self modality reports each agent's own last action.
    np.testing.assert_array_equal(observations[OWN].argmax(axis=1), actions[:, STANCE])


def test_social_state_from_neighbour_shares(load_small):
    model = CoordinationModel(load_small(**{"graph.kind": "complete"}), rng=0)
    actions = hopeful_first_acting(model, 12)

    states = model.world.true_states(1, actions)

    # The social factor has two states, edge 1/2. An acting node has 11 of 23
    # acting (0.478, few_act); a waiting node has 12 of 23 (0.522, many_act).
    np.testing.assert_array_equal(states[:12, OTHERS], 0)
    np.testing.assert_array_equal(states[12:, OTHERS], 1)
    np.testing.assert_array_equal(states[:, STANCE], actions[:, STANCE])
    np.testing.assert_array_equal(states[:, SYSTEM], 0)


def test_step_observes_previous_actions(load_small):
    model = CoordinationModel(load_small(**{"graph.kind": "complete"}), rng=3)
    previous = hopeful_first_acting(model, 8)
    model.actions = previous.copy()

    model.step()

    # The step's observations come from the hand-set actions, not the new ones.
    assert not np.array_equal(model.actions[:, STANCE], previous[:, STANCE])
    own = model.last_observations[OWN].argmax(axis=1)
    np.testing.assert_array_equal(own, previous[:, STANCE])
    neighbours = model.last_observations[NEIGHBOURS].argmax(axis=1)
    np.testing.assert_array_equal(neighbours[:8], 0)
    np.testing.assert_array_equal(neighbours[8:], 1)


def test_step_zero_is_initial_state(two_camps):
    model = CoordinationModel(two_camps, rng=0)

    table = model.model_table
    assert table["step"].tolist() == [0]
    # Both camps start waiting, so nobody takes the joint action.
    assert table["share.hopeful.act"].iloc[0] == 0.0
    assert table["share.sceptical.wait"].iloc[0] == 1.0
    assert not table["joint_action"].iloc[0]
    np.testing.assert_allclose(
        model.populations[0].qs[SYSTEM], model.populations[0].D[SYSTEM], rtol=1e-6
    )


# -- tables ----------------------------------------------------------------------------


def test_tables_have_every_step(two_camps):
    model = CoordinationModel(two_camps, rng=1)
    model.run()

    steps = list(range(two_camps.steps + 1))
    model_table = model.model_table
    agent_table = model.agent_table
    assert model.steps == two_camps.steps
    assert model_table["step"].tolist() == steps
    assert sorted(agent_table["step"].unique().tolist()) == steps
    counts = agent_table.groupby("step").size()
    assert counts.tolist() == [two_camps.n_agents] * len(steps)


def test_table_columns_follow_contract(two_camps):
    model = CoordinationModel(two_camps, rng=1)
    model.run(2)

    model_columns = set(model.model_table.columns)
    for column in (
        "step",
        "joint_action",
        "belief_divergence",
        "divergence.hopeful",
        "divergence.sceptical",
        "share.hopeful.act",
        "share.hopeful.wait",
        "share.sceptical.act",
        "share.sceptical.wait",
    ):
        assert column in model_columns
    agent_columns = model.agent_table.columns.tolist()
    assert agent_columns[:5] == ["step", "agent_id", "node", "population", "action"]
    assert "belief.system.works" in agent_columns
    assert "belief.others.many_act" in agent_columns


def test_shares_sum_to_one(two_camps):
    model = CoordinationModel(two_camps, rng=2)
    model.run(3)

    table = model.model_table
    for name in ("hopeful", "sceptical"):
        total = table[f"share.{name}.act"] + table[f"share.{name}.wait"]
        np.testing.assert_allclose(total, 1.0)
    assert table["belief_divergence"].between(0, 1).all()


def test_agent_table_matches_beliefs(two_camps):
    model = CoordinationModel(two_camps, rng=2)
    model.run(2)

    last = model.agent_table.query("step == 2").sort_values("node")
    beliefs = model.beliefs(SYSTEM)
    np.testing.assert_allclose(last["belief.system.works"], beliefs[:, 0])
    acting = (last["action"] == "act").to_numpy()
    np.testing.assert_array_equal(acting, model.actions[:, STANCE] == ACT)


def test_without_agent_records(two_camps):
    model = CoordinationModel(two_camps, record_agents=False, rng=0)
    model.run(2)

    assert len(model.agent_table) == 0
    assert model.model_table["step"].tolist() == [0, 1, 2]


def test_summary_from_model_table(two_camps):
    model = CoordinationModel(two_camps, rng=4)
    model.run()

    summary = model.summary()
    table = model.model_table
    assert summary["steps"] == two_camps.steps
    assert summary["n_agents"] == 24
    assert summary["seed"] == 4
    assert summary["populations"]["hopeful"]["n"] == 12
    assert summary["belief_divergence_initial"] == table["belief_divergence"].iloc[0]
    assert summary["belief_divergence_final"] == table["belief_divergence"].iloc[-1]
    share = summary["populations"]["sceptical"]["final_action_share"]["act"]
    assert share == table["share.sceptical.act"].iloc[-1]


# -- seeds -----------------------------------------------------------------------------


def run_tables(scenario, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    model = CoordinationModel(scenario, rng=rng)
    model.run()
    return model.model_table, model.agent_table


def test_same_seed_same_tables(two_camps):
    first = run_tables(two_camps, 11)
    again = run_tables(two_camps, 11)

    pd.testing.assert_frame_equal(first[0], again[0])
    pd.testing.assert_frame_equal(first[1], again[1])


def test_int_seed_matches_generator(two_camps):
    from_int = run_tables(two_camps, 11)
    from_generator = run_tables(two_camps, np.random.default_rng(11))

    pd.testing.assert_frame_equal(from_int[0], from_generator[0])
    pd.testing.assert_frame_equal(from_int[1], from_generator[1])


def test_different_seeds_differ(two_camps):
    first = CoordinationModel(two_camps, rng=11)
    other = CoordinationModel(two_camps, rng=12)
    first.run()
    other.run()

    assert not nx.utils.graphs_equal(first.graph, other.graph)
    assert not first.agent_table.equals(other.agent_table)


def test_negative_seed_rejected(two_camps):
    with pytest.raises(ValueError, match="non-negative"):
        CoordinationModel(two_camps, rng=-1)


# -- interventions ---------------------------------------------------------------------


def campaign_counts(model: CoordinationModel, steps: int) -> list[tuple[int, int]]:
    """Step the model; return (hopeful, sceptical) members seeing the campaign."""
    campaign = model.scenario.modalities[NEWS].outcomes.index("campaign")
    hopeful = model.population_of_node == 0
    counts = []
    for _ in range(steps):
        model.step()
        seen = model.last_observations[NEWS][:, campaign] == 1.0
        counts.append((int(seen[hopeful].sum()), int(seen[~hopeful].sum())))
    return counts


def test_observation_reaches_share_in_window(load_small):
    scenario = load_small(
        **{
            "interventions.campaign.targets": ["hopeful"],
            "interventions.campaign.share": 0.3,
            "interventions.campaign.start": 2,
            "interventions.campaign.stop": 4,
        }
    )
    model = CoordinationModel(scenario, rng=0)

    counts = campaign_counts(model, 5)

    # round(0.3 * 12) = round(3.6) = 4 hopeful members, at steps 2 and 3 only.
    assert counts == [(0, 0), (4, 0), (4, 0), (0, 0), (0, 0)]


def test_interventions_leave_earlier_steps_paired(load_small):
    early = load_small(**{"interventions.campaign.start": 4})
    off = load_small(**{"interventions.campaign.enabled": False})
    with_campaign = CoordinationModel(early, rng=7)
    without = CoordinationModel(off, rng=7)

    with_campaign.run(5)
    without.run(5)

    # The campaign first acts at step 4, so steps 0-3 must be identical:
    # its reach is drawn from a stream of its own, not the outcome stream.
    before = slice(0, 4)
    pd.testing.assert_frame_equal(
        with_campaign.model_table.iloc[before], without.model_table.iloc[before]
    )
    assert not with_campaign.model_table.iloc[4:].equals(without.model_table.iloc[4:])


def test_larger_share_reaches_superset(load_small):
    small = CoordinationModel(
        load_small(**{"interventions.campaign.share": 0.25}), rng=2
    )
    large = CoordinationModel(
        load_small(**{"interventions.campaign.share": 0.75}), rng=2
    )

    (small_mask,) = small.world.reached
    (large_mask,) = large.world.reached
    # round(0.25 * 24) = 6 and round(0.75 * 24) = 18 agents.
    assert small_mask.sum() == 6
    assert large_mask.sum() == 18
    assert np.all(large_mask[small_mask])


def test_reach_is_drawn_once(load_small):
    scenario = load_small(**{"interventions.campaign.share": 0.5})
    model = CoordinationModel(scenario, rng=5)

    (mask,) = model.world.reached
    # round(0.5 * 24) = 12 agents, the same ones at every active step.
    assert mask.sum() == 12
    for step in (5, 10, 19):
        active = model.world.active(step)
        assert len(active) == 1
        np.testing.assert_array_equal(active[0][1], mask)
    assert model.world.active(4) == []
    assert model.world.active(20) == []


def test_structural_effect_changes_targets_only(load_small):
    scenario = load_small(
        **{
            "interventions.campaign.targets": ["sceptical"],
            "interventions.campaign.effect.context.system": "rigged",
        }
    )
    model = CoordinationModel(scenario, rng=0)
    sceptical = model.population_of_node == 1

    before = model.world.true_context(4)
    during = model.world.true_context(5)
    after = model.world.true_context(20)

    # The campaign runs over steps 5..19 and sets system to rigged (state 1).
    np.testing.assert_array_equal(before[:, SYSTEM], 0)
    np.testing.assert_array_equal(during[sceptical, SYSTEM], 1)
    np.testing.assert_array_equal(during[~sceptical, SYSTEM], 0)
    np.testing.assert_array_equal(after[:, SYSTEM], 0)


def test_structural_effect_changes_true_likelihood(load_small):
    # While the effect is active, every state and action gives gain for certain.
    certain = {"gain": 1.0, "nothing": 0.0, "loss": 0.0}
    effect = {"wait": certain, "act": certain}
    table = {
        s: {o: effect for o in ("few_act", "many_act")} for s in ("works", "rigged")
    }
    scenario = load_small(
        **{
            "interventions.campaign.targets": ["hopeful"],
            "interventions.campaign.effect.A.result": table,
        }
    )
    model = CoordinationModel(scenario, rng=0)
    hopeful = model.population_of_node == 0

    seen = []
    for _ in range(6):
        model.step()
        seen.append(model.last_observations[RESULT][:, 0].copy())

    # The fifth call is step 5, the first inside the window, so every hopeful
    # member observes gain. At step 1 waiting members mostly observe nothing.
    np.testing.assert_array_equal(seen[4][hopeful], 1.0)
    assert seen[4][~hopeful].sum() < (~hopeful).sum()
    assert seen[0][hopeful].sum() < hopeful.sum()


def test_apply_intervention_next_step(load_small):
    scenario = load_small(
        **{"interventions.campaign.start": 50, "interventions.campaign.stop": 60}
    )
    model = CoordinationModel(scenario, rng=0)
    model.run(2)

    scheduled = model.apply_intervention(
        "campaign", populations=["sceptical"], duration=2
    )
    counts = campaign_counts(model, 3)

    # Applied after step 2: active at steps 3 and 4 for all 12 sceptical members.
    assert scheduled.start == 3
    assert scheduled.stop == 5
    assert counts == [(0, 12), (0, 12), (0, 0)]


def test_apply_intervention_unknown_name(two_camps):
    model = CoordinationModel(two_camps, rng=0)

    with pytest.raises(KeyError, match="campaign"):
        model.apply_intervention("campaing")
    with pytest.raises(KeyError, match="hopefull"):
        model.apply_intervention("campaign", populations=["hopefull"])


# -- graphs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    [
        "complete",
        "erdos_renyi",
        "watts_strogatz",
        "barabasi_albert",
        "stochastic_block",
    ],
)
def test_graph_kinds_build(load_small, kind):
    scenario = load_small(**{"graph.kind": kind})

    graph, populations = build_graph(scenario, np.random.SeedSequence(0))

    assert graph.number_of_nodes() == 24
    assert sorted(graph.nodes) == list(range(24))
    assert np.bincount(populations).tolist() == [12, 12]
    for node in graph.nodes:
        expected = scenario.population_names[populations[node]]
        assert graph.nodes[node]["population"] == expected
    assert nx.number_of_selfloops(graph) == 0


def test_complete_graph_degree(load_small):
    graph, _ = build_graph(
        load_small(**{"graph.kind": "complete"}), np.random.SeedSequence(0)
    )

    # 24 nodes: 24 * 23 / 2 = 276 edges.
    assert graph.number_of_edges() == 276


def test_block_homophily_near_request():
    scenario = load_scenario(
        "two-camps",
        {
            "populations.hopeful.size": 150,
            "populations.sceptical.size": 150,
            "graph.homophily": 0.8,
            "graph.mean_degree": 8,
        },
    )

    graph, populations = build_graph(scenario, np.random.SeedSequence(1))

    # About 300 * 8 / 2 = 1200 edges, 80% inside a camp; the standard error of
    # the measured share is about sqrt(0.8 * 0.2 / 1200) = 0.012.
    mean_degree = 2 * graph.number_of_edges() / graph.number_of_nodes()
    assert abs(measured_homophily(graph, populations) - 0.8) < 0.05
    assert abs(mean_degree - 8) < 1.0


def test_model_graph_is_a_mesa_network(two_camps):
    model = CoordinationModel(two_camps, rng=0)

    assert len(model.agents) == 24
    nodes = sorted(agent.node for agent in model.agents)
    assert nodes == list(range(24))
    assert model.homophily == measured_homophily(model.graph, model.population_of_node)


def test_one_state_factor_keeps_axis(two_camps_text, write_scenario):
    path = write_scenario(
        two_camps_text + '\n[factors.season]\nkind = "context"\nstates = ["winter"]\n',
        {'system = "works"\n': 'system = "works"\nseason = "winter"\n'},
    )
    scenario = load_scenario(
        path,
        {
            "populations.hopeful.size": 12,
            "populations.sceptical.size": 12,
            "graph.mean_degree": 4,
        },
    )
    model = CoordinationModel(scenario, rng=0)
    model.run(2)

    season = scenario.factor_index("season")
    assert model.beliefs(season).shape == (24, 1)
    assert model.populations[0].qs[season].shape == (12, 1)
    np.testing.assert_allclose(model.beliefs(season), 1.0)
    assert "belief.season.winter" in model.agent_table.columns
