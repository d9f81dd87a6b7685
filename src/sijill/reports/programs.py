"""Program reach and amounts per cycle, by sex of the recipient, from the social register.

Read through `sijill.social` (its cycles and their entitlements): for each program, every
cycle with its state, households, persons and amount, split by the recipient's sex, and the
reach of its latest cycle by region.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

SEXES = ("F", "M")


@dataclass(frozen=True)
class CycleFigures:
    """One cycle of one program."""

    period: str
    status: str
    households: int
    persons: int
    amount: int
    amount_by_sex: dict[str, int]
    households_by_sex: dict[str, int]


@dataclass
class ProgramFigures:
    """A program's cycles, oldest first, and its latest cycle's reach by region."""

    program: str
    cycles: list[CycleFigures] = field(default_factory=list)
    regions: list[tuple[str, str, dict[str, int]]] = field(default_factory=list)

    @property
    def latest(self) -> CycleFigures | None:
        return self.cycles[-1] if self.cycles else None


def _cycle(
    session: Session, program: str, row: dict[str, object]
) -> tuple[CycleFigures, list[dict[str, object]]]:
    from sijill.social import program_reach

    reach = program_reach(session=session, program=program, period=str(row["period"]))
    amount: dict[str, int] = defaultdict(int)
    households: dict[str, int] = defaultdict(int)
    for r in reach:
        sex = str(r["recipient_sex"] or "?")
        amount[sex] += int(str(r["amount_mad"]))
        households[sex] += int(str(r["households"]))
    figures = CycleFigures(
        period=str(row["period"]),
        status=str(row["status"]),
        households=int(str(row["households"])),
        persons=int(str(row["persons"])),
        amount=int(str(row["amount_mad"])),
        amount_by_sex=dict(amount),
        households_by_sex=dict(households),
    )
    return figures, reach


def program_figures(*, session: Session) -> list[ProgramFigures]:
    """Return every program that has cycles, with its figures."""
    from sijill.social import cycle_amounts

    programs: dict[str, ProgramFigures] = {}
    latest_reach: dict[str, list[dict[str, object]]] = {}
    for row in cycle_amounts(session=session):
        name = str(row["program"])
        figures, reach = _cycle(session, name, row)
        programs.setdefault(name, ProgramFigures(name)).cycles.append(figures)
        latest_reach[name] = reach
    for name, program in programs.items():
        by_region: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for r in latest_reach[name]:
            by_region[(str(r["region_code"]), str(r["region"]))][str(r["recipient_sex"] or "?")] += int(
                str(r["households"])
            )
        program.regions = [(code, region, dict(n)) for (code, region), n in sorted(by_region.items())]
    return sorted(programs.values(), key=lambda p: p.program)
