"""Population types: generative models, batched populations and Mesa agents."""

from agents.generative_model import Factor, GenerativeModel, Modality
from agents.policy_agent import PolicyAgent
from agents.population import Population, StepResult, build_agent

__all__ = [
    "Factor",
    "GenerativeModel",
    "Modality",
    "PolicyAgent",
    "Population",
    "StepResult",
    "build_agent",
]
