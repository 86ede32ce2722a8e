"""Turn pydantic validation errors into messages that name the fix.

Pydantic reports a range error as "Input should be greater than 0" and an
unknown key as "Extra inputs are not permitted". The scenario loader adds
the allowed range, the keys accepted in that table and the closest spelling,
which it finds by walking the models of :mod:`scenarios.schema` along the
error's location.
"""

from __future__ import annotations

import difflib
import math
import types
import typing
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from scenarios.schema import ScenarioFile

FORMAT_REFERENCE = "docs/scenario-format.md"

RANGE_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def pydantic_message(item: dict[str, Any]) -> str:
    """Return the message for one entry of ``ValidationError.errors()``."""
    kind = item.get("type", "")
    value = item.get("input")
    location = tuple(str(part) for part in item.get("loc", ()))
    if kind == "missing":
        return "missing required key; add it"
    if kind == "extra_forbidden":
        return unknown_key_message(location)
    allowed = allowed_range(location)
    if isinstance(value, float) and math.isnan(value):
        fix = f"; give {allowed}" if allowed else "; give a number"
        return f"NaN is not a number this field accepts{fix}"
    message = str(item.get("msg", "invalid value")).removeprefix("Value error, ")
    text = f"{message} (got {value!r})"
    if kind in RANGE_ERRORS and allowed:
        text += f"; give {allowed}"
    return text


def unknown_key_message(location: tuple[str, ...]) -> str:
    """Name the keys the enclosing table accepts and the closest spelling."""
    key = location[-1] if location else ""
    table = model_at(location[:-1])
    text = f"unknown key {key!r}"
    if table is None:
        return f"{text}; check the spelling against {FORMAT_REFERENCE}"
    accepted = list(table.model_fields)
    where = ".".join(location[:-1]) or "the top level"
    listing = f"accepted in {where}: {', '.join(accepted)} (see {FORMAT_REFERENCE})"
    close = difflib.get_close_matches(key, accepted, n=1)
    if close:
        return f"{text}; did you mean {close[0]!r}? Keys {listing}"
    return f"{text}; keys {listing}"


def allowed_range(location: tuple[str, ...]) -> str:
    """Describe a numeric field's bounds, e.g. "a number > 0 and <= 1000000".

    Returns an empty string when the location names no bounded field.
    """
    if not location:
        return ""
    table = model_at(location[:-1])
    if table is None or location[-1] not in table.model_fields:
        return ""
    field: FieldInfo = table.model_fields[location[-1]]
    bounds = []
    for rule in field.metadata:
        if isinstance(rule, annotated_types.Gt):
            bounds.append(f"> {_number(rule.gt)}")
        elif isinstance(rule, annotated_types.Ge):
            bounds.append(f">= {_number(rule.ge)}")
        elif isinstance(rule, annotated_types.Lt):
            bounds.append(f"< {_number(rule.lt)}")
        elif isinstance(rule, annotated_types.Le):
            bounds.append(f"<= {_number(rule.le)}")
    if not bounds:
        return ""
    kind = "an integer" if _unwrap(field.annotation) is int else "a number"
    return f"{kind} {' and '.join(bounds)}"


def model_at(location: tuple[str, ...]) -> type[BaseModel] | None:
    """Return the schema model of the table at ``location``, if it is one.

    Keys of name tables (a population's name, an intervention's name) and
    list indices step into the value type of the dict or list.
    """
    annotation: Any = ScenarioFile
    for part in location:
        model = _as_model(annotation)
        if model is not None:
            if part not in model.model_fields:
                return None
            annotation = model.model_fields[part].annotation
            continue
        container = _unwrap(annotation)
        if typing.get_origin(container) in (dict, list):
            annotation = typing.get_args(container)[-1]
            continue
        return None
    return _as_model(annotation)


def _unwrap(annotation: Any) -> Any:
    """Drop ``None`` from an optional annotation with one other member."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def _as_model(annotation: Any) -> type[BaseModel] | None:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
