"""Checks of each population's generative model, building its arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from agents.generative_model import GenerativeModel, Modality, count_policies
from scenarios.arrays import (
    parse_likelihood,
    parse_preferences,
    parse_prior,
    parse_transition,
)
from scenarios.schema import PopulationSpec


class PopulationChecks:
    """Population checks of :class:`ScenarioCompiler`."""

    def _populations(self, file_sizes: dict[str, int] | None) -> list[GenerativeModel]:
        populations = []
        if not self.spec.populations:
            self.problems.add("populations", "no populations declared; declare one")
        for name, spec in self.spec.populations.items():
            where = f"populations.{name}"
            size = spec.size
            if file_sizes is not None:
                counted = file_sizes.get(name, 0)
                if size is not None and size != counted:
                    self.problems.add(
                        f"{where}.size",
                        f"{size} does not match the {counted} nodes of this "
                        "population in the graph file; remove size or fix it",
                    )
                size = counted
                if counted == 0:
                    self.problems.add(
                        where, "no node of the graph file belongs to this population"
                    )
            elif size is None:
                self.problems.add(f"{where}.size", "missing required key; add it")
            model = self._population(name, spec, size or 0, where)
            if model is not None:
                populations.append(model)
        return populations

    def _population(
        self, name: str, spec: PopulationSpec, size: int, where: str
    ) -> GenerativeModel | None:
        start = len(self.problems.items)
        factor_names = [f.name for f in self.factors]
        modality_names = [m.name for m in self.modalities]
        for table, known in (
            ("A", modality_names),
            ("C", modality_names),
            ("B", factor_names),
            ("D", factor_names),
        ):
            for key in getattr(spec, table):
                if key not in known:
                    self.problems.add(
                        f"{where}.{table}.{key}",
                        f"unknown {'modality' if table in 'AC' else 'factor'} {key!r}; "
                        f"expected one of {known}",
                    )
        A = []
        for modality in self.modalities:
            path = f"{where}.A.{modality.name}"
            if modality.name in spec.A:
                A.append(self._likelihood(spec.A[modality.name], modality, path))
            elif modality.kind == "self":
                A.append(np.eye(modality.num_outcomes))
            else:
                self.problems.add(
                    path,
                    "missing; give this population's likelihood of "
                    f"{list(modality.outcomes)} for each state of "
                    f"{[self.factors[i].name for i in modality.depends_on]}",
                )
                A.append(None)
        B = []
        for factor in self.factors:
            path = f"{where}.B.{factor.name}"
            actions = factor.actions if factor.kind == "control" else None
            if factor.name in spec.B:
                B.append(
                    parse_transition(
                        spec.B[factor.name], factor.states, actions, path, self.problems
                    )
                )
            elif factor.kind == "control":
                if len(factor.actions) != factor.num_states:
                    self.problems.add(
                        path,
                        "missing, and no default exists because the factor's states "
                        "and actions differ in number; give B for each action",
                    )
                    B.append(None)
                else:
                    # Choosing action u puts the factor in state u, from any state.
                    n = factor.num_states
                    controlled = np.zeros((n, n, n))
                    for u in range(n):
                        controlled[u, :, u] = 1.0
                    B.append(controlled)
            else:
                B.append(np.eye(factor.num_states)[:, :, None])
        C = []
        for modality in self.modalities:
            path = f"{where}.C.{modality.name}"
            if modality.name in spec.C:
                C.append(
                    parse_preferences(
                        spec.C[modality.name], modality.outcomes, path, self.problems
                    )
                )
            else:
                C.append(np.zeros(modality.num_outcomes))
        D = []
        for factor in self.factors:
            path = f"{where}.D.{factor.name}"
            if factor.name in spec.D:
                D.append(
                    parse_prior(spec.D[factor.name], factor.states, path, self.problems)
                )
            else:
                D.append(np.full(factor.num_states, 1.0 / factor.num_states))
        initial = self._initial_action(spec, where)
        policies = count_policies(self.factors, spec.policy_len)
        budget = self.spec.scenario.max_policies
        if policies > budget:
            self.problems.add(
                f"{where}.policy_len",
                f"{policies} policies with policy_len = {spec.policy_len} exceed the "
                f"budget of {budget}; lower policy_len or raise scenario.max_policies",
            )
        if len(self.problems.items) > start:
            return None
        return GenerativeModel(
            name=name,
            size=size,
            A=A,
            B=B,
            C=C,
            D=D,
            gamma=spec.gamma,
            alpha=spec.alpha,
            policy_len=spec.policy_len,
            num_iter=spec.num_iter,
            inference_algo=spec.inference_algo,
            action_selection=spec.action_selection,
            sampling_mode=spec.sampling_mode,
            initial_action=initial,
            D_concentration=spec.heterogeneity.D_concentration,
            gamma_cv=spec.heterogeneity.gamma_cv,
            color=spec.color,
            A_dependencies=[list(m.depends_on) for m in self.modalities],
        )

    def _likelihood(self, value: Any, modality: Modality, path: str):
        factors = [
            (self.factors[i].name, self.factors[i].states) for i in modality.depends_on
        ]
        return parse_likelihood(value, modality.outcomes, factors, path, self.problems)

    def _initial_action(self, spec: PopulationSpec, where: str) -> tuple[int, ...]:
        initial = []
        for factor in self.factors:
            if factor.kind != "control":
                continue
            if (
                spec.initial_action is not None
                and spec.initial_action in factor.actions
            ):
                initial.append(factor.actions.index(spec.initial_action))
            else:
                initial.append(0)
        if spec.initial_action is not None and spec.initial_action not in self.actions:
            self.problems.add(
                f"{where}.initial_action",
                f"unknown action {spec.initial_action!r}; expected one of "
                f"{sorted(self.actions)}",
            )
        return tuple(initial)
