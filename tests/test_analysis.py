"""Tests of the scenario map: value overlap, model divergence, signal table."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from scenarios import build_scenario, load_scenario
from simulation.analysis import (
    CHANGE_THRESHOLD,
    coordination_verdict,
    jensen_shannon_bits,
    map_scenario,
    model_divergence,
    posterior_after,
    signal_table,
    value_overlap,
)
from simulation.cli import app

LN3 = math.log(3.0)


def two_camps_data() -> dict:
    """Return the shipped two-camps tables, safe to edit."""
    return copy.deepcopy(load_scenario("two-camps").data)


def build(data: dict):
    return build_scenario(data, source="test.toml")


@pytest.fixture(scope="module")
def two_camps_signals():
    """The signal table of the shipped two-camps scenario, computed once."""
    return signal_table(load_scenario("two-camps"))


def test_identical_preferences_overlap_one():
    # Both camps have C.result = (2, 0, -2): JSD(p, p) = 0, so overlap = 1.
    table = value_overlap(load_scenario("two-camps"))

    assert len(table) == 1
    assert table.loc[0, "overlap"] == pytest.approx(1.0, abs=1e-12)
    assert table.loc[0, "modalities"] == "result"


def test_reversed_preferences_hand_worked():
    data = two_camps_data()
    for name in ("hopeful", "sceptical"):
        data["populations"][name]["C"] = {}
    data["populations"]["hopeful"]["C"]["own"] = {"waited": LN3, "acted": 0.0}
    data["populations"]["sceptical"]["C"]["own"] = {"waited": 0.0, "acted": LN3}

    table = value_overlap(build(data))

    # softmax(ln 3, 0) = (3/4, 1/4) and reversed (1/4, 3/4); their mixture is
    # (1/2, 1/2) with H = 1 bit, and H(3/4, 1/4) = 2 - (3/4) log2 3
    # = 2 - 0.75 * 1.5849625 = 0.8112781 bits. JSD = 1 - 0.8112781, so
    # overlap = 1 - JSD = 0.8112781.
    assert table.loc[0, "overlap"] == pytest.approx(0.8112781, abs=1e-7)
    # C.result is now flat in both camps, so only 'own' is averaged.
    assert table.loc[0, "modalities"] == "own"
    assert "overlap.result" not in table.columns


def test_reversed_ordering_is_minimum():
    data = two_camps_data()
    values = (2.0, 0.0, -2.0)
    outcomes = ("gain", "nothing", "loss")
    overlaps = {}
    for order in itertools.permutations(values):
        data["populations"]["sceptical"]["C"]["result"] = dict(
            zip(outcomes, order, strict=True)
        )
        overlaps[order] = value_overlap(build(data)).loc[0, "overlap"]

    # Of the six orderings of the same strengths, the reversed one, (-2, 0, 2),
    # agrees least with the hopeful camp's (2, 0, -2). The same one agrees fully.
    assert min(overlaps, key=overlaps.get) == (-2.0, 0.0, 2.0)
    assert overlaps[values] == pytest.approx(1.0, abs=1e-12)
    assert overlaps[(-2.0, 0.0, 2.0)] < 0.5


def test_identical_priors_divergence_zero():
    data = two_camps_data()
    data["populations"]["sceptical"]["D"]["system"] = {"works": 0.75, "rigged": 0.25}

    table = model_divergence(build(data)).set_index("component")

    assert table.loc["D.system", "bits"] == pytest.approx(0.0, abs=1e-12)
    # The camps still read the news differently: every column differs.
    assert table.loc["A.news", "bits"] > 0.0
    assert table.loc["A.result", "bits"] == pytest.approx(0.0, abs=1e-12)


def test_prior_divergence_hand_worked():
    # D.system: hopeful (0.75, 0.25), sceptical (0.2, 0.8); mixture
    # (0.475, 0.525). H(0.475, 0.525) = 0.9981959, H(0.75, 0.25) = 0.8112781,
    # H(0.2, 0.8) = 0.7219281; JSD = 0.9981959 - (0.8112781 + 0.7219281) / 2
    # = 0.2315928 bits.
    table = model_divergence(load_scenario("two-camps")).set_index("component")

    assert table.loc["D.system", "bits"] == pytest.approx(0.2315928, abs=1e-6)
    assert set(table["array"]) == {"A", "D"}


def test_identical_models_divergence_zero():
    table = model_divergence(load_scenario("baseline-consensus"))

    assert len(table) > 0
    assert table["bits"].max() == pytest.approx(0.0, abs=1e-12)


def test_jensen_shannon_bits_bounds():
    # One-hot against one-hot on different states: mixture (1/2, 1/2), so
    # JSD = 1 - 0 = 1 bit, the maximum; zeros contribute nothing.
    assert jensen_shannon_bits([1.0, 0.0, 0.0], [0.0, 0.0, 1.0]) == pytest.approx(1.0)
    divergence = jensen_shannon_bits([1.0, 0.0], [0.5, 0.5])
    assert 0.0 < divergence < 1.0


def test_signal_posterior_hand_worked(two_camps_signals):
    table = two_camps_signals.set_index(["intervention", "population"])

    # Hopeful: prior works 0.75; A(campaign | works) = 0.3, A(campaign |
    # rigged) = 0.1. Posterior works = 0.75 * 0.3 / (0.75 * 0.3 + 0.25 * 0.1)
    # = 0.225 / 0.25 = 0.9.
    hopeful = table.loc[("campaign", "hopeful")]
    assert hopeful["posterior.system.works"] == pytest.approx(0.9, abs=1e-12)
    assert hopeful["shift.system.works"] == pytest.approx(0.15, abs=1e-12)
    # Sceptical: prior works 0.2; A(campaign | works) = 0.15, A(campaign |
    # rigged) = 0.3. Posterior works = 0.03 / (0.03 + 0.24) = 1 / 9.
    sceptical = table.loc[("campaign", "sceptical")]
    assert sceptical["posterior.system.works"] == pytest.approx(1 / 9, abs=1e-12)
    # 'none' has likelihood 0.6 under both states, so no belief shifts.
    baseline = table.loc[("none", "hopeful")]
    assert baseline["shift.system.works"] == pytest.approx(0.0, abs=1e-12)
    assert baseline["change"] == pytest.approx(0.0, abs=1e-6)


def test_signal_moves_policy_mass_and_verdict(two_camps_signals):
    table = two_camps_signals
    verdict = coordination_verdict(table)

    # A stronger belief that the system works makes acting worth more to the
    # hopeful camp. The sceptical camp reads the campaign as a sign of rigging.
    rows = table[table["intervention"] == "campaign"].set_index("population")
    assert rows.loc["hopeful", "change"] >= CHANGE_THRESHOLD
    assert rows.loc["sceptical", "change"] <= -CHANGE_THRESHOLD
    assert verdict["campaign"]["towards"] == ["hopeful"]
    assert verdict["campaign"]["away"] == ["sceptical"]
    assert 0.0 <= rows["joint_after"].min() <= rows["joint_after"].max() <= 1.0


def test_soft_observation_geometric_mixture():
    scenario = load_scenario("two-camps")
    hopeful = scenario.population("hopeful")
    news = scenario.modality_index("news")
    depends_on = scenario.modalities[news].depends_on

    soft = posterior_after(hopeful, depends_on, news, np.array([0.5, 0.5, 0.0]))
    one_hot = posterior_after(hopeful, depends_on, news, np.array([0.0, 1.0, 0.0]))

    # Half 'none', half 'campaign': L(works) / L(rigged) = sqrt(0.6 * 0.3) /
    # sqrt(0.6 * 0.1) = sqrt(3), so posterior works = 0.75 sqrt(3) /
    # (0.75 sqrt(3) + 0.25) = 1.2990381 / 1.5490381 = 0.8386095.
    assert soft[0][0] == pytest.approx(0.8386095, abs=1e-6)
    # A one-hot distribution is the integer outcome: 0.9 as worked above.
    assert one_hot[0][0] == pytest.approx(0.9, abs=1e-12)


def test_impossible_observation_keeps_prior():
    scenario = load_scenario("two-camps")
    hopeful = scenario.population("hopeful")
    news = scenario.modality_index("news")
    A = [np.array(a) for a in hopeful.A]
    A[news] = np.array([[0.7, 0.7], [0.0, 0.0], [0.3, 0.3]])
    model = dataclasses.replace(hopeful, A=A)

    posterior = posterior_after(
        model, scenario.modalities[news].depends_on, news, np.array([0.0, 1.0, 0.0])
    )

    assert np.all(np.isfinite(posterior[0]))
    np.testing.assert_allclose(posterior[0], [0.75, 0.25], atol=1e-12)


def test_disabled_interventions_are_mapped():
    scenario = load_scenario("two-camps", {"interventions.campaign.enabled": False})
    assert scenario.interventions == ()

    scenario_map = map_scenario(scenario)

    assert list(scenario_map.verdict) == ["campaign"]
    assert "campaign" in set(scenario_map.signal_table["intervention"])


def test_one_population_maps():
    data = two_camps_data()
    del data["populations"]["sceptical"]
    data["graph"]["kind"] = "complete"

    scenario_map = map_scenario(build(data))
    result = scenario_map.to_dict()

    assert scenario_map.value_overlap.empty
    assert scenario_map.model_divergence.empty
    assert result["value_overlap"]["pairs"] == []
    assert any("one population" in note for note in scenario_map.notes)
    assert list(scenario_map.signal_table["population"]) == ["hopeful", "hopeful"]
    figure = scenario_map.figure()
    assert len(figure.axes) >= 4


def test_no_interventions_maps_baseline():
    data = two_camps_data()
    del data["interventions"]

    scenario_map = map_scenario(build(data))

    assert list(scenario_map.signal_table["intervention"]) == ["none", "none"]
    assert scenario_map.verdict == {}
    assert any("no interventions declared" in note for note in scenario_map.notes)


def test_map_command_writes_files(tmp_path):
    out = tmp_path / "map"

    result = CliRunner().invoke(app, ["map", "two-camps", "--out", str(out)])

    assert result.exit_code == 0, result.output
    document = json.loads((out / "map.json").read_text())
    for key in ("value_overlap", "model_divergence", "signal_table", "verdict"):
        assert key in document
    assert document["verdict"]["campaign"]["towards"] == ["hopeful"]
    assert (out / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Signal table" in result.output
    # Every table line fits in 80 columns; the last line names the folder.
    table_lines = result.output.splitlines()[:-1]
    assert max(len(line) for line in table_lines) <= 80


def test_map_command_invalid_scenario_exits_2(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "map",
            "two-camps",
            "--out",
            str(tmp_path / "map"),
            "--set",
            "populations.hopeful.size=-1",
        ],
    )

    assert result.exit_code == 2
    assert "populations.hopeful.size" in result.output
    assert not (tmp_path / "map").exists()
