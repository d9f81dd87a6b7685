"""Import every model so the metadata holds the whole schema (for Alembic)."""

from sijill.db.base import Base
from sijill.enrolment import models as enrolment_models
from sijill.history import models as history_models
from sijill.identity import models as identity_models
from sijill.linkage import models as linkage_models
from sijill.outbox import models as outbox_models
from sijill.register import models as register_models
from sijill.social import models as social_models
from sijill.sources import models as sources_models
from sijill.uin import models as uin_models
from sijill.web import models as web_models

__all__ = [
    "Base",
    "enrolment_models",
    "history_models",
    "identity_models",
    "linkage_models",
    "outbox_models",
    "register_models",
    "social_models",
    "sources_models",
    "uin_models",
    "web_models",
]
