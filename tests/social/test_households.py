"""Households: import through the crosswalk, registration by UIN, change requests, deaths followed."""

import csv
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from sijill.db.engine import session_scope
from sijill.db.locks import writer_session
from sijill.history import events_of
from sijill.linkage.deterministic import DeterministicLinker
from sijill.register import resolve_source_id, run_build
from sijill.register.events import BirthDeclaration, declare_birth
from sijill.social import (
    Household,
    HouseholdMember,
    HouseholdResidence,
    InvalidHousehold,
    MemberDeclaration,
    RuleRefused,
    decide_change,
    follow_register,
    household_members,
    import_households,
    read_documents,
    register_household,
    request_change,
)
from tests.social.conftest import (
    URBAN,
    H,
    P,
    Register,
    amounts,
    household_ids,
    import_survey,
    run,
    write_households,
)

Make = Callable[[Sequence[P]], Register]


def _members(register: Register, ref: str) -> list[tuple[str | None, str, str, str | None]]:
    with session_scope(register.engine) as session:
        rows = household_members(session=session, household_id=household_ids(register)[ref])
    return [(m["uin"], m["relationship"], m["status"], m["reason"]) for m in rows]


def test_import_maps_members_to_uins_through_their_documents_and_keeps_the_rejected(
    make_register: Make, tmp_path: Path
) -> None:
    register = make_register(
        [
            P("h", "M", "1970-01-01"),
            P("s", "F", "1972-01-01"),
            P("gone", "M", "1940-01-01", died="2024-01-01"),
        ]
    )
    household = H(
        "x", [("h", "head"), ("s", "spouse"), ("gone", "parent"), ("ghost", "son")], documents={"ghost": ""}
    )
    import_survey(register, [household], tmp_path / "h.csv")
    assert _members(register, "x") == [
        (register.uin("h"), "head", "active", None),
        (register.uin("s"), "spouse", "active", None),
        (register.uin("gone"), "parent", "rejected", "deceased"),
        (None, "son", "rejected", "not_in_register"),
    ]
    with session_scope(register.engine) as session:
        household = session.scalars(select(Household)).one()
        assert household.variables == {"pmt": "9.0", "head_marital_status": "married"}
        assert (household.urban, household.region_code) == (True, "04")
        assert [e.action for e in events_of(session=session, entity="household", entity_id=household.id)] == [
            "registered"
        ]


def test_reimporting_a_file_changes_nothing_and_changed_variables_are_updated(
    make_register: Make, tmp_path: Path
) -> None:
    register = make_register([P("h", "M", "1970-01-01")])
    import_survey(register, [H("x", [("h", "head")], pmt=9.0)], tmp_path / "h.csv")
    path = write_households(register, [H("x", [("h", "head")], pmt=9.0)], tmp_path / "again.csv")
    with session_scope(register.engine) as session:
        again = import_households(session=session, path=path, declared_on=date(2025, 12, 1), by="clerk")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    path = write_households(register, [H("x", [("h", "head")], pmt=9.5)], tmp_path / "changed.csv")
    with session_scope(register.engine) as session:
        changed = import_households(session=session, path=path, declared_on=date(2025, 12, 1), by="clerk")
        household = session.scalars(select(Household)).one()
        assert (changed.updated, household.version, household.variables["pmt"]) == (1, 2, "9.5")
        assert session.scalar(select(func.count()).select_from(HouseholdMember)) == 1


def test_rows_that_cannot_be_registered_are_refused_with_their_line_and_reason(
    make_register: Make, tmp_path: Path
) -> None:
    register = make_register(
        [P("a", "M", "1970-01-01"), P("b", "M", "1971-01-01"), P("c", "M", "1972-01-01")]
    )
    households = [
        H("ok", [("a", "head")]),
        H("nowhere", [("b", "head")], commune="99.999.99.99"),
        H("headless", [("c", "son")]),
    ]
    path = write_households(register, households, tmp_path / "h.csv")
    with session_scope(register.engine) as session:
        outcome = import_households(session=session, path=path, declared_on=date(2025, 12, 1), by="clerk")
    assert outcome.created == 1
    assert outcome.refused_lines == [(3, "commune not in the HCP list"), (4, "not exactly one head")]


