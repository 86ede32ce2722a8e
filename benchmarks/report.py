"""Write the benchmark results as Markdown with a log-log scaling plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.common import Spread

GIB = 2**30


def plot_scaling(scaling: list[dict[str, object]], path: Path) -> None:
    """Save time per step and peak memory against agents, both log-log axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    agents = [r["n_agents"] for r in scaling]
    step_ms = [r["step_s"].median * 1e3 for r in scaling]
    low = [r["step_s"].low * 1e3 for r in scaling]
    high = [r["step_s"].high * 1e3 for r in scaling]
    memory = [r["peak_rss_bytes"] / 2**20 for r in scaling]

    figure, (time_axis, memory_axis) = plt.subplots(1, 2, figsize=(9, 3.6))
    time_axis.fill_between(agents, low, high, alpha=0.25, label="min–max")
    time_axis.plot(agents, step_ms, "o-", label="median")
    reference = [step_ms[0] * n / agents[0] for n in agents]
    time_axis.plot(agents, reference, "k:", label="linear in agents")
    time_axis.set(xscale="log", yscale="log", xlabel="agents", ylabel="ms per step")
    time_axis.set_title("time per step")
    time_axis.legend(fontsize="small")
    memory_axis.plot(agents, memory, "s-", color="tab:red")
    memory_axis.set(xscale="log", yscale="log", xlabel="agents", ylabel="MiB")
    memory_axis.set_title("peak resident memory")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _machine_lines(machine: dict[str, object]) -> list[str]:
    versions = machine["versions"]
    memory = machine["memory_gib"]
    return [
        f"- CPU: {machine['cpu']}, {machine['cores']} cores "
        f"({machine['usable_cores']} usable by this process)"
        + (f", {memory:.1f} GiB memory" if memory else ""),
        f"- platform: {machine['platform']}, JAX backend `{machine['jax_backend']}`",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
    ]


def to_json(value: Any) -> Any:
    """Return ``value`` with every :class:`Spread` replaced by its dict."""
    if isinstance(value, Spread):
        return value.as_dict()
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value


def from_json(value: Any) -> Any:
    """Invert :func:`to_json`: dicts with exactly a spread's keys become spreads."""
    if isinstance(value, dict):
        if set(value) == {"median", "low", "high", "count"}:
            return Spread(**value)
        return {key: from_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_json(item) for item in value]
    return value


