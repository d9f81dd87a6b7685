"""Fixtures of enrolment: a built register on each backend and a registered field device."""

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, func, select

from sijill.db.engine import create_engine_for, session_scope
from sijill.db.locks import writer_session
from sijill.enrolment import (
    Enrolment,
    EnrolmentBundle,
    EnrolmentForm,
    Evidence,
    add_device,
    new_device_key,
)
from sijill.enrolment.evidence import Document
from sijill.history import HistoryEvent
from sijill.linkage import ReviewItem
from sijill.linkage.splink_linker import SplinkLinker
from sijill.outbox import OutboxEvent
from sijill.register import Link, Person, run_build
from sijill.sources import ACCEPTED, IngestBatch, SourceRecord
from sijill.uin import Uin

TODAY = date(2026, 1, 1)
DEVICE = "tablet-07"
COUNTED = (
    SourceRecord,
    IngestBatch,
    Person,
    Uin,
    Link,
    Enrolment,
    EnrolmentBundle,
    HistoryEvent,
    OutboxEvent,
    ReviewItem,
)


@pytest.fixture
def built(db_url: str, small_sources: Path) -> Iterator[Engine]:
    """Yield an engine on a register built from the shared 800-person sources."""
    engine = create_engine_for(db_url)
    run_build(engine=engine, sources_dir=small_sources, linker=SplinkLinker(), today=TODAY)
    yield engine
    engine.dispose()


@pytest.fixture
def device(built: Engine) -> Ed25519PrivateKey:
    """Register a field device on the built register and return its private key."""
    key = new_device_key()
    from sijill.identity.envelope import raw_public_key

    with writer_session(built) as session:
        add_device(session=session, name=DEVICE, public_key=raw_public_key(key.public_key()), by="admin")
    return key


def row_counts(engine: Engine) -> dict[str, int]:
    """Return the number of rows of every table an enrolment may write."""
    with session_scope(engine) as session:
        return {
            m.__tablename__: int(session.scalar(select(func.count()).select_from(m)) or 0) for m in COUNTED
        }


def held_person_form(engine: Engine, *, client_id: str | None = None) -> tuple[EnrolmentForm, str]:
    """Return a perturbed copy of a built person's civil record as a form, and that person's UIN.

    The Latin given name loses its last letter and the Latin family name is left out, as an
    operator in the field might write them; names in Arabic, sex and birth date are kept.
    """
    with session_scope(engine) as session:
        record, uin = session.execute(
            select(SourceRecord, Person.uin)
            .join(Link, Link.source_record_id == SourceRecord.id)
            .join(Person, Person.id == Link.person_id)
            .where(
                SourceRecord.source == "civil",
                SourceRecord.status == ACCEPTED,
                SourceRecord.birth_precision == "day",
                SourceRecord.given_lat.is_not(None),
                SourceRecord.family_ar.is_not(None),
                SourceRecord.given_ar.is_not(None),
            )
            .order_by(SourceRecord.source_id)
            .limit(1)
        ).one()
        person = {
            "family_ar": record.family_ar,
            "given_ar": record.given_ar,
            "given_lat": str(record.given_lat)[:-1],
            "sex": record.sex,
            "birth_date": record.birth_date,
            "birth_place": record.birth_place or "",
        }
    return EnrolmentForm({k: v for k, v in person.items() if v}, "agent-12", client_id=client_id), uin


def new_person_form(n: int, *, client_id: str | None = None) -> EnrolmentForm:
    """Return the form of a person no registry holds (names the generator never draws)."""
    letters = "bcdfghjklmnpqrstvwxz"
    family = "zq" + "".join(letters[(n * 7 + i * 3) % len(letters)] for i in range(6)) + "ian"
    given = "xy" + "".join(letters[(n * 11 + i * 5) % len(letters)] for i in range(5)) + "a"
    return EnrolmentForm(
        {
            "family_lat": family,
            "given_lat": given,
            "sex": "F" if n % 2 else "M",
            "birth_date": f"19{30 + n % 60:02d}-0{1 + n % 9}-1{n % 10}",
        },
        "agent-12",
        Evidence((Document("birth_certificate", f"BC-{n:05d}"),)),
        client_id=client_id,
    )
