"""Programs, the index model and the cross-checks as validated, versioned files.

A program is one TOML file in `sijill/social/programs/` (or in a directory an operator
names): who is eligible, who receives the payment, what each component pays. A new program
needs no code: it combines the rule vocabulary below. Every amount and threshold carries its
source, so a reviewer can check it against the published text. A file that does not validate
is refused with its path, the offending key and the reason.
"""

import hashlib
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sijill.social.errors import InvalidConfiguration

Relationship = Literal["head", "spouse", "son", "daughter", "parent", "grandchild", "other"]
Sex = Literal["F", "M"]
ProgramId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")]
Source = Annotated[str, Field(min_length=3)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Amount(_Strict):
    """A whole number of dirhams and where it comes from."""

    value: Annotated[int, Field(ge=0)]
    source: Source


class Threshold(_Strict):
    """A number (an index line, a share, a wage) and where it comes from."""

    value: float
    source: Source


class Count(_Strict):
    """A whole number (an age, a number of children, of months) and where it comes from."""

    value: Annotated[int, Field(ge=0)]
    source: Source


# ---------------------------------------------------------------- programs

Condition = Literal["widowed_female_head", "emergency_area", "has_children"]


class Eligibility(_Strict):
    """Which households a program is for."""

    index_max: Threshold | None = None
    area: Literal["any", "urban", "rural"] = "any"
    require: list[Condition] = []
    exclude_flags: list[str] = []


class RecipientChoice(_Strict):
    """One kind of member who may receive the payment (any relationship or sex when unset)."""

    relationships: list[Relationship] | None = None
    sex: Sex | None = None


class Recipient(_Strict):
    """Who receives the payment: the first living adult member matching a choice, in order."""

    rule: Annotated[str, Field(min_length=3)]
    prefer: Annotated[list[RecipientChoice], Field(min_length=1)]
    min_age: Annotated[int, Field(ge=0)] = 18


class Children(_Strict):
    """Which members count as the children of a household, and how they are ranked."""

    relationships: list[Relationship] = ["son", "daughter"]
    age_below: Count
    enrolled: bool = False
    attendance_min: Threshold | None = None
    max_counted: Count | None = None
    rank: Literal["oldest_first", "youngest_first"] = "oldest_first"


class ChildRate(_Strict):
    """What a counted child of a given rank, age and schooling brings (the first match wins)."""

    label: Annotated[str, Field(min_length=3, max_length=64)]
    ranks: tuple[int, int] | None = None
    ages: tuple[int, int]
    school: Literal["any", "enrolled", "not_enrolled"] = "any"
    amount: Amount


class BirthRate(_Strict):
    """A one-off grant for a child born in the period, by birth rank among the household's children."""

    label: Annotated[str, Field(min_length=3, max_length=64)]
    birth_rank: Annotated[int, Field(ge=1)]
    amount: Amount


class Benefit(_Strict):
    """One component of what a household receives."""

    component: ProgramId
    per: Literal["household", "member", "child", "birth"]
    when: Literal["always", "no_children", "has_children"] = "always"
    amount: Amount | None = None
    rates: list[ChildRate] = []
    births: list[BirthRate] = []
    in_limits: bool = True

    @model_validator(mode="after")
    def _shape(self) -> "Benefit":
        if self.per in ("household", "member") and self.amount is None:
            raise ValueError(f"a benefit per {self.per} needs an amount")
        if self.per == "child" and not self.rates:
            raise ValueError("a benefit per child needs rates")
        if self.per == "birth" and not self.births:
            raise ValueError("a benefit per birth needs births")
        return self


class Limits(_Strict):
    """The least and the most a household receives from the components counted in limits."""

    minimum: Amount | None = None
    maximum: Amount | None = None


class Emergency(_Strict):
    """How an emergency top-up is switched on: for how many months by default."""

    months: Count
    residence: Literal["on_event_date"] = "on_event_date"


class Program(_Strict):
    """A social program as configuration."""

    id: ProgramId
    name: Annotated[str, Field(min_length=3)]
    version: Annotated[str, Field(min_length=1, max_length=32)]
    status: Literal["published", "illustrative"]
    source: Source
    note: str = ""
    payment: Literal["cash", "contribution"] = "cash"
    eligibility: Eligibility = Eligibility()
    recipient: Recipient
    children: Children | None = None
    benefits: Annotated[list[Benefit], Field(min_length=1)]
    limits: Limits = Limits()
    emergency: Emergency | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "Program":
        needs_children = any(b.per in ("child", "birth") or b.when != "always" for b in self.benefits)
        if (needs_children or "has_children" in self.eligibility.require) and self.children is None:
            raise ValueError("benefits per child or birth, or conditions on children, need [children]")
        if ("emergency_area" in self.eligibility.require) != (self.emergency is not None):
            raise ValueError(
                "an [emergency] section goes with the emergency_area condition, and only with it"
            )
        names = [b.component for b in self.benefits]
        if len(set(names)) != len(names):
            raise ValueError("two benefits share a component name")
        return self


@dataclass(frozen=True)
class LoadedProgram:
    """A program with the file it came from and that file's checksum."""

    program: Program
    path: str
    checksum: str


# ---------------------------------------------------------------- index model


class Term(_Strict):
    """One term of the index: a coefficient times a variable, transformed or compared."""

    variable: Annotated[str, Field(min_length=1)]
    transform: Literal["value", "log", "log1p", "per_person", "equals"] = "value"
    equals: str | None = None
    coefficient: float

    @model_validator(mode="after")
    def _level(self) -> "Term":
        if (self.transform == "equals") != (self.equals is not None):
            raise ValueError("transform 'equals' goes with an `equals` level, and only with it")
        return self

    @property
    def label(self) -> str:
        """Name the term as the explanation shows it."""
        if self.transform == "equals":
            return f"{self.variable} = {self.equals}"
        return self.variable if self.transform == "value" else f"{self.transform}({self.variable})"


class AreaModel(_Strict):
    """The urban or the rural model: a constant, region constants and terms."""

    constant: float
    regions: dict[str, float]
    terms: Annotated[list[Term], Field(min_length=1)]


class IndexSpec(_Strict):
    """A proxy-means-test model: predicted log consumption per person, urban and rural."""

    version: Annotated[str, Field(min_length=1, max_length=48)]
    status: Literal["official", "illustrative", "fitted"]
    note: Annotated[str, Field(min_length=3)]
    source: Source
    target: str = "log of annual consumption per person (MAD)"
    urban: AreaModel
    rural: AreaModel

    def area(self, urban: bool) -> AreaModel:
        """Return the model of an area."""
        return self.urban if urban else self.rural


# ---------------------------------------------------------------- cross-checks


class Checks(_Strict):
    """Thresholds of the cross-checks with the other registries."""

    version: Annotated[str, Field(min_length=1)]
    cnss_wage_above: Threshold
    school_ages: tuple[Count, Count]
    recertify_after_months: Count


# ---------------------------------------------------------------- loading

_M = TypeVar("_M", bound=BaseModel)


def _describe(path: str, exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(top level)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{path}: {where}: {first['msg']}{more}"


def _parse(model: type[_M], text: str, path: str) -> _M:
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidConfiguration(f"{path}: not valid TOML: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidConfiguration(_describe(path, exc)) from None


def _checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_program(path: Path) -> LoadedProgram:
    """Read and validate one program file."""
    text = _read(path)
    program = _parse(Program, text, str(path))
    if program.id != path.stem:
        raise InvalidConfiguration(f"{path}: id: {program.id!r} differs from the file name {path.stem!r}")
    return LoadedProgram(program, str(path), _checksum(text))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidConfiguration(f"{path}: cannot read: {type(exc).__name__}") from None


def shipped_dir(name: str) -> Path:
    """Return the directory of a kind of shipped configuration (programs, index)."""
    return Path(str(resources.files("sijill.social").joinpath(name)))


def load_programs(directory: Path | None = None) -> dict[str, LoadedProgram]:
    """Read every program of a directory (the shipped ones by default), by id."""
    folder = directory or shipped_dir("programs")
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise InvalidConfiguration(f"{folder}: no program files (*.toml)")
    return {p.program.id: p for p in map(load_program, files)}


def load_index(path: Path | None = None) -> IndexSpec:
    """Read an index model file (the shipped default when none is named)."""
    target = path or shipped_dir("index") / DEFAULT_INDEX
    return _parse(IndexSpec, _read(target), str(target))


def index_checksum(spec: IndexSpec) -> str:
    """Return the checksum of a model's content (what a stored version must match)."""
    return _checksum(spec.model_dump_json())


@lru_cache(maxsize=1)
def load_checks() -> Checks:
    """Read the shipped cross-check thresholds."""
    target = shipped_dir("checks") / "checks.toml"
    return _parse(Checks, _read(target), str(target))


DEFAULT_INDEX = "pmt_illustrative.toml"


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _area_toml(name: str, model: AreaModel) -> list[str]:
    lines = [f"[{name}]", f"constant = {model.constant!r}", "", f"[{name}.regions]"]
    lines += [f"{_toml_string(code)} = {value!r}" for code, value in sorted(model.regions.items())]
    for term in model.terms:
        lines += ["", f"[[{name}.terms]]", f"variable = {_toml_string(term.variable)}"]
        if term.transform != "value":
            lines.append(f"transform = {_toml_string(term.transform)}")
        if term.equals is not None:
            lines.append(f"equals = {_toml_string(term.equals)}")
        lines.append(f"coefficient = {term.coefficient!r}")
    return lines


def index_to_toml(spec: IndexSpec, header: str = "") -> str:
    """Write an index model as the TOML that `load_index` reads back."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines += [
        f"version = {_toml_string(spec.version)}",
        f"status = {_toml_string(spec.status)}",
        f"note = {_toml_string(spec.note)}",
        f"source = {_toml_string(spec.source)}",
        f"target = {_toml_string(spec.target)}",
        "",
    ]
    lines += [*_area_toml("urban", spec.urban), "", *_area_toml("rural", spec.rural)]
    return "\n".join(lines) + "\n"
