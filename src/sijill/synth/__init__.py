"""The synthetic Moroccan population: the project's test bed, demo and benchmark input."""

from sijill.synth.config import Coverage, Noise, RegistryConfig, SynthConfig
from sijill.synth.generate import SynthResult, generate

__all__ = ["Coverage", "Noise", "RegistryConfig", "SynthConfig", "SynthResult", "generate"]
