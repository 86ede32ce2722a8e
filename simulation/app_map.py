"""The browser app's model map: value overlap and signal table, or C and D.

The map is computed once per model (``simulation.analysis.map_scenario``,
when that module provides it) and drawn once per model.
"""

from __future__ import annotations

import importlib
import io
import logging
from typing import TYPE_CHECKING

import numpy as np
import solara
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from simulation.app import AppModel

logger = logging.getLogger(__name__)


def overlap_figure(labels: list[str], overlap: np.ndarray) -> Figure:
    """Draw a value overlap matrix, shape ``(P, P)``, as an annotated heatmap."""
    figure = Figure(figsize=(3.6, 3.0), layout="constrained")
    axis = figure.subplots()
    image = axis.imshow(overlap, vmin=0, vmax=1, cmap="Greens")
    axis.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=8)
    axis.set_yticks(range(len(labels)), labels, fontsize=8)
    for (i, j), value in np.ndenumerate(overlap):
        # White text on the darker half of the colour map.
        color = "white" if value > 0.6 else "black"
        axis.text(
            j, i, f"{value:.2f}", ha="center", va="center", fontsize=8, color=color
        )
    figure.colorbar(image, ax=axis, shrink=0.8)
    axis.set_title("Value overlap", fontsize=10)
    return figure


def preference_rows(model: AppModel) -> list[dict[str, str]]:
    """Return one row per population with its ``C`` and ``D`` written out.

    ``C`` is written per modality as log-preferences (nats) and ``D`` per
    factor as prior probabilities; only modalities with non-zero ``C`` appear.
    """
    scenario = model.scenario
    rows = []
    for population in scenario.populations:
        preferences = []
        for modality, values in zip(scenario.modalities, population.C, strict=True):
            if np.any(values != 0):
                pairs = ", ".join(
                    f"{o} {v:+.1f}"
                    for o, v in zip(modality.outcomes, values, strict=True)
                )
                preferences.append(f"{modality.name}: {pairs}")
        priors = []
        for factor, values in zip(scenario.factors, population.D, strict=True):
            if factor.kind == "context":
                pairs = ", ".join(
                    f"{s} {v:.2f}" for s, v in zip(factor.states, values, strict=True)
                )
                priors.append(f"{factor.name}: {pairs}")
        rows.append(
            {
                "population": population.name,
                "C (log-preferences, nats)": "; ".join(preferences) or "none",
                "D (prior over context)": "; ".join(priors) or "none",
            }
        )
    return rows


def find_map_scenario():
    """Return ``simulation.analysis.map_scenario`` when that module provides it."""
    try:
        analysis = importlib.import_module("simulation.analysis")
    except ImportError:
        return None
    return getattr(analysis, "map_scenario", None)


def overlap_matrix(pairs, names: list[str]) -> np.ndarray:
    """Turn pairwise overlaps into a symmetric matrix, shape ``(P, P)``.

    ``pairs`` is the value overlap table: one row per pair with
    ``population_a``, ``population_b`` and ``overlap``. The diagonal is 1.
    """
    matrix = np.eye(len(names))
    for row in pairs.itertuples(index=False):
        a = names.index(row.population_a)
        b = names.index(row.population_b)
        matrix[a, b] = matrix[b, a] = row.overlap
    return matrix


SIGNAL_COLUMNS = {
    "intervention": "intervention",
    "population": "population",
    "joint_before": "P(joint action) before",
    "joint_after": "after",
    "change": "change",
}


# The marker of a signal table row whose population the intervention does
# not target, as the command-line map writes it.
NOT_TARGETED = "(name): not targeted by this intervention"

TABLE_STYLE = (
    "<style>.mf-map-table th, .mf-map-table td "
    "{padding: 2px 12px 2px 0; text-align: left}</style>"
)


def table_html(table) -> str:
    """Write a DataFrame as an HTML table with padded cells."""
    return TABLE_STYLE + table.to_html(index=False, border=0, classes="mf-map-table")


def map_content(model: AppModel) -> tuple[bytes | None, str, str]:
    """Compute the model map once: overlap PNG, table HTML and any failure.

    Returns the overlap heatmap as PNG bytes (``None`` without a map), the
    HTML of the signal table (or, without a map, of each population's C and
    D) and a failure message (empty when the map was computed). A signal
    table row whose population the intervention does not target shows the
    intervention's name in brackets.
    """
    import pandas as pd

    map_scenario = find_map_scenario()
    failure = ""
    result = None
    if map_scenario is not None:
        try:
            result = map_scenario(model.scenario)
        except Exception as error:  # a failed map must not take the page down
            logger.exception("map_scenario failed for %s", model.scenario.name)
            failure = f"The model map failed: {error}"
    if result is None:
        return None, table_html(pd.DataFrame(preference_rows(model))), failure

    names = list(model.scenario.population_names)
    figure = overlap_figure(names, overlap_matrix(result.value_overlap, names))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    table = result.signal_table.copy()
    table["intervention"] = [
        name if targeted else f"({name})"
        for name, targeted in zip(table["intervention"], table["targeted"], strict=True)
    ]
    table = table[list(SIGNAL_COLUMNS)].rename(columns=SIGNAL_COLUMNS).round(3)
    return buffer.getvalue(), table_html(table), failure


@solara.component
def ModelMapView(model: AppModel):  # noqa: N802
    """Show the model map: value overlap and signal table, or each C and D."""
    # The model object itself is the dependency: an id could be reused by a
    # later model once this one is freed.
    overlap_png, html, failure = solara.use_memo(
        lambda: map_content(model), dependencies=[model]
    )
    with solara.Card("Model map"):
        if failure:
            solara.Text(failure, style={"color": "#b00020"})
        if overlap_png is not None:
            with solara.Columns([1, 2]):
                solara.Image(overlap_png, format="png")
                with solara.Column():
                    solara.Text(
                        "Signal table: the predicted share choosing the joint "
                        "action before and after one step of each intervention"
                    )
                    solara.HTML(
                        tag="div",
                        unsafe_innerHTML=html,
                        style={"font-size": "12px", "overflow-x": "auto"},
                    )
                    solara.Text(NOT_TARGETED, style={"font-size": "12px"})
        else:
            solara.Text("Each population's preferences C and priors D")
            solara.HTML(tag="div", unsafe_innerHTML=html, style={"font-size": "12px"})
