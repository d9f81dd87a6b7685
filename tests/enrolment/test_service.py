"""An enrolment is matched before any UIN: a person held waits for review, a new one gets one UIN."""

import pytest
from sqlalchemy import Engine, select

from sijill.db.engine import session_scope
from sijill.db.locks import writer_session
from sijill.enrolment import (
    ENROLMENT_LINKED,
    ENROLMENT_NEW,
    ENROLMENT_REVIEW,
    Enrolment,
    EnrolmentForm,
    EnrolmentOutcome,
    EnrolmentRefused,
    Evidence,
    Parent,
    enrol_person,
    pending_enrolments,
    settle_enrolment,
)
from sijill.history import events_of
from sijill.outbox import OutboxEvent
from sijill.register import Link, Person, get_person_by_uin
from sijill.register.match import Matcher
from sijill.register.models import PersonRelation
from sijill.sources import HELD, SourceRecord
from tests.enrolment.conftest import TODAY, held_person_form, new_person_form, row_counts


def _enrol(engine: Engine, form: EnrolmentForm) -> EnrolmentOutcome:
    with session_scope(engine) as session:
        matcher = Matcher.load(session, today=TODAY)
    with writer_session(engine) as session:
        return enrol_person(session=session, matcher=matcher, form=form, today=TODAY)


def test_enrolling_a_person_the_register_holds_yields_review_and_no_new_uin(built: Engine) -> None:
    form, uin = held_person_form(built)
    before = row_counts(built)
    outcome = _enrol(built, form)
    assert outcome.outcome == "queued" and outcome.decision in ("link", "review")
    assert outcome.uin is None
    assert uin in {c["uin"] for c in outcome.candidates}
    after = row_counts(built)
    assert after["uin"] == before["uin"] and after["person"] == before["person"]
    assert after["link"] == before["link"] and after["outbox_event"] == before["outbox_event"]
    with session_scope(built) as session:
        enrolment = session.scalars(select(Enrolment).where(Enrolment.number == outcome.number)).one()
        record = session.get(SourceRecord, enrolment.record_id)
        assert enrolment.status == ENROLMENT_REVIEW and enrolment.person_id is None
        assert record is not None and record.status == HELD and record.source == "enrol"
        assert [e.number for e in pending_enrolments(session=session)] == [outcome.number]


def test_a_truly_new_person_gets_one_uin_with_history_and_an_outbox_event(built: Engine) -> None:
    before = row_counts(built)
    outcome = _enrol(built, new_person_form(1))
    assert outcome.outcome == "new" and outcome.decision == "new" and outcome.uin
    after = row_counts(built)
    assert after["uin"] == before["uin"] + 1 and after["person"] == before["person"] + 1
    with session_scope(built) as session:
        person = get_person_by_uin(session=session, uin=outcome.uin)
        enrolment = session.scalars(select(Enrolment).where(Enrolment.number == outcome.number)).one()
        assert person is not None and enrolment.status == ENROLMENT_NEW and enrolment.person_id == person.id
        assert enrolment.evidence["documents"] == [{"type": "birth_certificate", "number": "BC-00001"}]
        linked = session.scalar(select(Link.person_id).where(Link.source_record_id == enrolment.record_id))
        assert linked == person.id
        events = session.scalars(select(OutboxEvent).where(OutboxEvent.uin == outcome.uin)).all()
        assert [e.kind for e in events] == ["new_person"]
        assert events[0].payload["enrolment"] == outcome.number
        assert "created" in [
            e.action for e in events_of(session=session, entity="person", entity_id=person.id)
        ]
        assert [
            e.action for e in events_of(session=session, entity="enrolment", entity_id=str(outcome.number))
        ] == ["enrolled"]


def test_an_unknown_witness_refuses_the_enrolment_and_writes_nothing(built: Engine) -> None:
    form = new_person_form(2)
    form = EnrolmentForm(form.person, form.operator, Evidence(witnesses=("2345678901",)))
    before = row_counts(built)
    with pytest.raises(EnrolmentRefused, match="witness 1"):
        _enrol(built, form)
    assert row_counts(built) == before


def test_a_reviewer_links_a_held_enrolment_to_the_person_without_a_new_uin(built: Engine) -> None:
    form, uin = held_person_form(built)
    outcome = _enrol(built, form)
    before = row_counts(built)
    with writer_session(built) as session:
        done = settle_enrolment(
            session=session, number=str(outcome.number), decision="link", reviewer="amina", uin=uin
        )
    assert done.status == ENROLMENT_LINKED and done.uin == uin
    after = row_counts(built)
    assert after["uin"] == before["uin"] and after["person"] == before["person"]
    with session_scope(built) as session:
        enrolment = session.scalars(select(Enrolment).where(Enrolment.number == outcome.number)).one()
        person = get_person_by_uin(session=session, uin=uin)
        assert person is not None and enrolment.person_id == person.id
        assert (
            session.scalar(select(Link.person_id).where(Link.source_record_id == enrolment.record_id))
            == person.id
        )
        assert pending_enrolments(session=session) == []


def test_a_reviewer_who_finds_a_held_enrolment_new_issues_exactly_one_uin(built: Engine) -> None:
    form, uin = held_person_form(built)
    outcome = _enrol(built, form)
    before = row_counts(built)
    with writer_session(built) as session:
        done = settle_enrolment(session=session, number=str(outcome.number), decision="new", reviewer="amina")
    assert done.status == ENROLMENT_NEW and done.uin != uin
    after = row_counts(built)
    assert after["uin"] == before["uin"] + 1 and after["person"] == before["person"] + 1
    with session_scope(built) as session:
        assert session.scalar(select(Person.id).where(Person.uin == done.uin)) is not None


def test_a_new_person_enrolled_with_a_mother_is_recorded_as_her_child(built: Engine) -> None:
    with session_scope(built) as session:
        mother = session.scalars(
            select(Person).where(Person.status == "active", Person.sex == "F").order_by(Person.id).limit(1)
        ).one()
        mother_id, mother_uin = mother.id, mother.uin
    form = new_person_form(40)
    form = EnrolmentForm(form.person, form.operator, Evidence(parents=(Parent(mother_uin, "mother"),)))
    outcome = _enrol(built, form)
    assert outcome.outcome == "new"
    with session_scope(built) as session:
        child = get_person_by_uin(session=session, uin=str(outcome.uin))
        assert child is not None
        relations = session.execute(
            select(PersonRelation.relation, PersonRelation.relative_id).where(
                PersonRelation.person_id == child.id
            )
        ).all()
        assert [tuple(r) for r in relations] == [("mother", mother_id)]
