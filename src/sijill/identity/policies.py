"""What an agency may do: the catalogue of operations, eKYC fields and sources, and one policy.

A policy is data, validated here once: the CLI builds it from its options, the register keeps
it, and every request is checked against it before anything else is looked up.
"""

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

# Operations an agency can be allowed, one per endpoint family (the audit names them so too).
OPERATIONS: tuple[str, ...] = (
    "verify",
    "resolve",
    "persons",
    "tokens",
    "events.births",
    "events.deaths",
    "events.read",
    "match",
    "registry.search",
    "registry.subscribe",
    "registry.notify",
    "households.read",
    "households.write",
    "programs.read",
)
# Operations a resident can lock (authentication and disclosure of their record); "*" locks all.
LOCKABLE: tuple[str, ...] = ("verify", "persons", "tokens", "registry.search")
ALL_OPERATIONS = "*"
# Operations that declare life events: the civil registry's alone (its policy names source civil).
DECLARATIONS: tuple[str, ...] = ("events.births", "events.deaths", "registry.notify")
CIVIL_SOURCE = "civil"

# eKYC attributes, as returned by `GET /v1/persons/{uin}` and the SPDCI search.
FIELDS: tuple[str, ...] = (
    "uin",
    "family_name_ar",
    "given_name_ar",
    "family_name_lat",
    "given_name_lat",
    "sex",
    "birth_date",
    "death_date",
)
SOURCES: tuple[str, ...] = ("civil", "cnie", "massar", "cnss", "ramed")

_NAME = re.compile(r"[a-z][a-z0-9_.-]*")


class Policy(BaseModel):
    """One purpose of one agency: the operations, fields, sources and sector it is allowed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    purpose: str
    operations: tuple[str, ...]
    fields: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    sector: str | None = None

    @field_validator("purpose")
    @classmethod
    def _purpose_name(cls, value: str) -> str:
        return _name("purpose", value, 64)

    @field_validator("sector")
    @classmethod
    def _sector_name(cls, value: str | None) -> str | None:
        return None if value is None else _name("sector", value, 32)

    @field_validator("operations")
    @classmethod
    def _known_operations(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _known("operation", value, OPERATIONS)

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _known("field", value, FIELDS)

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _known("source", value, SOURCES)

    @model_validator(mode="after")
    def _complete(self) -> "Policy":
        if not self.operations:
            raise ValueError("a policy allows at least one operation")
        if "resolve" in self.operations and not self.sources:
            raise ValueError("resolve needs --sources: the registries whose ids the agency may resolve")
        if "resolve" in self.operations and "uin" not in self.fields and not self.sector:
            raise ValueError("resolve answers a UIN (field uin) or a sector token (--sector): give one")
        naming = sorted({"events.read", "match"} & set(self.operations))
        if naming and "uin" not in self.fields and not self.sector:
            raise ValueError(
                f"{', '.join(naming)} names persons by UIN (field uin) or sector token (--sector): give one"
            )
        if "match" in self.operations and not self.sources:
            raise ValueError("match needs --sources: the registries whose records the agency may match")
        if "tokens" in self.operations and not self.sector:
            raise ValueError("tokens needs --sector: the sector whose key makes the agency's tokens")
        declares = sorted(set(DECLARATIONS) & set(self.operations))
        if declares and CIVIL_SOURCE not in self.sources:
            raise ValueError(
                f"{', '.join(declares)} declare births and deaths, for the civil registry only: "
                f"give --sources {CIVIL_SOURCE}"
            )
        if ("persons" in self.operations or "registry.search" in self.operations) and not self.fields:
            raise ValueError("persons and registry.search need --fields: the eKYC attributes allowed")
        return self


def _name(kind: str, value: str, longest: int) -> str:
    """Return a purpose or sector name: lower-case letters, digits, '_', '.', '-', from a letter."""
    if not 2 <= len(value) <= longest or not _NAME.fullmatch(value):
        raise ValueError(
            f"a {kind} is 2 to {longest} lower-case letters, digits, _ . or -, starting with a letter"
        )
    return value


def _known(kind: str, values: tuple[str, ...], catalogue: tuple[str, ...]) -> tuple[str, ...]:
    """Return the values sorted and deduplicated, refusing any outside the catalogue."""
    unknown = sorted(set(values) - set(catalogue))
    if unknown:
        raise ValueError(f"unknown {kind} {', '.join(unknown)}: choose among {', '.join(catalogue)}")
    return tuple(sorted(set(values)))


@dataclass(frozen=True)
class AgencyGrant:
    """Who is calling and what they may do: an authenticated credential with its policy."""

    agency_id: int
    agency: str
    credential_id: int
    purpose: str
    operations: frozenset[str]
    fields: frozenset[str]
    sources: frozenset[str]
    sector: str | None
    rate_per_second: int
    sender_id: str | None = None
    public_key: str | None = None

    def allows(self, operation: str) -> bool:
        """Return True when the policy names this operation."""
        return operation in self.operations
