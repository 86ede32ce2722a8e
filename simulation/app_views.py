"""Views of the browser app: the network, time series and belief histograms.

Each view keeps one figure per model and redraws only what a step changes
(see :mod:`simulation.app_blit`): marker colours on the network, line data on
the time series, bar heights on the histograms. Axes, legends and the
network's edges are drawn again only when the view's layout key changes, for
example when the time axis has to grow. :class:`ViewSet` contains the views of
one model and renders them as images.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from simulation.app_blit import BlitFigure, LayoutKeyed
from simulation.metrics import first_sustained
from simulation.output import population_colors

if TYPE_CHECKING:
    from simulation.app import AppModel

logger = logging.getLogger(__name__)

# Above this many agents the network view draws a fixed random sample.
MAX_DRAWN_NODES = 2000

MARKERS = "os^Dvp*h"
# One hue per action of the joint factor; the shade shows belief.
ACTION_COLORS = ("#6a3d9a", "#e08000", "#2ca02c", "#1f77b4", "#8c564b")
# Grey of the spans that mark an intervention's active steps.
WINDOW_GREY = "0.88"
# The page shows each figure about 570 pixels wide in a 1600-pixel window, so
# 6.4-inch figures at 90 dpi (576 pixels) are drawn at about the size shown.
DPI = 90
# Image format per view: JPEG for the network, whose edges leave little for
# PNG's compression to gain (see simulation.app_blit), PNG for the charts.
IMAGE_FORMATS = {
    "network": "jpeg",
    "histograms": "png",
    "shares": "png",
    "divergence": "png",
}
# The time axis starts this long and doubles whenever the run passes its end.
FIRST_TIME_AXIS = 10


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


def recorded(model: AppModel) -> tuple[pd.DataFrame, int | None]:
    """Return the model table and the joint action's step, once per step.

    The joint action's step is the first step of the first run of
    ``joint_sustain`` steps with the joint action (``None`` before one), as in
    the run summary.
    """
    cached = getattr(model, "_recorded", None)
    if cached is None or cached[0] != model.steps:
        table = model.model_table
        joint_step = first_sustained(
            table["joint_action"].tolist(), model.scenario.joint_sustain
        )
        cached = (model.steps, table, joint_step)
        model._recorded = cached
    return cached[1], cached[2]


def shade_rows(bases: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """Mix white with one RGB colour per row, ``bases`` shape ``(k, 3)``.

    Returns RGB rows, shape ``(k, 3)``: strength 0 gives a pale tint (15% of
    the colour), strength 1 the full colour.
    """
    weight = 0.15 + 0.85 * np.clip(strength, 0.0, 1.0)[:, None]
    return (1.0 - weight) + weight * bases


def time_axis_end(last_step: int) -> int:
    """Return the end of the time axis: 10, doubled until it covers ``last_step``.

    Doubling keeps the axis fixed for many steps, so the figure's static parts
    are redrawn only a few times per run (at steps 11, 21, 41, ...).
    """
    end = FIRST_TIME_AXIS
    while end < last_step:
        end *= 2
    return end


def axis_top(value: float, levels: tuple[float, ...]) -> float:
    """Return the first of ``levels`` (increasing) that is at least ``value``.

    Above the last level, ``value`` is rounded up to a multiple of the last
    level. A few fixed levels keep the axis, and so the cached static parts of
    the figure, unchanged over many steps.
    """
    for level in levels:
        if value <= level:
            return level
    return math.ceil(value / levels[-1]) * levels[-1]


class NetworkView(LayoutKeyed):
    """The network: hue for the action, shade for belief, marker for population.

    The edges, legend and axes are static; each population's markers are one
    scatter whose face and edge colours change per step.
    """

    def __init__(self, factor: int, state: int):
        super().__init__()
        self.factor = factor
        self.state = state
        self.scatters: list = []
        self.members: list[np.ndarray] = []

    def layout_key(self, model: AppModel) -> tuple:
        return ()

    def build(self, model: AppModel, key) -> BlitFigure:
        scenario = model.scenario
        nodes, positions = drawn_sample(model)
        actions = scenario.factors[scenario.joint_factor].actions
        figure = Figure(figsize=(6.4, 5.6), layout="constrained", dpi=DPI)
        axis = figure.subplots()
        blit = BlitFigure(figure, IMAGE_FORMATS["network"])

        drawn = set(nodes.tolist())
        segments = [
            (positions[u], positions[v])
            for u, v in model.graph.edges()
            if u in drawn and v in drawn
        ]
        if segments:
            axis.add_collection(
                LineCollection(segments, colors="0.6", linewidths=0.3, alpha=0.35)
            )
        xy = np.array([positions[node] for node in nodes])
        # Markers shrink above 500 drawn nodes (area 30 points² at 500, about
        # 8 at 2000) so that a large network does not turn into one blot.
        marker_area = float(np.clip(15_000 / len(nodes), 6.0, 30.0))
        self.scatters = []
        self.members = []
        for index in range(len(scenario.population_names)):
            chosen = model.population_of_node[nodes] == index
            scatter = axis.scatter(
                xy[chosen, 0],
                xy[chosen, 1],
                marker=MARKERS[index % len(MARKERS)],
                s=marker_area,
                linewidths=0.6,
            )
            self.scatters.append(blit.add_dynamic(scatter))
            self.members.append(nodes[chosen])

        handles = [
            Line2D(
                [], [], marker=MARKERS[i % len(MARKERS)], color="0.3", ls="", label=n
            )
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
        factor_spec = scenario.factors[self.factor]
        title = (
            f"Network: darker = stronger belief that "
            f"{factor_spec.name} is {factor_spec.states[self.state]}"
        )
        if len(nodes) < scenario.n_agents:
            title += (
                f"\n(a random sample of {len(nodes)} of {scenario.n_agents} agents)"
            )
        axis.set_title(title, fontsize=9, loc="left")
        # Agg draws text at roughly 1 ms per 10 characters (measured on a
        # shared 2-core machine), so only the short step label is dynamic.
        self.step_label = blit.add_dynamic(
            axis.text(
                1.0,
                1.0,
                "",
                fontsize=9,
                transform=axis.transAxes,
                ha="right",
                va="bottom",
            )
        )
        axis.autoscale()
        axis.set_axis_off()
        return blit

    def update(self, model: AppModel) -> None:
        scenario = model.scenario
        joint = scenario.joint_factor
        belief = model.beliefs(self.factor)[:, self.state]
        palette = np.array([to_rgb(c) for c in ACTION_COLORS])
        for scatter, members in zip(self.scatters, self.members, strict=True):
            hues = palette[model.actions[members, joint] % len(palette)]
            scatter.set_facecolor(shade_rows(hues, belief[members]))
            scatter.set_edgecolor(hues)
        self.step_label.set_text(f"step {model.steps}")


class TimeSeriesView(LayoutKeyed):
    """A time series over steps with the intervention windows shaded grey.

    The axes and the legend (right of the axes) are static. The windows, the
    reference line and the series lines are dynamic and drawn in that order,
    so the lines stay above the grey spans.
    """

    def __init__(self):
        super().__init__()
        self.windows: list = []
        self.lines: dict[str, Line2D] = {}

    def add_windows(self, model: AppModel, axis, blit: BlitFigure) -> None:
        """Add one grey span per intervention, and whole steps on the time axis."""
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        self.windows = [
            blit.add_dynamic(
                axis.axvspan(i.start - 0.5, i.start + 0.5, color=WINDOW_GREY, lw=0)
            )
            for i in model.world.interventions
        ]

    def start_figure(
        self, model: AppModel, level: float, color: str, label: str
    ) -> tuple[Any, BlitFigure]:
        """Create the figure with its windows and a dotted reference line at ``level``.

        Returns the axis and the figure wrapper that later lines are added to.
        """
        figure = Figure(figsize=(6.4, 3.4), layout="constrained", dpi=DPI)
        axis = figure.subplots()
        blit = BlitFigure(figure)
        self.add_windows(model, axis, blit)
        blit.add_dynamic(axis.axhline(level, color=color, ls=":", lw=1, label=label))
        return axis, blit

    def update_windows(self, model: AppModel, last: int) -> None:
        """Stretch each intervention's span over its active steps up to ``last``."""
        for span, intervention in zip(
            self.windows, model.world.interventions, strict=True
        ):
            span.set_visible(intervention.start <= last)
            stop = last + 1
            if intervention.stop is not None:
                stop = min(intervention.stop, last + 1)
            span.set_x(intervention.start - 0.5)
            span.set_width(max(0, stop - intervention.start))

    def update(self, model: AppModel) -> None:
        table, _ = recorded(model)
        self.update_windows(model, int(table["step"].iloc[-1]))
        steps = table["step"].to_numpy()
        for column, line in self.lines.items():
            line.set_data(steps, table[column].to_numpy())


