"""Coverage and noise of each synthetic registry, tunable one by one."""

import json
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Noise:
    """How a registry's clerks write records (each a probability per record)."""

    latin_missing: float = 0.0
    latin_partial: float = 0.0
    arabic_missing: float = 0.0
    first_spelling: float = 0.6
    upper_case: float = 0.0
    swapped_names: float = 0.0
    typo: float = 0.0
    year_only_old: float = 0.0
    day_month_swap: float = 0.0
    duplicate: float = 0.0
    late_duplicate: float = 0.0
    stale_commune: float = 0.0
    cnie_mistyped: float = 0.0
    cnie_missing: float = 0.0
    unreadable: float = 0.0


@dataclass(frozen=True)
class Coverage:
    """Who is in a registry (each a probability per eligible person)."""

    rate: float = 1.0
    rural_rate: float | None = None
    deceased_kept: float = 0.0


@dataclass(frozen=True)
class RegistryConfig:
    """Coverage and noise of one registry."""

    coverage: Coverage
    noise: Noise


def _default_registries() -> dict[str, RegistryConfig]:
    return {
        "civil": RegistryConfig(
            Coverage(rate=0.96, rural_rate=0.9, deceased_kept=1.0),
            Noise(latin_missing=0.6, typo=0.01, year_only_old=0.25, duplicate=0.003, unreadable=0.001),
        ),
        "cnie": RegistryConfig(
            Coverage(rate=0.92, rural_rate=0.85, deceased_kept=0.3),
            Noise(
                first_spelling=0.6,
                upper_case=1.0,
                typo=0.01,
                year_only_old=0.08,
                day_month_swap=0.01,
                duplicate=0.002,
                unreadable=0.001,
            ),
        ),
        "massar": RegistryConfig(
            Coverage(rate=0.95, rural_rate=0.85),
            Noise(
                first_spelling=0.5,
                arabic_missing=0.05,
                typo=0.02,
                swapped_names=0.02,
                day_month_swap=0.01,
                duplicate=0.003,
                unreadable=0.001,
            ),
        ),
        "cnss": RegistryConfig(
            Coverage(rate=1.0, deceased_kept=0.2),
            Noise(
                first_spelling=0.5,
                upper_case=1.0,
                typo=0.03,
                swapped_names=0.05,
                day_month_swap=0.02,
                duplicate=0.005,
                cnie_mistyped=0.04,
                cnie_missing=0.08,
                unreadable=0.002,
            ),
        ),
        "ramed": RegistryConfig(
            Coverage(rate=0.85, deceased_kept=0.4),
            Noise(
                first_spelling=0.4,
                upper_case=0.5,
                typo=0.04,
                swapped_names=0.05,
                year_only_old=0.3,
                day_month_swap=0.02,
                duplicate=0.01,
                cnie_mistyped=0.03,
                cnie_missing=0.3,
                unreadable=0.002,
            ),
        ),
    }


@dataclass(frozen=True)
class SynthConfig:
    """Everything the generator needs besides the number of persons and the seed."""

    registries: dict[str, RegistryConfig] = field(default_factory=_default_registries)
    twin_rate: float = 0.015
    deceased_rate: float = 0.03
    grandfather_name_rate: float = 0.15
    formal_work_urban_male: float = 0.42
    formal_work_urban_female: float = 0.18
    formal_work_rural: float = 0.10
    ramed_poor_share: float = 0.30
    two_ramed_households: float = 0.01
    # Where people were born: in the commune they live in, or elsewhere (internal migration:
    # about a third of urban adults were born in another commune).
    adults_born_in_home_commune_urban: float = 0.65
    adults_born_in_home_commune_rural: float = 0.85
    children_born_in_home_commune: float = 0.9
    year_only_before: int = 1965
    reference_date: str = "2026-01-01"


def config_from_dict(data: dict[str, Any]) -> SynthConfig:
    """Return the default configuration with the overrides of a JSON-like dict.

    Example:
        >>> cfg = config_from_dict({"twin_rate": 0.02, "registries": {"cnss": {"noise": {"typo": 0.1}}}})
        >>> cfg.registries["cnss"].noise.typo, cfg.twin_rate
        (0.1, 0.02)
    """
    base = SynthConfig()
    registries = dict(base.registries)
    for name, override in (data.get("registries") or {}).items():
        if name not in registries:
            raise ValueError(f"unknown registry {name!r}: use one of {', '.join(registries)}")
        current = registries[name]
        unknown = set(override) - {"coverage", "noise"}
        if unknown:
            raise ValueError(f"registries.{name}: unknown keys {sorted(unknown)}; use coverage, noise")
        registries[name] = RegistryConfig(
            coverage=replace(current.coverage, **override.get("coverage", {})),
            noise=replace(current.noise, **override.get("noise", {})),
        )
    top = {k: v for k, v in data.items() if k != "registries"}
    return replace(base, registries=registries, **top)


DEFAULT_PROFILE = "default"


@dataclass(frozen=True)
class Profile:
    """A named set of overrides: a population the linker was not tuned on."""

    name: str
    description: str
    overrides: dict[str, Any]

    def config(self, extra: dict[str, Any] | None = None) -> SynthConfig:
        """Return the configuration of this profile, with further overrides on top."""
        return config_from_dict(_deep_merge(self.overrides, extra or {}))


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _profile_files() -> dict[str, Any]:
    folder = resources.files("sijill.synth.data").joinpath("profiles")
    return {f.name.removesuffix(".json"): f for f in folder.iterdir() if f.name.endswith(".json")}


def profile_names() -> list[str]:
    """Return the names of the noise profiles, the default first."""
    return [DEFAULT_PROFILE, *sorted(_profile_files())]


def load_profile(name: str) -> Profile:
    """Return a noise profile by name (`default`, or a file of `synth/data/profiles`).

    Example:
        >>> load_profile("stale_codes").config().registries["civil"].noise.stale_commune > 0
        True
    """
    if name == DEFAULT_PROFILE:
        return Profile(name, "the registries as the default configuration describes them", {})
    files = _profile_files()
    if name not in files:
        raise ValueError(f"unknown profile {name!r}: use one of {', '.join(profile_names())}")
    data = json.loads(files[name].read_text(encoding="utf-8"))
    unknown = set(data) - {"description", "config"}
    if unknown or not isinstance(data.get("config"), dict):
        raise ValueError(f"profile {name}: expected keys description and config, got {sorted(data)}")
    profile = Profile(name, str(data.get("description", "")), data["config"])
    profile.config()  # refuse a profile whose overrides do not fit the configuration
    return profile
