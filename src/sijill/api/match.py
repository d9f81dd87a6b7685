"""`POST /v1/match`: online matching of one record of an agency's registry, changing nothing.

The record is a row of the source's extract (its own columns, as `sijill match` reads them);
the register answers as a rebuild would decide (`sijill.register.Matcher`): link (to a
person), review, or new. Persons are named as the policy says, by UIN (field `uin`) or by the
agency's sector token; only persons with a UIN are named, each one in their access list.
The matcher holds the register in memory: it is loaded on the first call of a process and
reloaded when older than `SIJILL_API_MATCHER_SECONDS`, and serves one call at a time.
"""

import threading
import time
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from sijill.api.deps import AgencyCall, SessionDep, require
from sijill.api.identity import sector_key
from sijill.api.runtime import Services
from sijill.api.schemas import ERRORS, Source, Strict, Text
from sijill.errors import LinkageError, SijillError
from sijill.identity import InvalidRequest, OutsidePolicy, sector_token_with
from sijill.register import Matcher, MatchResult

router = APIRouter(prefix="/v1", tags=["match"], responses=ERRORS)
ERROR_STATUSES: dict[type[SijillError], int] = {LinkageError: 503}
INVALID = "invalid"

Column = Annotated[str, Field(min_length=1, max_length=64)]
Value = Annotated[Text, Field(max_length=256)]


class MatchCreate(Strict):
    """One record of a registry's extract: the source and the row's columns."""

    source: Source
    record: dict[Column, Value] = Field(max_length=64, description="The row, by the extract's column names")


class CandidateRead(BaseModel):
    """A person the record may be, by UIN or sector token, and how likely."""

    uin: str | None = None
    token: str | None = None
    probability: float


class MatchRead(BaseModel):
    """What the register makes of the record."""

    source_id: str | None
    decision: Literal["link", "review", "new"]
    uin: str | None = None
    token: str | None = None
    candidates: list[CandidateRead]


class MatcherHolder:
    """The process's matcher, loaded on first use, caught up with the register's changes on
    every call (`Matcher.catch_up`), reloaded whole when older than `matcher_seconds`, used by
    one call at a time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.matcher: Matcher | None = None
        self.loaded_at = 0.0

    def match(self, services: Services, source: str, row: dict[str, str]) -> MatchResult:
        """Match a row with a fresh enough matcher."""
        with self.lock:
            age = time.monotonic() - self.loaded_at
            if self.matcher is None or age > services.settings.matcher_seconds:
                with services.session() as session:
                    self.matcher = Matcher.load(session)
                self.loaded_at = time.monotonic()
            else:
                with services.session() as session:
                    self.matcher.catch_up(session)
            return self.matcher.match(source, row)


def _holder(services: Services) -> MatcherHolder:
    holder: MatcherHolder = services.extensions.setdefault("matcher", MatcherHolder())
    return holder


@router.post(
    "/match", summary="Online matching of one record (changes nothing)", response_model_exclude_none=True
)
def match(
    body: MatchCreate, call: Annotated[AgencyCall, Depends(require("match"))], session: SessionDep
) -> MatchRead:
    """Return the decision for the record and its likely persons, named as the policy says."""
    grant = call.grant
    if body.source not in grant.sources:
        raise OutsidePolicy(body.source)
    result = _holder(call.services).match(call.services, body.source, dict(body.record))
    if result.decision == INVALID:
        raise InvalidRequest(f"record: {result.reason}")
    call.audit.outcome = result.decision
    name = _namer(call, session)
    answer = MatchRead(source_id=result.source_id, decision=result.decision, candidates=[])  # type: ignore[arg-type]
    if result.uin is not None:
        answer.uin, answer.token = name(result.uin)
    for candidate in result.candidates:
        if candidate.uin is not None:
            uin, token = name(candidate.uin)
            answer.candidates.append(
                CandidateRead(uin=uin, token=token, probability=round(candidate.probability, 4))
            )
    return answer


def _namer(call: AgencyCall, session: Session) -> Callable[[str], tuple[str | None, str | None]]:
    """Return how this agency names a person (UIN or sector token); each person named is audited."""
    grant, audit = call.grant, call.audit
    assert "uin" in grant.fields or grant.sector is not None  # a policy allowing match names one
    key = None if "uin" in grant.fields else sector_key(call.services, session, grant.sector or "")
    named: set[str] = set()

    def name(uin: str) -> tuple[str | None, str | None]:
        if uin not in named:
            named.add(uin)
            audit.touched.append((uin, "match", ("uin",) if key is None else ("token",)))
        return (uin, None) if key is None else (None, sector_token_with(key, uin))

    return name
