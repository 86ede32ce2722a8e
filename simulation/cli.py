"""The ``modelfirst`` command line."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from scenarios import ScenarioError, load_scenario, parse_assignment, shipped_scenarios
from scenarios.schema import MAX_STEPS

logger = logging.getLogger("simulation.cli")

app = typer.Typer(
    name="modelfirst",
    help="Simulate populations with different generative models on a network.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain help pages: the Rich layout shows "<bool>" after every flag.
    rich_markup_mode=None,
)

USAGE_ERROR = 2

ScenarioArgument = Annotated[
    str,
    typer.Argument(
        metavar="SCENARIO",
        help="A shipped scenario name or a path to a .toml file.",
        show_default=False,
    ),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="PATH=VALUE",
        help="Override a value by dotted path before validation, e.g. "
        "--set populations.hopeful.size=200. Repeatable.",
    ),
]


@app.callback()
def configure(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log debug messages to stderr.")
    ] = False,
) -> None:
    logging.basicConfig(
        level=logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Debug output of the project's own modules only; JAX and Mesa stay quiet.
    for name in ("agents", "scenarios", "simulation", "benchmarks"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)


def fail(lines: list[str]) -> None:
    """Print one line per problem on stderr and exit with the usage error code."""
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(USAGE_ERROR)


def parse_overrides(assignments: list[str] | None) -> list[tuple[str, object]]:
    overrides = []
    for text in assignments or []:
        try:
            overrides.append(parse_assignment(text))
        except ValueError as error:
            fail([f"--set: {error}"])
    return overrides


def load_or_fail(scenario: str, assignments: list[str] | None):
    overrides = parse_overrides(assignments)
    try:
        return load_scenario(scenario, overrides)
    except ScenarioError as error:
        fail(error.lines)


def prepare_out(out: Path) -> None:
    """Create the output folder, or exit 2 when it cannot be created or written.

    Commands call this before they simulate, so a bad ``--out`` costs no run.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        fail([f"--out: {out}: exists and is not a folder; choose another folder"])
    except OSError as error:
        fail([f"--out: {out}: {error.strerror or error}; choose another folder"])
    if not os.access(out, os.W_OK | os.X_OK):
        fail([f"--out: {out}: the folder is not writable; choose another folder"])


def plural(count: int, noun: str) -> str:
    """Return "1 intervention" or "2 interventions"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


@app.command("scenarios")
def list_scenarios() -> None:
    """List the shipped scenarios."""
    for name, path in shipped_scenarios().items():
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            typer.echo(f"{name:<22} (invalid: {error.lines[0]})")
            continue
        first_line = (
            scenario.description.strip().splitlines()[0]
            if scenario.description.strip()
            else ""
        )
        typer.echo(
            f"{name:<22} {scenario.n_agents:>6} agents, {len(scenario.populations)} "
            f"populations, {scenario.steps} steps  {first_line}"
        )


@app.command(short_help="Check a scenario file and list every problem.")
def validate(scenario: ScenarioArgument, set_: SetOption = None) -> None:
    """Check a scenario: exit 0 when valid, 2 with one line per problem when not."""
    loaded = load_or_fail(scenario, set_)
    typer.echo(
        f"{loaded.source}: valid: {plural(loaded.n_agents, 'agent')} in "
        f"{plural(len(loaded.populations), 'population')}, "
        f"{plural(len(loaded.interventions), 'intervention')}, "
        f"{plural(loaded.steps, 'step')}"
    )


@app.command(short_help="Run a scenario and write its result files.")
def run(
    scenario: ScenarioArgument,
    steps: Annotated[
        int | None,
        typer.Option(
            min=1,
            metavar="N",
            show_default=False,
            help=f"Steps to run, 1 to {MAX_STEPS} (default: the scenario's steps).",
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option(min=0, metavar="SEED", help="Seed of every random draw.")
    ] = 0,
    out: Annotated[
        Path | None,
        typer.Option(
            metavar="FOLDER",
            show_default=False,
            help="Output folder (default: runs/<scenario>-seed<seed>/).",
        ),
    ] = None,
    set_: SetOption = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Run a scenario and write summary.json, model.csv, agents.parquet, report.png."""
    if steps is not None and steps > MAX_STEPS:
        fail([f"--steps: {steps} is above the limit of {MAX_STEPS}; lower it"])
    loaded = load_or_fail(scenario, set_)
    if out is None:
        out = Path("runs") / f"{loaded.name}-seed{seed}"
    prepare_out(out)

    from simulation.model import CoordinationModel
    from simulation.output import write_run

    logger.info("run %s seed %d into %s", loaded.name, seed, out)
    model = CoordinationModel(scenario=loaded, rng=seed)
    try:
        model.run(steps, progress=progress)
    except FloatingPointError as error:
        logger.error("run %s seed %d failed: %s", loaded.name, seed, error)
        typer.echo(f"{loaded.source}: run failed: {error}", err=True)
        raise typer.Exit(1) from None
    paths = write_run(model, out)
    print_summary(model.summary())
    typer.echo(f"\nWrote {', '.join(p.name for p in paths.values())} to {out}/")


def print_summary(summary: dict) -> None:
    """Print a run summary as a small table readable in 80 columns."""
    action = summary["joint_action"]
    typer.echo(
        f"\n{summary['scenario']}: {summary['n_agents']} agents, seed "
        f"{summary['seed']}, {summary['steps']} steps"
    )
    typer.echo(f"{'population':<22}{'n':>7}  final share '{action}'")
    for name, values in summary["populations"].items():
        share = values["final_action_share"][action]
        typer.echo(
            f"{name:<22}{values['n']:>7}  {share:>6.2f} {'#' * round(share * 30)}"
        )
    joint = (
        f"reached at step {summary['joint_action_step']}"
        if summary["joint_action_reached"]
        else "not reached"
    )
    converged = (
        f"converged at step {summary['convergence_step']}"
        if summary["converged"]
        else "did not converge"
    )
    typer.echo(
        f"joint action ({action} >= {summary['joint_threshold']:g} everywhere): {joint}"
    )
    typer.echo(
        f"beliefs: {converged} (divergence {summary['belief_divergence_initial']:.3f}"
        f" -> {summary['belief_divergence_final']:.3f})"
    )


def main() -> None:
    """Entry point of the ``modelfirst`` console script."""
    app()


__all__ = ["app", "main"]

# The other commands live in their own modules, which import this one for the
# shared options, so they are registered after everything above is defined.
from simulation.app_cli import app_command  # noqa: E402
from simulation.map_cli import map_command  # noqa: E402
from simulation.sweep_cli import sweep_command  # noqa: E402

app.command("map", short_help="Map a scenario's models without simulating.")(
    map_command
)
app.command("sweep", short_help="Run a parameter sweep over a scenario.")(sweep_command)
app.command("app", short_help="Serve the browser app.")(app_command)
