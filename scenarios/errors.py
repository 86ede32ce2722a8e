"""Errors raised while loading and validating scenario files."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One invalid value in a scenario: where it is and how to fix it."""

    path: str
    message: str

    def format(self, source: str) -> str:
        location = self.path or "(top level)"
        return f"{source}: {location}: {self.message}"


class ScenarioError(ValueError):
    """A scenario that cannot be simulated, with one line per problem.

    Each line reads ``FILE: field.path: what is wrong; how to fix it``.
    """

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(p.format(source) for p in self.problems))

    @property
    def lines(self) -> list[str]:
        return [p.format(self.source) for p in self.problems]


class Problems:
    """Collector of problems, so that one pass reports every invalid value."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(Problem(path, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, source: str) -> None:
        if self.items:
            raise ScenarioError(source, self.items)
