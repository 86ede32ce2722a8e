"""Scenario files: loading, overrides and validation.

>>> from scenarios import load_scenario
>>> scenario = load_scenario("two-camps", {"populations.camp_a.size": 20})
"""

from scenarios.errors import Problem, ScenarioError
from scenarios.loader import build_scenario, load_scenario, shipped_scenarios
from scenarios.overrides import parse_assignment, parse_value
from scenarios.scenario import Environment, Intervention, Scenario

__all__ = [
    "Environment",
    "Intervention",
    "Problem",
    "Scenario",
    "ScenarioError",
    "build_scenario",
    "load_scenario",
    "parse_assignment",
    "parse_value",
    "shipped_scenarios",
]
