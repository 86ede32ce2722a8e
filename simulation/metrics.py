"""Metrics of beliefs and actions: pure functions of arrays.

Every function is safe for zero probabilities (``0 log 0 = 0``) and returns
finite values within stated bounds, so a threshold on them can fail.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def entropy_bits(p: np.ndarray, axis: int = -1) -> np.ndarray:
    """Return the Shannon entropy in bits along ``axis``, with ``0 log 0 = 0``."""
    p = np.asarray(p, dtype=np.float64)
    safe = np.where(p > 0, p, 1.0)
    return -np.sum(np.where(p > 0, p * np.log2(safe), 0.0), axis=axis)


def jensen_shannon(
    distributions: np.ndarray, weights: np.ndarray | None = None
) -> float:
    """Return the generalised Jensen-Shannon divergence, normalised to [0, 1].

    ``distributions`` has shape ``(n, num_states)``. The divergence
    ``H(sum_i w_i p_i) - sum_i w_i H(p_i)`` is in bits and at most
    ``log2(num_states)``; it is divided by that bound so it lies in [0, 1]
    (for two states the value is in bits unchanged). One distribution, or one
    state, gives 0.
    """
    p = np.asarray(distributions, dtype=np.float64)
    n, k = p.shape
    if n < 2 or k < 2:
        return 0.0
    w = (
        np.full(n, 1.0 / n)
        if weights is None
        else np.asarray(weights, dtype=np.float64)
    )
    w = w / w.sum()
    mixture = w @ p
    value = entropy_bits(mixture) - float(w @ entropy_bits(p))
    return float(np.clip(value / np.log2(k), 0.0, 1.0))


def belief_divergence(qs: Sequence[np.ndarray], factors: Sequence[int]) -> float:
    """Return the mean normalised Jensen-Shannon divergence over ``factors``.

    ``qs`` contains one array per factor, shape ``(n_agents, num_states)``.
    """
    if not factors:
        return 0.0
    return float(np.mean([jensen_shannon(qs[f]) for f in factors]))


def divergence_between(
    qs: Sequence[np.ndarray], factors: Sequence[int], groups: Sequence[np.ndarray]
) -> float:
    """Return the divergence between the group means of the beliefs.

    ``groups`` contains the row indices of each group; every group counts with
    equal weight whatever its size.
    """
    if not factors or len(groups) < 2:
        return 0.0
    values = []
    for f in factors:
        means = np.stack([qs[f][rows].mean(axis=0) for rows in groups if len(rows)])
        values.append(jensen_shannon(means))
    return float(np.mean(values))


def action_shares(actions: np.ndarray, num_actions: int) -> np.ndarray:
    """Return the share of agents taking each action, shape ``(num_actions,)``."""
    actions = np.asarray(actions)
    if actions.size == 0:
        return np.zeros(num_actions)
    return np.bincount(actions, minlength=num_actions)[:num_actions] / actions.size


def first_sustained(flags: Sequence[bool], sustain: int) -> int | None:
    """Return the first index that starts ``sustain`` consecutive true flags.

    >>> first_sustained([False, True, True, False, True, True, True], 3)
    4
    >>> first_sustained([True, True], 3) is None
    True
    """
    run = 0
    for index, flag in enumerate(flags):
        run = run + 1 if flag else 0
        if run >= sustain:
            return index - sustain + 1
    return None


def bin_shares(shares: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """Return the bin index of each share given the interior bin edges.

    Bins are closed on the left: with edges ``(1/3, 2/3)`` a share of 1/3
    falls in bin 1.
    """
    return np.searchsorted(np.asarray(edges), shares, side="right")
