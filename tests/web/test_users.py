"""Desk users: scrypt digests, validation, lockout, sessions ended on a password change."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from sijill.db.engine import session_scope
from sijill.errors import NotFound, UsageError
from sijill.web import create_user, set_password
from sijill.web.models import DeskSession
from sijill.web.sessions import open_session
from sijill.web.users import MAX_FAILED_LOGINS, authenticate, hash_password, password_matches, set_active


@settings(max_examples=10, deadline=None)
@given(st.text(min_size=10, max_size=40))
def test_a_password_matches_its_digest_and_nothing_else(password: str) -> None:
    stored = hash_password(password)
    assert stored.startswith("scrypt$") and password not in stored.split("$")
    assert password_matches(password, stored)
    assert not password_matches(password + "x", stored)


def test_two_digests_of_one_password_differ_by_their_salt() -> None:
    assert hash_password("same-password") != hash_password("same-password")


def test_a_malformed_digest_matches_nothing() -> None:
    assert not password_matches("x", "plain-text")
    assert not password_matches("x", "bcrypt$1$2$3$4$5")


@pytest.mark.parametrize(
    ("name", "role", "password", "message"),
    [
        ("amina", "admin", "long-enough-1", "unknown role"),
        ("amina", "reviewer", "short", "at least 10"),
        ("amina ben", "reviewer", "long-enough-1", "user name"),
    ],
)
def test_a_user_needs_a_known_role_a_long_password_and_a_plain_name(
    engine: Engine, name: str, role: str, password: str, message: str
) -> None:
    with pytest.raises(UsageError, match=message), session_scope(engine) as session:
        create_user(session=session, name=name, role=role, password=password)


def test_a_name_is_taken_once(engine: Engine) -> None:
    with session_scope(engine) as session:
        create_user(session=session, name="amina", role="reviewer", password="long-enough-1")
    with pytest.raises(UsageError, match="already exists"), session_scope(engine) as session:
        create_user(session=session, name="amina", role="auditor", password="long-enough-2")


def test_repeated_failures_lock_the_account_even_for_the_right_password(engine: Engine) -> None:
    with session_scope(engine) as session:
        create_user(session=session, name="amina", role="reviewer", password="long-enough-1")
    for _ in range(MAX_FAILED_LOGINS):
        with session_scope(engine) as session:
            assert authenticate(session=session, name="amina", password="wrong-password") is None
    with session_scope(engine) as session:
        assert authenticate(session=session, name="amina", password="long-enough-1") is None
        set_password(session=session, name="amina", password="long-enough-2")
    with session_scope(engine) as session:
        assert authenticate(session=session, name="amina", password="long-enough-2") is not None


def test_an_unknown_or_disabled_user_cannot_sign_in(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert authenticate(session=session, name="nobody", password="long-enough-1") is None
        create_user(session=session, name="amina", role="reviewer", password="long-enough-1")
        set_active(session=session, name="amina", active=False)
        assert authenticate(session=session, name="amina", password="long-enough-1") is None
    with pytest.raises(NotFound), session_scope(engine) as session:
        set_active(session=session, name="nobody", active=False)


def test_a_new_password_ends_every_session_of_the_user(engine: Engine) -> None:
    with session_scope(engine) as session:
        user = create_user(session=session, name="amina", role="reviewer", password="long-enough-1")
        open_session(session=session, user=user)
        open_session(session=session, user=user)
    with session_scope(engine) as session:
        set_password(session=session, name="amina", password="long-enough-2")
    with session_scope(engine) as session:
        assert session.scalars(select(DeskSession)).all() == []


def test_the_session_cookie_itself_is_never_stored(engine: Engine) -> None:
    with session_scope(engine) as session:
        user = create_user(session=session, name="amina", role="reviewer", password="long-enough-1")
        token = open_session(session=session, user=user)
    with session_scope(engine) as session:
        row = session.scalars(select(DeskSession)).one()
        assert row.id != token and len(row.id) == 64 and row.csrf != token
