"""The figure of a scenario map: heatmaps of overlap and divergence, signal bars."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from scenarios import Scenario
from simulation.analysis import CHANGE_THRESHOLD, preference_modalities

if TYPE_CHECKING:
    from simulation.analysis import ScenarioMap


def map_figure(scenario_map: ScenarioMap):
    """Draw value overlap and model divergence as heatmaps, and the signal
    table as grouped bars (one group per observation, one bar per population).

    Returns a matplotlib figure; bars of populations an intervention does not
    target are hatched and faded.
    """
    # A pyplot-free Figure leaves the caller's backend alone.
    from matplotlib.figure import Figure

    scenario = scenario_map.scenario
    context = [scenario.factors[f] for f in scenario.context_factors]
    figure = Figure(figsize=(15, 10), layout="constrained")
    grid = figure.add_gridspec(2, 1, height_ratios=[1, 1])
    top = grid[0].subgridspec(1, 2, width_ratios=[1, 1.6])
    bottom = grid[1].subgridspec(1, len(context) + 1)

    _draw_heatmap(
        figure.add_subplot(top[0]),
        scenario_map.overlap_matrix(),
        "Value overlap (1 = same preferences)\nfrom C on "
        + (", ".join(preference_modalities(scenario)) or "no modality"),
        "Blues",
        "{:.3f}",
    )
    _draw_heatmap(
        figure.add_subplot(top[1]),
        scenario_map.divergence_matrix(),
        "Model divergence (JSD, bits; 0 = same model)",
        "Reds",
        "{:.3f}",
    )

    table = scenario_map.signal_table
    for index, factor in enumerate(context):
        state = factor.states[0]
        _draw_bars(
            figure.add_subplot(bottom[index]),
            scenario,
            table,
            f"shift.{factor.name}.{state}",
            f"change in P({factor.name} = {state})",
            f"Belief shift after one observation: {factor.name}",
        )
    action_axis = figure.add_subplot(bottom[len(context)])
    _draw_bars(
        action_axis,
        scenario,
        table,
        "change",
        f"change in policy mass on '{scenario.joint_action_name}'",
        f"Move towards the joint action '{scenario.joint_action_name}'\n"
        f"(dotted: verdict threshold ±{CHANGE_THRESHOLD:g})",
    )
    for level in (CHANGE_THRESHOLD, -CHANGE_THRESHOLD):
        action_axis.axhline(level, color="black", linestyle=":", linewidth=0.8)
    figure.suptitle(f"{scenario.name}: map of the populations' models", fontsize=14)
    return figure


def _draw_heatmap(axis, matrix: pd.DataFrame, title: str, cmap: str, fmt: str):
    axis.set_title(title)
    if matrix.empty:
        axis.text(0.5, 0.5, "needs two populations", ha="center", va="center")
        axis.set_axis_off()
        return
    values = matrix.to_numpy(dtype=np.float64)
    image = axis.imshow(values, cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
    axis.set_xticks(range(values.shape[1]), matrix.columns, rotation=30, ha="right")
    axis.set_yticks(range(values.shape[0]), matrix.index)
    for (i, j), value in np.ndenumerate(values):
        text = "n/a" if np.isnan(value) else fmt.format(value)
        axis.text(
            j,
            i,
            text,
            ha="center",
            va="center",
            fontsize=9,
            color="white" if value > 0.6 else "black",
        )
    axis.figure.colorbar(image, ax=axis, shrink=0.8)


def _draw_bars(axis, scenario: Scenario, table: pd.DataFrame, column, label, title):
    import matplotlib as mpl

    axis.set_title(title, fontsize=11)
    if table.empty:
        axis.text(0.5, 0.5, "no intervention modality", ha="center", va="center")
        axis.set_axis_off()
        return
    palette = mpl.colormaps["tab10"].colors
    names = scenario.population_names
    labels = list(dict.fromkeys(table["intervention"]))
    width = 0.8 / len(names)
    for p, model in enumerate(scenario.populations):
        rows = table[table["population"] == model.name].set_index("intervention")
        rows = rows[~rows.index.duplicated()].reindex(labels)
        offsets = np.arange(len(labels)) + (p - (len(names) - 1) / 2) * width
        color = model.color or palette[p % len(palette)]
        bars = axis.bar(
            offsets,
            rows[column].to_numpy(dtype=np.float64),
            width,
            color=color,
            label=model.name,
        )
        for bar, targeted in zip(bars, rows["targeted"], strict=True):
            if not targeted:
                bar.set_alpha(0.35)
                bar.set_hatch("//")
    axis.axhline(0.0, color="black", linewidth=0.8)
    axis.set_xticks(range(len(labels)), labels, rotation=20, ha="right")
    axis.set_ylabel(label)
    axis.legend(fontsize=8, title="hatched: not targeted", title_fontsize=7)
