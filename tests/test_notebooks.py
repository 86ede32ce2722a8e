"""Run every teaching notebook top to bottom and fail on any error.

Each notebook ends with a cell that asserts the claim it teaches, so a change
that breaks a lesson fails here. A notebook added to ``notebooks/`` is picked
up without editing this file.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from ipykernel.kernelspec import install as install_kernel
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))

# Seconds one cell may run before the notebook fails. Every notebook is meant
# to run in under a minute on a 2-core machine; the margin covers the first
# JAX compilation on a slow runner.
CELL_TIMEOUT = 180

KERNEL_NAME = "modelfirst-test"


@pytest.fixture(scope="module")
def kernel_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Install a kernel spec that runs this interpreter, in a temporary prefix.

    The spec names ``sys.executable``, so notebooks run in the same virtual
    environment as the tests, whatever kernels the user has installed.
    Returns the folder to put on ``JUPYTER_PATH``.
    """
    prefix = tmp_path_factory.mktemp("jupyter")
    install_kernel(kernel_name=KERNEL_NAME, prefix=str(prefix))
    return prefix / "share" / "jupyter"


def test_notebooks_found():
    names = {path.stem for path in NOTEBOOKS}
    lessons = {
        "01_one_agent",
        "02_same_values_different_models",
        "03_what_an_intervention_signals",
        "04_networks_and_echo_chambers",
        "05_coordination_surface",
    }
    assert lessons <= names, f"missing notebooks: {sorted(lessons - names)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_stored_without_outputs(path: Path):
    notebook = nbformat.read(path, as_version=4)
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    with_outputs = [i for i, c in enumerate(code_cells) if c.outputs]
    assert with_outputs == [], f"clear the outputs of {path.name} before committing"
    counted = [i for i, c in enumerate(code_cells) if c.execution_count is not None]
    assert counted == [], f"clear the execution counts of {path.name}"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(
    path: Path, kernel_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_path))
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    # The kernel's own inline backend draws the figures, as it does for a reader.
    env.pop("MPLBACKEND", None)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(tmp_path)}},
    )

    client.execute(env=env)

    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert code_cells, f"{path.name} has no code cells"
    errors = [
        output
        for cell in code_cells
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert errors == []