class SharesView(TimeSeriesView):
    """Each population's share taking the joint action, with the threshold."""

    def layout_key(self, model: AppModel) -> tuple:
        # The joint-action line and the markers change the legend, so the
        # figure is rebuilt when the joint action is reached and at step 30.
        table, joint_step = recorded(model)
        return (
            time_axis_end(model.steps),
            joint_step,
            len(model.world.interventions),
            len(table) < 30,
        )

    def build(self, model: AppModel, key) -> BlitFigure:
        scenario = model.scenario
        colors = population_colors(model)
        action = scenario.joint_action_name
        axis, blit = self.start_figure(
            model,
            scenario.joint_threshold,
            "black",
            f"threshold {scenario.joint_threshold:g}",
        )

        end, joint_step, _, few = key
        self.lines = {}
        for name in scenario.population_names:
            (line,) = axis.plot(
                [], [], color=colors[name], label=name, marker="." if few else None
            )
            self.lines[f"share.{name}.{action}"] = blit.add_dynamic(line)
        if joint_step is not None:
            label = f"joint action at step {joint_step}"
            blit.add_dynamic(
                # Dashed black, as in the run report: no population uses it.
                axis.axvline(joint_step, color="black", ls="--", lw=1.5, label=label)
            )

        axis.set_ylim(-0.02, 1.02)
        axis.set_xlim(0, end)
        axis.set_xlabel("step (grey: an intervention is active)")
        axis.set_ylabel(f"share choosing '{action}'")
        axis.set_title("Action share per population", fontsize=10)
        axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        return blit


