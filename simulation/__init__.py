"""The coordination model, its environment, metrics, outputs and command line.

The model imports JAX, pymdp and Mesa, so it is loaded on first use and
commands such as ``modelfirst validate`` start quickly.
"""

from importlib import import_module
from typing import Any

_LAZY = {
    "CoordinationModel": "simulation.model",
    "seed_sequence": "simulation.model",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'simulation' has no attribute {name!r}")
