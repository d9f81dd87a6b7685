"""A small register built from hand-written extracts, and household files written by the tests.

Each test names its persons (sex, birth date, death, schooling, wages); the fixture writes
civil, MASSAR and CNSS extracts for them, builds the register with the deterministic linker
(records of one person share names, birth date and sex) and hands back their UINs.
"""

import csv
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sijill.db.engine import session_scope
from sijill.linkage.deterministic import DeterministicLinker
from sijill.register import resolve_source_id, run_build
from sijill.social.config import AreaModel, IndexSpec, Term
from sijill.synth.names import name_list

TODAY = date.today()  # deaths recorded by the tests must not lie in the future
URBAN = "04.441.01.0"  # Rabat (urban)
RURAL = "04.501.05.03"  # a rural commune of the same region
OTHER_URBAN = "01.511.01.01"


@dataclass
class P:
    """A person of the test register."""

    key: str
    sex: str
    born: str
    died: str = ""
    attendance: float | None = None
    wage: int | None = None


@dataclass
class Register:
    """The test register: its engine, its sources directory and the persons' ids."""

    engine: Engine
    sources: Path
    persons: dict[str, P] = field(default_factory=dict)
    acts: dict[str, str] = field(default_factory=dict)

    def session(self) -> Iterator[Session]:
        return session_scope(self.engine)  # type: ignore[return-value]

    def uin(self, key: str) -> str:
        with session_scope(self.engine) as session:
            uin = resolve_source_id(session=session, source="civil", source_id=self.acts[key])
        assert uin is not None
        return uin

    def document(self, key: str) -> str:
        return f"civil:{self.acts[key]}"

    def die(self, key: str, on: str) -> None:
        """Record a death: a new civil extract with the date annotated, built again."""
        self.persons[key].died = on
        self.write()
        build(self)

    def write(self) -> None:
        _write_extracts(self.sources, list(self.persons.values()), self.acts)


def _names() -> dict[str, list[tuple[str, str]]]:
    def pairs(kind: str) -> list[tuple[str, str]]:
        return [(e.arabic, e.spellings[0]) for e in name_list(kind)]

    return {"M": pairs("given_male"), "F": pairs("given_female"), "family": pairs("family")}


NAMES = _names()