class DivergenceView(TimeSeriesView):
    """Belief divergence: all agents, between populations, within each."""

    def layout_key(self, model: AppModel) -> tuple:
        table, _ = recorded(model)
        columns = [c for c in table.columns if c.startswith("divergence.")]
        highest = float(table[["belief_divergence", *columns]].max().max())
        return (
            time_axis_end(model.steps),
            # Normalised divergence is at most 1, so the axis never needs more.
            axis_top(min(highest * 1.15, 1.0), (0.1, 0.2, 0.5, 1.0)),
            len(model.world.interventions),
        )

    def build(self, model: AppModel, key) -> BlitFigure:
        scenario = model.scenario
        colors = population_colors(model)
        axis, blit = self.start_figure(
            model,
            scenario.convergence_tolerance,
            "0.4",
            f"tolerance {scenario.convergence_tolerance:g}",
        )

        styles = {
            "belief_divergence": {"color": "black", "lw": 2, "label": "all"},
            "divergence.between": {
                "color": "black",
                "ls": "--",
                "label": "between populations",
            },
        }
        for name in scenario.population_names:
            styles[f"divergence.{name}"] = {
                "color": colors[name],
                "label": f"within {name}",
            }
        self.lines = {}
        for column, style in styles.items():
            (line,) = axis.plot([], [], **style)
            self.lines[column] = blit.add_dynamic(line)

        end, top, _ = key
        axis.set_ylim(0, top)
        axis.set_xlim(0, end)
        axis.set_xlabel("step")
        axis.set_ylabel("Jensen-Shannon divergence (bits)")
        axis.set_title("Belief divergence", fontsize=10)
        axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        return blit


