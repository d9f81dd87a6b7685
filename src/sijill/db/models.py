"""Import every model so the metadata holds the whole schema (for Alembic)."""

from sijill.db.base import Base
from sijill.linkage import models as linkage_models
from sijill.register import models as register_models
from sijill.sources import models as sources_models

__all__ = ["Base", "linkage_models", "register_models", "sources_models"]
