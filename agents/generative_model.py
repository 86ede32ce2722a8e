"""The shape and numbers of a population type's generative model.

A scenario declares the shape (factors and modalities) once for every
population, so beliefs of different populations can be compared state by
state. Each population then has its own numbers: ``A`` (what it thinks each
observation means), ``B`` (how it thinks states change), ``C`` (its values,
as log-preferences in nats) and ``D`` (its prior beliefs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Factor:
    """A hidden-state factor.

    ``kind`` is ``context`` (a fact about the world, set by the environment),
    ``social`` (what neighbours are doing, binned from their last actions,
    states listed from the lowest share of neighbours taking ``action`` to the
    highest) or ``control`` (the agent's own stance, set by its ``actions``).
    """

    name: str
    kind: str
    states: tuple[str, ...]
    actions: tuple[str, ...] = ()
    action: str | None = None
    bins: tuple[float, ...] = ()

    @property
    def num_states(self) -> int:
        return len(self.states)

    @property
    def num_actions(self) -> int:
        return len(self.actions) if self.kind == "control" else 1


@dataclass(frozen=True)
class Modality:
    """An observation modality and the factors its likelihood depends on.

    ``depends_on`` contains factor indices in declared order. For a ``social``
    modality, ``action`` names the watched action and ``bins`` the interior
    edges that turn a share of neighbours into an outcome index.
    """

    name: str
    kind: str
    outcomes: tuple[str, ...]
    depends_on: tuple[int, ...]
    action: str | None = None
    bins: tuple[float, ...] = ()

    @property
    def num_outcomes(self) -> int:
        return len(self.outcomes)


def equal_bins(num_bins: int) -> tuple[float, ...]:
    """Return the interior edges that split [0, 1] into ``num_bins`` equal bins."""
    return tuple(float(k) / num_bins for k in range(1, num_bins))


@dataclass(frozen=True, eq=False)
class GenerativeModel:
    """One population type's generative model, without a batch axis.

    Attributes
    ----------
    A : list of arrays, one per modality, shape ``(num_outcomes, *num_states
        of depends_on)``; columns are distributions over outcomes.
    B : list of arrays, one per factor, shape ``(num_states, num_states,
        num_actions)`` indexed ``[to, from, action]``.
    C : list of arrays, one per modality, shape ``(num_outcomes,)``;
        log-preferences in nats.
    D : list of arrays, one per factor, shape ``(num_states,)``.
    """

    name: str
    size: int
    A: list[np.ndarray]
    B: list[np.ndarray]
    C: list[np.ndarray]
    D: list[np.ndarray]
    gamma: float
    alpha: float
    policy_len: int
    num_iter: int
    inference_algo: str
    action_selection: str
    sampling_mode: str
    initial_action: tuple[int, ...]
    D_concentration: float | None = None
    gamma_cv: float = 0.0
    color: str | None = None
    A_dependencies: list[list[int]] = field(default_factory=list)

    def num_policies(self, factors: tuple[Factor, ...]) -> int:
        return count_policies(factors, self.policy_len)


def count_policies(factors: tuple[Factor, ...], policy_len: int) -> int:
    """Count the policies pymdp enumerates: all action sequences of controls."""
    per_step = math.prod(f.num_actions for f in factors if f.kind == "control")
    return per_step**policy_len
