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

import numpy as np
from pydantic import ValidationError

from agents.generative_model import (
    Factor,
    GenerativeModel,
    Modality,
    count_policies,
    equal_bins,
)
from scenarios.arrays import (
    parse_likelihood,
    parse_preferences,
    parse_prior,
    parse_soft_observation,
    parse_transition,
)
from scenarios.errors import Problem, Problems, ScenarioError
from scenarios.graph_files import read_graph_file
from scenarios.overrides import apply_overrides
from scenarios.scenario import Environment, Intervention, Scenario
from scenarios.schema import PopulationSpec, ScenarioFile

logger = logging.getLogger(__name__)

# The most agents one model may hold; beliefs take about 100 bytes per agent
# per factor, so this bound keeps a run well inside a workstation's memory.
MAX_AGENTS = 5_000_000


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
    except (OSError, UnicodeDecodeError) as error:
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
            problems.add(location, _pydantic_message(item))
        raise ScenarioError(source, problems.items) from None
    scenario = _Compiler(spec, data, source, path, problems).compile()
    problems.raise_if_any(source)
    assert scenario is not None  # the compiler returns None only with problems
    return scenario


def _pydantic_message(item: dict[str, Any]) -> str:
    kind = item.get("type", "")
    value = item.get("input")
    if kind == "missing":
        return "missing required key; add it"
    if kind == "extra_forbidden":
        return "unknown key; check the spelling against the documented keys"
    message = item.get("msg", "invalid value")
    return f"{message} (got {value!r})"


class _Compiler:
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

    # -- shape ---------------------------------------------------------------

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
        if graph.kind != "file":
            if graph.path is not None:
                self.problems.add(
                    "graph.path", "'path' applies only to kind = \"file\"; remove it"
                )
            if graph.homophily is not None and graph.kind != "stochastic_block":
                logger.warning(
                    "%s: graph.homophily applies only to kind = stochastic_block; "
                    "it is ignored for %s",
                    self.source,
                    graph.kind,
                )
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

    # -- populations -----------------------------------------------------------

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

    # -- environment and interventions -----------------------------------------

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
        factor_names = [f.name for f in self.factors]
        for key in spec.context:
            if (
                key not in factor_names
                or self.factors[factor_names.index(key)].kind != "context"
            ):
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
            if observation is None and not context and not A:
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
        factor_names = [f.name for f in self.factors]
        for key, state in effect.context.items():
            if (
                key not in factor_names
                or self.factors[factor_names.index(key)].kind != "context"
            ):
                self.problems.add(
                    f"{where}.context.{key}",
                    f"unknown context factor {key!r}; an effect can set only context "
                    "factors",
                )
                continue
            index = factor_names.index(key)
            value = self._context_state(
                self.factors[index], state, f"{where}.context.{key}"
            )
            if value is not None:
                context[index] = value
        A = {}
        modality_names = [m.name for m in self.modalities]
        for key, value in effect.A.items():
            if (
                key not in modality_names
                or self.modalities[modality_names.index(key)].kind != "environment"
            ):
                self.problems.add(
                    f"{where}.A.{key}",
                    f"unknown environment modality {key!r}; an effect can change only "
                    "the true likelihood of environment modalities",
                )
                continue
            index = modality_names.index(key)
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
