"""Loading and validating scenario files."""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from scenarios import ScenarioError, load_scenario, parse_assignment, shipped_scenarios

TWO_CAMPS_GRAPH = 'kind = "stochastic_block"\nmean_degree = 8\nhomophily = 0.8'


def problems(name: str, overrides: dict) -> list[str]:
    """Return the error lines of a scenario that must fail to load."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(name, overrides)
    return caught.value.lines


def only_line(lines: list[str]) -> str:
    assert len(lines) == 1, lines
    return lines[0]


# -- shipped scenarios -----------------------------------------------------------------


def test_shipped_scenarios_are_three():
    assert sorted(shipped_scenarios()) == [
        "ai-infrastructure",
        "baseline-consensus",
        "two-camps",
    ]


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_shipped_scenario_loads(name):
    scenario = load_scenario(name)

    assert scenario.n_agents >= 2
    assert scenario.context_factors
    assert scenario.control_factors
    for model in scenario.populations:
        assert len(model.A) == len(scenario.modalities)
        assert len(model.D) == len(scenario.factors)
        for a, modality in zip(model.A, scenario.modalities, strict=True):
            assert a.shape[0] == modality.num_outcomes
            np.testing.assert_allclose(a.sum(axis=0), 1.0, atol=1e-6)


def test_ai_infrastructure_shape():
    scenario = load_scenario("ai-infrastructure")

    assert scenario.population_names == [
        "daily_users",
        "non_users",
        "host_communities",
    ]
    assert [p.size for p in scenario.populations] == [200, 150, 50]
    assert scenario.joint_action_name == "support"
    # Only the awareness campaign is enabled by default.
    assert [i.name for i in scenario.interventions] == ["awareness_campaign"]


# -- labelled and array forms ----------------------------------------------------------


def test_labelled_and_array_forms_agree(load_small):
    labelled = load_small().population("hopeful")
    # The same numbers as two-camps' hopeful camp, written as nested lists:
    # A.news is (outcomes none/campaign/scandal, system works/rigged).
    arrays = load_small(
        **{
            "populations.hopeful.A.news": [[0.6, 0.6], [0.3, 0.1], [0.1, 0.3]],
            "populations.hopeful.B.system": [[0.98, 0.02], [0.02, 0.98]],
            "populations.hopeful.C.result": [2.0, 0.0, -2.0],
            "populations.hopeful.D.system": [0.75, 0.25],
            "populations.hopeful.A.result": labelled.A[2].tolist(),
        }
    ).population("hopeful")

    np.testing.assert_array_equal(arrays.A[0], labelled.A[0])
    # The stay form computes 1 - 0.98, which differs from 0.02 in the last bit.
    np.testing.assert_allclose(arrays.B[0], labelled.B[0], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(arrays.C[2], labelled.C[2])
    np.testing.assert_array_equal(arrays.D[0], labelled.D[0])
    np.testing.assert_array_equal(arrays.A[2], labelled.A[2])


def test_labelled_axes_follow_depends_on(load_small):
    result = load_small().population("hopeful").A[2]

    # A.result is (outcome, system, others, stance); the file gives
    # works.many_act.act = { gain = 0.75, ... } and rigged.few_act.act gain 0.05.
    assert result.shape == (3, 2, 2, 2)
    assert result[0, 0, 1, 1] == 0.75
    assert result[0, 1, 0, 1] == 0.05
    assert result[2, 0, 0, 1] == 0.4


def test_stay_form_spreads_the_rest(load_small):
    B = load_small(**{"populations.hopeful.B.system": {"stay": 0.9}}).population(
        "hopeful"
    )
    # Two states: stay 0.9, the other 1 - 0.9 = 0.1; one uncontrolled action.
    np.testing.assert_allclose(B.B[0][:, :, 0], [[0.9, 0.1], [0.1, 0.9]])


# -- invalid numbers -------------------------------------------------------------------


def test_unnormalised_b_column_names_b():
    line = only_line(
        problems(
            "two-camps",
            {"populations.hopeful.B.system": [[0.9, 0.1], [0.0, 0.9]]},
        )
    )

    # Column from=works sums to 0.9 + 0.0 = 0.9.
    assert line.startswith(str(shipped_scenarios()["two-camps"]) + ": ")
    assert "populations.hopeful.B.system:" in line
    assert "from=works" in line
    assert "0.9" in line
    assert ".A." not in line


def test_d_summing_above_one_names_d():
    line = only_line(
        problems(
            "two-camps",
            {"populations.sceptical.D.system": {"works": 0.6, "rigged": 0.5}},
        )
    )

    # 0.6 + 0.5 = 1.1.
    assert "populations.sceptical.D.system:" in line
    assert "1.1" in line
    assert ".A." not in line
    assert ".B." not in line


def test_all_zero_a_column_rejected():
    zeros = {"none": 0.0, "campaign": 0.0, "scandal": 0.0}
    line = only_line(
        problems("two-camps", {"populations.hopeful.A.news.rigged": zeros})
    )

    assert "populations.hopeful.A.news:" in line
    assert "system=rigged" in line
    assert "all zeros" in line
    assert "nan" not in line.lower()


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (-0.1, "negative"),
        (math.nan, "NaN"),
        (math.inf, "infinity"),
    ],
)
def test_invalid_probability_is_rejected(value, words):
    column = {"none": value, "campaign": 0.6, "scandal": 0.5}
    line = only_line(
        problems("two-camps", {"populations.hopeful.A.news.works": column})
    )

    assert "populations.hopeful.A.news:" in line
    assert words in line


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_non_finite_c_rejected(value):
    line = only_line(
        problems("two-camps", {"populations.hopeful.C.result.loss": value})
    )

    assert "populations.hopeful.C.result:" in line
    assert "finite" in line


def test_wrong_a_shape_rejected():
    line = only_line(
        problems("two-camps", {"populations.hopeful.A.news": [[0.5, 0.5], [0.5, 0.5]]})
    )

    # news has 3 outcomes and depends on system (2 states).
    assert "populations.hopeful.A.news:" in line
    assert "(2, 2)" in line
    assert "(3, 2)" in line


def test_wrong_d_length_rejected():
    line = only_line(problems("two-camps", {"populations.hopeful.D.system": [1.0]}))

    assert "populations.hopeful.D.system:" in line
    assert "(2,)" in line


def test_unknown_state_label_is_rejected():
    line = only_line(
        problems("two-camps", {"populations.hopeful.D.system": {"broken": 1.0}})
    )

    assert "populations.hopeful.D.system.broken:" in line
    assert "'broken'" in line


# -- invalid structure -----------------------------------------------------------------


def test_unknown_depends_on_factor():
    lines = problems("two-camps", {"modalities.news.depends_on": ["weather"]})

    assert any("modalities.news.depends_on:" in line for line in lines)
    assert any("'weather'" in line for line in lines)


def test_unknown_target_population():
    line = only_line(problems("two-camps", {"interventions.campaign.targets": ["x"]}))

    assert "interventions.campaign.targets:" in line
    assert "'x'" in line
    assert "hopeful" in line


def test_unknown_key_is_rejected(two_camps_text, write_scenario):
    path = write_scenario(
        two_camps_text,
        {"[populations.hopeful]\n": "[populations.hopeful]\ncolour = 1\n"},
    )

    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    line = only_line(caught.value.lines)
    assert line.startswith(f"{path}: populations.hopeful.colour: ")
    assert "unknown key" in line


def test_wrong_type_names_field():
    line = only_line(problems("two-camps", {"populations.hopeful.gamma": "high"}))

    assert "populations.hopeful.gamma:" in line
    assert "'high'" in line


def test_stop_not_after_start():
    line = only_line(problems("two-camps", {"interventions.campaign.stop": 5}))

    # The campaign starts at step 5, so stop = 5 would leave an empty window.
    assert "interventions.campaign.stop:" in line
    assert "stop (5)" in line
    assert "start (5)" in line


def test_intervention_without_observation_or_effect(two_camps_text, write_scenario):
    path = write_scenario(two_camps_text, {'observation = "campaign"\n': ""})

    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    line = only_line(caught.value.lines)
    assert line.startswith(f"{path}: interventions.campaign: ")
    assert "neither an observation nor an effect" in line


def test_every_problem_reported_at_once():
    lines = problems(
        "two-camps",
        {
            "populations.hopeful.D.system": [0.5, 0.6],
            "populations.sceptical.D.system": [0.5, 0.6],
        },
    )

    assert len(lines) == 2
    assert "populations.hopeful.D.system" in lines[0]
    assert "populations.sceptical.D.system" in lines[1]


def test_one_state_context_factor(two_camps_text, write_scenario):
    path = write_scenario(
        two_camps_text + '\n[factors.season]\nkind = "context"\nstates = ["winter"]\n',
        {'system = "works"\n': 'system = "works"\nseason = "winter"\n'},
    )
    scenario = load_scenario(path, {"populations.hopeful.size": 12})

    season = scenario.factor_index("season")
    assert scenario.factors[season].num_states == 1
    assert scenario.population("hopeful").D[season].shape == (1,)
    assert scenario.population("hopeful").B[season].shape == (1, 1, 1)


def test_policy_budget_names_the_count():
    line = only_line(
        problems(
            "two-camps",
            {"populations.hopeful.policy_len": 3, "scenario.max_policies": 4},
        )
    )

    # One control factor with 2 actions over 3 steps: 2 ** 3 = 8 policies.
    assert "populations.hopeful.policy_len:" in line
    assert "8 policies" in line
    assert "budget of 4" in line


def test_policy_budget_admits_exact_count():
    scenario = load_scenario(
        "two-camps",
        {"populations.hopeful.policy_len": 3, "scenario.max_policies": 8},
    )

    assert scenario.population("hopeful").policy_len == 3


# -- overrides -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path", "value"),
    [
        ("scenario.steps=3", "scenario.steps", 3),
        ("graph.homophily=0.5", "graph.homophily", 0.5),
        (
            "interventions.campaign.enabled=false",
            "interventions.campaign.enabled",
            False,
        ),
        ("environment.context.system=rigged", "environment.context.system", "rigged"),
        ("a.b=[1, 2]", "a.b", [1, 2]),
        ("a.b={ x = 0.2, y = 0.8 }", "a.b", {"x": 0.2, "y": 0.8}),
    ],
)
def test_assignment_parses_types(text, path, value):
    parsed = parse_assignment(text)

    assert parsed == (path, value)
    assert type(parsed[1]) is type(value)


@pytest.mark.parametrize("text", ["steps", "=3", "a..b=1", ".a=1"])
def test_malformed_assignment_is_rejected(text):
    with pytest.raises(ValueError, match=r"dotted\.path=value"):
        parse_assignment(text)


def test_override_changes_values():
    scenario = load_scenario(
        "two-camps",
        [
            ("populations.hopeful.size", 7),
            ("scenario.steps", 3),
            ("environment.context.system", "rigged"),
        ],
    )

    assert scenario.population("hopeful").size == 7
    assert scenario.steps == 3
    # system is factor 0; rigged is its state 1.
    assert scenario.environment.context[:, 0].tolist() == [1, 1]


def test_override_unknown_population_rejected():
    line = only_line(problems("two-camps", {"populations.hopefull.size": 3}))

    assert "populations.hopefull.size:" in line
    assert "'hopefull'" in line
    assert "hopeful, sceptical" in line


def test_override_creates_nested_keys(load_small):
    scenario = load_small(**{"populations.hopeful.C.neighbours.many_act": 1.5})

    # C.neighbours did not exist; outcomes few/some/many_act, others get 0.
    neighbours = scenario.modality_index("neighbours")
    np.testing.assert_array_equal(
        scenario.population("hopeful").C[neighbours], [0.0, 0.0, 1.5]
    )
    np.testing.assert_array_equal(
        scenario.population("sceptical").C[neighbours], [0.0, 0.0, 0.0]
    )


def test_override_enables_intervention():
    scenario = load_scenario(
        "ai-infrastructure", {"interventions.benefit_agreement.enabled": True}
    )

    names = [i.name for i in scenario.interventions]
    assert names == ["awareness_campaign", "benefit_agreement"]
    assert scenario.interventions[1].structural


# -- graph files -----------------------------------------------------------------------


def graph_line(lines: list[str]) -> str:
    """Return the one ``graph.path`` line among a failed load's lines.

    A graph file that cannot be read also leaves the sizes it would supply
    missing, which is reported on lines of its own.
    """
    found = [line for line in lines if ": graph.path: " in line]
    assert len(found) == 1, lines
    return found[0]


def file_scenario(text: str, write_scenario, graph_name: str):
    return write_scenario(
        text,
        {TWO_CAMPS_GRAPH: f'kind = "file"\npath = "{graph_name}"', "size = 60\n": ""},
    )


def labelled_path_graph(populations: list[str]) -> nx.Graph:
    graph = nx.path_graph(len(populations))
    for node, name in enumerate(populations):
        graph.nodes[node]["population"] = name
    return graph


@pytest.mark.parametrize("suffix", ["graphml", "gml"])
def test_graph_file_sets_populations(two_camps_text, write_scenario, tmp_path, suffix):
    graph = labelled_path_graph(["hopeful"] * 2 + ["sceptical"] * 3)
    writer = nx.write_graphml if suffix == "graphml" else nx.write_gml
    writer(graph, tmp_path / f"g.{suffix}")

    scenario = load_scenario(
        file_scenario(two_camps_text, write_scenario, f"g.{suffix}")
    )

    assert [p.size for p in scenario.populations] == [2, 3]
    assert scenario.graph_file.number_of_nodes() == 5
    assert scenario.graph_file.number_of_edges() == 4


def test_graph_file_unknown_population(two_camps_text, write_scenario, tmp_path):
    graph = labelled_path_graph(["hopeful", "sceptical", "cynical"])
    nx.write_graphml(graph, tmp_path / "g.graphml")

    with pytest.raises(ScenarioError) as caught:
        load_scenario(file_scenario(two_camps_text, write_scenario, "g.graphml"))
    line = graph_line(caught.value.lines)
    assert "'cynical'" in line


def test_graph_file_missing(two_camps_text, write_scenario):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(file_scenario(two_camps_text, write_scenario, "absent.graphml"))
    line = graph_line(caught.value.lines)
    assert "absent.graphml" in line
    assert "not found" in line


def test_graph_file_rejects_pickle(two_camps_text, write_scenario, tmp_path):
    (tmp_path / "g.pickle").write_bytes(b"not read")

    with pytest.raises(ScenarioError) as caught:
        load_scenario(file_scenario(two_camps_text, write_scenario, "g.pickle"))
    assert "unsupported graph file type '.pickle'" in graph_line(caught.value.lines)


def test_edge_list_takes_sizes(two_camps_text, write_scenario, tmp_path):
    # A ring of 5 nodes: 5 edges; sizes 2 + 3 = 5 agents.
    (tmp_path / "ring.edgelist").write_text("a b\nb c\nc d\nd e\ne a\n")
    path = write_scenario(
        two_camps_text,
        {TWO_CAMPS_GRAPH: 'kind = "file"\npath = "ring.edgelist"'},
    )

    scenario = load_scenario(
        path, {"populations.hopeful.size": 2, "populations.sceptical.size": 3}
    )
    assert scenario.graph_file.number_of_nodes() == 5
    assert scenario.graph_file.number_of_edges() == 5

    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, {"populations.hopeful.size": 3})
    # 3 + 60 = 63 agents against 5 nodes.
    assert "63 agents" in only_line(caught.value.lines)


# -- where a scenario is read from -----------------------------------------------------


def test_path_outside_shipped_folder(two_camps_text, write_scenario, tmp_path):
    path = write_scenario(two_camps_text, name="copy.toml")

    assert load_scenario(str(path)).name == "two-camps"

    with pytest.raises(ScenarioError, match="is a folder, not a scenario file"):
        load_scenario(str(tmp_path))
    with pytest.raises(ScenarioError, match="was not found"):
        load_scenario(str(tmp_path / "absent.toml"))


def test_unknown_name_lists_shipped():
    with pytest.raises(ScenarioError) as caught:
        load_scenario("three-camps")
    line = only_line(caught.value.lines)

    assert line.startswith("three-camps: ")
    assert "two-camps" in line


def test_invalid_toml_names_file(write_scenario):
    path = write_scenario("[scenario\nname = 1\n")

    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    line = only_line(caught.value.lines)
    assert line.startswith(f"{path}: ")
    assert "invalid TOML" in line


def test_non_utf8_file_named(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('[scenario]\nname = "caf\xe9"\n'.encode("latin-1"))

    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    line = only_line(caught.value.lines)
    # "é" in Latin-1 is the single byte 0xe9, which is invalid UTF-8 on its own.
    assert "not UTF-8 text" in line
    assert "0xe9" in line
    assert "save it with UTF-8 encoding" in line


# -- validation messages ---------------------------------------------------------------


def test_nan_gamma_names_range():
    line = only_line(problems("two-camps", {"populations.hopeful.gamma": math.nan}))

    assert "populations.hopeful.gamma: NaN is not a number" in line
    # gamma is declared with gt=0, le=1e6 in the schema.
    assert "a number > 0 and <= 1000000" in line


def test_range_error_gives_allowed_range():
    line = only_line(problems("two-camps", {"populations.hopeful.policy_len": 0}))

    assert "(got 0)" in line
    assert line.endswith("give an integer >= 1 and <= 16")


def test_value_error_prefix_stripped():
    line = only_line(problems("two-camps", {"factors.system.states": []}))

    assert "factors.system.states: no states given" in line
    assert "Value error" not in line


def test_misspelt_key_suggests_closest():
    line = only_line(problems("two-camps", {"populations.hopeful.polcy_len": 2}))

    assert "unknown key 'polcy_len'; did you mean 'policy_len'?" in line
    assert "accepted in populations.hopeful: size, A, B, C, D, gamma" in line
    assert "docs/scenario-format.md" in line


def test_unlike_key_lists_table_keys():
    overrides = {"populations.hopeful.heterogeneity.zzz": 1}
    line = only_line(problems("two-camps", overrides))

    assert "did you mean" not in line
    assert "keys accepted in populations.hopeful.heterogeneity: " in line
    assert "D_concentration, gamma_cv" in line


def test_unknown_observation_reported_once():
    overrides = {"interventions.campaign.observation": "bogus"}
    line = only_line(problems("two-camps", overrides))

    assert "interventions.campaign.observation: unknown outcome 'bogus'" in line


def test_graph_path_folder_named(two_camps_text, write_scenario, tmp_path):
    (tmp_path / "graphs").mkdir()

    with pytest.raises(ScenarioError) as caught:
        load_scenario(file_scenario(two_camps_text, write_scenario, "graphs"))
    line = graph_line(caught.value.lines)
    assert "is a folder, not a file" in line
    assert "not found" not in line


def test_no_populations_named_once(two_camps_text, write_scenario, tmp_path):
    nx.write_gml(labelled_path_graph(["hopeful", "sceptical"]), tmp_path / "g.gml")
    cut = two_camps_text.index("# ------")
    path = write_scenario(
        two_camps_text[:cut] + "[populations]\n",
        {TWO_CAMPS_GRAPH: 'kind = "file"\npath = "g.gml"'},
    )

    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    line = only_line(caught.value.lines)
    assert line.endswith("populations: no populations declared; declare one")


# -- graph files and graph keys --------------------------------------------------------


def test_csv_header_line_skipped(two_camps_text, write_scenario, tmp_path):
    # A triangle of 3 nodes with a header and a comment: 3 edges, 1 + 2 agents.
    (tmp_path / "edges.csv").write_text("Source,Target\n# a triangle\n0,1\n1,2\n2,0\n")
    path = write_scenario(
        two_camps_text, {TWO_CAMPS_GRAPH: 'kind = "file"\npath = "edges.csv"'}
    )

    scenario = load_scenario(
        path, {"populations.hopeful.size": 1, "populations.sceptical.size": 2}
    )

    assert scenario.graph_file.number_of_nodes() == 3
    assert scenario.graph_file.number_of_edges() == 3
    labels = sorted(d["label"] for _, d in scenario.graph_file.nodes(data=True))
    assert labels == ["0", "1", "2"]


def test_edge_list_named_nodes_kept(two_camps_text, write_scenario, tmp_path):
    # "alice bob" is a first line of node names, not of column names.
    (tmp_path / "pairs.txt").write_text("alice bob\nbob carol\n")
    path = write_scenario(
        two_camps_text, {TWO_CAMPS_GRAPH: 'kind = "file"\npath = "pairs.txt"'}
    )

    scenario = load_scenario(
        path, {"populations.hopeful.size": 1, "populations.sceptical.size": 2}
    )

    assert scenario.graph_file.number_of_nodes() == 3
    assert scenario.graph_file.number_of_edges() == 2


@pytest.mark.parametrize(
    ("overrides", "ignored"),
    [
        ({"graph.kind": "complete"}, ["homophily", "mean_degree"]),
        ({"graph.kind": "erdos_renyi", "graph.rewire": 0.3}, ["homophily", "rewire"]),
        ({"graph.kind": "watts_strogatz"}, ["homophily"]),
        ({"graph.rewire": 0.3}, ["rewire"]),
    ],
)
def test_ignored_graph_key_warns(caplog, overrides, ignored):
    # two-camps sets mean_degree = 8 and homophily = 0.8 in its [graph] table.
    with caplog.at_level("WARNING", logger="scenarios"):
        load_scenario("two-camps", overrides)

    warned = sorted(
        record.getMessage().split("graph.")[1].split()[0]
        for record in caplog.records
        if "does not apply to kind" in record.getMessage()
    )
    assert warned == ignored


def test_default_graph_keys_not_warned(caplog):
    # baseline-consensus uses kind = "complete" and sets no other graph key.
    with caplog.at_level("WARNING", logger="scenarios"):
        load_scenario("baseline-consensus")

    assert [r for r in caplog.records if "does not apply" in r.getMessage()] == []


# -- the format reference --------------------------------------------------------------


def test_format_reference_example_validates(tmp_path):
    doc = Path(__file__).parents[1] / "docs" / "scenario-format.md"
    text = doc.read_text()
    marker = "<!-- complete example -->"
    assert marker in text
    block = text.split(marker, 1)[1].split("```toml\n", 1)[1].split("\n```", 1)[0]
    path = tmp_path / "example.toml"
    path.write_text(block + "\n")

    scenario = load_scenario(path)

    assert scenario.name == "minimal"
    assert scenario.n_agents == 20
    assert [p.name for p in scenario.populations] == ["residents", "newcomers"]
