"""The signal table: each intervention read through each population's model."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from agents.generative_model import GenerativeModel
from agents.population import build_agent
from scenarios import Scenario

logger = logging.getLogger(__name__)

# Smallest change in the policy mass on the joint action that the verdict
# counts as a move; smaller changes are reported as "unmoved".
CHANGE_THRESHOLD = 0.01

# Likelihood entries are clipped here before taking logs, as pymdp 1.x does,
# so an observation that every believed state rules out leaves the prior as is.
MIN_LIKELIHOOD = 1e-16

BASELINE = "none"


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
