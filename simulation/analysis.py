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
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from agents.generative_model import GenerativeModel
from agents.population import build_agent
from scenarios import Scenario, build_scenario
from simulation.metrics import entropy_bits

logger = logging.getLogger(__name__)

# Smallest change in the policy mass on the joint action that the verdict
# counts as a move; smaller changes are reported as "unmoved".
CHANGE_THRESHOLD = 0.01

# Likelihood entries are clipped here before taking logs, as pymdp 1.x does,
# so an observation that every believed state rules out leaves the prior as is.
MIN_LIKELIHOOD = 1e-16

BASELINE = "none"


def jensen_shannon_bits(p: np.ndarray, q: np.ndarray) -> float:
    """Return the Jensen-Shannon divergence of two distributions in bits.

    ``H((p + q) / 2) - (H(p) + H(q)) / 2`` with ``0 log 0 = 0``; it lies in
    [0, 1] for any number of states (unlike
    :func:`simulation.metrics.jensen_shannon`, which is normalised by the
    number of states).
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    value = entropy_bits((p + q) / 2) - (entropy_bits(p) + entropy_bits(q)) / 2
    return float(np.clip(value, 0.0, 1.0))


def softmax(values: np.ndarray) -> np.ndarray:
    """Return ``exp(values) / sum(exp(values))``, computed stably."""
    shifted = np.asarray(values, dtype=np.float64) - np.max(values)
    weights = np.exp(shifted)
    return weights / weights.sum()


def _pairs(scenario: Scenario) -> list[tuple[GenerativeModel, GenerativeModel]]:
    return list(combinations(scenario.populations, 2))


def preference_modalities(scenario: Scenario) -> list[str]:
    """Return the modalities where at least one population has a non-flat ``C``.

    A flat ``C`` (all entries equal, e.g. all zero) expresses no preference.
    """
    return [
        modality.name
        for index, modality in enumerate(scenario.modalities)
        if any(np.ptp(p.C[index]) > 0 for p in scenario.populations)
    ]


def value_overlap(scenario: Scenario) -> pd.DataFrame:
    """Compare every pair of populations' preferences over the same outcomes.

    For each modality ``m`` where at least one of the two populations has a
    non-flat ``C[m]``, the overlap is ``1 - JSD(softmax(C_a[m]),
    softmax(C_b[m]))`` with the divergence in bits. The pair's ``overlap`` is
    the mean over those modalities. It lies in [0, 1]: 1 means the same
    ordering and strength of preferences (``C`` equal up to an added
    constant). Modalities with a flat ``C`` in both populations are skipped.

    Returns
    -------
    DataFrame
        One row per pair: ``population_a``, ``population_b``, ``overlap``
        (NaN when neither population prefers any outcome), ``modalities``
        (the modalities averaged, comma-separated) and ``overlap.<modality>``
        for every modality of :func:`preference_modalities` (NaN where both
        are flat).
    """
    names = [m.name for m in scenario.modalities]
    preferred = preference_modalities(scenario)
    rows = []
    for a, b in _pairs(scenario):
        row: dict[str, Any] = {"population_a": a.name, "population_b": b.name}
        used = []
        for name in preferred:
            index = names.index(name)
            if np.ptp(a.C[index]) == 0 and np.ptp(b.C[index]) == 0:
                row[f"overlap.{name}"] = np.nan
                continue
            divergence = jensen_shannon_bits(softmax(a.C[index]), softmax(b.C[index]))
            row[f"overlap.{name}"] = 1.0 - divergence
            used.append(name)
        values = [row[f"overlap.{name}"] for name in used]
        row["overlap"] = float(np.mean(values)) if values else np.nan
        row["modalities"] = ",".join(used)
        rows.append(row)
    columns = ["population_a", "population_b", "overlap", "modalities"]
    columns += [f"overlap.{name}" for name in preferred]
    return pd.DataFrame(rows, columns=columns)


def likelihood_divergence(A_a: np.ndarray, A_b: np.ndarray) -> float:
    """Return the mean over columns of the JSD (bits) between two likelihoods.

    ``A_a`` and ``A_b`` have shape ``(num_outcomes, *num_states)``. Each
    column (one combination of the states the modality depends on) is a
    distribution over outcomes, and every column counts equally.
    """
    columns_a = np.asarray(A_a, dtype=np.float64).reshape(A_a.shape[0], -1).T
    columns_b = np.asarray(A_b, dtype=np.float64).reshape(A_b.shape[0], -1).T
    return float(
        np.mean(
            [
                jensen_shannon_bits(p, q)
                for p, q in zip(columns_a, columns_b, strict=True)
            ]
        )
    )


def model_divergence(scenario: Scenario) -> pd.DataFrame:
    """Measure how far apart every pair of populations' models are, in bits.

    Priors: the JSD between ``D_a[f]`` and ``D_b[f]`` for each context
    factor ``f`` (social and control factors are set by neighbours and own
    actions, so their priors are left out). Likelihoods: for each modality,
    the JSD between ``A_a[m]`` and ``A_b[m]`` per column, averaged over the
    columns (see :func:`likelihood_divergence`).

    Returns
    -------
    DataFrame
        One row per pair and component: ``population_a``, ``population_b``,
        ``component`` (``D.<factor>`` or ``A.<modality>``), ``array`` (``D``
        or ``A``), ``name`` and ``bits`` in [0, 1].
    """
    rows = []
    for a, b in _pairs(scenario):
        for f in scenario.context_factors:
            name = scenario.factors[f].name
            bits = jensen_shannon_bits(a.D[f], b.D[f])
            rows.append((a.name, b.name, f"D.{name}", "D", name, bits))
        for m, modality in enumerate(scenario.modalities):
            bits = likelihood_divergence(a.A[m], b.A[m])
            rows.append(
                (a.name, b.name, f"A.{modality.name}", "A", modality.name, bits)
            )
    columns = ["population_a", "population_b", "component", "array", "name", "bits"]
    return pd.DataFrame(rows, columns=columns)


def posterior_after(
    model: GenerativeModel,
    depends_on: tuple[int, ...],
    modality: int,
    observation: np.ndarray,
) -> list[np.ndarray]:
    """Return the exact posterior marginals after one observation, from ``D``.

    Bayes' rule on the joint prior ``prod_f D[f]`` over the factors the
    modality depends on, with the population's own likelihood ``A[modality]``;
    other factors keep their prior. A soft ``observation`` (a distribution
    over outcomes, shape ``(num_outcomes,)``) enters as pymdp 1.x does: the
    log-likelihood is ``sum_o observation[o] * log A[o, ...]``, so a one-hot
    observation gives the same posterior as the outcome index.

    Returns
    -------
    list of arrays, one per factor, shape ``(num_states,)``.
    """
    likelihood = np.clip(np.asarray(model.A[modality], np.float64), MIN_LIKELIHOOD, 1)
    log_likelihood = np.tensordot(observation, np.log(likelihood), axes=(0, 0))
    joint = np.exp(log_likelihood - log_likelihood.max())
    for axis, f in enumerate(depends_on):
        shape = [1] * len(depends_on)
        shape[axis] = -1
        joint = joint * np.asarray(model.D[f], np.float64).reshape(shape)
    joint = joint / joint.sum()

    posterior = [np.asarray(d, dtype=np.float64) for d in model.D]
    for axis, f in enumerate(depends_on):
        others = tuple(i for i in range(len(depends_on)) if i != axis)
        posterior[f] = joint.sum(axis=others)
    return posterior


def joint_action_probabilities(
    scenario: Scenario, model: GenerativeModel, beliefs: list[list[np.ndarray]]
) -> tuple[np.ndarray, np.ndarray]:
    """Predict how likely a member is to choose the joint action from each belief.

    A pymdp agent with one row per belief state (built by
    :func:`agents.build_agent` from the population's model, with its mean
    ``gamma``) runs ``infer_policies``. Then, as in a member's step, the
    action is drawn from the policy posterior ``q_pi`` sharpened by the
    action precision ``alpha`` (see ``agents.population``).

    Returns
    -------
    policy_mass : shape ``(len(beliefs),)``, the mass of ``q_pi`` on policies
        whose first action on the joint factor is the joint action.
    choice : shape ``(len(beliefs),)``, the probability that a member with
        that belief chooses the joint action at its next step.
    """
    import jax.numpy as jnp

    size = len(beliefs)
    agent = build_agent(model, scenario.factors, size)
    qs = [
        jnp.asarray(
            np.stack([belief[f] for belief in beliefs])[:, None, :], jnp.float32
        )
        for f in range(len(scenario.factors))
    ]
    q_pi, _ = agent.infer_policies(qs)
    q_pi = np.asarray(q_pi, dtype=np.float64)
    q_pi = q_pi / q_pi.sum(axis=1, keepdims=True)

    first = np.asarray(agent.policies.policy_arr)[:, 0, scenario.joint_factor]
    is_joint = first == scenario.joint_action
    policy_mass = q_pi[:, is_joint].sum(axis=1)

    if model.sampling_mode == "full":
        options, chosen_is_joint = q_pi, is_joint
    else:
        num_actions = scenario.factors[scenario.joint_factor].num_actions
        options = np.stack(
            [q_pi[:, first == u].sum(axis=1) for u in range(num_actions)], axis=1
        )
        chosen_is_joint = np.arange(num_actions) == scenario.joint_action
    if model.action_selection == "deterministic":
        choice = chosen_is_joint[np.argmax(options, axis=1)].astype(np.float64)
    else:
        logits = model.alpha * np.log(np.clip(options, 1e-16, None))
        weights = np.exp(logits - logits.max(axis=1, keepdims=True))
        weights = weights / weights.sum(axis=1, keepdims=True)
        choice = weights[:, chosen_is_joint].sum(axis=1)
    return policy_mass, choice


def _observation_label(outcomes: tuple[str, ...], observation: np.ndarray) -> str:
    if np.count_nonzero(observation) == 1:
        return outcomes[int(np.argmax(observation))]
    return ", ".join(
        f"{outcome}={p:g}"
        for outcome, p in zip(outcomes, observation, strict=True)
        if p > 0
    )


def _signals(scenario: Scenario) -> list[dict[str, Any]]:
    """List the baseline observation of each intervention modality, then each
    intervention's observation, with what is needed to compute its row."""
    signals = []
    for m, modality in enumerate(scenario.modalities):
        if modality.kind != "intervention":
            continue
        observation = np.zeros(modality.num_outcomes)
        observation[modality.outcomes.index("none")] = 1.0
        signals.append(
            {
                "intervention": BASELINE,
                "baseline": True,
                "modality": m,
                "observation": observation,
                "targets": set(range(len(scenario.populations))),
                "structural": False,
            }
        )
    for intervention in scenario.interventions:
        if intervention.observation is None:
            continue
        signals.append(
            {
                "intervention": intervention.name,
                "baseline": False,
                "modality": intervention.modality,
                "observation": np.asarray(intervention.observation, np.float64),
                "targets": set(intervention.populations),
                "structural": intervention.structural,
            }
        )
    return signals


