"""Tables and figures of a finished sweep: summary, sensitivity and surface.

``summary.csv`` has one row per point, ``sensitivity.csv`` one row per
metric, parameter and index of a sampled design, and ``surface.png`` draws the
coordination surface: where the populations reach joint action and when.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from simulation.sweep import MORRIS_LEVELS

if TYPE_CHECKING:
    from simulation.sweep import SweepPlan

logger = logging.getLogger(__name__)

SUMMARY_FILE = "summary.csv"
SENSITIVITY_FILE = "sensitivity.csv"
SURFACE_FILE = "surface.png"


def write_reports(plan: SweepPlan, runs: pd.DataFrame, out: Path) -> dict[str, Any]:
    """Write summary.csv, surface.png and, for sampled designs, sensitivity.csv.

    Returns
    -------
    dict
        The path of each file written (keys ``summary``, ``surface`` and
        ``sensitivity``) and ``notes``, a list of lines for the reader, one
        per metric left out of the sensitivity analysis.
    """
    paths: dict[str, Any] = {
        "summary": out / SUMMARY_FILE,
        "surface": out / SURFACE_FILE,
    }
    table = point_summary(plan, runs)
    table.to_csv(paths["summary"], index=False)
    sensitivity = None
    notes: list[str] = []
    if plan.design != "grid":
        sensitivity = sensitivity_indices(plan, runs)
        notes = list(sensitivity.attrs["notes"])
        paths["sensitivity"] = out / SENSITIVITY_FILE
        sensitivity.to_csv(paths["sensitivity"], index=False)
    figure = surface_figure(plan, table, sensitivity)
    figure.savefig(paths["surface"], dpi=110)
    paths["notes"] = notes
    return paths


def metric_columns(plan: SweepPlan) -> list[str]:
    """Return the summary metrics that a sweep compares across points.

    ``joint_action_reached`` (0 or 1), ``joint_action_step``,
    ``belief_divergence_final`` and the final share of the joint action in
    each population, ``final_share.<population>.<joint action>``.
    """
    action = plan.scenario.joint_action_name
    shares = [f"final_share.{name}.{action}" for name in plan.scenario.population_names]
    return [
        "joint_action_reached",
        "joint_action_step",
        "belief_divergence_final",
        *shares,
    ]


def metric_range(plan: SweepPlan, metric: str) -> tuple[float, float]:
    """Return the smallest and largest value that a metric can take.

    Shares, belief divergences (normalised to [0, 1]) and the joint-action
    indicator lie in ``[0, 1]``; a step number lies in ``[0, steps]`` for the
    longest point of the plan.
    """
    if metric.endswith("_step"):
        return 0.0, float(max(plan.steps))
    return 0.0, 1.0


def interval(
    values: np.ndarray, bounds: tuple[float, float] | None = None
) -> tuple[float, float, float]:
    """Return the mean and the 95% Student-t interval of the mean.

    With fewer than two finite values the bounds are NaN. With ``bounds``
    ``(low, high)``, the metric's possible range, the interval is clipped to
    it: with few replicates the t interval of a share can otherwise reach
    below 0 or above 1.
    """
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return np.nan, np.nan, np.nan
    mean = float(np.mean(values))
    if len(values) < 2:
        return mean, np.nan, np.nan
    half = stats.t.ppf(0.975, len(values) - 1) * stats.sem(values)
    low, high = mean - half, mean + half
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return mean, float(low), float(high)


def point_summary(plan: SweepPlan, runs: pd.DataFrame) -> pd.DataFrame:
    """Summarise the runs of each point.

    Columns: ``point``, the parameters, ``runs``, ``failed``,
    ``joint_action_share`` (share of finished runs reaching joint action),
    ``joint_action_step_median`` (over the runs that reached it), then
    ``<metric>.mean``, ``<metric>.ci_low`` and ``<metric>.ci_high`` for
    ``belief_divergence_final`` and each population's final joint-action share.
    Each interval is the 95% Student-t interval of the mean over replicates,
    clipped to the metric's possible range (see :func:`metric_range`).
    """
    metrics = [m for m in metric_columns(plan) if not m.startswith("joint_action_")]
    rows = []
    for index, point in enumerate(plan.points):
        group = runs[runs["point"] == index]
        ok = group[group["status"] == "ok"]
        row: dict[str, Any] = {"point": index, **point}
        row["runs"] = len(group)
        row["failed"] = int((group["status"] != "ok").sum())
        if len(ok):
            reached = ok["joint_action_reached"].astype(float).to_numpy()
            steps = ok["joint_action_step"].astype(float).to_numpy()
            row["joint_action_share"] = float(reached.mean())
            reached_steps = steps[np.isfinite(steps)]
            row["joint_action_step_median"] = (
                float(np.median(reached_steps)) if len(reached_steps) else np.nan
            )
        else:
            row["joint_action_share"] = np.nan
            row["joint_action_step_median"] = np.nan
        for metric in metrics:
            values = (
                ok[metric].astype(float).to_numpy() if metric in ok else np.array([])
            )
            mean, low, high = interval(values, metric_range(plan, metric))
            row[f"{metric}.mean"] = mean
            row[f"{metric}.ci_low"] = low
            row[f"{metric}.ci_high"] = high
        rows.append(row)
    return pd.DataFrame(rows)


def point_means(plan: SweepPlan, runs: pd.DataFrame, metric: str) -> np.ndarray:
    """Return a metric's mean over each point's finished runs, shape ``(n_points,)``.

    A run that never reaches joint action counts as step ``steps + 1`` for
    ``joint_action_step``, a censored value, so every point has a number. A
    point without a finished run is NaN.
    """
    ok = runs[runs["status"] == "ok"]
    values = ok[metric].astype(float)
    if metric == "joint_action_step":
        values = values.fillna(ok["steps"].astype(float) + 1)
    means = values.groupby(ok["point"]).mean()
    return means.reindex(range(len(plan.points))).to_numpy(dtype=float)


def sensitivity_indices(plan: SweepPlan, runs: pd.DataFrame) -> pd.DataFrame:
    """Compute sensitivity indices of each metric to each parameter.

    Sobol designs give ``S1`` and ``ST`` (with 95% confidence half-widths),
    Morris designs ``mu_star`` (with its confidence) and ``sigma``, and Latin
    hypercube designs the RBD-FAST first-order index ``S1``. Each index is
    computed on the per-point mean over replicates. A metric with a point
    that has no finished run, or with the same mean at every point (its
    indices would be 0/0), is skipped with a warning and a note.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric``, ``parameter``, ``index``, ``value``, ``conf``, and
        in ``attrs["notes"]`` one line per skipped metric.
    """
    from SALib.analyze import morris, rbd_fast, sobol

    rows = []
    notes = []
    for metric in metric_columns(plan):
        if metric not in runs:
            continue
        Y = point_means(plan, runs, metric)
        note = None
        if not np.all(np.isfinite(Y)):
            missing = int(np.sum(~np.isfinite(Y)))
            note = f"{metric}: not analysed, {missing} points have no finished run"
        elif np.ptp(Y) == 0:
            note = f"{metric}: not analysed, {constant_text(plan, metric, Y[0])}"
        if note is not None:
            logger.warning("sensitivity of %s", note)
            notes.append(note)
            continue
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            # A nearly constant metric can still give a 0/0 in a bootstrap
            # resample; SALib then warns and returns NaN for that width.
            warnings.simplefilter("ignore", RuntimeWarning)
            if plan.design == "sobol":
                result = sobol.analyze(plan.problem, Y, calc_second_order=False)
                indices = {"S1": "S1_conf", "ST": "ST_conf"}
            elif plan.design == "morris":
                # NOTE: elementary effects use the sampled values before integer
                # fields are rounded, because a rounded step can be zero.
                result = morris.analyze(
                    plan.problem, plan.samples, Y, num_levels=MORRIS_LEVELS
                )
                indices = {"mu_star": "mu_star_conf", "sigma": None}
            else:
                result = rbd_fast.analyze(plan.problem, plan.samples, Y)
                indices = {"S1": "S1_conf"}
        for position, parameter in enumerate(plan.parameters):
            for index, conf in indices.items():
                rows.append(
                    {
                        "metric": metric,
                        "parameter": parameter,
                        "index": index,
                        "value": float(result[index][position]),
                        "conf": float(result[conf][position]) if conf else np.nan,
                    }
                )
    table = pd.DataFrame(
        rows, columns=["metric", "parameter", "index", "value", "conf"]
    )
    table.attrs["notes"] = notes
    return table


def constant_text(plan: SweepPlan, metric: str, value: float) -> str:
    """Describe a metric that has the same point mean everywhere."""
    if metric == "joint_action_step" and value > max(plan.steps):
        return "joint action is never reached at any point"
    return f"it is {value:g} at every point"


# -- the surface figure -------------------------------------------------------


def surface_figure(
    plan: SweepPlan, table: pd.DataFrame, sensitivity: pd.DataFrame | None
):
    """Draw the coordination surface of a sweep.

    A grid over two or more parameters gives a heatmap of the share of runs
    reaching joint action over the first two (pooling any others), with the
    median step of joint action written in each cell. A grid over one
    parameter gives lines with 95% intervals. A sampled design gives bar
    charts of its sensitivity indices.
    """
    plt = _FigureFactory()
    title = f"{plan.scenario.name}: {len(plan.points)} points x {len(plan.seeds)} seeds"
    if plan.design != "grid":
        return _sensitivity_bars(plt, plan, sensitivity, title)
    if len(plan.parameters) == 1:
        return _lines(plt, plan, table, title)
    return _heatmap(plt, plan, table, title)


class _FigureFactory:
    """Create figures without pyplot, so the caller's backend is left alone."""

    @staticmethod
    def subplots(*args: Any, figsize=None, layout=None, **kwargs: Any):
        from matplotlib.figure import Figure

        figure = Figure(figsize=figsize, layout=layout)
        return figure, figure.subplots(*args, **kwargs)


