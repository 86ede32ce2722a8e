"""Checks of the environment, the interventions and the outcome criteria."""

from __future__ import annotations

from typing import Any

import numpy as np

from agents.generative_model import Factor, GenerativeModel
from scenarios.arrays import parse_soft_observation
from scenarios.scenario import Environment, Intervention


def index_of_kind(items, name: str, kind: str) -> int | None:
    """Return the index of the factor or modality ``name`` if it is of ``kind``."""
    for index, item in enumerate(items):
        if item.name == name and item.kind == kind:
            return index
    return None


class ProcessChecks:
    """Environment, intervention and criteria checks of :class:`ScenarioCompiler`."""

    def _context_state(self, factor: Factor, state: Any, path: str) -> int | None:
        if not isinstance(state, str) or state not in factor.states:
            self.problems.add(
                path,
                f"unknown state {state!r} of factor {factor.name!r}; expected one of "
                f"{list(factor.states)}",
            )
            return None
        return factor.states.index(state)

    def _environment(self) -> Environment | None:
        spec = self.spec.environment
        names = list(self.spec.populations)
        context = np.full((len(names), len(self.factors)), -1, dtype=np.int64)
        for key in spec.context:
            if index_of_kind(self.factors, key, "context") is None:
                self.problems.add(
                    f"environment.context.{key}",
                    f"unknown context factor {key!r}; expected one of "
                    f"{[f.name for f in self.factors if f.kind == 'context']}",
                )
        for index, factor in enumerate(self.factors):
            if factor.kind != "context":
                continue
            path = f"environment.context.{factor.name}"
            value = spec.context.get(factor.name)
            if value is None:
                self.problems.add(
                    path,
                    f"missing the true state; set it to one of {list(factor.states)} "
                    "or to a table of population = state",
                )
                continue
            if isinstance(value, str):
                state = self._context_state(factor, value, path)
                if state is not None:
                    context[:, index] = state
                continue
            for population in value:
                if population not in names:
                    self.problems.add(
                        f"{path}.{population}",
                        f"unknown population {population!r}; expected one of {names}",
                    )
            for row, population in enumerate(names):
                if population not in value:
                    self.problems.add(
                        path, f"missing the true state for population {population!r}"
                    )
                    continue
                state = self._context_state(
                    factor, value[population], f"{path}.{population}"
                )
                if state is not None:
                    context[row, index] = state
        A = {}
        modality_names = [m.name for m in self.modalities]
        for key in spec.A:
            if key not in modality_names:
                self.problems.add(
                    f"environment.A.{key}",
                    f"unknown modality {key!r}; expected one of {modality_names}",
                )
            elif self.modalities[modality_names.index(key)].kind != "environment":
                self.problems.add(
                    f"environment.A.{key}",
                    "only environment modalities have a true likelihood; the others "
                    "are produced by the intervention schedule, neighbours or the "
                    "agent's own action",
                )
        for index, modality in enumerate(self.modalities):
            if modality.kind != "environment":
                continue
            path = f"environment.A.{modality.name}"
            if modality.name not in spec.A:
                self.problems.add(
                    path, "missing the true likelihood of this environment modality"
                )
                continue
            array = self._likelihood(spec.A[modality.name], modality, path)
            if array is not None:
                A[index] = array
        if self.problems:
            return None
        return Environment(context=context, A=A)

    def _interventions(self, populations: list[GenerativeModel]) -> list[Intervention]:
        names = [p.name for p in populations]
        intervention_modalities = [
            i for i, m in enumerate(self.modalities) if m.kind == "intervention"
        ]
        compiled = []
        for name, spec in self.spec.interventions.items():
            where = f"interventions.{name}"
            start = len(self.problems.items)
            if spec.stop is not None and spec.stop <= spec.start:
                self.problems.add(
                    f"{where}.stop",
                    f"stop ({spec.stop}) must be after start ({spec.start}); stop is "
                    "the first step without the intervention",
                )
            targets: set[int] = set()
            requested = spec.targets
            if requested is None:
                requested = [] if spec.nodes else ["all"]
            for target in requested:
                if target == "all":
                    targets.update(range(len(names)))
                elif target in names:
                    targets.add(names.index(target))
                else:
                    self.problems.add(
                        f"{where}.targets",
                        f"unknown target {target!r}; expected 'all' or one of {names}",
                    )
            before_signal = len(self.problems.items)
            modality_index = None
            observation = None
            if spec.observation is not None:
                modality_index = self._intervention_modality(
                    spec.modality, intervention_modalities, where
                )
                if modality_index is not None:
                    observation = parse_soft_observation(
                        spec.observation,
                        self.modalities[modality_index].outcomes,
                        f"{where}.observation",
                        self.problems,
                    )
            elif spec.modality is not None:
                self.problems.add(
                    f"{where}.modality", "given without an observation; add one"
                )
            context: dict[int, int] = {}
            A: dict[int, np.ndarray] = {}
            if spec.effect is not None:
                context, A = self._effect(spec.effect, f"{where}.effect")
            # An observation or effect that failed its own check is already
            # reported, so only a signal that was never given is flagged here.
            signal_checked = len(self.problems.items) == before_signal
            if observation is None and not context and not A and signal_checked:
                self.problems.add(
                    where,
                    "has neither an observation nor an effect; give an observation "
                    "(messaging), an effect (a structural change) or both",
                )
            if len(self.problems.items) > start or not spec.enabled:
                continue
            compiled.append(
                Intervention(
                    name=name,
                    start=spec.start,
                    stop=spec.stop,
                    populations=tuple(sorted(targets)),
                    nodes=tuple(spec.nodes) if spec.nodes is not None else None,
                    share=spec.share,
                    modality=modality_index,
                    observation=observation,
                    context=context,
                    A=A,
                    description=spec.description,
                )
            )
        return compiled

    def _intervention_modality(
        self, requested: str | None, candidates: list[int], where: str
    ) -> int | None:
        names = [self.modalities[i].name for i in candidates]
        if requested is not None:
            if requested not in names:
                self.problems.add(
                    f"{where}.modality",
                    f"unknown intervention modality {requested!r}; expected one of "
                    f"{names}",
                )
                return None
            return candidates[names.index(requested)]
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            self.problems.add(
                f"{where}.observation",
                "the scenario declares no intervention modality to observe this on; "
                'declare one with kind = "intervention"',
            )
        else:
            self.problems.add(
                f"{where}.modality",
                f"missing; name one of the intervention modalities {names}",
            )
        return None

    def _effect(
        self, effect, where: str
    ) -> tuple[dict[int, int], dict[int, np.ndarray]]:
        context = {}
        for key, state in effect.context.items():
            index = index_of_kind(self.factors, key, "context")
            if index is None:
                self.problems.add(
                    f"{where}.context.{key}",
                    f"unknown context factor {key!r}; an effect can set only context "
                    "factors",
                )
                continue
            value = self._context_state(
                self.factors[index], state, f"{where}.context.{key}"
            )
            if value is not None:
                context[index] = value
        A = {}
        for key, value in effect.A.items():
            index = index_of_kind(self.modalities, key, "environment")
            if index is None:
                self.problems.add(
                    f"{where}.A.{key}",
                    f"unknown environment modality {key!r}; an effect can change only "
                    "the true likelihood of environment modalities",
                )
                continue
            array = self._likelihood(value, self.modalities[index], f"{where}.A.{key}")
            if array is not None:
                A[index] = array
        return context, A

    # -- outcome criteria --------------------------------------------------------

    def _joint_action(self) -> tuple[int, int] | None:
        action = self.spec.joint_action.action
        for index, factor in enumerate(self.factors):
            if factor.kind == "control" and action in factor.actions:
                return index, factor.actions.index(action)
        self.problems.add(
            "joint_action.action",
            f"unknown action {action!r}; expected one of {sorted(self.actions)}",
        )
        return None

    def _convergence(self) -> tuple[int, ...]:
        context = [i for i, f in enumerate(self.factors) if f.kind == "context"]
        requested = self.spec.convergence.factors
        if requested is None:
            if not context:
                self.problems.add(
                    "factors",
                    'no context factor; declare one with kind = "context", the '
                    "fact about the world whose beliefs are compared",
                )
            return tuple(context)
        names = [f.name for f in self.factors]
        indices = []
        for name in requested:
            if name not in names or names.index(name) not in context:
                self.problems.add(
                    "convergence.factors",
                    f"unknown context factor {name!r}; expected some of "
                    f"{[self.factors[i].name for i in context]}",
                )
            else:
                indices.append(names.index(name))
        if not requested:
            self.problems.add("convergence.factors", "empty; name at least one factor")
        return tuple(indices)
