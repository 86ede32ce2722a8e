"""The ``modelfirst`` console script, run as a separate process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from scenarios import shipped_scenarios

MODELFIRST = Path(sys.executable).parent / "modelfirst"
STEPS = 3
SEED = 7
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RUN_FILES = ("summary.json", "model.csv", "agents.parquet", "report.png")
SUMMARY_KEYS = {
    "scenario",
    "seed",
    "steps",
    "n_agents",
    "populations",
    "joint_action_reached",
    "joint_action_step",
    "converged",
    "convergence_step",
    "belief_divergence_initial",
    "belief_divergence_final",
}
AGENT_COLUMNS = ["step", "agent_id", "node", "population", "action"]
SCENARIO_NAMES = sorted(shipped_scenarios())


def modelfirst(*args: str) -> subprocess.CompletedProcess:
    """Run the console script and return its exit code and output."""
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "MPLBACKEND": "Agg"}
    return subprocess.run(
        [str(MODELFIRST), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def small_run(
    name: str, overrides: dict[str, object], out: Path
) -> subprocess.CompletedProcess:
    """Run a shipped scenario with ``--set`` overrides for 3 steps into ``out``."""
    sets = []
    for path, value in overrides.items():
        sets += ["--set", f"{path}={value}"]
    return modelfirst(
        "run",
        name,
        "--steps",
        STEPS,
        "--seed",
        SEED,
        "--out",
        out,
        "--no-progress",
        *sets,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory, small_overrides) -> dict[str, Path]:
    """Run every shipped scenario once; return each run's output folder."""
    folders = {}
    for name in SCENARIO_NAMES:
        out = tmp_path_factory.mktemp("runs") / name
        result = small_run(name, small_overrides[name], out)
        assert result.returncode == 0, result.stderr
        folders[name] = out
    return folders


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_run_writes_four_files(runs, name):
    written = sorted(path.name for path in runs[name].iterdir())

    assert written == sorted(RUN_FILES)


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_summary_follows_contract(runs, name):
    summary = json.loads((runs[name] / "summary.json").read_text())

    assert set(summary) >= SUMMARY_KEYS
    assert summary["scenario"] == name
    assert summary["seed"] == SEED
    assert summary["steps"] == STEPS
    sizes = [values["n"] for values in summary["populations"].values()]
    assert sum(sizes) == summary["n_agents"]
    for values in summary["populations"].values():
        assert sum(values["final_action_share"].values()) == pytest.approx(1.0)
    assert isinstance(summary["joint_action_reached"], bool)
    assert isinstance(summary["converged"], bool)
    assert 0.0 <= summary["belief_divergence_initial"] <= 1.0
    assert 0.0 <= summary["belief_divergence_final"] <= 1.0


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_model_csv_has_every_step(runs, name):
    table = pd.read_csv(runs[name] / "model.csv")
    summary = json.loads((runs[name] / "summary.json").read_text())

    assert table["step"].tolist() == list(range(STEPS + 1))
    for column in ("step", "joint_action", "belief_divergence"):
        assert column in table.columns
    for population, values in summary["populations"].items():
        assert f"divergence.{population}" in table.columns
        for action in values["final_action_share"]:
            assert f"share.{population}.{action}" in table.columns
    assert table["belief_divergence"].iloc[-1] == pytest.approx(
        summary["belief_divergence_final"]
    )


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_agents_parquet_columns(runs, name):
    table = pd.read_parquet(runs[name] / "agents.parquet")
    summary = json.loads((runs[name] / "summary.json").read_text())

    assert table.columns.tolist()[:5] == AGENT_COLUMNS
    assert any(column.startswith("belief.") for column in table.columns)
    # One row per agent and step, steps 0..3: n_agents * 4 rows.
    assert len(table) == summary["n_agents"] * (STEPS + 1)
    assert sorted(table["step"].unique().tolist()) == list(range(STEPS + 1))
    assert set(table["population"].astype(str)) == set(summary["populations"])


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_report_is_png(runs, name):
    data = (runs[name] / "report.png").read_bytes()

    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 10_000


def test_same_seed_same_bytes(runs, small_overrides, tmp_path):
    result = small_run("two-camps", small_overrides["two-camps"], tmp_path / "again")

    assert result.returncode == 0, result.stderr
    for name in RUN_FILES:
        first = (runs["two-camps"] / name).read_bytes()
        again = (tmp_path / "again" / name).read_bytes()
        assert first == again, name


def test_validate_valid_exits_zero():
    result = modelfirst("validate", "baseline-consensus")

    assert result.returncode == 0
    assert "valid: 60 agents in 2 populations" in result.stdout


# -- invalid input -------------------------------------------------------------------