def test_a_generated_survey_imports_through_the_crosswalk_with_or_without_member_ids(
    engine: Engine, small_sources: Path, tmp_path: Path
) -> None:
    run_build(engine=engine, sources_dir=small_sources, linker=DeterministicLinker(), today=date(2026, 1, 1))
    with session_scope(engine) as session:
        outcome = import_households(
            session=session, path=small_sources / "households.csv", declared_on=date(2025, 12, 1), by="clerk"
        )
        assert outcome.created > 150
        assert outcome.members_accepted / 800 > 0.85
        rows = session.execute(
            select(HouseholdMember.declared_ref, HouseholdMember.uin).where(
                HouseholdMember.status == "active"
            )
        ).all()
        for document, uin in rows[:50]:
            source, _, source_id = document.partition(":")
            assert resolve_source_id(session=session, source=source, source_id=source_id) == uin
    # A file written before member_ids existed: truth.csv names the same documents (the UINs
    # still come from the crosswalk).
    documents = read_documents(small_sources / "truth.csv")
    with (small_sources / "households.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            generator_ids = [m.split(":")[0] for m in row["members"].split(";")]
            assert [documents.get(g, "") for g in generator_ids] == row["member_ids"].split(";")


def test_a_household_registered_by_uin_refuses_an_unknown_dead_or_taken_member(make_register: Make) -> None:
    register = make_register(
        [
            P("h", "M", "1970-01-01"),
            P("s", "F", "1972-01-01"),
            P("dead", "M", "1930-01-01", died="2020-01-01"),
        ]
    )
    members = [MemberDeclaration(register.uin("h"), "head"), MemberDeclaration(register.uin("s"), "spouse")]
    with session_scope(register.engine) as session:
        household = register_household(
            session=session,
            commune=URBAN,
            members=members,
            variables={"pmt": "9"},
            declared_on=date(2026, 1, 1),
            by="agency",
        )
        assert household.head_person_id is not None
    cases = [
        ([MemberDeclaration("2000000001", "head")], "member 1: no person of the register holds this UIN"),
        (
            [MemberDeclaration(register.uin("dead"), "head")],
            "member 1: the register holds this person as deceased",
        ),
        (
            [MemberDeclaration(register.uin("s"), "head")],
            f"member 1: already a member of household {household.id}",
        ),
        ([MemberDeclaration(register.uin("s"), "spouse")], "exactly one member must be the head"),
    ]
    for declared, message in cases:
        with pytest.raises(InvalidHousehold, match=message), session_scope(register.engine) as session:
            register_household(
                session=session,
                commune=URBAN,
                members=declared,
                variables={},
                declared_on=date(2026, 1, 1),
                by="agency",
            )


def _request(register: Register, ref: str, kind: str, payload: dict[str, object], by: str = "clerk") -> int:
    with session_scope(register.engine) as session:
        return request_change(
            session=session, household_id=household_ids(register)[ref], kind=kind, payload=payload, by=by
        ).id


def _decide(register: Register, request: int, by: str = "supervisor", approve: bool = True) -> None:
    with session_scope(register.engine) as session:
        decide_change(session=session, request_id=request, by=by, approve=approve)


def test_a_change_request_is_decided_by_another_person_and_applied_only_when_approved(
    make_register: Make, tmp_path: Path
) -> None:
    register = make_register(
        [P("h", "M", "1970-01-01"), P("new", "F", "1975-01-01"), P("other", "F", "1976-01-01")]
    )
    import_survey(register, [H("x", [("h", "head")])], tmp_path / "h.csv")
    request = _request(register, "x", "add_member", {"uin": register.uin("new"), "relationship": "spouse"})
    with pytest.raises(RuleRefused, match="four eyes"):
        _decide(register, request, by="clerk")
    assert len(_members(register, "x")) == 1
    _decide(register, request)
    assert _members(register, "x")[1] == (register.uin("new"), "spouse", "active", None)
    with pytest.raises(RuleRefused, match="already approved"):
        _decide(register, request, by="third")
    refused = _request(register, "x", "add_member", {"uin": register.uin("other"), "relationship": "parent"})
    _decide(register, refused, approve=False)
    assert len(_members(register, "x")) == 2
    with session_scope(register.engine) as session:
        actions = [
            e.action
            for e in events_of(session=session, entity="household", entity_id=household_ids(register)["x"])
        ]
    assert actions == [
        "registered",
        "change_requested",
        "member_added",
        "change_approved",
        "change_requested",
        "change_rejected",
    ]


def test_a_malformed_change_request_is_refused_with_the_field(make_register: Make, tmp_path: Path) -> None:
    register = make_register([P("h", "M", "1970-01-01")])
    import_survey(register, [H("x", [("h", "head")])], tmp_path / "h.csv")
    with pytest.raises(InvalidHousehold, match="add_member: relationship"):
        _request(register, "x", "add_member", {"uin": register.uin("h"), "relationship": "cousin"})
    with pytest.raises(InvalidHousehold, match="unknown change 'adopt'"):
        _request(register, "x", "adopt", {})


def test_change_head_split_and_move(make_register: Make, tmp_path: Path) -> None:
    people = [
        P("h", "M", "1950-01-01"),
        P("s", "F", "1955-01-01"),
        P("son", "M", "1985-01-01"),
        P("dil", "F", "1987-01-01"),
    ]
    register = make_register(people)
    import_survey(
        register,
        [H("x", [("h", "head"), ("s", "spouse"), ("son", "son"), ("dil", "other")])],
        tmp_path / "h.csv",
    )
    _decide(
        register,
        _request(register, "x", "change_head", {"uin": register.uin("s"), "former_head_as": "spouse"}),
    )
    split = {
        "members": [
            {"uin": register.uin("son"), "relationship": "head"},
            {"uin": register.uin("dil"), "relationship": "spouse"},
        ],
        "commune": "01.511.01.01",
        "since": "2026-02-01",
    }
    _decide(register, _request(register, "x", "split", split))
    _decide(register, _request(register, "x", "move", {"commune": "04.501.05.03", "since": "2026-03-01"}))
    with session_scope(register.engine) as session:
        households = {h.id: h for h in session.scalars(select(Household))}
        old = households[household_ids(register)["x"]]
        new = next(h for h in households.values() if h.ref is None)
        assert (old.commune, old.urban) == ("04.501.05.03", False)
        assert (new.commune, new.declared_on) == ("01.511.01.01", "2026-02-01")
        active = {
            (m.household_id, m.relationship)
            for m in session.scalars(select(HouseholdMember).where(HouseholdMember.status == "active"))
        }
    assert active == {(old.id, "head"), (old.id, "spouse"), (new.id, "head"), (new.id, "spouse")}
    # Each change is an event of the household's history, and the moves a dated residence.
    with session_scope(register.engine) as session:
        history = [
            (e.action, e.detail.get("to"))
            for e in events_of(session=session, entity="household", entity_id=old.id)
            if not e.action.startswith("change_")
        ]
        residences = session.execute(
            select(HouseholdResidence.commune, HouseholdResidence.start_date, HouseholdResidence.end_date)
            .where(HouseholdResidence.household_id == old.id)
            .order_by(HouseholdResidence.id)
        ).all()
        left = session.execute(
            select(HouseholdMember.relationship, HouseholdMember.status, HouseholdMember.end_date)
            .where(HouseholdMember.household_id == old.id, HouseholdMember.status != "active")
            .order_by(HouseholdMember.id)
        ).all()
    assert history == [
        ("registered", None),
        ("head_changed", None),
        ("split", None),
        ("moved", "04.501.05.03"),
    ]
    assert [tuple(r) for r in residences] == [
        (URBAN, "2025-12-01", "2026-03-01"),
        ("04.501.05.03", "2026-03-01", None),
    ]
    assert [(r, s, d) for r, s, d in left] == [
        ("son", "ended", "2026-02-01"),
        ("other", "ended", "2026-02-01"),
    ]


def test_the_death_of_the_head_passes_headship_to_the_widow_who_then_receives_the_orphans_allowance(
    make_register: Make, tmp_path: Path
) -> None:
    people = [
        P("h", "M", "1975-01-01"),
        P("s", "F", "1980-01-01"),
        P("kid", "M", "2022-01-01", attendance=None),
    ]
    register = make_register(people)
    import_survey(register, [H("x", [("h", "head"), ("s", "spouse"), ("kid", "son")])], tmp_path / "h.csv")
    run(register, "2026-02")
    assert amounts(register, "widows_allowance", "2026-02") == {}
    register.die("h", "2026-02-10")
    with session_scope(register.engine) as session:
        followed = follow_register(session=session)
    assert (followed.deaths, followed.heads_changed) == (1, 1)
    assert _members(register, "x")[:2] == [
        (register.uin("h"), "head", "ended", "death"),
        (register.uin("s"), "head", "active", None),
    ]
    run(register, "2026-03")
    assert amounts(register, "widows_allowance", "2026-03") == {"x": 350}


def _declare_birth(register: Register, *, sex: str, born: str, mother: str, father: str | None = None) -> str:
    child = BirthDeclaration(sex=sex, birth_date=born, commune=URBAN, family_lat="alaoui", given_lat="amina")
    with writer_session(register.engine) as session:
        return declare_birth(session, child=child, mother_uin=mother, father_uin=father, by="clerk7").uin


def test_a_birth_declared_to_the_register_joins_the_mothers_household_once(
    make_register: Make, tmp_path: Path
) -> None:
    people = [
        P("h", "M", "1975-01-01"),
        P("s", "F", "1980-01-01"),
        P("d", "F", "2000-01-01"),
        P("lone", "F", "1990-01-01"),
    ]
    register = make_register(people)
    import_survey(register, [H("x", [("h", "head"), ("s", "spouse"), ("d", "daughter")])], tmp_path / "h.csv")
    born = date.today().replace(day=1).isoformat()
    son = _declare_birth(register, sex="M", born=born, mother=register.uin("s"), father=register.uin("h"))
    grandchild = _declare_birth(register, sex="F", born=born, mother=register.uin("d"))
    _declare_birth(register, sex="F", born=born, mother=register.uin("lone"))  # in no household
    _declare_birth(register, sex="M", born="2025-11-30", mother=register.uin("s"))  # before the declaration
    with session_scope(register.engine) as session:
        followed = follow_register(session=session)
    assert followed.births == 2
    assert _members(register, "x")[3:] == [
        (son, "son", "active", None),
        (grandchild, "grandchild", "active", None),
    ]
    with session_scope(register.engine) as session:
        household = session.get(Household, household_ids(register)["x"])
        assert household is not None
        actions = [e.action for e in events_of(session=session, entity="household", entity_id=household.id)]
        starts = session.scalars(
            select(HouseholdMember.start_date).where(HouseholdMember.uin.in_([son, grandchild]))
        ).all()
    assert actions.count("member_born") == 2 and starts == [born, born]
    with session_scope(register.engine) as session:
        again = follow_register(session=session)
    assert again.births == 0 and len(_members(register, "x")) == 5


def test_a_newborn_removed_from_the_household_is_not_added_back(make_register: Make, tmp_path: Path) -> None:
    register = make_register([P("h", "M", "1975-01-01"), P("s", "F", "1980-01-01")])
    import_survey(register, [H("x", [("h", "head"), ("s", "spouse")])], tmp_path / "h.csv")
    son = _declare_birth(
        register, sex="M", born=date.today().replace(day=1).isoformat(), mother=register.uin("s")
    )
    with session_scope(register.engine) as session:
        assert follow_register(session=session).births == 1
    household_id = household_ids(register)["x"]
    with session_scope(register.engine) as session:
        request = request_change(
            session=session,
            household_id=household_id,
            kind="remove_member",
            payload={"uin": son},
            by="agent1",
        )
    with session_scope(register.engine) as session:
        decide_change(session=session, request_id=request.id, approve=True, by="agent2")
    with session_scope(register.engine) as session:
        assert follow_register(session=session).births == 0
    assert [m[2] for m in _members(register, "x") if m[0] == son] == ["ended"]


def test_a_newborn_whose_mother_was_merged_since_joins_the_survivors_household(
    make_register: Make, tmp_path: Path
) -> None:
    from sijill.register.operators import merge_persons

    register = make_register(
        [P("h", "M", "1975-01-01"), P("s", "F", "1980-01-01"), P("twice", "F", "1980-01-02")]
    )
    import_survey(register, [H("x", [("h", "head"), ("s", "spouse")])], tmp_path / "h.csv")
    born = date.today().replace(day=1).isoformat()
    son = _declare_birth(register, sex="M", born=born, mother=register.uin("twice"))
    with writer_session(register.engine) as session:  # the mother was registered twice
        merge_persons(
            session, survivor_uin=register.uin("s"), absorbed_uin=register.uin("twice"), reason="t", by="op"
        )
    with session_scope(register.engine) as session:
        assert follow_register(session=session).births == 1
    assert _members(register, "x")[-1] == (son, "son", "active", None)
