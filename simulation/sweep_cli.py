"""The ``modelfirst sweep`` command: a parameter sweep on Dask."""

from __future__ import annotations

import logging
import shlex
from pathlib import Path
from typing import Annotated, Any

import typer

from scenarios import ScenarioError, parse_value

logger = logging.getLogger(__name__)


def split_values(text: str) -> list[str]:
    """Split ``V1,V2,...`` at the commas outside brackets, braces and quotes.

    ``1,2`` gives two values and ``[1, 2],[3, 4]`` two TOML lists.
    """
    values, current, depth, quote = [], [], 0, ""
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            values.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    values.append("".join(current).strip())
    return values


def parse_grid(assignments: list[str]) -> dict[str, list[Any]]:
    """Parse repeated ``--grid PATH=V1,V2,...`` options into values per path."""
    grid: dict[str, list[Any]] = {}
    for text in assignments:
        path, sep, rest = text.partition("=")
        path = path.strip()
        values = split_values(rest) if sep else []
        if not path or any(not part for part in path.split(".")) or "" in values:
            raise ValueError(
                f"--grid {text!r}: write it as dotted.path=V1,V2,..., for example "
                "interventions.campaign.start=2,6"
            )
        if path in grid:
            raise ValueError(f"--grid {path} is given twice; give it once")
        grid[path] = [parse_value(value) for value in values]
    return grid


def parse_param(text: str) -> tuple[str, tuple[float, float]]:
    """Parse ``--param PATH=LOW:HIGH`` into a path and a numeric range."""
    path, sep, rest = text.partition("=")
    path = path.strip()
    low, colon, high = rest.partition(":")
    try:
        bounds = (float(low), float(high))
    except ValueError:
        bounds = None
    if not sep or not colon or not path or bounds is None:
        raise ValueError(
            f"--param {text!r}: write it as dotted.path=LOW:HIGH with two numbers, "
            "for example populations.hopeful.gamma=1:8"
        )
    return path, bounds