def _levels(plan: SweepPlan, path: str) -> list[Any]:
    levels: list[Any] = []
    for point in plan.points:
        if point[path] not in levels:
            levels.append(point[path])
    return levels


def _heatmap(plt, plan: SweepPlan, table: pd.DataFrame, title: str):
    x_path, y_path = plan.parameters[:2]
    x_levels, y_levels = _levels(plan, x_path), _levels(plan, y_path)
    share = np.full((len(y_levels), len(x_levels)), np.nan)
    median = np.full_like(share, np.nan)
    for i, y in enumerate(y_levels):
        for j, x in enumerate(x_levels):
            cell = table[(table[x_path] == x) & (table[y_path] == y)]
            share[i, j] = cell["joint_action_share"].mean()
            median[i, j] = cell["joint_action_step_median"].median()

    figure, axis = plt.subplots(
        figsize=(1.2 * len(x_levels) + 3.5, 0.8 * len(y_levels) + 2.5),
        layout="constrained",
    )
    image = axis.imshow(
        share, vmin=0, vmax=1, cmap="viridis", origin="lower", aspect="auto"
    )
    for i in range(len(y_levels)):
        for j in range(len(x_levels)):
            label = "-" if np.isnan(median[i, j]) else f"{median[i, j]:g}"
            colour = "black" if share[i, j] > 0.6 else "white"
            axis.text(j, i, label, ha="center", va="center", color=colour)
    axis.set_xticks(range(len(x_levels)), [str(v) for v in x_levels])
    axis.set_yticks(range(len(y_levels)), [str(v) for v in y_levels])
    axis.set_xlabel(x_path)
    axis.set_ylabel(y_path)
    pooled = plan.parameters[2:]
    axis.set_title(
        title
        + ("" if not pooled else f"\npooled over {', '.join(pooled)}")
        + "\ncell text: median step of joint action ('-': never)",
        fontsize=9,
    )
    figure.colorbar(image, ax=axis, label="share of runs reaching joint action")
    return figure


