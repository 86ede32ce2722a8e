"""Checks of a scenario's shape: factors, modalities and the graph."""

from __future__ import annotations

import logging
from pathlib import Path

from agents.generative_model import Factor, Modality, equal_bins
from scenarios.graph_files import read_graph_file

logger = logging.getLogger(__name__)

# Keys of the [graph] table that each kind ignores; a scenario that sets one
# gets a warning. ``path`` with a generated kind is an error instead.
IGNORED_GRAPH_KEYS = {
    "complete": frozenset(
        {"mean_degree", "homophily", "rewire", "population_attribute"}
    ),
    "erdos_renyi": frozenset({"homophily", "rewire", "population_attribute"}),
    "watts_strogatz": frozenset({"homophily", "population_attribute"}),
    "barabasi_albert": frozenset({"homophily", "rewire", "population_attribute"}),
    "stochastic_block": frozenset({"rewire", "population_attribute"}),
    "file": frozenset({"mean_degree", "homophily", "rewire"}),
}


class ShapeChecks:
    """Factor, modality and graph checks of :class:`ScenarioCompiler`."""

    def _factors(self) -> tuple[Factor, ...]:
        factors = []
        all_actions: dict[str, str] = {}
        for name, spec in self.spec.factors.items():
            where = f"factors.{name}"
            actions: tuple[str, ...] = ()
            if spec.kind == "control":
                actions = tuple(spec.actions or spec.states)
                if len(actions) < 2:
                    self.problems.add(
                        f"{where}.actions",
                        "a control factor needs at least 2 actions to choose between",
                    )
                for action in actions:
                    if action in all_actions:
                        self.problems.add(
                            f"{where}.actions",
                            f"action {action!r} is also an action of factor "
                            f"{all_actions[action]!r}; action names must be unique",
                        )
                    all_actions[action] = name
            elif spec.actions is not None:
                self.problems.add(
                    f"{where}.actions", "only control factors have actions; remove it"
                )
            if spec.kind != "social" and (spec.action or spec.bins):
                self.problems.add(
                    where,
                    "'action' and 'bins' apply only to social factors; remove them",
                )
            factors.append(
                Factor(
                    name=name,
                    kind=spec.kind,
                    states=tuple(spec.states),
                    actions=actions,
                    action=spec.action,
                    bins=tuple(spec.bins or ()),
                )
            )
        if not factors:
            self.problems.add("factors", "no factors declared; declare at least one")
        if not any(f.kind == "control" for f in factors):
            self.problems.add(
                "factors",
                'no control factor; declare one with kind = "control" so agents '
                "can act",
            )
        resolved = []
        for factor in factors:
            if factor.kind == "social":
                action = factor.action or self._default_watched_action(all_actions)
                if action not in all_actions:
                    self.problems.add(
                        f"factors.{factor.name}.action",
                        f"unknown action {action!r}; expected one of "
                        f"{sorted(all_actions)}",
                    )
                bins = self._bins(
                    factor.bins, factor.num_states, f"factors.{factor.name}.bins"
                )
                factor = Factor(
                    factor.name, factor.kind, factor.states, (), action, bins
                )
            resolved.append(factor)
        self.actions = all_actions
        return tuple(resolved)

    def _default_watched_action(self, all_actions: dict[str, str]) -> str:
        return self.spec.joint_action.action if self.spec.joint_action else ""

    def _bins(
        self, bins: tuple[float, ...], count: int, where: str
    ) -> tuple[float, ...]:
        if not bins:
            return equal_bins(count)
        values = list(bins)
        if len(values) != count - 1:
            self.problems.add(
                where,
                f"{len(values)} edges given for {count} bins; give {count - 1} "
                "interior edges",
            )
        elif any(not 0 < v < 1 for v in values) or values != sorted(set(values)):
            self.problems.add(
                where, "edges must be strictly increasing and inside (0, 1)"
            )
        return tuple(values)

    def _modalities(self, factors: tuple[Factor, ...]) -> tuple[Modality, ...]:
        names = [f.name for f in factors]
        modalities = []
        for name, spec in self.spec.modalities.items():
            where = f"modalities.{name}"
            depends = []
            for factor_name in spec.depends_on:
                if factor_name not in names:
                    self.problems.add(
                        f"{where}.depends_on",
                        f"unknown factor {factor_name!r}; expected one of {names}",
                    )
                elif names.index(factor_name) in depends:
                    self.problems.add(
                        f"{where}.depends_on", f"factor {factor_name!r} is listed twice"
                    )
                else:
                    depends.append(names.index(factor_name))
            if not spec.depends_on:
                self.problems.add(
                    f"{where}.depends_on",
                    "empty; name the factors this modality's outcomes depend on",
                )
            action = spec.action
            bins: tuple[float, ...] = ()
            if spec.kind == "intervention" and "none" not in spec.outcomes:
                self.problems.add(
                    f"{where}.outcomes",
                    "an intervention modality needs a 'none' outcome, observed when "
                    "no intervention is active; add it",
                )
            if spec.kind == "social":
                social = [i for i in depends if factors[i].kind == "social"]
                if action is None and social:
                    action = factors[social[0]].action
                if action is None:
                    action = self.spec.joint_action.action
                if action not in self.actions:
                    self.problems.add(
                        f"{where}.action",
                        f"unknown action {action!r}; expected one of "
                        f"{sorted(self.actions)}",
                    )
                bins = self._bins(
                    tuple(spec.bins or ()), len(spec.outcomes), f"{where}.bins"
                )
            elif spec.action or spec.bins:
                self.problems.add(
                    where, "'action' and 'bins' apply only to social modalities"
                )
            if spec.kind == "self":
                controls = [i for i in depends if factors[i].kind == "control"]
                if len(depends) != 1 or len(controls) != 1:
                    self.problems.add(
                        f"{where}.depends_on",
                        "a self modality depends on exactly one control factor",
                    )
                elif len(spec.outcomes) != factors[controls[0]].num_actions:
                    self.problems.add(
                        f"{where}.outcomes",
                        f"{len(spec.outcomes)} outcomes for "
                        f"{factors[controls[0]].num_actions} actions; a self modality "
                        "has one outcome per action",
                    )
            modalities.append(
                Modality(
                    name=name,
                    kind=spec.kind,
                    outcomes=tuple(spec.outcomes),
                    depends_on=tuple(depends),
                    action=action if spec.kind == "social" else None,
                    bins=bins,
                )
            )
        if not modalities:
            self.problems.add(
                "modalities", "no modalities declared; declare at least one"
            )
        return tuple(modalities)

    # -- graph -----------------------------------------------------------------

    def _graph(self):
        graph = self.spec.graph
        for key in sorted(graph.model_fields_set & IGNORED_GRAPH_KEYS[graph.kind]):
            logger.warning(
                "%s: graph.%s does not apply to kind = %s and is ignored; remove it",
                self.source,
                key,
                graph.kind,
            )
        if graph.kind != "file":
            if graph.path is not None:
                self.problems.add(
                    "graph.path", "'path' applies only to kind = \"file\"; remove it"
                )
            return None, None
        if not self.spec.populations:
            # Node attributes are matched against the population names, so the
            # file is read only once populations exist (their absence is
            # reported by the population checks).
            return None, None
        if not graph.path:
            self.problems.add(
                "graph.path",
                "missing; give the path of an edge list, GraphML or GML file",
            )
            return None, None
        base = self.path.parent if self.path else Path.cwd()
        try:
            loaded = read_graph_file(
                base / graph.path,
                graph.population_attribute,
                list(self.spec.populations),
            )
        except ValueError as error:
            self.problems.add("graph.path", str(error))
            return None, None
        if all("population" not in data for _, data in loaded.nodes(data=True)):
            return loaded, None
        sizes = {}
        for name in self.spec.populations:
            sizes[name] = sum(
                1
                for _, data in loaded.nodes(data=True)
                if data.get("population") == name
            )
        return loaded, sizes

    def _check_graph_size(self, n_agents: int) -> None:
        graph = self.spec.graph
        if (
            graph.kind
            in ("erdos_renyi", "watts_strogatz", "barabasi_albert", "stochastic_block")
            and graph.mean_degree >= n_agents
        ):
            self.problems.add(
                "graph.mean_degree",
                f"{graph.mean_degree} is not below the number of agents "
                f'({n_agents}); lower it or use kind = "complete"',
            )
