"""The coordination model, its environment, metrics, outputs and command line."""

from simulation.model import CoordinationModel, seed_sequence

__all__ = ["CoordinationModel", "seed_sequence"]
