"""Compare populations' generative models: value overlap and model divergence.

All divergences here are Jensen-Shannon divergences between two
distributions, in bits, which lie in [0, 1] whatever the number of states.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from agents.generative_model import GenerativeModel
from scenarios import Scenario
from simulation.metrics import entropy_bits


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