def _identity(index: int, p: P) -> dict[str, str]:
    given = NAMES[p.sex][index % len(NAMES[p.sex])]
    family = NAMES["family"][index // len(NAMES[p.sex]) + 3]
    return {"nom_ar": family[0], "prenom_ar": given[0], "nom_fr": family[1], "prenom_fr": given[1]}


def _dmy(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


def _write_extracts(directory: Path, persons: Sequence[P], acts: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    civil, cnie, massar, cnss = [], [], [], []
    for i, p in enumerate(persons):
        ident = _identity(i, p)
        card = f"BK{100000 + i}" if int(p.born[:4]) <= TODAY.year - 16 else ""
        if card:
            cnie.append({"cnie": card, **ident, "sexe": p.sex, "date_naissance": _dmy(p.born)})
        acts.setdefault(p.key, f"{URBAN}/{p.born[:4]}/{i + 1:05d}")
        civil.append(
            {
                "acte_id": acts[p.key],
                **ident,
                "sexe": p.sex,
                "date_naissance": p.born,
                "commune_naissance": URBAN,
                "prenom_pere_ar": "",
                "date_deces": p.died,
            }
        )
        if p.attendance is not None:
            massar.append(
                {
                    "code_massar": f"G{i + 1:09d}",
                    **ident,
                    "sexe": p.sex,
                    "date_naissance": p.born,
                    "assiduite": f"{p.attendance:.2f}",
                }
            )
        if p.wage is not None:
            cnss.append(
                {
                    "num_immatriculation": f"{100000001 + i}",
                    "cnie": card,
                    "nom": ident["nom_fr"].upper(),
                    "prenom": ident["prenom_fr"].upper(),
                    "date_naissance": _dmy(p.born),
                    "sexe": p.sex,
                    "salaire_mensuel": str(p.wage),
                }
            )
    for name, rows, columns in (
        (
            "civil",
            civil,
            [
                "acte_id",
                "nom_ar",
                "prenom_ar",
                "nom_fr",
                "prenom_fr",
                "sexe",
                "date_naissance",
                "commune_naissance",
                "prenom_pere_ar",
                "date_deces",
            ],
        ),
        ("cnie", cnie, ["cnie", "nom_ar", "prenom_ar", "nom_fr", "prenom_fr", "sexe", "date_naissance"]),
        (
            "massar",
            massar,
            [
                "code_massar",
                "nom_fr",
                "prenom_fr",
                "nom_ar",
                "prenom_ar",
                "sexe",
                "date_naissance",
                "assiduite",
            ],
        ),
        (
            "cnss",
            cnss,
            ["num_immatriculation", "cnie", "nom", "prenom", "date_naissance", "sexe", "salaire_mensuel"],
        ),
    ):
        path = directory / f"{name}.csv"
        if not rows:
            path.unlink(missing_ok=True)
            continue
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)


def build(register: Register) -> None:
    run_build(engine=register.engine, sources_dir=register.sources, linker=DeterministicLinker(), today=TODAY)


@pytest.fixture
def make_register(engine: Engine, tmp_path: Path) -> Callable[[Sequence[P]], Register]:
    """Return a function that builds the register of these persons."""

    def make(persons: Sequence[P]) -> Register:
        # Copies: a test that records a death must not change the persons of the next test.
        register = Register(engine, tmp_path / "sources", {p.key: replace(p) for p in persons})
        register.write()
        build(register)
        return register

    return make


@dataclass
class H:
    """A household of a test survey file: members as (person key, relationship)."""

    ref: str
    members: list[tuple[str, str]]
    commune: str = URBAN
    pmt: float = 9.0
    marital: str = "married"
    documents: dict[str, str] = field(default_factory=dict)


def write_households(register: Register, households: Sequence[H], path: Path) -> Path:
    """Write a survey file in the generator's format, members declared by their birth act."""
    columns = [
        "household_id",
        "commune",
        "area",
        "members",
        "member_ids",
        "size",
        "pmt",
        "head_marital_status",
    ]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for h in households:
            docs = [
                h.documents.get(k, register.document(k) if k in register.acts else "") for k, _ in h.members
            ]
            writer.writerow(
                [
                    h.ref,
                    h.commune,
                    "urban",
                    ";".join(f"{k}:{rel}" for k, rel in h.members),
                    ";".join(docs),
                    len(h.members),
                    repr(h.pmt),
                    h.marital,
                ]
            )
    return path


def test_index() -> IndexSpec:
    """An index whose score is the household's `pmt` variable, so tests set it exactly."""
    area = AreaModel(
        constant=0.0,
        regions={f"{r:02d}": 0.0 for r in range(1, 13)},
        terms=[Term(variable="pmt", coefficient=1.0)],
    )
    return IndexSpec(
        version="test-identity",
        status="illustrative",
        note="score = pmt",
        source="tests",
        urban=area,
        rural=area,
    )


DECLARED = date(2025, 12, 1)


def import_survey(
    register: Register, households: Sequence[H], path: Path, declared_on: date = DECLARED
) -> None:
    """Write and import a survey file of these households."""
    from sijill.social import import_households

    write_households(register, households, path)
    with session_scope(register.engine) as session:
        import_households(session=session, path=path, declared_on=declared_on, by="clerk")


def run(
    register: Register, period: str, out: Path | None = None, by: str = "preparer", **kwargs: object
) -> None:
    """Prepare the cycles of a period with the test index."""
    from sijill.social import run_cycle

    with session_scope(register.engine) as session:
        run_cycle(session=session, period=period, by=by, out_dir=out, index=test_index(), **kwargs)  # type: ignore[arg-type]


def household_ids(register: Register) -> dict[str, int]:
    """Return each test household's id by its reference."""
    from sqlalchemy import select

    from sijill.social import Household

    with session_scope(register.engine) as session:
        return {r: i for r, i in session.execute(select(Household.ref, Household.id)) if r is not None}


def amounts(register: Register, program: str, period: str) -> dict[str, int]:
    """Return the amount due to each household (by reference) from a program for a period."""
    from sqlalchemy import select

    from sijill.social import Entitlement, Household

    with session_scope(register.engine) as session:
        stmt = (
            select(Household.ref, Entitlement.amount_mad)
            .join(Household, Household.id == Entitlement.household_id)
            .where(Entitlement.program == program, Entitlement.period == period)
        )
        return {str(r): int(a) for r, a in session.execute(stmt)}


def recipient(register: Register, program: str, period: str, ref: str) -> str:
    """Return the UIN that receives a household's payment."""
    from sqlalchemy import select

    from sijill.social import Entitlement, Household

    with session_scope(register.engine) as session:
        stmt = (
            select(Entitlement.recipient_uin)
            .join(Household, Household.id == Entitlement.household_id)
            .where(Entitlement.program == program, Entitlement.period == period, Household.ref == ref)
        )
        found = session.scalars(stmt).first()
    assert found is not None
    return found


def exclusions(register: Register, program: str, period: str) -> dict[tuple[str, str], tuple[int, int]]:
    """Return (reason, detail) -> (households, persons) of a program's cycle."""
    from sijill.social import exclusions_of

    with session_scope(register.engine) as session:
        rows = exclusions_of(session=session, period=period, program=program)
    return {(r["reason"], r["detail"]): (r["households"], r["persons"]) for r in rows}
