"""Turn the numbers written in a scenario into checked numpy arrays.

Every array may be written with labels or as nested lists:

- ``A.<modality>``: labelled as nested tables keyed by the states of each
  factor in ``depends_on`` (in declared order) whose leaves map outcomes to
  probabilities (or are lists in outcome order); as a nested list it has
  pymdp's shape ``(num_outcomes, *num_states_of_depends_on)``.
- ``B.<factor>``: ``{stay = p}`` for a factor that keeps its state with
  probability ``p`` and otherwise moves to the other states evenly; labelled
  as ``{from_state = {to_state = p}}``, or ``{action = {from_state = {...}}}``
  for a control factor; as a nested list ``(to, from)`` or
  ``(to, from, action)``.
- ``C.<modality>``: ``{outcome = log_preference}`` (missing outcomes are 0)
  or a list in outcome order.
- ``D.<factor>``: ``{state = p}`` or a list in state order.

Probability columns must be finite, non-negative and sum to 1 within
:data:`TOLERANCE`; an all-zero column is rejected rather than normalised.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from scenarios.errors import Problems

TOLERANCE = 1e-6

# Largest log-preference magnitude in nats. A gap of 1000 nats already makes an
# outcome certain to be preferred (exp(-1000) is 0 in float64), and the bound
# keeps gamma * C far inside float32, which the agents compute in.
MAX_PREFERENCE = 1e3


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_array(value: Any, path: str, problems: Problems) -> np.ndarray | None:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        problems.add(
            path,
            "not a rectangular array of numbers; write nested lists of equal "
            "length or use labels",
        )
        return None
    return array


def _distribution_from_labels(
    value: Any, names: Sequence[str], path: str, problems: Problems, what: str
) -> np.ndarray | None:
    """Read ``{name = p}`` or ``[p, ...]`` into a vector over ``names``."""
    if isinstance(value, list):
        array = _as_array(value, path, problems)
        if array is None:
            return None
        if array.shape != (len(names),):
            problems.add(
                path,
                f"has shape {array.shape}, expected ({len(names)},) for the "
                f"{what} {list(names)}",
            )
            return None
        return array
    if not isinstance(value, dict):
        problems.add(
            path,
            f"expected a table of {what} to numbers or a list, got {value!r}",
        )
        return None
    vector = np.zeros(len(names))
    ok = True
    for key, number in value.items():
        if key not in names:
            problems.add(
                f"{path}.{key}",
                f"unknown {what[:-1] if what.endswith('s') else what} {key!r}; "
                f"expected one of {list(names)}",
            )
            ok = False
            continue
        if not _is_number(number):
            problems.add(f"{path}.{key}", f"expected a number, got {number!r}")
            ok = False
            continue
        vector[list(names).index(key)] = float(number)
    return vector if ok else None


def _check_probabilities(
    array: np.ndarray,
    path: str,
    problems: Problems,
    column_labels: list[str] | None = None,
) -> bool:
    """Check that ``array`` contains distributions along axis 0."""
    if not np.all(np.isfinite(array)):
        problems.add(
            path,
            "contains NaN or infinity; every probability must be a finite number",
        )
        return False
    if np.any(array < 0):
        problems.add(path, "contains a negative probability; use values in [0, 1]")
        return False
    columns = array.reshape(array.shape[0], -1)
    sums = columns.sum(axis=0)
    ok = True
    for index, total in enumerate(sums):
        label = column_labels[index] if column_labels else str(index)
        where = f"column ({label})"
        if total == 0:
            problems.add(
                path,
                f"{where} is all zeros, so that state could produce no outcome; "
                "give it a distribution that sums to 1",
            )
            ok = False
        elif abs(total - 1.0) > TOLERANCE:
            problems.add(
                path,
                f"{where} sums to {total:.6g}, not 1; make the probabilities of "
                "each column sum to 1",
            )
            ok = False
    return ok


def _column_labels(factors: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
    if not factors:
        return [""]
    labels: list[str] = [""]
    for name, states in factors:
        labels = [
            f"{prefix}, {name}={state}" if prefix else f"{name}={state}"
            for prefix in labels
            for state in states
        ]
    return labels


def parse_likelihood(
    value: Any,
    outcomes: Sequence[str],
    factors: Sequence[tuple[str, Sequence[str]]],
    path: str,
    problems: Problems,
) -> np.ndarray | None:
    """Read a likelihood ``A`` of shape ``(num_outcomes, *num_states)``.

    ``factors`` lists ``(name, states)`` for each factor the modality depends
    on, in declared order.
    """
    shape = (len(outcomes), *(len(states) for _, states in factors))
    if isinstance(value, list):
        array = _as_array(value, path, problems)
        if array is None:
            return None
        if array.shape != shape:
            problems.add(
                path,
                f"has shape {array.shape}, expected {shape} (outcomes, then the "
                f"states of {[name for name, _ in factors]})",
            )
            return None
    elif isinstance(value, dict):
        array = np.zeros(shape)
        if not _fill_labelled(value, outcomes, factors, path, problems, array, ()):
            return None
    else:
        problems.add(path, f"expected labelled tables or nested lists, got {value!r}")
        return None
    if not _check_probabilities(array, path, problems, _column_labels(factors)):
        return None
    return array


def _fill_labelled(
    value: Any,
    outcomes: Sequence[str],
    factors: Sequence[tuple[str, Sequence[str]]],
    path: str,
    problems: Problems,
    array: np.ndarray,
    index: tuple[int, ...],
) -> bool:
    depth = len(index)
    if depth == len(factors):
        column = _distribution_from_labels(value, outcomes, path, problems, "outcomes")
        if column is None:
            return False
        array[(slice(None), *index)] = column
        return True
    name, states = factors[depth]
    if not isinstance(value, dict):
        problems.add(
            path, f"expected a table keyed by the states of {name!r}: {list(states)}"
        )
        return False
    ok = True
    for key in value:
        if key not in states:
            problems.add(
                f"{path}.{key}",
                f"unknown state {key!r} of factor {name!r}; expected one of "
                f"{list(states)}",
            )
            ok = False
    for position, state in enumerate(states):
        if state not in value:
            problems.add(
                path,
                f"missing state {state!r} of factor {name!r}; give a column for "
                f"every state in {list(states)}",
            )
            ok = False
            continue
        ok &= _fill_labelled(
            value[state],
            outcomes,
            factors,
            f"{path}.{state}",
            problems,
            array,
            (*index, position),
        )
    return ok


def parse_transition(
    value: Any,
    states: Sequence[str],
    actions: Sequence[str] | None,
    path: str,
    problems: Problems,
) -> np.ndarray | None:
    """Read a transition model ``B`` of shape ``(to, from, num_actions)``.

    ``actions`` is ``None`` for a factor the agent does not control, which
    gets a single trailing action axis.
    """
    n = len(states)
    num_actions = len(actions) if actions else 1
    if isinstance(value, dict) and set(value) == {"stay"}:
        if actions:
            problems.add(
                path,
                "the 'stay' form is for factors the agent does not control; write "
                "one table per action for a control factor",
            )
            return None
        stay = value["stay"]
        if not _is_number(stay) or not 0 <= stay <= 1 or math.isnan(stay):
            problems.add(
                f"{path}.stay", f"expected a probability in [0, 1], got {stay!r}"
            )
            return None
        if n == 1:
            return np.ones((1, 1, 1))
        matrix = np.full((n, n), (1.0 - stay) / (n - 1))
        np.fill_diagonal(matrix, stay)
        return matrix[:, :, None]
    if isinstance(value, list):
        array = _as_array(value, path, problems)
        if array is None:
            return None
        if array.ndim == 2 and not actions:
            array = array[:, :, None]
        expected = (n, n, num_actions)
        if array.shape != expected:
            problems.add(
                path,
                f"has shape {array.shape}, expected {expected} (to-state, "
                "from-state, action)",
            )
            return None
    elif isinstance(value, dict):
        array = np.zeros((n, n, num_actions))
        if actions:
            ok = _check_keys(value, actions, "action", path, problems)
            for a, action in enumerate(actions):
                if action in value:
                    ok &= _fill_transition(
                        value[action], states, f"{path}.{action}", problems, array, a
                    )
        else:
            ok = _fill_transition(value, states, path, problems, array, 0)
        if not ok:
            return None
    else:
        problems.add(path, f"expected a table or nested lists, got {value!r}")
        return None
    labels = [
        f"from={source}" + (f", action={action}" if actions else "")
        for source in states
        for action in (actions or [None])
    ]
    if not _check_probabilities(array, path, problems, labels):
        return None
    return array


def _check_keys(
    value: dict, names: Sequence[str], what: str, path: str, problems: Problems
) -> bool:
    ok = True
    for key in value:
        if key not in names:
            problems.add(
                f"{path}.{key}",
                f"unknown {what} {key!r}; expected one of {list(names)}",
            )
            ok = False
    for name in names:
        if name not in value:
            problems.add(
                path, f"missing {what} {name!r}; give one for each of {list(names)}"
            )
            ok = False
    return ok


def _fill_transition(
    value: Any,
    states: Sequence[str],
    path: str,
    problems: Problems,
    array: np.ndarray,
    action: int,
) -> bool:
    if not isinstance(value, dict):
        problems.add(path, f"expected a table keyed by from-state: {list(states)}")
        return False
    ok = _check_keys(value, states, "from-state", path, problems)
    for source, state in enumerate(states):
        if state not in value:
            continue
        column = _distribution_from_labels(
            value[state], states, f"{path}.{state}", problems, "states"
        )
        if column is None:
            ok = False
            continue
        array[:, source, action] = column
    return ok


def parse_preferences(
    value: Any, outcomes: Sequence[str], path: str, problems: Problems
) -> np.ndarray | None:
    """Read log-preferences ``C`` over ``outcomes`` (nats, any finite value)."""
    vector = _distribution_from_labels(value, outcomes, path, problems, "outcomes")
    if vector is None:
        return None
    if not np.all(np.isfinite(vector)):
        problems.add(
            path,
            "contains NaN or infinity; write log-preferences as finite numbers "
            "(a large negative number such as -16 for an outcome to avoid)",
        )
        return None
    if np.any(np.abs(vector) > MAX_PREFERENCE):
        problems.add(
            path,
            f"contains a log-preference beyond +-{MAX_PREFERENCE:g} nats; such "
            "values overflow the agents' float32 arithmetic, and -16 already "
            "makes an outcome about 10 million times less preferred",
        )
        return None
    return vector


def parse_prior(
    value: Any, states: Sequence[str], path: str, problems: Problems
) -> np.ndarray | None:
    """Read a prior ``D`` over ``states``."""
    vector = _distribution_from_labels(value, states, path, problems, "states")
    if vector is None:
        return None
    if not _check_probabilities(vector[:, None], path, problems, ["prior"]):
        return None
    return vector


def parse_soft_observation(
    value: Any, outcomes: Sequence[str], path: str, problems: Problems
) -> np.ndarray | None:
    """Read an observation given as one outcome name or a distribution."""
    if isinstance(value, str):
        if value not in outcomes:
            problems.add(
                path, f"unknown outcome {value!r}; expected one of {list(outcomes)}"
            )
            return None
        vector = np.zeros(len(outcomes))
        vector[list(outcomes).index(value)] = 1.0
        return vector
    return parse_prior(value, outcomes, path, problems)
