"""Map a scenario's generative models before simulating them.

Three static tables, computed from the scenario alone:

- **value overlap**: how similar two populations' preferences ``C`` are;
- **model divergence**: how far apart their priors ``D`` and likelihoods
  ``A`` are;
- **signal table**: what one intervention observation does to each
  population's beliefs about the context, and to the share of members that
  would then choose the joint action.

All divergences here are Jensen-Shannon divergences between two
distributions, in bits, which lie in [0, 1] whatever the number of states.

>>> from scenarios import load_scenario
>>> scenario_map = map_scenario(load_scenario("two-camps"))
>>> scenario_map.verdict["campaign"]["towards"]
['hopeful']
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from scenarios import Scenario, build_scenario
from simulation.comparison import (
    jensen_shannon_bits,
    likelihood_divergence,
    model_divergence,
    preference_modalities,
    softmax,
    value_overlap,
)
from simulation.signals import (
    BASELINE,
    CHANGE_THRESHOLD,
    MIN_LIKELIHOOD,
    coordination_verdict,
    joint_action_probabilities,
    posterior_after,
    signal_table,
)

logger = logging.getLogger(__name__)

__all__ = [
    "BASELINE",
    "CHANGE_THRESHOLD",
    "MIN_LIKELIHOOD",
    "ScenarioMap",
    "coordination_verdict",
    "jensen_shannon_bits",
    "joint_action_probabilities",
    "likelihood_divergence",
    "map_scenario",
    "model_divergence",
    "posterior_after",
    "preference_modalities",
    "signal_table",
    "softmax",
    "value_overlap",
    "with_all_interventions",
]


def with_all_interventions(scenario: Scenario) -> Scenario:
    """Return the scenario with every intervention declared in its file enabled.

    Interventions with ``enabled = false`` are left out of
    ``scenario.interventions``. A map is more useful when it shows every
    intervention the file declares, so they are compiled again with
    ``enabled`` forced to true.
    """
    disabled = [
        name for name, spec in scenario.spec.interventions.items() if not spec.enabled
    ]
    if not disabled:
        return scenario
    overrides = {f"interventions.{name}.enabled": True for name in disabled}
    return build_scenario(
        scenario.data, source=scenario.source, path=scenario.path, overrides=overrides
    )


@dataclass
class ScenarioMap:
    """The three tables of a scenario's map, with the verdict and notes.

    Attributes
    ----------
    scenario : the scenario that was mapped (every intervention enabled).
    value_overlap, model_divergence, signal_table : see the functions of the
        same names.
    verdict : see :func:`coordination_verdict`.
    notes : what was skipped or could not be computed, as sentences.
    """

    scenario: Scenario
    value_overlap: pd.DataFrame
    model_divergence: pd.DataFrame
    signal_table: pd.DataFrame
    verdict: dict[str, dict[str, Any]]
    notes: list[str] = field(default_factory=list)

    def overlap_matrix(self) -> pd.DataFrame:
        """Return value overlap as a square table, 1 on the diagonal."""
        names = self.scenario.population_names
        matrix = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
        for row in self.value_overlap.itertuples(index=False):
            matrix.loc[row.population_a, row.population_b] = row.overlap
            matrix.loc[row.population_b, row.population_a] = row.overlap
        return matrix

    def divergence_matrix(self) -> pd.DataFrame:
        """Return model divergence with one row per pair and one column per
        component, in bits."""
        table = self.model_divergence
        if table.empty:
            return pd.DataFrame()
        pair = table["population_a"] + " / " + table["population_b"]
        wide = table.assign(pair=pair).pivot(
            index="pair", columns="component", values="bits"
        )
        return wide.loc[pair.unique(), table["component"].unique()]

    def to_dict(self) -> dict[str, Any]:
        """Return the map as plain JSON-ready values, with names, not indices."""
        scenario = self.scenario
        divergence: dict[str, Any] = {}
        for row in self.model_divergence.itertuples(index=False):
            key = f"{row.population_a} / {row.population_b}"
            entry = divergence.setdefault(
                key,
                {"population_a": row.population_a, "population_b": row.population_b},
            )
            entry.setdefault(row.array, {})[row.name] = row.bits
        return {
            "scenario": scenario.name,
            "populations": scenario.population_names,
            "joint_action": scenario.joint_action_name,
            "value_overlap": {
                "pairs": [
                    {
                        "population_a": row["population_a"],
                        "population_b": row["population_b"],
                        "overlap": row["overlap"],
                        "modalities": row["modalities"].split(",")
                        if row["modalities"]
                        else [],
                        "per_modality": {
                            key.removeprefix("overlap."): value
                            for key, value in row.items()
                            if key.startswith("overlap.")
                        },
                    }
                    for row in _records(self.value_overlap)
                ],
                "skipped_modalities": [
                    m.name
                    for m in scenario.modalities
                    if m.name not in preference_modalities(scenario)
                ],
            },
            "model_divergence": {
                "units": "bits",
                "pairs": list(divergence.values()),
                "skipped_factors": [
                    f.name for f in scenario.factors if f.kind != "context"
                ],
            },
            "signal_table": _records(self.signal_table),
            "verdict": self.verdict,
            "notes": self.notes,
        }

    def figure(self):
        """Draw the map: two heatmaps above, belief and action shifts below."""
        from simulation.map_figure import map_figure

        return map_figure(self)


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    records = table.astype(object).where(table.notna(), None).to_dict("records")
    return [{key: _plain(value) for key, value in row.items()} for row in records]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def map_scenario(scenario: Scenario) -> ScenarioMap:
    """Compute the value overlap, model divergence and signal table of a scenario.

    Every intervention the scenario file declares is mapped, including those
    with ``enabled = false`` (see :func:`with_all_interventions`).
    """
    scenario = with_all_interventions(scenario)
    notes = []
    if len(scenario.populations) < 2:
        notes.append(
            "one population: value overlap and model divergence need two; "
            "only the signal table is filled"
        )
    preferred = preference_modalities(scenario)
    flat = [m.name for m in scenario.modalities if m.name not in preferred]
    if not preferred:
        notes.append("no population prefers any outcome (every C is flat)")
    if flat:
        notes.append(
            "value overlap skips modalities with a flat C in every population: "
            + ", ".join(flat)
        )
    skipped_factors = [f.name for f in scenario.factors if f.kind != "context"]
    if skipped_factors:
        notes.append(
            "model divergence compares D on context factors only; skipped: "
            + ", ".join(skipped_factors)
        )
    if not scenario.context_factors:
        notes.append("no context factor: the signal table shows no belief shift")
    if not any(m.kind == "intervention" for m in scenario.modalities):
        notes.append("no intervention modality: the signal table is empty")
    if not scenario.spec.interventions:
        notes.append("no interventions declared: only the 'none' baseline is mapped")
    for intervention in scenario.interventions:
        if intervention.observation is None:
            notes.append(
                f"intervention {intervention.name!r} has no observation (a purely "
                "structural change), so it has no row in the signal table"
            )
        elif intervention.structural:
            notes.append(
                f"intervention {intervention.name!r} also changes the environment; "
                "the signal table shows only what its observation signals"
            )

    table = signal_table(scenario)
    logger.info(
        "mapped %s: %d populations, %d signal rows",
        scenario.name,
        len(scenario.populations),
        len(table),
    )
    return ScenarioMap(
        scenario=scenario,
        value_overlap=value_overlap(scenario),
        model_divergence=model_divergence(scenario),
        signal_table=table,
        verdict=coordination_verdict(table),
        notes=notes,
    )
