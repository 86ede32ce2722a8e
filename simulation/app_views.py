"""Views of the browser app: the network, time series, histograms, model map.

Each figure function takes a model and returns a ``matplotlib.figure.Figure``
(built without pyplot, so nothing is kept in a global figure registry); the
Solara components at the bottom wrap them. Every view is redrawn after each
step, so each one draws a few hundred artists at most.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import solara
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from simulation.output import population_colors

if TYPE_CHECKING:
    from simulation.app import AppModel

logger = logging.getLogger(__name__)

# Above this many agents the network view draws a fixed random sample.
MAX_DRAWN_NODES = 2000

MARKERS = "os^Dvp*h"
# One hue per action of the joint factor; the shade shows belief.
ACTION_COLORS = ("#6a3d9a", "#e08000", "#2ca02c", "#1f77b4", "#8c564b")


def drawn_sample(model: AppModel) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Return the nodes the network view draws and their positions.

    Below :data:`MAX_DRAWN_NODES` agents every node is drawn at
    ``model.layout()``; above it, a seeded random sample is laid out on its
    own. Both are computed once per model and kept on it.
    """
    cached = getattr(model, "_drawn_sample", None)
    if cached is not None:
        return cached
    n = model.scenario.n_agents
    if n <= MAX_DRAWN_NODES:
        sample = (np.arange(n), model.layout())
    else:
        import networkx as nx

        rng = np.random.default_rng(model.seed)
        nodes = np.sort(rng.choice(n, MAX_DRAWN_NODES, replace=False))
        graph = model.graph.subgraph(nodes.tolist())
        sample = (nodes, nx.spring_layout(graph, seed=0, iterations=30))
    model._drawn_sample = sample
    return sample


def shade(base: str, strength: np.ndarray) -> np.ndarray:
    """Mix white with ``base``: strength 0 gives a pale tint, 1 the full colour.

    ``strength`` has shape ``(k,)`` in [0, 1]; returns RGB rows, shape ``(k, 3)``.
    """
    weight = 0.15 + 0.85 * np.clip(strength, 0.0, 1.0)[:, None]
    return (1.0 - weight) * np.ones(3) + weight * np.asarray(to_rgb(base))


def network_figure(model: AppModel, factor: int, state: int) -> Figure:
    """Draw the network: hue for the action, shade for belief, marker for population."""
    scenario = model.scenario
    nodes, positions = drawn_sample(model)
    joint = scenario.joint_factor
    actions = scenario.factors[joint].actions
    belief = model.beliefs(factor)[:, state]
    figure = Figure(figsize=(6.4, 5.6), layout="constrained")
    axis = figure.subplots()

    drawn = set(nodes.tolist())
    segments = [
        (positions[u], positions[v])
        for u, v in model.graph.edges()
        if u in drawn and v in drawn
    ]
    if segments:
        from matplotlib.collections import LineCollection

        axis.add_collection(
            LineCollection(segments, colors="0.6", linewidths=0.3, alpha=0.35)
        )
    xy = np.array([positions[node] for node in nodes])
    for index in range(len(scenario.population_names)):
        members = model.population_of_node[nodes] == index
        for action_index in range(len(actions)):
            chosen = members & (model.actions[nodes, joint] == action_index)
            if not chosen.any():
                continue
            color = ACTION_COLORS[action_index % len(ACTION_COLORS)]
            axis.scatter(
                xy[chosen, 0],
                xy[chosen, 1],
                marker=MARKERS[index % len(MARKERS)],
                s=30,
                c=shade(color, belief[nodes[chosen]]),
                edgecolors=color,
                linewidths=0.6,
            )

    handles = [
        Line2D([], [], marker=MARKERS[i % len(MARKERS)], color="0.3", ls="", label=n)
        for i, n in enumerate(scenario.population_names)
    ]
    handles += [
        Line2D(
            [],
            [],
            marker="o",
            color=ACTION_COLORS[i % len(ACTION_COLORS)],
            ls="",
            label=f"action: {a}",
        )
        for i, a in enumerate(actions)
    ]
    axis.legend(handles=handles, fontsize=8, loc="upper left", framealpha=0.8)
    factor_spec = scenario.factors[factor]
    title = (
        f"Network at step {model.steps}: darker = stronger belief that "
        f"{factor_spec.name} is {factor_spec.states[state]}"
    )
    if len(nodes) < scenario.n_agents:
        title += f"\n(a random sample of {len(nodes)} of {scenario.n_agents} agents)"
    axis.set_title(title, fontsize=9)
    axis.autoscale()
    axis.set_axis_off()
    return figure


def window_spans(model: AppModel, axes: list[Any], last: int) -> None:
    """Shade each intervention's active window up to the step ``last``."""
    for intervention in model.world.interventions:
        if intervention.start > last:
            continue
        stop = (
            last + 1 if intervention.stop is None else min(intervention.stop, last + 1)
        )
        for axis in axes:
            axis.axvspan(intervention.start - 0.5, stop - 0.5, color="0.88", lw=0)