class HistogramView(LayoutKeyed):
    """A histogram per population of belief in one state of a factor."""

    BINS = np.linspace(0.0, 1.0, 21)

    def __init__(self, factor: int, state: int):
        super().__init__()
        self.factor = factor
        self.state = state
        self.bars: list = []
        self.axes: list = []
        self.highest = 0.0

    def shares(self, model: AppModel) -> list[tuple[np.ndarray, float]]:
        """Return per population the share of members per bin and the mean belief."""
        belief = model.beliefs(self.factor)[:, self.state]
        result = []
        for index in range(len(model.scenario.population_names)):
            members = belief[model.population_of_node == index]
            counts, _ = np.histogram(members, bins=self.BINS)
            size = max(len(members), 1)
            result.append((counts / size, float(members.mean()) if len(members) else 0))
        return result

    def layout_key(self, model: AppModel) -> float:
        # The axis only grows within a model, so it settles after a few steps.
        highest = max(float(s.max()) for s, _ in self.shares(model))
        self.highest = max(self.highest, highest)
        # A share of members is at most 1, so the axis never needs more.
        return axis_top(min(self.highest * 1.05, 1.0), (0.25, 0.5, 1.0))

    def build(self, model: AppModel, key) -> BlitFigure:
        scenario = model.scenario
        colors = population_colors(model)
        count = len(scenario.population_names)
        figure = Figure(figsize=(6.4, 2.8), layout="constrained", dpi=DPI)
        self.axes = list(np.atleast_1d(figure.subplots(1, count, sharey=True)))
        blit = BlitFigure(figure)
        self.bars = []
        for axis, name in zip(self.axes, scenario.population_names, strict=True):
            bars = axis.stairs(
                np.zeros(len(self.BINS) - 1), self.BINS, fill=True, color=colors[name]
            )
            self.bars.append(blit.add_dynamic(bars))
            blit.add_dynamic(axis.title)
            axis.set_xlim(0, 1)
        self.axes[0].set_ylim(0, key)
        factor_spec = scenario.factors[self.factor]
        self.axes[0].set_ylabel("share of members")
        figure.supxlabel(
            f"belief that {factor_spec.name} is {factor_spec.states[self.state]}",
            fontsize=9,
        )
        return blit

    def update(self, model: AppModel) -> None:
        names = model.scenario.population_names
        for axis, bars, name, (shares, mean) in zip(
            self.axes, self.bars, names, self.shares(model), strict=True
        ):
            bars.set_data(shares)
            axis.set_title(f"{name} (mean {mean:.2f})", fontsize=9)


class ViewSet:
    """The views of one model, with a network and a histogram view per belief shown."""

    def __init__(self):
        self.networks: dict[tuple[int, int], NetworkView] = {}
        self.histograms: dict[tuple[int, int], HistogramView] = {}
        self.shares = SharesView()
        self.divergence = DivergenceView()

    def render(self, model: AppModel, factor: int, state: int) -> dict[str, bytes]:
        """Return images of every view at the model's current step.

        Keys: ``network``, ``histograms``, ``shares``, ``divergence``; each
        image is encoded in the format :data:`IMAGE_FORMATS` gives its key.
        """
        shown = (factor, state)
        network = self.networks.setdefault(shown, NetworkView(factor, state))
        histograms = self.histograms.setdefault(shown, HistogramView(factor, state))
        return {
            "network": network.render(model),
            "histograms": histograms.render(model),
            "shares": self.shares.render(model),
            "divergence": self.divergence.render(model),
        }