def write_results(results: dict[str, object], path: Path) -> Path:
    """Write ``results`` as JSON to ``path`` and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_json(results), indent=1) + "\n", encoding="utf-8")
    return path


def read_results(path: Path) -> dict[str, Any]:
    """Read results written by :func:`write_results`.

    Raises ``ValueError`` naming the file when it is not such a results file.
    """
    path = Path(path)
    try:
        results = from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(
            f"{path}: failed to read benchmark results: {error}"
        ) from error
    missing = [key for key in ("command", "kernel", "naive") if key not in results]
    if missing:
        raise ValueError(
            f"{path}: missing {missing}; pass a .json file that "
            "`python -m benchmarks` wrote next to its page"
        )
    return results


def _before_after_lines(results: dict[str, Any], before: dict[str, Any]) -> list[str]:
    rows = [
        ("kernel ratio, `record_agents=True`", "kernel", "ratio", 1.0),
        ("kernel ratio, `record_agents=False`", "kernel", "lean_ratio", 1.0),
        ("model ms per step, `record_agents=True`", "kernel", "model_step_s", 1e3),
        ("model ms per step, `record_agents=False`", "kernel", "lean_step_s", 1e3),
        ("bare kernel ms per step", "kernel", "kernel_step_s", 1e3),
        ("naive speed-up", "naive", "speedup", 1.0),
    ]
    lines = [
        "## Before and after",
        "",
        f"Before: `{before['command']}` on {before['date']}, measuring "
        f"{before.get('label', 'an earlier version')}. After: this run, measuring "
        f"{results.get('label', 'the working tree')}. Both at "
        f"{results['kernel']['n_agents']:,} agents for the kernel and "
        f"{results['naive']['n_agents']:,} for the naive design.",
        "",
        "| measure | before | after |",
        "| --- | --- | --- |",
    ]
    for label, section, key, scale in rows:
        lines.append(
            f"| {label} | {before[section][key].format(scale)} | "
            f"{results[section][key].format(scale)} |"
        )
    return [*lines, ""]


def render(
    results: dict[str, object],
    plot_name: str,
    before: dict[str, Any] | None = None,
) -> str:
    """Return the Markdown page for ``results`` as produced by ``__main__``.

    ``before``, results of an earlier run, adds a before-and-after table.
    """
    command = results["command"]
    kernel = results["kernel"]
    naive = results["naive"]
    scaling = results["scaling"]
    sweep = results["sweep"]
    app = results["app"]
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `{command}` on {results['date']}, which took "
        f"{results['elapsed_s'] / 60:.1f} minutes. Every ratio is taken within "
        "one run, with both sides timed in turn in each repeat, so load on the "
        "machine falls on both sides alike, and is the median of the ratios of "
        "the repeats. Values are medians over repeats with the minimum and "
        "maximum in brackets.",
        "",
        "## Machine",
        "",
        *_machine_lines(results["machine"]),
        "",
        "## Summary",
        "",
        "| measure | value | target |",
        "| --- | --- | --- |",
        f"| kernel ratio at {kernel['n_agents']:,} agents | "
        f"{kernel['ratio'].format()} | <= 1.5 |",
        f"| naive speed-up at {naive['n_agents']:,} agents | "
        f"{naive['speedup'].format()} | >= 100 |",
    ]
    largest = max(scaling, key=lambda r: r["n_agents"])
    lines.append(
        f"| peak memory, {largest['n_agents']:,} agents, {largest['steps']} steps, "
        f"no per-agent table | {largest['peak_rss_bytes'] / GIB:.2f} GiB | "
        "<= 3 GB |"
    )
    lines += [
        "",
        "## Kernel ratio",
        "",
        f"Command: `{command}`. Scenario `ai-infrastructure` scaled to "
        f"{kernel['n_agents']:,} agents "
        f"({', '.join(f'{k} {v:,}' for k, v in kernel['population_sizes'].items())})"
        f", {kernel['repeats']} repeats of {kernel['steps']} steps each; within "
        "a repeat the kernel and the two models take turns step by step, in a "
        "rotating order. The kernel is `agents.population.update`, the "
        "compiled pymdp step, called once per population on the model's own "
        "agents, priors and keys with one fixed set of observations. The model "
        "step adds the environment's observations (passed to the update as "
        "numpy arrays), key derivation, conversion of the results to numpy, "
        "metrics and data collection.",
        "",
        "| what | ms per step | ratio to kernel |",
        "| --- | --- | --- |",
        f"| bare kernel | {kernel['kernel_step_s'].format(1e3)} | 1 |",
        f"| model, `record_agents=True` | {kernel['model_step_s'].format(1e3)} | "
        f"{kernel['ratio'].format()} |",
        f"| model, `record_agents=False` | {kernel['lean_step_s'].format(1e3)} | "
        f"{kernel['lean_ratio'].format()} |",
        "",
        f"Building the model took {kernel['build_s']:.1f} s and its first step, "
        f"which compiles the update, {kernel['first_step_s']:.1f} s.",
        "",
    ]
    if before is not None:
        lines += _before_after_lines(results, before)
    lines += [
        "## Naive design",
        "",
        f"Command: `{command}`. {naive['n_agents']:,} agents. The naive design "
        "gives every Mesa agent its own pymdp `Agent` with `batch_size=1` and "
        "steps them in a Python loop, calling `infer_states`, `infer_policies`, "
        "`sample_action` and `update_empirical_prior`, each wrapped once in "
        "`equinox.filter_jit` and reused by every agent. It reuses the model's "
        "generative models, member priors, precisions, network and vectorised "
        "environment, and records nothing, so it is timed doing less work than "
        "the model, which keeps its per-agent table. Each repeat times one naive "
        f"step against {naive['model_steps']} model steps.",
        "",
        "| design | µs per agent-step |",
        "| --- | --- |",
        f"| naive, one pymdp agent per Mesa agent | "
        f"{naive['naive_agent_step_s'].format(1e6)} |",
        f"| modelfirst, one batched agent per population | "
        f"{naive['model_agent_step_s'].format(1e6)} |",
        f"| speed-up | {naive['speedup'].format()} |",
        "",
        f"Building the {naive['n_agents']:,} naive agents took "
        f"{naive['naive_build_s']:.1f} s and their first step "
        f"{naive['naive_first_step_s']:.1f} s.",
        "",
        "## Scaling",
        "",
        f"Command: `{command}`. Each size runs in its own process "
        "(`python -m benchmarks.scaling N STEPS`), without the per-agent table. "
        "The first step compiles the update for each population's batch size; "
        "compile time is the first step minus the median step. Peak memory is "
        "the process's `VmHWM`, which includes Python, JAX and the imports "
        f"(about {scaling[0]['import_rss_bytes'] / 2**20:.0f} MiB before the "
        "model is built).",
        "",
        "| agents | steps | ms per step | compile s | build s | peak memory MiB |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in scaling:
        lines.append(
            f"| {row['n_agents']:,} | {row['steps']} | "
            f"{row['step_s'].format(1e3)} | {row['compile_s']:.1f} | "
            f"{row['build_s']:.1f} | {row['peak_rss_bytes'] / 2**20:.0f} |"
        )
    lines += ["", f"![time per step and peak memory]({plot_name})", ""]
    lines += ["## Sweep throughput", ""]
    if sweep.get("measured"):
        lines += [
            f"Command: `{command}`. {sweep['runs']} runs of `ai-infrastructure` "
            f"({len(sweep['starts'])} values of `interventions.awareness_campaign."
            f"start` x {sweep['replicates']} replicate seeds, {sweep['steps']} "
            f"steps each) on {sweep['workers']} local worker processes. Wall-clock "
            "time includes starting the workers and compiling once per worker.",
            "",
            "| runner | seconds | runs per minute |",
            "| --- | --- | --- |",
            f"| `modelfirst sweep` (Dask `LocalCluster`, {sweep['workers']} workers) "
            f"| {sweep['sweep_s']:.1f} | {sweep['sweep_runs_per_min']:.1f} |",
            f"| Mesa `batch_run`, `number_processes={sweep['workers']}` | "
            f"{sweep['batch_run_s']:.1f} | {sweep['batch_run_runs_per_min']:.1f} |",
        ]
    else:
        lines.append(f"Not measured: {sweep['reason']}.")
    lines += ["", "## App step time", ""]
    if app.get("measured"):
        lines.append(
            f"{app['ms']:.1f} ms per step at 500 agents in the browser app, read "
            f"from `{app['path']}`, which the browser test writes."
        )
    else:
        lines.append(f"Not measured: {app['reason']}.")
    lines.append("")
    return "\n".join(lines)


def write_report(
    results: dict[str, object], path: Path, before: dict[str, Any] | None = None
) -> Path:
    """Write the Markdown page and its plot; return the plot's path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    plot = path.with_name(f"{path.stem}-scaling.png")
    plot_scaling(results["scaling"], plot)
    path.write_text(render(results, plot.name, before), encoding="utf-8")
    return plot


__all__ = [
    "Spread",
    "plot_scaling",
    "read_results",
    "render",
    "write_report",
    "write_results",
]
