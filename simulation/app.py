"""The browser app: explore a scenario step by step in Solara.

Run it with ``modelfirst app`` or ``solara run simulation/app.py``. The page
follows the layout of Mesa's ``SolaraViz`` (controls on the left, views on
the right) but has its own controller. ``SolaraViz``'s Reset rebuilds the
model from ``model.scenario`` as a ``mesa.experimental.scenarios.Scenario``,
and :class:`AppModel` stores a validated :class:`scenarios.Scenario` there.
Reset here builds a new :class:`AppModel` from the parameters on the left.

Nothing is built at import time: the first model is built when a browser
opens the page.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import solara
import solara.lab

from scenarios import Intervention, ScenarioError, load_scenario, shipped_scenarios
from simulation import app_views
from simulation.app_map import ModelMapView
from simulation.model import CoordinationModel

logger = logging.getLogger(__name__)

DEFAULT_SCENARIO = "ai-infrastructure"
GRAPH_KINDS = (
    "stochastic_block",
    "erdos_renyi",
    "watts_strogatz",
    "barabasi_albert",
    "complete",
)
# Limits of the app's inputs; the command line accepts larger runs.
MAX_POPULATION_SIZE = 20_000
MAX_MEAN_DEGREE = 50.0
# Errors are plain red text: solara 1.58's Alert fails to render with the
# vuetify 3 app shipped in solara-assets 1.58.
ERROR_STYLE = {"color": "#b00020", "display": "block"}


@dataclass(frozen=True)
class AppParameters:
    """Parameters on the left of the page, from which Reset builds a model."""

    scenario: str = DEFAULT_SCENARIO
    sizes: dict[str, int] = field(default_factory=dict)
    graph_kind: str = "stochastic_block"
    mean_degree: float = 10.0
    homophily: float = 0.7
    enabled: tuple[str, ...] = ()
    intervention: str | None = None
    intervention_start: int = 1
    intervention_stop: int | None = None
    intervention_share: float = 1.0
    intervention_targets: tuple[str, ...] = ()
    seed: int = 0

    def as_kwargs(self) -> dict:
        """Return the keyword arguments of :class:`AppModel`."""
        return {
            "scenario": self.scenario,
            "sizes": dict(self.sizes),
            "graph_kind": self.graph_kind,
            "mean_degree": self.mean_degree,
            "homophily": self.homophily,
            "enabled_interventions": list(self.enabled),
            "intervention": self.intervention,
            "intervention_start": self.intervention_start,
            "intervention_stop": self.intervention_stop,
            "intervention_share": self.intervention_share,
            "intervention_targets": list(self.intervention_targets) or None,
            "seed": self.seed,
        }


def scenario_parameters(name_or_path: str) -> AppParameters:
    """Return the parameters written in a scenario file (its defaults in the app).

    Raises :class:`scenarios.ScenarioError` when the file is invalid.
    """
    scenario = load_scenario(name_or_path)
    spec = scenario.spec
    chosen = next(iter(spec.interventions), None)
    timing = spec.interventions[chosen] if chosen else None
    names = scenario.population_names
    targets = tuple(timing.targets or ()) if timing else ()
    if "all" in targets:
        targets = tuple(names)
    return AppParameters(
        scenario=name_or_path,
        sizes={p.name: p.size for p in scenario.populations},
        graph_kind=spec.graph.kind,
        mean_degree=float(spec.graph.mean_degree or 10.0),
        homophily=float(spec.graph.homophily if spec.graph.homophily else 0.5),
        enabled=tuple(i.name for i in scenario.interventions),
        intervention=chosen,
        intervention_start=timing.start if timing else 1,
        intervention_stop=(timing.stop or scenario.steps) if timing else None,
        intervention_share=timing.share if timing else 1.0,
        intervention_targets=targets,
        seed=0,
    )


def check_parameters(parameters: AppParameters) -> list[str]:
    """Return one message per out-of-range parameter (empty when all are valid)."""
    problems = []
    for name, size in parameters.sizes.items():
        if not 1 <= size <= MAX_POPULATION_SIZE:
            problems.append(
                f"size of {name}: {size} is out of range; choose 1 to "
                f"{MAX_POPULATION_SIZE}"
            )
    if parameters.graph_kind not in (*GRAPH_KINDS, "file"):
        problems.append(f"graph kind {parameters.graph_kind!r} is unknown")
    if not 0 < parameters.mean_degree <= MAX_MEAN_DEGREE:
        problems.append(
            f"mean degree {parameters.mean_degree:g} is out of range; choose more "
            f"than 0 and at most {MAX_MEAN_DEGREE:g}"
        )
    if not 0 <= parameters.homophily <= 1:
        problems.append(f"homophily {parameters.homophily:g} is outside [0, 1]")
    if parameters.seed < 0:
        problems.append(f"seed {parameters.seed} is negative; choose 0 or more")
    if parameters.intervention is not None:
        if parameters.intervention_start < 1:
            problems.append(
                f"start {parameters.intervention_start} is out of range; the first "
                "step an intervention can act on is 1"
            )
        stop = parameters.intervention_stop
        if stop is not None and stop <= parameters.intervention_start:
            problems.append(
                f"stop ({stop}) must be after start ({parameters.intervention_start})"
            )
        if not 0 < parameters.intervention_share <= 1:
            problems.append(
                f"share {parameters.intervention_share:g} is outside (0, 1]"
            )
    return problems


class AppModel(CoordinationModel):
    """A :class:`CoordinationModel` built from flat keyword parameters.

    Parameters
    ----------
    scenario : a shipped scenario name or a path to a ``.toml`` file.
    sizes : members per population, by population name (``None``: the file's).
    graph_kind, mean_degree, homophily : the ``[graph]`` table's values
        (``None``: the file's).
    enabled_interventions : the interventions scheduled by their windows
        (``None``: those enabled in the file). The others can still be applied
        with :meth:`apply_intervention`.
    intervention : the intervention that ``intervention_start``,
        ``intervention_stop`` (exclusive), ``intervention_share`` and
        ``intervention_targets`` (population names) apply to.
    seed : seed of every random draw.

    Raises :class:`scenarios.ScenarioError` when the scenario with these
    values is invalid.
    """

    def __init__(
        self,
        scenario: str = DEFAULT_SCENARIO,
        *,
        sizes: dict[str, int] | None = None,
        graph_kind: str | None = None,
        mean_degree: float | None = None,
        homophily: float | None = None,
        enabled_interventions: list[str] | None = None,
        intervention: str | None = None,
        intervention_start: int | None = None,
        intervention_stop: int | None = None,
        intervention_share: float | None = None,
        intervention_targets: list[str] | None = None,
        seed: int = 0,
    ):
        overrides: list[tuple[str, object]] = []
        for name, size in (sizes or {}).items():
            overrides.append((f"populations.{name}.size", int(size)))
        graph = {"kind": graph_kind, "mean_degree": mean_degree, "homophily": homophily}
        for key, value in graph.items():
            if value is not None:
                overrides.append((f"graph.{key}", value))
        if intervention is not None:
            timing = {
                "start": intervention_start,
                "stop": intervention_stop,
                "share": intervention_share,
                "targets": intervention_targets,
            }
            for key, value in timing.items():
                if value is not None:
                    overrides.append((f"interventions.{intervention}.{key}", value))

        # Every intervention, enabled, so that any of them can be applied now.
        catalogue_overrides = list(overrides)
        spec = load_scenario(scenario, overrides).spec
        for name in spec.interventions:
            catalogue_overrides.append((f"interventions.{name}.enabled", True))
        catalogue = load_scenario(scenario, catalogue_overrides)
        if enabled_interventions is not None:
            for name in spec.interventions:
                enabled = name in enabled_interventions
                overrides.append((f"interventions.{name}.enabled", enabled))
        loaded = load_scenario(scenario, overrides)

        super().__init__(loaded, record_agents=False, rng=seed)
        self.catalogue: dict[str, Intervention] = {
            i.name: i for i in catalogue.interventions
        }
        self.parameters = {
            "scenario": scenario,
            "graph_kind": loaded.spec.graph.kind,
            "mean_degree": loaded.spec.graph.mean_degree,
            "homophily": loaded.spec.graph.homophily,
            "seed": seed,
        }

    def apply_intervention(
        self,
        name: str,
        *,
        populations: list[str] | None = None,
        share: float | None = None,
        duration: int | None = None,
    ) -> Intervention:
        """Apply one of the scenario's interventions, enabled or not, from next step.

        See :meth:`CoordinationModel.apply_intervention`.
        """
        if name not in self.catalogue:
            raise KeyError(
                f"no intervention named {name!r}; known: {sorted(self.catalogue)}"
            )
        if any(i.name == name for i in self.scenario.interventions):
            return super().apply_intervention(
                name, populations=populations, share=share, duration=duration
            )
        names = self.scenario.population_names
        known = self.catalogue[name]
        targets = (
            known.populations
            if populations is None
            else tuple(names.index(p) for p in populations)
        )
        start = self.steps + 1
        scheduled = replace(
            known,
            start=start,
            stop=None if duration is None else start + duration,
            populations=targets,
            nodes=None,
            share=known.share if share is None else share,
        )
        self.world.add_intervention(scheduled)
        logger.info("applied %s from step %d to %s", name, start, targets)
        return scheduled

    def observed_shares(self) -> dict[str, dict[str, float]]:
        """Return, per intervention modality, the share of agents that observed each
        outcome at the last step (empty before the first step)."""
        observations = getattr(self, "last_observations", None)
        if observations is None:
            return {}
        shares = {}
        for index, modality in enumerate(self.scenario.modalities):
            if modality.kind == "intervention":
                mean = np.asarray(observations[index]).mean(axis=0)
                shares[modality.name] = dict(
                    zip(modality.outcomes, mean.tolist(), strict=True)
                )
        return shares


def build_model(parameters: AppParameters) -> AppModel:
    """Build an :class:`AppModel` from the page's parameters."""
    started = time.perf_counter()
    model = AppModel(**parameters.as_kwargs())
    logger.info(
        "built %s with %d agents in %.2f s",
        model.scenario.name,
        model.scenario.n_agents,
        time.perf_counter() - started,
    )
    return model


def scenario_choices() -> list[str]:
    """Return the shipped scenario names."""
    return sorted(shipped_scenarios())


def resolve_path(text: str) -> str:
    """Return ``text`` as a scenario path, made absolute."""
    return str(Path(text).expanduser().resolve())


def observed_line(model: AppModel) -> str:
    """Write the shares of agents observing each intervention outcome last step."""
    shares = model.observed_shares()
    if not shares:
        return "Observed at the last step: nothing yet (step the model)"
    parts = []
    for modality, outcomes in shares.items():
        written = ", ".join(f"{o} {share:.0%}" for o, share in outcomes.items())
        parts.append(f"{modality}: {written}")
    return "Observed at the last step: " + "; ".join(parts)


# Graph kinds built from the requested mean degree (``complete`` ignores it,
# and a file graph has the degrees written in the file).
MEAN_DEGREE_KINDS = (
    "stochastic_block",
    "erdos_renyi",
    "watts_strogatz",
    "barabasi_albert",
)


def graph_line(model: AppModel) -> str:
    """Describe the graph: its kind, then the requested values the kind uses and
    the measured mean degree and homophily."""
    graph = model.graph
    measured_degree = 2 * graph.number_of_edges() / max(graph.number_of_nodes(), 1)
    kind = model.parameters["graph_kind"]
    mean_degree = model.parameters["mean_degree"]
    homophily = model.parameters["homophily"]
    if kind in MEAN_DEGREE_KINDS:
        degree = f"mean degree {mean_degree:g} (measured {measured_degree:.1f})"
    else:
        degree = f"measured mean degree {measured_degree:.1f}"
    # Only a stochastic block graph is built for a homophily, and without one
    # it uses the homophily of random mixing.
    if kind == "stochastic_block" and homophily is not None:
        mixing = f"homophily {homophily:g} (measured {model.homophily:.2f})"
    else:
        mixing = f"measured homophily {model.homophily:.2f}"
    return f"{kind} graph, {degree}, {mixing}"


def info_line(model: AppModel) -> str:
    """Describe the model: scenario, agents, graph (requested and measured), seed."""
    sizes = ", ".join(f"{p.name} {p.size}" for p in model.scenario.populations)
    return (
        f"{model.scenario.name}: {model.graph.number_of_nodes()} agents ({sizes}); "
        f"{graph_line(model)}; seed {model.parameters['seed']}"
    )


def apply_now(model: AppModel, name: str, populations: list[str], share: float) -> str:
    """Apply intervention ``name`` from the next step and describe what was done.

    ``populations`` are the chosen target names. An empty list applies the
    intervention to its own targets from the scenario file, so that a
    structural effect such as a benefit agreement reaches only the
    populations it was written for. ``share`` is the reach in ``(0, 1]``.
    """
    scheduled = model.apply_intervention(
        name, populations=list(populations) or None, share=share
    )
    names = model.scenario.population_names
    reached = ", ".join(names[p] for p in scheduled.populations)
    return (
        f"{name} applies from step {scheduled.start} to {reached} (reach {share:.0%})"
    )


@solara.component
def Controls(  # noqa: N802
    model: solara.Reactive,
    version: solara.Reactive,
    playing: solara.Reactive,
    on_reset,
):
    """Show Step, Play/Pause and Reset with the step counter."""
    interval = solara.use_reactive(200)

    def step_once():
        model.value.step()
        version.set(version.value + 1)

    def play_loop():
        while playing.value:
            current = model.value
            if current is None or current.steps >= current.scenario.steps:
                playing.set(False)
                return
            started = time.perf_counter()
            step_once()
            time.sleep(
                max(0.0, interval.value / 1000 - (time.perf_counter() - started))
            )

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    with solara.Card("Run"):
        with solara.Row():
            # The ripple animation costs the browser about 30 ms of work per
            # click (measured in headless Chromium), on a button clicked often.
            solara.Button(
                "Step",
                color="primary",
                on_click=step_once,
                disabled=playing.value,
                ripple=False,
            )
            solara.Button(
                "Pause" if playing.value else "Play",
                color="primary",
                on_click=lambda: playing.set(not playing.value),
            )
            solara.Button("Reset", color="primary", outlined=True, on_click=on_reset)
        solara.SliderInt("Play interval (ms)", value=interval, min=0, max=1000, step=50)
        # Reading the version makes this card re-render after every step.
        if version.value >= 0:
            steps = model.value.scenario.steps
            solara.Text(f"Step {model.value.steps} of {steps}", classes=["mf-step"])


@solara.component
def ScenarioPicker(parameters: solara.Reactive, on_load):  # noqa: N802
    """Pick a shipped scenario or type the path of a scenario file."""
    path = solara.use_reactive("")
    choices = scenario_choices()
    current = parameters.value.scenario
    with solara.Card("Scenario"):
        solara.Select(
            "Shipped scenario",
            values=choices,
            value=current if current in choices else None,
            on_value=on_load,
        )

        def load_path(text: str | None):
            path.set(text or "")
            if text:
                on_load(resolve_path(text))

        solara.InputText(
            "...or a scenario file (path, then Enter)",
            value=path.value,
            on_value=load_path,
            classes=["mf-path"],
        )


@solara.component
def ParameterInputs(parameters: solara.Reactive, catalogue: list[str]):  # noqa: N802
    """Show the population sizes, graph, seed and intervention timing for Reset."""
    values = parameters.value

    def update(**changes):
        parameters.set(replace(parameters.value, **changes))

    with solara.Card("Parameters (applied on Reset)"):
        for name, size in values.sizes.items():

            def set_size(value, name=name):
                update(sizes={**parameters.value.sizes, name: value})

            solara.InputInt(f"members of {name}", value=size, on_value=set_size)
        solara.Select(
            "graph kind",
            values=[*GRAPH_KINDS, *(["file"] if values.graph_kind == "file" else [])],
            value=values.graph_kind,
            on_value=lambda kind: update(graph_kind=kind),
        )
        with solara.Column(classes=["mf-mean-degree"]):
            solara.SliderFloat(
                "mean degree",
                value=values.mean_degree,
                min=1.0,
                max=MAX_MEAN_DEGREE,
                step=1.0,
                on_value=lambda k: update(mean_degree=k),
                thumb_label="always",
            )
        solara.SliderFloat(
            "homophily",
            value=values.homophily,
            min=0.0,
            max=1.0,
            step=0.05,
            on_value=lambda h: update(homophily=h),
            thumb_label="always",
        )
        solara.InputInt("seed", value=values.seed, on_value=lambda s: update(seed=s))
        if catalogue:
            solara.SelectMultiple(
                "scheduled interventions (run in their window)",
                values=[n for n in catalogue if n in values.enabled],
                all_values=catalogue,
                on_value=lambda chosen: update(enabled=tuple(chosen)),
            )
            solara.Select(
                "timing of",
                values=catalogue,
                value=values.intervention,
                on_value=lambda name: update(intervention=name),
            )
            with solara.Row():
                solara.InputInt(
                    "start",
                    value=values.intervention_start,
                    on_value=lambda v: update(intervention_start=v),
                )
                solara.InputInt(
                    "stop (first step without)",
                    value=values.intervention_stop,
                    optional=True,
                    on_value=lambda v: update(intervention_stop=v),
                )
            solara.SliderFloat(
                "reach (share of targeted members)",
                value=values.intervention_share,
                min=0.05,
                max=1.0,
                step=0.05,
                on_value=lambda v: update(intervention_share=v),
            )
            solara.SelectMultiple(
                "targets (none chosen: the file's)",
                values=list(values.intervention_targets),
                all_values=list(values.sizes),
                on_value=lambda v: update(intervention_targets=tuple(v)),
            )


@solara.component
def ApplyNow(model: solara.Reactive, version: solara.Reactive):  # noqa: N802
    """Show a button per intervention that applies it from the next step on."""
    current = model.value
    names = current.scenario.population_names
    # Empty by default, so that each intervention reaches its own targets.
    targets = solara.use_reactive([])
    share = solara.use_reactive(1.0)
    message = solara.use_reactive("")
    with solara.Card("Apply an intervention now"):
        solara.SelectMultiple(
            "to (none chosen: its own targets)",
            values=targets,
            all_values=list(names),
        )
        solara.SliderFloat("reach", value=share, min=0.05, max=1.0, step=0.05)
        for name in current.catalogue:

            def apply(name=name):
                chosen = [t for t in targets.value if t in names]
                message.set(apply_now(model.value, name, chosen, share.value))
                version.set(version.value + 1)

            solara.Button(f"Apply {name}", on_click=apply, text=True, color="primary")
        if message.value:
            solara.Text(message.value, classes=["mf-applied"])


@solara.component
def Views(model: AppModel, version: solara.Reactive):  # noqa: N802
    """Show the info lines, network, time series and histograms.

    Only this component and the step counter read ``version``, so a step
    re-renders them and leaves the controls on the left alone.
    """
    context = [
        (f, s)
        for f, factor in enumerate(model.scenario.factors)
        if factor.kind == "context"
        for s in range(factor.num_states)
    ]
    labels = [
        f"{model.scenario.factors[f].name} = {model.scenario.factors[f].states[s]}"
        for f, s in context
    ]
    shown = solara.use_reactive(labels[0] if labels else "")
    # A newly loaded scenario may lack the belief shown before: show its first.
    label = shown.value if shown.value in labels else next(iter(labels), "")
    factor, state = context[labels.index(label)] if labels else (0, 0)
    views = solara.use_memo(app_views.ViewSet, dependencies=[model])
    images = solara.use_memo(
        lambda: views.render(model, factor, state),
        dependencies=[model, version.value, model.steps, factor, state],
    )

    solara.Text(info_line(model), classes=["mf-info"])
    solara.Text(observed_line(model), classes=["mf-observed"])
    if labels:
        solara.Select("belief shown", values=labels, value=label, on_value=shown.set)
    formats = app_views.IMAGE_FORMATS
    with solara.Columns([1, 1]):
        with solara.Column():
            for name in ("network", "histograms"):
                solara.Image(images[name], format=formats[name])
        with solara.Column():
            for name in ("shares", "divergence"):
                solara.Image(images[name], format=formats[name])
    solara.Text(f"Views drawn at step {model.steps}", classes=["mf-views-step"])


@solara.component
def Page():  # noqa: N802
    """Lay out the page: scenario and parameters on the left, views on the right."""
    parameters = solara.use_reactive(None)
    model = solara.use_reactive(None)
    version = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    errors = solara.use_reactive([])

    def load(source: str) -> None:
        try:
            loaded = scenario_parameters(source)
            built = build_model(loaded)
        except ScenarioError as error:
            logger.warning("rejected scenario %s: %s", source, error.lines)
            errors.set(
                [f"{source} is invalid; the current model is kept.", *error.lines]
            )
            return
        except (OSError, ValueError) as error:
            logger.warning("could not load scenario %s: %s", source, error)
            errors.set([f"{source} could not be loaded: {error}"])
            return
        playing.set(False)
        parameters.set(loaded)
        model.set(built)
        errors.set([])

    def reset() -> None:
        problems = check_parameters(parameters.value)
        if problems:
            errors.set(["Parameters rejected; the current model is kept.", *problems])
            return
        playing.set(False)
        try:
            built = build_model(parameters.value)
        except ScenarioError as error:
            errors.set(
                ["Parameters rejected; the current model is kept.", *error.lines]
            )
            return
        model.set(built)
        version.set(version.value + 1)
        errors.set([])

    solara.use_effect(lambda: load(DEFAULT_SCENARIO), [])

    solara.Title("modelfirst")
    with solara.AppBar():
        solara.AppBarTitle("modelfirst: populations, models and interventions")
    if model.value is None:
        if errors.value:
            for line in errors.value:
                solara.Text(line, style=ERROR_STYLE)
        solara.Text("Building the model...")
        return

    with solara.Columns([1, 3]):
        with solara.Column():
            Controls(model, version, playing, reset)
            ScenarioPicker(parameters, load)
            if errors.value:
                with solara.Column(classes=["mf-errors"]):
                    for line in errors.value:
                        solara.Text(line, style=ERROR_STYLE)
            ApplyNow(model, version)
            ParameterInputs(parameters, list(model.value.catalogue))
        with solara.Column():
            Views(model.value, version)
            # Outside Views, so that a step does not render the map again.
            ModelMapView(model.value)


page = Page

__all__ = [
    "AppModel",
    "AppParameters",
    "Page",
    "apply_now",
    "build_model",
    "check_parameters",
    "page",
    "scenario_parameters",
]
