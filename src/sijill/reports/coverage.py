"""Coverage of the register against the 2024 census: by region, by commune type, by commune.

A person is placed in the commune where the register last saw them live: the residence of a
RAMED record, else the commune of birth of a civil act. (Once the social register holds
households, their commune comes first.) The census population is scaled by the share of it
the register is meant to hold (1 for a national register, less for a pilot or a synthetic
sample), so that `gap` says how many persons are missing where field enrolment should go.
"""

import re
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from sijill.geo import communes, regions
from sijill.register.models import PERSON_ACTIVE, Link, Person
from sijill.sources.models import ACCEPTED, SourceRecord

_COMMUNE_CODE = re.compile(r"^\d{2}\.\d{3}\.\d{2}\.\d{1,2}$")
# Where a person lives, most telling first: a declared residence, then the commune of birth.
PLACE_RANK = {"ramed": 0, "civil": 1}


@dataclass(frozen=True)
class Area:
    """Persons of the register in one area against its census population."""

    code: str
    name_fr: str
    name_ar: str
    persons: int
    census: int
    expected: float

    @property
    def coverage(self) -> float:
        return self.persons / self.expected if self.expected else 0.0

    @property
    def gap(self) -> float:
        return max(self.expected - self.persons, 0.0)


@dataclass
class Coverage:
    """The register's coverage at every level, and the persons it cannot place."""

    share: float
    persons: int = 0
    unplaced: int = 0
    regions: list[Area] = field(default_factory=list)
    commune_types: list[Area] = field(default_factory=list)
    communes: list[Area] = field(default_factory=list)

    @property
    def national(self) -> Area:
        census = sum(c.population for c in communes().values())
        placed = self.persons - self.unplaced
        return Area("MA", "Maroc", "المغرب", placed, census, census * self.share)


def person_communes(*, session: Session) -> dict[int, str]:
    """Return person id -> the commune code where each active person is placed."""
    stmt = (
        select(Link.person_id, SourceRecord.source, SourceRecord.commune, SourceRecord.birth_place)
        .join(SourceRecord, SourceRecord.id == Link.source_record_id)
        .join(Person, Person.id == Link.person_id)
        .where(
            Person.status == PERSON_ACTIVE,
            SourceRecord.status == ACCEPTED,
            or_(
                and_(SourceRecord.source == "ramed", SourceRecord.commune.is_not(None)),
                and_(SourceRecord.source == "civil", SourceRecord.birth_place.is_not(None)),
            ),
        )
    )
    known = communes()
    best: dict[int, tuple[int, str]] = {}
    for person, source, commune, birth_place in session.execute(stmt):
        code = commune if source == "ramed" else birth_place
        if not code or not _COMMUNE_CODE.match(code) or code not in known:
            continue
        rank = PLACE_RANK[source]
        if person not in best or rank < best[person][0]:
            best[person] = (rank, code)
    return {p: code for p, (_, code) in best.items()}


def _active_persons(session: Session) -> int:
    return int(session.scalar(select(func.count()).where(Person.status == PERSON_ACTIVE)) or 0)


def _areas(
    counts: Counter[str], names: dict[str, tuple[str, str]], census: Counter[str], share: float
) -> list[Area]:
    return [
        Area(code, *names[code], counts.get(code, 0), census[code], census[code] * share)
        for code in sorted(census)
    ]


def coverage(*, session: Session, share: float = 1.0) -> Coverage:
    """Return the register's coverage by region, commune type and commune, largest gap first."""
    placed = person_communes(session=session)
    known = communes()
    result = Coverage(share=share, persons=_active_persons(session))
    result.unplaced = result.persons - len(placed)
    by_commune = Counter(placed.values())
    census_commune = Counter({c.code: c.population for c in known.values()})
    names = {c.code: (c.name_fr, c.name_ar) for c in known.values()}
    result.communes = sorted(_areas(by_commune, names, census_commune, share), key=lambda a: (-a.gap, a.code))
    region_of = {c.code: c.region_code for c in known.values()}
    by_region = Counter({r: 0 for r in regions()})
    census_region: Counter[str] = Counter()
    for c in known.values():
        census_region[c.region_code] += c.population
    for code, n in by_commune.items():
        by_region[region_of[code]] += n
    region_names = {r.code: (r.name_fr, r.name_ar) for r in regions().values()}
    result.regions = _areas(by_region, region_names, census_region, share)
    kind = {c.code: "urban" if c.urban else "rural" for c in known.values()}
    by_type: Counter[str] = Counter()
    census_type: Counter[str] = Counter()
    for code, n in by_commune.items():
        by_type[kind[code]] += n
    for c in known.values():
        census_type[kind[c.code]] += c.population
    result.commune_types = _areas(
        by_type, {"urban": ("urbain", "حضري"), "rural": ("rural", "قروي")}, census_type, share
    )
    return result
