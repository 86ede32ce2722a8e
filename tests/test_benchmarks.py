"""Smoke tests of the benchmark harness on tiny sizes; no timing is asserted."""

from __future__ import annotations

import re

import numpy as np
import pytest

from benchmarks.__main__ import Plan, read_app_step, run
from benchmarks.common import Spread, population_sizes, scaled_scenario
from benchmarks.naive import NaiveModel
from benchmarks.report import read_results, render, write_report, write_results
from simulation import CoordinationModel


def test_population_sizes_keep_proportions():
    # 200:150:50 scaled to 100 is 50, 37.5, 12.5; the half goes to the first
    # of the two tied remainders (stable order), giving 50 + 38 + 12 = 100.
    assert population_sizes([200, 150, 50], 100) == [50, 38, 12]
    # Scaled by 25 the sizes are exact.
    assert population_sizes([200, 150, 50], 10_000) == [5000, 3750, 1250]


def test_population_sizes_reject_too_few():
    with pytest.raises(ValueError, match="at least 3 agents"):
        population_sizes([200, 150, 50], 2)


def test_scaled_scenario_total_agents():
    scenario = scaled_scenario(40)
    assert scenario.n_agents == 40
    # 200:150:50 of 40 is 20, 15 and 5.
    assert [p.size for p in scenario.populations] == [20, 15, 5]


def test_spread_median_and_range():
    spread = Spread.of([3.0, 1.0, 2.0, 10.0])
    # The median of 1, 2, 3, 10 is (2 + 3) / 2 = 2.5.
    assert spread.median == 2.5
    assert spread.low == 1.0
    assert spread.high == 10.0
    assert spread.format() == "2.5 (1–10, n=4)"


def test_naive_model_matches_population_shapes():
    model = CoordinationModel(scaled_scenario(12), record_agents=False, rng=3)
    naive = NaiveModel(model, seed=3)
    assert len(naive.agents) == 12
    naive.step()
    actions = naive.actions[:, model.scenario.joint_factor]
    assert set(np.unique(actions)) <= {0, 1}
    for agent in naive.agents:
        assert agent.pymdp_agent.batch_size == 1
        for qs in agent.qs:
            np.testing.assert_allclose(qs.sum(axis=-1), 1.0, rtol=1e-5)


def test_app_step_missing_file(tmp_path):
    result = read_app_step(tmp_path / "app_step_ms.txt")
    assert result["measured"] is False
    assert "not found" in result["reason"]


def test_app_step_reads_number(tmp_path):
    path = tmp_path / "app_step_ms.txt"
    path.write_text("42.5\n")
    assert read_app_step(path) == {"measured": True, "ms": 42.5, "path": str(path)}


def test_harness_writes_report(tmp_path):
    plan = Plan(
        # One size everywhere, so the in-process measurements share one
        # compiled update; the scaling worker compiles its own.
        kernel_agents=12,
        kernel_steps=2,
        kernel_repeats=2,
        naive_agents=12,
        naive_steps=1,
        naive_model_steps=2,
        scaling_sizes=(12,),
        scaling_steps=3,
        sweep_starts=None,
        sweep_replicates=1,
        sweep_steps=5,
    )
    results = run(plan, "python -m benchmarks --test")
    out = tmp_path / "bench.md"
    plot = write_report(results, out)

    assert plot == tmp_path / "bench-scaling.png"
    assert plot.stat().st_size > 0
    text = out.read_text()
    assert "](bench-scaling.png)" in text
    assert "`python -m benchmarks --test`" in text
    assert re.search(r"\| kernel ratio at 12 agents \| [0-9.]+ \(", text)
    assert re.search(r"\| naive speed-up at 12 agents \| [0-9.]+ \(", text)
    # One table row per scaling size.
    assert re.search(r"^\| 12 \| 3 \| ", text, re.MULTILINE)
    assert "Not measured: skipped by `--quick`" in text
    assert results["kernel"]["ratio"].count == 2
    assert results["scaling"][0]["peak_rss_bytes"] > 0
    for key in ("python", "jax", "pymdp", "mesa", "numpy"):
        assert key in results["machine"]["versions"]
    assert "## Before and after" not in text

    # The same results, read back as an earlier run with a higher ratio, give
    # a before-and-after table.
    before = read_results(write_results(results, tmp_path / "before.json"))
    before["label"] = "the old model"
    before["kernel"]["ratio"] = Spread(2.0, 1.5, 3.0, 4)
    compared = render(results, "plot.png", before)
    row = re.search(r"^\| kernel ratio, `record_agents=True` \| (.*)$", compared, re.M)
    assert row is not None
    assert row.group(1).startswith("2 (1.5–3, n=4) | ")
    assert "measuring the old model" in compared


def test_results_json_round_trip(tmp_path):
    results = {
        "command": "python -m benchmarks",
        "kernel": {"ratio": Spread(1.25, 1.0, 2.0, 3), "n_agents": 10},
        "naive": {"speedup": Spread(120.0, 100.0, 150.0, 5)},
        "scaling": [{"step_s": Spread(0.5, 0.25, 1.0, 2)}],
    }
    path = write_results(results, tmp_path / "bench.json")
    assert read_results(path) == results


def test_read_results_rejects_other_json(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"command": "x"}')
    with pytest.raises(ValueError, match=r"missing \['kernel', 'naive'\]"):
        read_results(path)
