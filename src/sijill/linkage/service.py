"""Trained linkage models kept in the register, versioned."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sijill.linkage.models import LinkageModel


def latest_model(*, session: Session) -> LinkageModel | None:
    """Return the newest trained model, or None."""
    stmt = select(LinkageModel).order_by(LinkageModel.version.desc()).limit(1)
    return session.scalars(stmt).first()


def save_model(*, session: Session, settings: dict[str, Any], training: dict[str, Any]) -> LinkageModel:
    """Store a newly trained model under the next version number."""
    version = int(session.scalar(select(func.coalesce(func.max(LinkageModel.version), 0))) or 0) + 1
    model = LinkageModel(version=version, settings=settings, training=training)
    session.add(model)
    session.flush()
    return model