def sweep_command(
    scenario: Annotated[
        str, typer.Argument(help="A shipped scenario name or a path to a .toml file.")
    ],
    grid: Annotated[
        list[str] | None,
        typer.Option(
            help="Values of one dotted path, PATH=V1,V2,...; every combination of "
            "the --grid options is one point. Repeatable."
        ),
    ] = None,
    design: Annotated[
        str | None,
        typer.Option(
            help="Sampled design over the --param ranges: sobol (first and total "
            "order indices), morris (elementary effects) or lhs (Latin hypercube)."
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            help="Range of one dotted path for --design, PATH=LOW:HIGH; values of "
            "integer fields are rounded. Repeatable."
        ),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Base sample size N of --design: sobol runs N*(D+2) points, morris "
            "N*(D+1) and lhs N, for D parameters. Minimum: lhs 44 (RBD-FAST sums "
            "10 harmonics over N and N/2 points), sobol 2 and a power of two, "
            "morris 2.",
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override a value by dotted path for every point, PATH=VALUE. "
            "Repeatable.",
        ),
    ] = None,
    replicates: Annotated[
        int, typer.Option(min=1, help="Runs per point, each with a spawned seed.")
    ] = 1,
    seed: Annotated[
        int, typer.Option(min=0, help="Seed that the replicate seeds are spawned from.")
    ] = 0,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Worker processes of the local Dask cluster (default: the number "
            "of CPUs).",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Address of a running Dask scheduler, e.g. tcp://127.0.0.1:8786, "
            "instead of a local cluster."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Output folder (default: runs/<scenario>-sweep/)."),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            help="Skip the runs already finished in --out and run the rest, "
            "including failed ones."
        ),
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Run a parameter sweep and write runs/, steps/, summary.csv, surface.png."""
    from simulation.cli import fail, parse_overrides
    from simulation.sweep import run_sweep

    if not logging.getLogger("simulation").isEnabledFor(logging.DEBUG):
        # Dask logs every worker start and stop at INFO; keep them for --verbose.
        # Importing distributed sets its log level, so the import comes first.
        import distributed  # noqa: F401

        logging.getLogger("distributed").setLevel(logging.WARNING)
    overrides = parse_overrides(set_)
    if (grid is None) == (design is None):
        fail(
            ["give either --grid PATH=V1,V2,... or --design with --param and --samples"]
        )
    if workers is not None and scheduler is not None:
        fail(["--workers and --scheduler exclude each other; give one of them"])
    if grid is not None and (param or samples is not None):
        fail(["--param and --samples apply only to --design; remove them or --grid"])
    if design is not None and (not param or samples is None):
        fail(
            [
                f"--design {design} needs at least one --param PATH=LOW:HIGH "
                "and --samples N"
            ]
        )
    if out is not None:
        # The folder is made only once the plan is valid, so check here that
        # it can be: its nearest existing ancestor must be a folder.
        ancestor = out
        while not ancestor.exists() and ancestor != ancestor.parent:
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            fail([f"--out: {out}: {ancestor} is not a folder; choose another folder"])
    try:
        grid_values = parse_grid(grid) if grid is not None else None
        params = dict(parse_param(text) for text in param or [])
    except ValueError as error:
        fail([str(error)])

    try:
        runs = run_sweep(
            scenario,
            grid=grid_values,
            design=design,
            params=params or None,
            samples=samples,
            overrides=overrides,
            replicates=replicates,
            seed=seed,
            workers=workers,
            scheduler=scheduler,
            out=out,
            resume=resume,
            progress=progress,
        )
    except ScenarioError as error:
        fail(error.lines)
    except ValueError as error:
        fail([str(error)])
    except KeyboardInterrupt:
        report_interrupt(scenario, overrides, out)
        raise typer.Exit(130) from None

    folder = Path(runs.attrs["out"])
    print_points(folder / "summary.csv")
    for note in runs.attrs.get("notes", []):
        typer.echo(f"Note: {note}")
    failed = int((runs["status"] != "ok").sum())
    typer.echo(f"\n{len(runs)} runs, {failed} failed")
    names = "runs/, steps/, summary.csv, surface.png"
    if design is not None:
        names += ", sensitivity.csv"
    typer.echo(f"Wrote {names} to {folder}/")


def report_interrupt(
    scenario: str, overrides: list[tuple[str, Any]], out: Path | None
) -> None:
    """Print how many finished runs an interrupted sweep kept, and how to resume.

    The resume command is this process's command line with ``--out`` set to
    the folder and ``--resume`` added, so it repeats the same plan.
    """
    import sys

    from scenarios import load_scenario
    from simulation.sweep import default_out, read_runs

    if out is None:
        out = default_out(load_scenario(scenario, overrides).name)
    runs = read_runs(out) if out.is_dir() else None
    kept = 0 if runs is None or runs.empty else int((runs["status"] == "ok").sum())
    arguments = resume_arguments(sys.argv[1:], out)
    command = shlex.join(["modelfirst", *arguments])
    typer.echo(
        f"Interrupted: {kept} finished runs kept in {out}/; finish the sweep "
        f"with: {command}",
        err=True,
    )


def resume_arguments(arguments: list[str], out: Path) -> list[str]:
    """Return command-line arguments with ``--out OUT`` and ``--resume`` set."""
    result = []
    skip = False
    for argument in arguments:
        if skip:
            skip = False
            continue
        if argument == "--out":
            skip = True
            continue
        if argument.startswith("--out=") or argument in ("--resume", "--no-resume"):
            continue
        result.append(argument)
    return [*result, "--out", str(out), "--resume"]


def print_points(path: Path, limit: int = 20) -> None:
    """Print the first points of summary.csv: runs, joint-action share, step.

    A missing value, such as the median step of a point that never reaches
    joint action, is printed as '-', as in surface.png.
    """
    import pandas as pd

    table = pd.read_csv(path)
    columns = [
        c
        for c in table.columns
        if c not in ("point", "runs", "failed")
        and not c.startswith(("joint_action_", "belief_", "final_share."))
    ]
    columns += ["runs", "failed", "joint_action_share", "joint_action_step_median"]
    first = table[columns].head(limit)
    text = first.to_string(index=False, na_rep="-", float_format=lambda x: f"{x:.3g}")
    typer.echo(text)
    if len(table) > limit:
        typer.echo(f"... {len(table) - limit} more points in {path}")