def signal_table(scenario: Scenario) -> pd.DataFrame:
    """Trace each intervention observation through each population's model.

    For every observation (the ``none`` baseline of each intervention
    modality, then every intervention of ``scenario.interventions`` that has
    one) and every population: the exact one-step posterior over each
    context factor from the prior ``D`` (:func:`posterior_after`), its shift
    from the prior, and the probability that a member chooses the joint
    action before (beliefs = ``D``) and after (beliefs = the posterior), from
    :func:`joint_action_probabilities`.

    The population's mean ``D`` and ``gamma`` stand for its members; the
    spread of priors and precision across members is not mapped.

    Returns
    -------
    DataFrame
        One row per observation and population: ``intervention``,
        ``baseline``, ``modality``, ``observation``, ``population``,
        ``targeted``, ``structural``, ``prior.<factor>.<state>``,
        ``posterior.<factor>.<state>``, ``shift.<factor>.<state>``
        (posterior minus prior) for each context factor; ``joint_before`` and
        ``joint_after``, the policy mass on the joint action, and ``change``
        (after minus before); ``choice_before`` and ``choice_after``, the
        probability of drawing the joint action with the action precision
        ``alpha`` applied. With the default ``alpha = 16`` the draw is close
        to all or nothing, so a belief shift can move the policy mass while
        the choice stays at 0 or 1 for a member with exactly the mean prior.
    """
    signals = _signals(scenario)
    rows = []
    for p, model in enumerate(scenario.populations):
        posteriors = [
            posterior_after(
                model,
                scenario.modalities[signal["modality"]].depends_on,
                signal["modality"],
                signal["observation"],
            )
            for signal in signals
        ]
        prior = [np.asarray(d, dtype=np.float64) for d in model.D]
        mass, choice = joint_action_probabilities(scenario, model, [prior, *posteriors])
        for index, (signal, posterior) in enumerate(
            zip(signals, posteriors, strict=True)
        ):
            modality = scenario.modalities[signal["modality"]]
            row: dict[str, Any] = {
                "intervention": signal["intervention"],
                "baseline": signal["baseline"],
                "modality": modality.name,
                "observation": _observation_label(
                    modality.outcomes, signal["observation"]
                ),
                "population": model.name,
                "targeted": p in signal["targets"],
                "structural": signal["structural"],
            }
            for f in scenario.context_factors:
                factor = scenario.factors[f]
                for s, state in enumerate(factor.states):
                    row[f"prior.{factor.name}.{state}"] = prior[f][s]
                    row[f"posterior.{factor.name}.{state}"] = posterior[f][s]
                    row[f"shift.{factor.name}.{state}"] = posterior[f][s] - prior[f][s]
            row["joint_before"] = mass[0]
            row["joint_after"] = mass[index + 1]
            row["change"] = mass[index + 1] - mass[0]
            row["choice_before"] = choice[0]
            row["choice_after"] = choice[index + 1]
            rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    order = {name: i for i, name in enumerate(s["intervention"] for s in signals)}
    table["order"] = [
        -1 if baseline else order[name]
        for name, baseline in zip(table["intervention"], table["baseline"], strict=True)
    ]
    table = table.sort_values(["order", "modality"], kind="stable")
    return table.drop(columns="order").reset_index(drop=True)


