"""``--set PATH=VALUE`` overrides applied to a scenario's tables by dotted path."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

from scenarios.errors import Problems

# Below these tables the first key is a name the scenario declares: an override
# may change a declared entry but never create one, so a typo in a population
# or intervention name is reported instead of adding an empty entry.
NAMED_TABLES = ("factors", "modalities", "populations", "interventions")


def parse_value(text: str) -> Any:
    """Parse an override value as a TOML value, or keep it as a string.

    ``3`` is an int, ``0.5`` a float, ``true`` a bool, ``["a", "b"]`` a list and
    ``{ shared = 0.2, extracted = 0.8 }`` a table; a bare word such as
    ``extracted`` stays a string.
    """
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def parse_assignment(text: str) -> tuple[str, Any]:
    """Split ``PATH=VALUE`` into a dotted path and a parsed value."""
    path, sep, value = text.partition("=")
    path = path.strip()
    if not sep or not path or any(not part for part in path.split(".")):
        raise ValueError(
            f"invalid override {text!r}; write it as dotted.path=value, for "
            "example populations.daily_users.size=200"
        )
    return path, parse_value(value.strip())


def apply_overrides(
    data: Mapping[str, Any],
    overrides: Mapping[str, Any] | Iterable[tuple[str, Any]],
    problems: Problems,
) -> dict[str, Any]:
    """Return a copy of ``data`` with each dotted path set to its value."""
    result = copy.deepcopy(dict(data))
    items = overrides.items() if isinstance(overrides, Mapping) else overrides
    for path, value in items:
        _set_path(result, path, value, problems)
    return result


def _set_path(data: dict[str, Any], path: str, value: Any, problems: Problems) -> None:
    parts = path.split(".")
    node: Any = data
    for depth, key in enumerate(parts[:-1]):
        if not isinstance(node, dict):
            problems.add(
                path,
                f"cannot set a key inside {'.'.join(parts[:depth])!r}, which is a "
                "value, not a table",
            )
            return
        if key not in node:
            may_create = depth >= 2 or (depth == 1 and parts[0] not in NAMED_TABLES)
            if not may_create:
                known = ", ".join(sorted(node)) or "none"
                problems.add(
                    path,
                    f"unknown key {key!r} in {'.'.join(parts[:depth]) or 'the file'}; "
                    f"known keys: {known}",
                )
                return
            node[key] = {}
        node = node[key]
    if not isinstance(node, dict):
        problems.add(path, f"cannot set a key inside {'.'.join(parts[:-1])!r}")
        return
    node[parts[-1]] = value
