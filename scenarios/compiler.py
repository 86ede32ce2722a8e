"""Cross-table checks of a scenario and the arrays its model is built from.

:class:`ScenarioCompiler` runs the checks in order (shape, populations, the
environment and interventions, outcome criteria), records every problem and
returns a :class:`~scenarios.scenario.Scenario` only when there is none.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scenarios.checks_populations import PopulationChecks
from scenarios.checks_process import ProcessChecks
from scenarios.checks_shape import ShapeChecks
from scenarios.errors import Problems
from scenarios.scenario import Scenario
from scenarios.schema import ScenarioFile

logger = logging.getLogger(__name__)

# The maximum number of agents in one model; beliefs take about 100 bytes per agent
# per factor, so this bound keeps a run well inside a workstation's memory.
MAX_AGENTS = 5_000_000


class ScenarioCompiler(ShapeChecks, PopulationChecks, ProcessChecks):
    """Cross-table checks and array building for one scenario."""

    def __init__(
        self,
        spec: ScenarioFile,
        data: Mapping[str, Any],
        source: str,
        path: Path | None,
        problems: Problems,
    ):
        self.spec = spec
        self.data = dict(data)
        self.source = source
        self.path = path
        self.problems = problems

    def compile(self) -> Scenario | None:
        factors = self._factors()
        modalities = self._modalities(factors)
        if self.problems:
            return None
        self.factors = factors
        self.modalities = modalities
        graph_file, file_sizes = self._graph()
        populations = self._populations(file_sizes)
        if self.problems:
            return None
        environment = self._environment()
        interventions = self._interventions(populations)
        joint = self._joint_action()
        convergence = self._convergence()
        if self.problems or environment is None or joint is None:
            return None
        n_agents = sum(p.size for p in populations)
        if n_agents < 2:
            self.problems.add(
                "populations", "the scenario has fewer than 2 agents; raise a size"
            )
        if n_agents > MAX_AGENTS:
            self.problems.add(
                "populations",
                f"{n_agents} agents exceed the limit of {MAX_AGENTS}; lower the sizes",
            )
        for intervention in interventions:
            for node in intervention.nodes or ():
                if not 0 <= node < n_agents:
                    self.problems.add(
                        f"interventions.{intervention.name}.nodes",
                        f"node {node} is outside 0..{n_agents - 1}; use node ids of "
                        "the graph",
                    )
        self._check_graph_size(n_agents)
        if graph_file is not None and graph_file.number_of_nodes() != n_agents:
            self.problems.add(
                "populations",
                f"the sizes add up to {n_agents} agents but the edge list has "
                f"{graph_file.number_of_nodes()} nodes; make them equal",
            )
        if self.problems:
            return None
        info = self.spec.scenario
        return Scenario(
            name=info.name,
            description=info.description,
            steps=info.steps,
            source=self.source,
            path=self.path,
            data=self.data,
            spec=self.spec,
            factors=factors,
            modalities=modalities,
            populations=tuple(populations),
            environment=environment,
            interventions=tuple(interventions),
            joint_factor=joint[0],
            joint_action=joint[1],
            joint_threshold=self.spec.joint_action.threshold,
            joint_sustain=self.spec.joint_action.sustain,
            convergence_factors=convergence,
            convergence_tolerance=self.spec.convergence.tolerance,
            convergence_sustain=self.spec.convergence.sustain,
            graph_file=graph_file,
        )