def coordination_verdict(
    table: pd.DataFrame, threshold: float = CHANGE_THRESHOLD
) -> dict[str, dict[str, Any]]:
    """Sort the targeted populations by how an intervention moves them.

    A targeted population moves ``towards`` the joint action when the policy
    mass on it (``change`` in :func:`signal_table`) rises by at least
    ``threshold`` (0.01 by default) from the prior, ``away`` when it falls
    by at least that much, and is ``unmoved`` otherwise. Populations the
    intervention does not target are listed as ``not_targeted``. Baseline
    rows get no verdict; where the ``none`` observation itself moves a
    population, compare an intervention's ``joint_after`` with the
    baseline's.
    """
    verdict: dict[str, dict[str, Any]] = {}
    if table.empty:
        return verdict
    for row in table[~table["baseline"]].itertuples(index=False):
        entry = verdict.setdefault(
            row.intervention,
            {
                "towards": [],
                "away": [],
                "unmoved": [],
                "not_targeted": [],
                "structural": bool(row.structural),
                "threshold": threshold,
            },
        )
        if not row.targeted:
            key = "not_targeted"
        elif row.change >= threshold:
            key = "towards"
        elif row.change <= -threshold:
            key = "away"
        else:
            key = "unmoved"
        entry[key].append(row.population)
    return verdict


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
