"""Bad input: mutated scenarios, hostile files and output paths.

A scenario file is data. Whatever it contains, loading it either gives a
scenario that runs with finite outputs or raises :class:`ScenarioError`;
never another exception, a NaN in the output, or a hang.
"""

from __future__ import annotations

import copy
import math
import pickle
import tomllib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from scenarios import ScenarioError, build_scenario, load_scenario, shipped_scenarios
from simulation import CoordinationModel
from simulation.cli import app

TINY = {"hopeful": 5, "sceptical": 5}


def tiny_two_camps() -> dict:
    data = tomllib.loads(shipped_scenarios()["two-camps"].read_text())
    for name, size in TINY.items():
        data["populations"][name]["size"] = size
    data["graph"]["mean_degree"] = 3
    return data


BASE = tiny_two_camps()


def leaf_paths(node, prefix=()) -> list[tuple]:
    """List the path of every table entry and list item below ``node``."""
    paths = []
    if isinstance(node, dict):
        for key, value in node.items():
            paths.append((*prefix, key))
            paths.extend(leaf_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            paths.append((*prefix, index))
            paths.extend(leaf_paths(value, (*prefix, index)))
    return paths


PATHS = leaf_paths(BASE)
REPLACEMENTS = [
    math.nan,
    math.inf,
    -math.inf,
    -1,
    0,
    -0.5,
    1e308,
    10**30,
    "",
    "nowhere",
    [],
    {},
    [1, 2, 3],
    {"nowhere": 1.0},
    True,
    ["nowhere"],
]
MUTATIONS = ("drop", "duplicate", "replace")


def mutate(data: dict, path: tuple, mutation: str, value) -> dict:
    result = copy.deepcopy(data)
    parent = result
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if mutation == "drop":
        del parent[last]
    elif mutation == "duplicate":
        if isinstance(parent, dict):
            parent[f"{last}_copy"] = copy.deepcopy(parent[last])
        else:
            parent.append(copy.deepcopy(parent[last]))
    else:
        parent[last] = value
    return result


def check_finite_run(scenario) -> None:
    model = CoordinationModel(scenario, rng=0)
    model.run(2)
    numbers = model.model_table.select_dtypes("number").to_numpy(dtype=float)
    assert np.all(np.isfinite(numbers))
    beliefs = model.agent_table.filter(like="belief.").to_numpy(dtype=float)
    assert np.all(np.isfinite(beliefs))


@pytest.mark.timeout(600)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(
    path=st.sampled_from(PATHS),
    mutation=st.sampled_from(MUTATIONS),
    value=st.sampled_from(REPLACEMENTS),
)
def test_mutated_scenario_runs_or_is_rejected(path, mutation, value):
    data = mutate(BASE, path, mutation, value)
    try:
        scenario = build_scenario(data, source="mutated.toml")
    except ScenarioError as error:
        assert error.lines
        assert all(line.startswith("mutated.toml: ") for line in error.lines)
        return
    # Valid after the mutation: small scenarios run; a size raised to many
    # agents is a valid scenario too, just not one to run here.
    if scenario.n_agents <= 200:
        check_finite_run(scenario)


# -- files are parsed, never executed -------------------------------------------------

CODE = "__import__('os').system('touch {marker}')"


def test_code_in_strings_stays_text(two_camps_text, write_scenario, tmp_path):
    marker = tmp_path / "executed"
    code = CODE.format(marker=marker)
    path = write_scenario(
        two_camps_text, replace={'name = "two-camps"': f'name = "{code}"'}
    )

    scenario = load_scenario(path)
    assert scenario.name == code
    assert not marker.exists()


class Payload:
    """A pickle that would create a file if it were ever unpickled."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("suffix", [".pkl", ".gpickle", ".graphml", ".gml"])
def test_pickled_graph_is_rejected(two_camps_text, write_scenario, tmp_path, suffix):
    marker = tmp_path / "unpickled"
    graph = tmp_path / f"graph{suffix}"
    graph.write_bytes(pickle.dumps(Payload(marker)))
    path = write_scenario(
        two_camps_text,
        replace={'kind = "stochastic_block"': f'kind = "file"\npath = "{graph.name}"'},
    )

    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    assert "graph.path" in str(error.value)
    assert not marker.exists()


LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
<!ENTITY lol "lol">
{entities}
]>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
<key id="p" for="node" attr.name="population" attr.type="string"/>
<graph edgedefault="undirected"><node id="a"><data key="p">&lol9;</data></node></graph>
</graphml>
"""


@pytest.mark.timeout(60)
def test_graphml_entity_expansion_rejected(two_camps_text, write_scenario, tmp_path):
    # Ten levels of ten references each expand to 10**9 copies of "lol".
    lines = []
    for level in range(1, 10):
        inner = f"&lol{level - 1};" if level > 1 else "&lol;"
        lines.append(f'<!ENTITY lol{level} "{inner * 10}">')
    entities = "\n".join(lines)
    (tmp_path / "laughs.graphml").write_text(LAUGHS.format(entities=entities))
    path = write_scenario(
        two_camps_text,
        replace={'kind = "stochastic_block"': 'kind = "file"\npath = "laughs.graphml"'},
    )

    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    assert "graph.path" in str(error.value)


def test_path_like_name_is_read_as_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder.toml").mkdir()

    with pytest.raises(ScenarioError) as missing:
        load_scenario("../two-camps")
    assert "was not found" in str(missing.value)
    with pytest.raises(ScenarioError) as folder:
        load_scenario("folder.toml")
    assert "is a folder, not a scenario file" in str(folder.value)

    (tmp_path / "two-camps").write_text("not toml at all = = =")
    # A bare name finds the shipped scenario first, never a local file.
    assert load_scenario("two-camps").path == shipped_scenarios()["two-camps"]
    with pytest.raises(ScenarioError):
        load_scenario("./two-camps")


def test_run_writes_only_inside_out(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app,
        [
            "run",
            "two-camps",
            "--out",
            "nested/out",
            "--steps",
            "2",
            "--no-progress",
            "--set",
            "populations.hopeful.size=5",
            "--set",
            "populations.sceptical.size=5",
            "--set",
            "graph.mean_degree=3",
        ],
    )

    assert result.exit_code == 0, result.output
    written = sorted(
        p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()
    )
    assert written == [
        "nested/out/agents.parquet",
        "nested/out/model.csv",
        "nested/out/report.png",
        "nested/out/summary.json",
    ]


def test_huge_preference_rejected():
    # 1e308 is finite in float64 but overflows the agents' float32 to infinity.
    data = mutate(
        BASE, ("populations", "sceptical", "C", "result", "gain"), "replace", 1e308
    )

    with pytest.raises(ScenarioError) as error:
        build_scenario(data, source="huge.toml")
    assert len(error.value.lines) == 1
    assert "populations.sceptical.C.result" in error.value.lines[0]
    assert "1000 nats" in error.value.lines[0]
