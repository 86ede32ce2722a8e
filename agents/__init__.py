"""Population types: generative models, batched populations and Mesa agents.

The batched population and the Mesa agent import JAX and Mesa, so they are
loaded on first use; reading and validating a scenario needs neither.
"""

from importlib import import_module
from typing import Any

from agents.generative_model import Factor, GenerativeModel, Modality

_LAZY = {
    "PolicyAgent": "agents.policy_agent",
    "Population": "agents.population",
    "StepResult": "agents.population",
    "build_agent": "agents.population",
}

__all__ = ["Factor", "GenerativeModel", "Modality", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'agents' has no attribute {name!r}")