def invalid_scenario(tmp_path: Path) -> Path:
    """Write two-camps with the hopeful camp's prior summing to 0.6 + 0.5 = 1.1."""
    text = shipped_scenarios()["two-camps"].read_text()
    old = "D.system = { works = 0.75, rigged = 0.25 }"
    assert old in text
    path = tmp_path / "invalid.toml"
    path.write_text(text.replace(old, "D.system = { works = 0.6, rigged = 0.5 }"))
    return path


def test_validate_invalid_exits_two(tmp_path):
    path = invalid_scenario(tmp_path)

    result = modelfirst("validate", path)

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}: populations.hopeful.D.system: ")
    assert "1.1" in lines[0]
    assert "Traceback" not in result.stderr


def test_run_invalid_writes_nothing(tmp_path):
    out = tmp_path / "out"

    result = modelfirst("run", invalid_scenario(tmp_path), "--out", out)

    assert result.returncode == 2
    assert "populations.hopeful.D.system" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("assignment", "words"),
    [
        ("populations.hopefull.size=3", "unknown key 'hopefull'"),
        ("steps", "dotted.path=value"),
    ],
)
def test_run_bad_set_writes_nothing(tmp_path, assignment, words):
    out = tmp_path / "out"

    result = modelfirst("run", "two-camps", "--out", out, "--set", assignment)

    assert result.returncode == 2
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_run_unknown_scenario(tmp_path):
    out = tmp_path / "out"

    result = modelfirst("run", "three-camps", "--out", out)

    assert result.returncode == 2
    assert result.stderr.startswith("three-camps: ")
    assert not out.exists()


def test_scenarios_lists_shipped():
    result = modelfirst("scenarios")

    assert result.returncode == 0
    listed = [line.split()[0] for line in result.stdout.strip().splitlines()]
    assert listed == ["ai-infrastructure", "baseline-consensus", "two-camps"]


@pytest.mark.parametrize("command", ["run", "map"])
def test_out_under_file_exits_two(tmp_path, command):
    blocker = tmp_path / "outfile.txt"
    blocker.write_text("a regular file\n")
    out = blocker / "sub"

    result = modelfirst(command, "two-camps", "--out", out)

    assert result.returncode == 2
    assert result.stderr == f"--out: {out}: Not a directory; choose another folder\n"
    assert result.stdout == ""


def test_out_existing_file_exits_two(tmp_path):
    out = tmp_path / "outfile.txt"
    out.write_text("a regular file\n")

    result = modelfirst("run", "two-camps", "--out", out)

    assert result.returncode == 2
    assert "exists and is not a folder; choose another folder" in result.stderr
    assert out.read_text() == "a regular file\n"


def test_steps_above_limit_rejected(tmp_path):
    out = tmp_path / "out"

    result = modelfirst("run", "two-camps", "--steps", 10**20, "--out", out)

    assert result.returncode == 2
    assert result.stderr == (
        "--steps: 100000000000000000000 is above the limit of 100000; lower it\n"
    )
    assert not out.exists()


def test_validate_pluralises_counts():
    result = modelfirst("validate", "two-camps")

    # two-camps: 60 + 60 agents, 2 populations, 1 intervention, 40 steps.
    assert result.returncode == 0
    assert "120 agents in 2 populations, 1 intervention, 40 steps" in result.stdout


@pytest.mark.parametrize("command", ["run", "map", "validate"])
def test_help_has_no_type_placeholders(command):
    result = modelfirst(command, "--help")

    assert result.returncode == 0
    assert "<bool>" not in result.stdout
    assert "{scenario}" not in result.stdout
    assert "SCENARIO" in result.stdout
    assert "PATH=VALUE" in result.stdout


def test_map_header_keeps_long_names(tmp_path):
    # "works_as_promised" makes the header P(system=works_as_promised), 27
    # characters, wider than the 20-character name column.
    text = shipped_scenarios()["two-camps"].read_text()
    path = tmp_path / "long.toml"
    path.write_text(text.replace("works", "works_as_promised"))

    result = modelfirst(
        "map",
        path,
        "--out",
        tmp_path / "map",
        "--set",
        "populations.hopeful.size=4",
        "--set",
        "populations.sceptical.size=4",
        "--set",
        "graph.mean_degree=2",
    )

    assert result.returncode == 0, result.stderr
    header = next(
        line for line in result.stdout.splitlines() if "observation  " in line
    )
    assert "P(system=works_as_promised)  mass on 'act'" in header


def test_joint_marker_unlike_populations(load_small):
    from matplotlib.colors import to_rgba

    from simulation.model import CoordinationModel
    from simulation.output import JOINT_MARKER, population_colors

    model = CoordinationModel(load_small("ai-infrastructure"), rng=0)
    colors = {to_rgba(color) for color in population_colors(model).values()}

    assert len(colors) == 3
    assert to_rgba(JOINT_MARKER["color"]) not in colors
    assert JOINT_MARKER["linestyle"] == "--"
