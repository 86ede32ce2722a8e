"""Data collection: the model table, the agent table and the run summary.

Metrics are computed once per step from the population arrays and handed to
Mesa's :class:`~mesa.DataCollector` as model reporters; the agent table is
kept as one array per column and step, never read agent by agent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from mesa import DataCollector

from simulation import metrics

if TYPE_CHECKING:
    from simulation.model import CoordinationModel


class Recorder:
    """Collects one row of metrics per step, from step 0 on."""

    def __init__(self, model: CoordinationModel):
        self.model = model
        scenario = model.scenario
        self.current: dict[str, Any] = {}
        self.columns = [
            "step",
            "joint_action",
            "belief_divergence",
            "divergence.between",
        ]
        self.columns += [f"divergence.{p.name}" for p in model.populations]
        self.share_columns = []
        for factor_index in scenario.control_factors:
            factor = scenario.factors[factor_index]
            for population in model.populations:
                for action in factor.actions:
                    self.share_columns.append(
                        (f"share.{population.name}.{action}", factor_index, action)
                    )
        self.columns += [name for name, _, _ in self.share_columns]
        self.collector = DataCollector(
            model_reporters={name: self._reporter(name) for name in self.columns}
        )
        self.agent_id = np.zeros(scenario.n_agents, dtype=np.int64)
        for agent in model.agents:
            self.agent_id[agent.node] = agent.unique_id
        self.agent_steps: list[dict[str, Any]] = []
        self.belief_factors = [
            index for index, f in enumerate(scenario.factors) if f.kind != "control"
        ]

    def _reporter(self, name: str):
        return lambda model: self.current[name]

    def collect(self) -> None:
        """Record the current state as the row for ``model.steps``."""
        model = self.model
        scenario = model.scenario
        factors = scenario.convergence_factors
        # Full (n_agents, num_states) arrays only for the factors that the total
        # divergence or the agent table reads; the rest stay per population.
        needed = set(factors)
        if model.record_agents:
            needed.update(self.belief_factors)
        qs = [
            model.beliefs(f) if f in needed else None
            for f in range(len(scenario.factors))
        ]
        row: dict[str, Any] = {"step": model.steps}
        shares = model.joint_shares()
        row["joint_action"] = bool(np.all(shares >= scenario.joint_threshold))
        row["belief_divergence"] = metrics.belief_divergence(qs, factors)
        row["divergence.between"] = metrics.divergence_between(
            qs, factors, model.groups
        )
        for population in model.populations:
            row[f"divergence.{population.name}"] = metrics.belief_divergence(
                population.qs, factors
            )
        for population in model.populations:
            for factor_index in scenario.control_factors:
                factor = scenario.factors[factor_index]
                counts = metrics.action_shares(
                    model.actions[population.nodes, factor_index], factor.num_actions
                )
                for action, share in zip(factor.actions, counts, strict=True):
                    row[f"share.{population.name}.{action}"] = float(share)
        self.current = row
        self.collector.collect(model)
        if model.record_agents:
            self.agent_steps.append(
                {
                    "action": model.actions[:, scenario.joint_factor].astype(np.int8),
                    "qs": qs,
                }
            )

    def model_table(self) -> pd.DataFrame:
        """Return one row per step from step 0, with the contract's columns."""
        table = self.collector.get_model_vars_dataframe().reset_index(drop=True)
        return table[self.columns]

    def agent_table(self) -> pd.DataFrame:
        """Return one row per agent and step (empty when not recorded)."""
        scenario = self.model.scenario
        n = scenario.n_agents
        steps = len(self.agent_steps)
        nodes = np.arange(n)
        factor = scenario.factors[scenario.joint_factor]
        names = scenario.population_names
        columns: dict[str, Any] = {
            "step": np.repeat(np.arange(steps, dtype=np.int64), n),
            "agent_id": np.tile(self.agent_id, steps),
            "node": np.tile(nodes, steps),
            "population": pd.Categorical.from_codes(
                np.tile(self.model.population_of_node, steps), categories=names
            ),
            "action": pd.Categorical.from_codes(
                np.concatenate([s["action"] for s in self.agent_steps])
                if steps
                else np.zeros(0, dtype=np.int8),
                categories=list(factor.actions),
            ),
        }
        for index, f in enumerate(scenario.factors):
            if f.kind == "control":
                continue
            for state_index, state in enumerate(f.states):
                columns[f"belief.{f.name}.{state}"] = (
                    np.concatenate(
                        [s["qs"][index][:, state_index] for s in self.agent_steps]
                    )
                    if steps
                    else np.zeros(0, dtype=np.float32)
                )
        return pd.DataFrame(columns)

    def summary(self) -> dict[str, Any]:
        """Return the run's summary, the content of ``summary.json``."""
        model = self.model
        scenario = model.scenario
        table = self.model_table()
        joint_step = metrics.first_sustained(
            table["joint_action"].tolist(), scenario.joint_sustain
        )
        below = (table["belief_divergence"] < scenario.convergence_tolerance).tolist()
        convergence_step = metrics.first_sustained(below, scenario.convergence_sustain)
        factor = scenario.factors[scenario.joint_factor]
        last = table.iloc[-1]
        populations = {}
        for population in model.populations:
            populations[population.name] = {
                "n": int(population.size),
                "final_action_share": {
                    action: float(last[f"share.{population.name}.{action}"])
                    for action in factor.actions
                },
                "divergence_final": float(last[f"divergence.{population.name}"]),
            }
        return {
            "scenario": scenario.name,
            "seed": model.seed,
            "steps": int(last["step"]),
            "n_agents": int(scenario.n_agents),
            "joint_action": scenario.joint_action_name,
            "joint_threshold": scenario.joint_threshold,
            "populations": populations,
            "joint_action_reached": joint_step is not None,
            "joint_action_step": joint_step,
            "converged": convergence_step is not None,
            "convergence_step": convergence_step,
            "belief_divergence_initial": float(table["belief_divergence"].iloc[0]),
            "belief_divergence_final": float(last["belief_divergence"]),
            "divergence_between_final": float(last["divergence.between"]),
            "homophily": round(model.homophily, 6),
            "interventions": [i.name for i in scenario.interventions],
        }
