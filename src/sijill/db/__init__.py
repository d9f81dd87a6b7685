"""The register's database: engine, sessions, declarative base and migrations."""

from sijill.db.base import Base
from sijill.db.engine import create_engine_for, migrate, session_scope

__all__ = ["Base", "create_engine_for", "migrate", "session_scope"]