def _lines(plt, plan: SweepPlan, table: pd.DataFrame, title: str):
    path = plan.parameters[0]
    levels = _levels(plan, path)
    positions = np.arange(len(levels))
    figure, (top, bottom) = plt.subplots(
        2, 1, figsize=(7, 6), sharex=True, layout="constrained"
    )
    top.plot(positions, table["joint_action_share"], marker="o", color="black")
    top.set_ylim(-0.05, 1.05)
    top.set_ylabel("share reaching\njoint action")
    for i, step in enumerate(table["joint_action_step_median"]):
        if np.isfinite(step):
            top.annotate(f"step {step:g}", (i, table["joint_action_share"].iloc[i]))
    top.set_title(title, fontsize=9)

    for metric in metric_columns(plan)[2:]:
        mean = table[f"{metric}.mean"].to_numpy(dtype=float)
        low = table[f"{metric}.ci_low"].to_numpy(dtype=float)
        high = table[f"{metric}.ci_high"].to_numpy(dtype=float)
        (line,) = bottom.plot(positions, mean, marker="o", label=metric)
        bottom.fill_between(positions, low, high, color=line.get_color(), alpha=0.2)
    bottom.set_ylabel("mean, 95% interval")
    bottom.set_xticks(positions, [str(v) for v in levels])
    bottom.set_xlabel(path)
    bottom.legend(fontsize=8)
    return figure


def _sensitivity_bars(plt, plan: SweepPlan, sensitivity: pd.DataFrame, title: str):
    metrics = list(dict.fromkeys(sensitivity["metric"]))
    notes = list(sensitivity.attrs.get("notes", []))
    panels = max(len(metrics), 1)
    figure, axes = plt.subplots(
        panels,
        1,
        figsize=(7, 1.0 + 1.8 * panels + 0.22 * len(notes)),
        squeeze=False,
        layout="constrained",
    )
    if notes:
        figure.supxlabel("\n".join(notes), fontsize=8, ha="left", x=0.02)
    if not metrics:
        axis = axes[0, 0]
        axis.set_axis_off()
        axis.text(
            0.5, 0.5, "no metric varies across the points", ha="center", va="center"
        )
    positions = np.arange(len(plan.parameters))
    for axis, metric in zip(axes[:, 0], metrics, strict=False):
        rows = sensitivity[sensitivity["metric"] == metric]
        names = list(dict.fromkeys(rows["index"]))
        width = 0.8 / max(len(names), 1)
        for k, name in enumerate(names):
            values = rows[rows["index"] == name].set_index("parameter")
            values = values.reindex(list(plan.parameters))
            axis.bar(
                positions + k * width,
                values["value"],
                width,
                yerr=values["conf"].fillna(0),
                label=name,
            )
        axis.set_title(metric, fontsize=9)
        axis.set_xticks(positions + width * (len(names) - 1) / 2, plan.parameters)
        axis.axhline(0, color="grey", linewidth=0.5)
        if names:
            axis.legend(fontsize=8)
    figure.suptitle(f"{title}, {plan.design} sensitivity indices", fontsize=10)
    return figure
