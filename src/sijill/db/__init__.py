"""The register's database: engine, sessions, the writer lock, declarative base and migrations."""

from sijill.db.base import Base
from sijill.db.engine import create_engine_for, migrate, require_register, session_scope
from sijill.db.locks import writer_session

__all__ = ["Base", "create_engine_for", "migrate", "require_register", "session_scope", "writer_session"]
