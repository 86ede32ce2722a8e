"""The ``modelfirst map`` command: map a scenario's models without simulating."""

from __future__ import annotations

import json
import logging
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from simulation.cli import ScenarioArgument, SetOption, load_or_fail, prepare_out

if TYPE_CHECKING:
    from simulation.analysis import ScenarioMap

logger = logging.getLogger(__name__)

MAP_FILES = ("map.json", "map.png")

# Width of a population or intervention name in the printed tables.
NAME_WIDTH = 20


def map_command(
    scenario: ScenarioArgument,
    out: Annotated[
        Path | None,
        typer.Option(
            metavar="FOLDER",
            show_default=False,
            help="Output folder (default: runs/<scenario>-map/).",
        ),
    ] = None,
    set_: SetOption = None,
) -> None:
    """Map value overlap, model divergence and signals; write map.json, map.png."""
    loaded = load_or_fail(scenario, set_)
    if out is None:
        out = Path("runs") / f"{loaded.name}-map"
    prepare_out(out)

    from simulation.analysis import map_scenario

    scenario_map = map_scenario(loaded)
    print_map(scenario_map)
    paths = write_map(scenario_map, out)
    typer.echo(f"\nWrote {', '.join(p.name for p in paths.values())} to {out}/")


def write_map(scenario_map: ScenarioMap, out: Path) -> dict[str, Path]:
    """Write ``map.json`` and ``map.png`` into ``out`` and return their paths."""
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in MAP_FILES}
    text = json.dumps(scenario_map.to_dict(), indent=2, allow_nan=False)
    paths["map.json"].write_text(text + "\n")
    figure = scenario_map.figure()
    figure.savefig(paths["map.png"], dpi=100, metadata={"Software": None})
    plt.close(figure)
    logger.info("wrote %s", ", ".join(str(p) for p in paths.values()))
    return paths


def _name(text: str) -> str:
    """Fit a name into the name column, cutting it with '~' when too long."""
    if len(text) <= NAME_WIDTH - 1:
        return f"{text:<{NAME_WIDTH}}"
    return f"{text[: NAME_WIDTH - 2]}~ "


def print_map(scenario_map: ScenarioMap) -> None:
    """Print the three tables and the verdict, readable in 80 columns."""
    scenario = scenario_map.scenario
    typer.echo(f"{scenario.name}: map of {len(scenario.populations)} populations")

    typer.echo("\nValue overlap (1 - JSD of softmax(C), bits; 1 = same preferences)")
    overlap = scenario_map.value_overlap
    if overlap.empty:
        typer.echo("  needs two populations")
    for row in overlap.itertuples(index=False):
        value = "   n/a" if row.overlap != row.overlap else f"{row.overlap:6.3f}"
        typer.echo(
            f"  {_name(row.population_a)}{_name(row.population_b)}{value}  "
            f"over {row.modalities or 'no preferred modality'}"
        )

    typer.echo("\nModel divergence (JSD in bits, 0 = same; A averaged over columns)")
    divergence = scenario_map.model_divergence
    if divergence.empty:
        typer.echo("  needs two populations")
    differing = divergence[divergence["bits"] > 0]
    for row in differing.itertuples(index=False):
        typer.echo(
            f"  {_name(row.population_a)}{_name(row.population_b)}"
            f"{row.component:<22}{row.bits:6.3f}"
        )
    same = [
        component
        for component, bits in divergence.groupby("component", sort=False)["bits"]
        if (bits == 0).all()
    ]
    if same:
        typer.echo(f"  the same in every pair: {', '.join(same)}")

    print_signal_table(scenario_map)

    if scenario_map.notes:
        typer.echo("\nNotes")
        for note in scenario_map.notes:
            typer.echo(
                textwrap.fill(note, 78, initial_indent="  - ", subsequent_indent="    ")
            )


def print_signal_table(scenario_map: ScenarioMap) -> None:
    """Print the belief shift and joint-action change of each signal, then the
    verdict per intervention."""
    scenario = scenario_map.scenario
    table = scenario_map.signal_table
    action = scenario.joint_action_name
    typer.echo(
        f"\nSignal table (one observation, from the prior D; policy mass on '{action}')"
    )
    if table.empty:
        typer.echo("  no intervention modality: nothing to map")
        return

    factors = [scenario.factors[f] for f in scenario.context_factors]
    # Each belief column is as wide as its header, so no factor or state name
    # is cut.
    titles = [f"P({factor.name}={factor.states[0]})" for factor in factors]
    widths = [max(NAME_WIDTH, len(title) + 2) for title in titles]
    header = "".join(
        title.ljust(width) for title, width in zip(titles, widths, strict=True)
    )
    typer.echo(
        f"  {'observation':<{NAME_WIDTH}}{'population':<{NAME_WIDTH}}{header}"
        f"mass on '{action}'"
    )
    for row in table.to_dict("records"):
        label = row["intervention"]
        if not row["targeted"]:
            label = f"({label})"
        beliefs = ""
        for factor, width in zip(factors, widths, strict=True):
            column = f"{factor.name}.{factor.states[0]}"
            shift = f"{row['prior.' + column]:.2f}->{row['posterior.' + column]:.2f}"
            beliefs += shift.ljust(width)
        typer.echo(
            f"  {_name(label)}{_name(row['population'])}{beliefs}"
            f"{row['joint_before']:.2f}->{row['joint_after']:.2f} {row['change']:+.3f}"
        )
    typer.echo("  (name): not targeted by this intervention")

    if not scenario_map.verdict:
        typer.echo("\nVerdict: no intervention with an observation to judge")
        return
    threshold = next(iter(scenario_map.verdict.values()))["threshold"]
    typer.echo(
        f"\nVerdict (a move is a change of at least {threshold:g} in the policy "
        f"mass on '{action}')"
    )
    for name, entry in scenario_map.verdict.items():
        typer.echo(f"  {name}")
        for key in ("towards", "away", "unmoved", "not_targeted"):
            if entry[key]:
                typer.echo(f"    {key.replace('_', ' ')}: {', '.join(entry[key])}")