def shares_figure(model: AppModel) -> Figure:
    """Plot each population's share taking the joint action, with the threshold."""
    scenario = model.scenario
    table = model.model_table
    colors = population_colors(model)
    action = scenario.joint_action_name
    summary = model.summary()
    figure = Figure(figsize=(6.4, 3.6), layout="constrained")
    axis = figure.subplots()
    window_spans(model, [axis], int(table["step"].iloc[-1]))
    for name in scenario.population_names:
        axis.plot(
            table["step"],
            table[f"share.{name}.{action}"],
            color=colors[name],
            label=name,
            marker="." if len(table) < 30 else None,
        )
    axis.axhline(
        scenario.joint_threshold,
        color="black",
        ls=":",
        lw=1,
        label=f"threshold {scenario.joint_threshold:g}",
    )
    if summary["joint_action_reached"]:
        step = summary["joint_action_step"]
        axis.axvline(step, color="green", lw=1.5, label=f"joint action at step {step}")
    axis.set_ylim(-0.02, 1.02)
    axis.set_xlim(0, max(10, int(table["step"].iloc[-1])))
    axis.set_xlabel("step (grey: an intervention is active)")
    axis.set_ylabel(f"share choosing '{action}'")
    axis.set_title("Action share per population", fontsize=10)
    axis.legend(fontsize=8, loc="best")
    return figure


def divergence_figure(model: AppModel) -> Figure:
    """Plot belief divergence: all agents, between populations, within each."""
    scenario = model.scenario
    table = model.model_table
    colors = population_colors(model)
    figure = Figure(figsize=(6.4, 3.6), layout="constrained")
    axis = figure.subplots()
    window_spans(model, [axis], int(table["step"].iloc[-1]))
    axis.plot(
        table["step"], table["belief_divergence"], color="black", lw=2, label="all"
    )
    axis.plot(
        table["step"],
        table["divergence.between"],
        color="black",
        ls="--",
        label="between populations",
    )
    for name in scenario.population_names:
        axis.plot(
            table["step"],
            table[f"divergence.{name}"],
            color=colors[name],
            label=f"within {name}",
        )
    axis.axhline(scenario.convergence_tolerance, color="0.4", ls=":", lw=1)
    columns = [c for c in table.columns if c.startswith("divergence.")]
    highest = float(table[["belief_divergence", *columns]].max().max())
    axis.set_ylim(0, max(0.1, highest * 1.15))
    axis.set_xlim(0, max(10, int(table["step"].iloc[-1])))
    axis.set_xlabel("step")
    axis.set_ylabel("Jensen-Shannon divergence (bits)")
    axis.set_title("Belief divergence (dotted: convergence tolerance)", fontsize=10)
    axis.legend(fontsize=8, loc="best")
    return figure


def histogram_figure(model: AppModel, factor: int, state: int) -> Figure:
    """Plot a histogram per population of belief in one state of ``factor``."""
    scenario = model.scenario
    colors = population_colors(model)
    belief = model.beliefs(factor)[:, state]
    count = len(scenario.population_names)
    figure = Figure(figsize=(6.4, 2.8), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, count, sharey=True))
    bins = np.linspace(0.0, 1.0, 21)
    for axis, (index, name) in zip(
        axes, enumerate(scenario.population_names), strict=True
    ):
        members = belief[model.population_of_node == index]
        weights = np.full(len(members), 1.0 / max(len(members), 1))
        axis.hist(members, bins=bins, weights=weights, color=colors[name])
        axis.set_title(f"{name} (mean {members.mean():.2f})", fontsize=9)
        axis.set_xlim(0, 1)
    factor_spec = scenario.factors[factor]
    axes[0].set_ylabel("share of members")
    figure.supxlabel(
        f"belief that {factor_spec.name} is {factor_spec.states[state]}", fontsize=9
    )
    return figure


def overlap_figure(labels: list[str], overlap: np.ndarray) -> Figure:
    """Draw a value overlap matrix, shape ``(P, P)``, as an annotated heatmap."""
    figure = Figure(figsize=(3.6, 3.0), layout="constrained")
    axis = figure.subplots()
    image = axis.imshow(overlap, vmin=0, vmax=1, cmap="Greens")
    axis.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=8)
    axis.set_yticks(range(len(labels)), labels, fontsize=8)
    for (i, j), value in np.ndenumerate(overlap):
        axis.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8)
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


@solara.component
def ModelMapView(model: AppModel):  # noqa: N802
    """Show the model map: value overlap and signal table, or each C and D."""
    import pandas as pd

    def compute():
        map_scenario = find_map_scenario()
        if map_scenario is None:
            return None, ""
        try:
            return map_scenario(model.scenario), ""
        except Exception as error:  # a failed map must not take the page down
            logger.exception("map_scenario failed for %s", model.scenario.name)
            return None, f"The model map failed: {error}"

    result, failure = solara.use_memo(compute, dependencies=[id(model)])
    with solara.Card("Model map"):
        if failure:
            solara.Text(failure, style={"color": "#b00020"})
        if result is not None:
            names = list(model.scenario.population_names)
            with solara.Columns([1, 2]):
                solara.FigureMatplotlib(
                    overlap_figure(names, overlap_matrix(result.value_overlap, names)),
                    dependencies=[id(model)],
                    format="png",
                )
                with solara.Column():
                    solara.Text(
                        "Signal table: the predicted share choosing the joint "
                        "action before and after one step of each intervention"
                    )
                    table = result.signal_table[list(SIGNAL_COLUMNS)]
                    table = table.rename(columns=SIGNAL_COLUMNS).round(3)
                    solara.HTML(
                        tag="div",
                        unsafe_innerHTML=table.to_html(index=False, border=0),
                        style={"font-size": "12px", "overflow-x": "auto"},
                    )
        else:
            solara.Text("Each population's preferences C and priors D")
            table = pd.DataFrame(preference_rows(model))
            solara.HTML(
                tag="div",
                unsafe_innerHTML=table.to_html(index=False, border=0),
                style={"font-size": "12px"},
            )
