"""Structure of a scenario file: one pydantic model per TOML table.

These models check types, ranges and unknown keys. The numbers of the
generative models (``A``, ``B``, ``C``, ``D``) are kept as written here and
turned into checked arrays by :mod:`scenarios.arrays`, because their shapes
depend on the declared factors and modalities.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

FactorKind = Literal["context", "social", "control"]
ModalityKind = Literal["intervention", "social", "environment", "self"]
GraphKind = Literal[
    "complete",
    "erdos_renyi",
    "watts_strogatz",
    "barabasi_albert",
    "stochastic_block",
    "file",
]

# Most policies a population may enumerate; expected free energy is computed
# for every policy of every agent at every step.
DEFAULT_MAX_POLICIES = 1024

# Most steps one run may take, from the file or from ``modelfirst run --steps``.
MAX_STEPS = 100_000


class Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


def _unique_names(values: list[str], what: str) -> list[str]:
    if not values:
        raise ValueError(f"no {what} given; list at least one")
    seen: set[str] = set()
    for value in values:
        if not value.strip():
            raise ValueError(f"empty {what[:-1]} name; give every one a name")
        if value in seen:
            raise ValueError(
                f"{what[:-1]} {value!r} is listed twice; names must be unique"
            )
        seen.add(value)
    return values


class ScenarioInfo(Table):
    """The ``[scenario]`` table: name, description and run length."""

    name: str = Field(min_length=1)
    description: str = ""
    steps: int = Field(default=50, ge=1, le=MAX_STEPS)
    max_policies: int = Field(default=DEFAULT_MAX_POLICIES, ge=1, le=1_000_000)


class GraphSpec(Table):
    """The ``[graph]`` table: which social network the agents live on."""

    kind: GraphKind = "stochastic_block"
    mean_degree: float = Field(default=8.0, gt=0, le=10_000)
    homophily: float | None = Field(default=None, ge=0, le=1)
    rewire: float = Field(default=0.1, ge=0, le=1)
    path: str | None = None
    population_attribute: str = "population"


class FactorSpec(Table):
    """A hidden-state factor shared by every population."""

    kind: FactorKind
    states: list[str]
    actions: list[str] | None = None
    action: str | None = None
    bins: list[float] | None = None

    _check_states = field_validator("states")(lambda v: _unique_names(v, "states"))


class ModalitySpec(Table):
    """An observation modality shared by every population."""

    kind: ModalityKind
    outcomes: list[str]
    depends_on: list[str]
    action: str | None = None
    bins: list[float] | None = None

    _check_outcomes = field_validator("outcomes")(
        lambda v: _unique_names(v, "outcomes")
    )


class Heterogeneity(Table):
    """Spread of priors and precision across the members of a population.

    ``D_concentration`` is the concentration of a Dirichlet centred on the
    population's ``D`` (larger means members are more alike). ``gamma_cv`` is
    the coefficient of variation of a log-normal spread of ``gamma``.
    """

    D_concentration: float | None = Field(default=None, gt=0, le=1e9)
    gamma_cv: float = Field(default=0.0, ge=0, le=10)


class PopulationSpec(Table):
    """One population type: its size and its generative model."""

    size: int | None = Field(default=None, ge=1, le=5_000_000)
    A: dict[str, Any] = Field(default_factory=dict)
    B: dict[str, Any] = Field(default_factory=dict)
    C: dict[str, Any] = Field(default_factory=dict)
    D: dict[str, Any] = Field(default_factory=dict)
    gamma: float = Field(default=4.0, gt=0, le=1e6)
    alpha: float = Field(default=16.0, gt=0, le=1e6)
    policy_len: int = Field(default=1, ge=1, le=16)
    inference_algo: Literal["fpi"] = "fpi"
    num_iter: int = Field(default=8, ge=1, le=256)
    action_selection: Literal["stochastic", "deterministic"] = "stochastic"
    sampling_mode: Literal["marginal", "full"] = "full"
    initial_action: str | None = None
    heterogeneity: Heterogeneity = Field(default_factory=Heterogeneity)
    color: str | None = None


class EffectSpec(Table):
    """A structural change to the environment while an intervention is active."""

    context: dict[str, str] = Field(default_factory=dict)
    A: dict[str, Any] = Field(default_factory=dict)


class InterventionSpec(Table):
    """An intervention: a time window, targets, an observation and an effect."""

    start: int = Field(default=1, ge=1)
    stop: int | None = Field(default=None, ge=1)
    targets: list[str] | None = None
    nodes: list[int] | None = None
    share: float = Field(default=1.0, gt=0, le=1)
    modality: str | None = None
    observation: str | dict[str, float] | None = None
    effect: EffectSpec | None = None
    enabled: bool = True
    description: str = ""

    @field_validator("targets", mode="before")
    @classmethod
    def _one_target(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class EnvironmentSpec(Table):
    """The generative process: true context states and true likelihoods."""

    context: dict[str, str | dict[str, str]] = Field(default_factory=dict)
    A: dict[str, Any] = Field(default_factory=dict)


class JointActionSpec(Table):
    """When joint action counts as reached."""

    action: str
    threshold: float = Field(default=0.5, gt=0, le=1)
    sustain: int = Field(default=3, ge=1)


class ConvergenceSpec(Table):
    """When beliefs count as converged."""

    factors: list[str] | None = None
    tolerance: float = Field(default=0.05, gt=0, le=1)
    sustain: int = Field(default=3, ge=1)


class ScenarioFile(Table):
    """The whole file, as written, before the cross-table checks."""

    scenario: ScenarioInfo
    graph: GraphSpec = Field(default_factory=GraphSpec)
    factors: dict[str, FactorSpec]
    modalities: dict[str, ModalitySpec]
    populations: dict[str, PopulationSpec]
    environment: EnvironmentSpec = Field(default_factory=EnvironmentSpec)
    interventions: dict[str, InterventionSpec] = Field(default_factory=dict)
    joint_action: JointActionSpec
    convergence: ConvergenceSpec = Field(default_factory=ConvergenceSpec)
