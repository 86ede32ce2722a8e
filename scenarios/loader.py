"""Load a scenario file, apply overrides and check every value.

A scenario file is data: it is parsed with :mod:`tomllib` and never executed.
Every problem found is reported at once, each naming the file, the field path
and the fix, before any simulation starts.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from scenarios.compiler import ScenarioCompiler
from scenarios.errors import Problem, Problems, ScenarioError
from scenarios.messages import pydantic_message
from scenarios.overrides import apply_overrides
from scenarios.scenario import Scenario
from scenarios.schema import ScenarioFile

logger = logging.getLogger(__name__)


def shipped_scenarios() -> dict[str, Path]:
    """Return the shipped scenario files by name (the file stem)."""
    folder = resources.files("scenarios")
    found = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".toml"):
            found[entry.name.removesuffix(".toml")] = Path(str(entry))
    return dict(sorted(found.items()))


def resolve_source(name_or_path: str | Path) -> Path:
    """Find the file for a shipped scenario name or a path to a ``.toml`` file.

    A name is looked up among the shipped scenarios only when it contains no
    path separator and does not end in ``.toml``; anything else is read as a
    path, and only if it is a regular file.
    """
    text = str(name_or_path)
    shipped = shipped_scenarios()
    looks_like_name = (
        "/" not in text and "\\" not in text and not text.endswith(".toml")
    )
    if looks_like_name and text in shipped:
        return shipped[text]
    path = Path(text).expanduser()
    if path.is_file():
        return path
    if path.is_dir():
        raise ScenarioError(
            text,
            [
                Problem(
                    "",
                    "is a folder, not a scenario file; give the path of a .toml "
                    "file or a shipped scenario name",
                )
            ],
        )
    if looks_like_name:
        raise ScenarioError(
            text,
            [
                Problem(
                    "",
                    f"no shipped scenario or file named {text!r}; shipped scenarios: "
                    f"{', '.join(shipped)}; or give a path to a .toml file",
                )
            ],
        )
    reason = "is not a file" if path.exists() else "was not found"
    raise ScenarioError(text, [Problem("", f"scenario file {reason}")])


def read_scenario_data(path: Path) -> dict[str, Any]:
    """Parse a scenario file's TOML into plain tables."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(
            str(path), [Problem("", f"invalid TOML: {error}; fix the syntax")]
        ) from None
    except UnicodeDecodeError as error:
        raise ScenarioError(
            str(path),
            [
                Problem(
                    "",
                    f"the file is not UTF-8 text (byte "
                    f"{error.object[error.start]:#04x} at offset {error.start}); "
                    "save it with UTF-8 encoding",
                )
            ],
        ) from None
    except OSError as error:
        raise ScenarioError(
            str(path), [Problem("", f"cannot read the file: {error}")]
        ) from None


def load_scenario(
    name_or_path: str | Path,
    overrides: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
) -> Scenario:
    """Load, override and validate a scenario.

    Parameters
    ----------
    name_or_path : a shipped scenario name (see ``modelfirst scenarios``) or a
        path to a ``.toml`` file.
    overrides : dotted paths and values applied before validation, for example
        ``{"populations.host_communities.size": 50}``.

    Raises
    ------
    ScenarioError
        With one line per problem, ``FILE: field.path: message``.
    """
    path = resolve_source(name_or_path)
    data = read_scenario_data(path)
    return build_scenario(data, source=str(path), path=path, overrides=overrides)


def build_scenario(
    data: Mapping[str, Any],
    *,
    source: str = "<scenario>",
    path: Path | None = None,
    overrides: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
) -> Scenario:
    """Validate scenario tables already in memory (see :func:`load_scenario`)."""
    problems = Problems()
    if overrides:
        data = apply_overrides(data, overrides, problems)
        problems.raise_if_any(source)
    else:
        data = dict(data)
    try:
        spec = ScenarioFile.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            location = ".".join(str(part) for part in item["loc"])
            problems.add(location, pydantic_message(item))
        raise ScenarioError(source, problems.items) from None
    scenario = ScenarioCompiler(spec, data, source, path, problems).compile()
    problems.raise_if_any(source)
    assert scenario is not None  # the compiler returns None only with problems
    return scenario
