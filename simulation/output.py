"""Write a run's files: summary.json, model.csv, agents.parquet and report.png."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from simulation.model import CoordinationModel

logger = logging.getLogger(__name__)

RUN_FILES = ("summary.json", "model.csv", "agents.parquet", "report.png")

# The joint-action marker is drawn dashed in black, a colour the tab10
# palette of population_colors never uses, so it never reads as a population.
JOINT_MARKER = {"color": "black", "linestyle": "--"}

# Above this many nodes the report draws a random sample of the network.
MAX_DRAWN_NODES = 1500


def write_run(model: CoordinationModel, out: Path) -> dict[str, Path]:
    """Write the four run files into ``out`` and return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in RUN_FILES}
    summary = model.summary()
    paths["summary.json"].write_text(json.dumps(summary, indent=2) + "\n")
    model.model_table.to_csv(paths["model.csv"], index=False, float_format="%.9g")
    model.agent_table.to_parquet(paths["agents.parquet"], index=False)
    figure = report_figure(model)
    figure.savefig(paths["report.png"], dpi=110, metadata={"Software": None})
    logger.info("wrote %s", ", ".join(str(p) for p in paths.values()))
    return paths


def population_colors(model: CoordinationModel) -> dict[str, Any]:
    """Return a colour per population (the scenario's, else a palette's)."""
    import matplotlib as mpl

    palette = mpl.colormaps["tab10"].colors
    colors = {}
    for index, population in enumerate(model.scenario.populations):
        colors[population.name] = population.color or palette[index % len(palette)]
    return colors


def report_figure(model: CoordinationModel):
    """Draw the run report: action shares, belief divergence and the network."""
    # A pyplot-free Figure leaves the caller's backend alone (a notebook keeps
    # showing its own figures inline).
    from matplotlib.figure import Figure

    scenario = model.scenario
    table = model.model_table
    summary = model.summary()
    colors = population_colors(model)
    action = scenario.joint_action_name
    figure = Figure(figsize=(16, 5), layout="constrained")
    axes = figure.subplots(1, 3)

    shares_axis, divergence_axis, network_axis = axes
    title_pad = 14 + 11 * len(model.world.interventions)
    last = int(table["step"].iloc[-1])
    for row, intervention in enumerate(model.world.interventions):
        stop = last if intervention.stop is None else min(intervention.stop, last + 1)
        if intervention.start > last:
            continue
        for axis in (shares_axis, divergence_axis):
            axis.axvspan(intervention.start - 0.5, stop - 0.5, color="0.85", alpha=0.5)
        # Labels are stacked above the plot so that windows that start together
        # stay readable.
        shares_axis.annotate(
            f"{intervention.name} ({intervention.start}-{stop})",
            xy=(intervention.start - 0.5, 1.0),
            xytext=(intervention.start - 0.5, 1.02 + 0.045 * row),
            textcoords=("data", "axes fraction"),
            xycoords=("data", "axes fraction"),
            fontsize=7,
            ha="left",
            va="bottom",
            annotation_clip=False,
        )
    for name in scenario.population_names:
        shares_axis.plot(
            table["step"],
            table[f"share.{name}.{action}"],
            color=colors[name],
            label=name,
        )
    shares_axis.axhline(
        scenario.joint_threshold,
        color="black",
        linestyle=":",
        linewidth=1,
        label=f"threshold {scenario.joint_threshold:g}",
    )
    if summary["joint_action_reached"]:
        shares_axis.axvline(
            summary["joint_action_step"],
            **JOINT_MARKER,
            linewidth=1.5,
            label=f"joint action at step {summary['joint_action_step']}",
        )
    shares_axis.set_ylim(-0.02, 1.0)
    shares_axis.set_xlabel("step")
    shares_axis.set_ylabel(f"share choosing '{action}'")
    shares_axis.set_title("Action share per population", pad=title_pad)
    shares_axis.legend(fontsize=8, loc="lower right")

    divergence_axis.plot(
        table["step"],
        table["belief_divergence"],
        color="black",
        linewidth=2,
        label="all agents",
    )
    divergence_axis.plot(
        table["step"],
        table["divergence.between"],
        color="black",
        linestyle="--",
        label="between populations",
    )
    for name in scenario.population_names:
        divergence_axis.plot(
            table["step"],
            table[f"divergence.{name}"],
            color=colors[name],
            label=f"within {name}",
        )
    divergence_axis.axhline(
        scenario.convergence_tolerance,
        color="0.4",
        linestyle=":",
        linewidth=1,
        label="convergence tolerance",
    )
    divergence_axis.set_ylim(0, 1)
    divergence_axis.set_xlabel("step")
    factors = ", ".join(scenario.factors[f].name for f in scenario.convergence_factors)
    divergence_axis.set_ylabel("Jensen-Shannon divergence (normalised bits)")
    divergence_axis.set_title(f"Belief divergence over {factors}", pad=title_pad)
    divergence_axis.legend(fontsize=8, loc="upper right")

    draw_network(model, network_axis, colors, title_pad)
    verdict = "reached" if summary["joint_action_reached"] else "not reached"
    converged = "converged" if summary["converged"] else "did not converge"
    figure.suptitle(
        f"{scenario.name} (seed {summary['seed']}): joint action {verdict}; "
        f"beliefs {converged}",
        fontsize=13,
    )
    return figure


def draw_network(
    model: CoordinationModel, axis, colors: dict[str, Any], title_pad: float = 40
) -> None:
    """Draw the network at the current step: colour by action, marker by population."""
    import networkx as nx

    scenario = model.scenario
    n = scenario.n_agents
    nodes = np.arange(n)
    title = "Network at the last step"
    if n > MAX_DRAWN_NODES:
        rng = np.random.default_rng(0)
        nodes = np.sort(rng.choice(n, MAX_DRAWN_NODES, replace=False))
        title += f" ({MAX_DRAWN_NODES} of {n} nodes drawn)"
        graph = model.graph.subgraph(nodes.tolist())
        positions = nx.spring_layout(graph, seed=0, iterations=30)
    else:
        graph = model.graph
        positions = model.layout()
    joint = scenario.joint_factor
    taking = model.actions[:, joint] == scenario.joint_action
    nx.draw_networkx_edges(graph, positions, ax=axis, alpha=0.15, width=0.4)
    markers = "os^Dvp*h"
    for index, name in enumerate(scenario.population_names):
        members = nodes[model.population_of_node[nodes] == index]
        for acting, face in ((True, colors[name]), (False, "white")):
            chosen = members[taking[members] == acting]
            if len(chosen) == 0:
                continue
            axis.scatter(
                [positions[i][0] for i in chosen],
                [positions[i][1] for i in chosen],
                marker=markers[index % len(markers)],
                s=28,
                facecolors=face,
                edgecolors=colors[name],
                linewidths=1.0,
                label=f"{name}: {'acts' if acting else 'does not act'}",
            )
    axis.set_title(title, pad=title_pad)
    axis.set_axis_off()
    axis.legend(
        fontsize=7,
        loc="upper center",
        bbox_to_anchor=(0.5, 1.08),
        ncol=2,
        frameon=False,
    )
