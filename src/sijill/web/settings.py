"""Settings of the desk: the process's (environment, prefix SIJILL_DESK_) and the register's.

How long sessions and leases last belongs to the process that serves the desk; the share of
the census population a register is meant to hold (1 for a national register, less for a
pilot or a synthetic sample) belongs to the register, so it is kept in the `desk_setting`
table and set once, by whoever builds that register.
"""

from datetime import timedelta
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.orm import Session

from sijill.errors import UsageError
from sijill.web.models import DeskSetting

CENSUS_SHARE = "census_share"


class DeskSettings(BaseSettings):
    """How long a session, an idle session and a review lease last; cookie security."""

    model_config = SettingsConfigDict(env_prefix="SIJILL_DESK_", extra="ignore")

    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_max_hours: int = Field(default=12, ge=1, le=7 * 24)
    lease_minutes: int = Field(default=15, ge=1, le=24 * 60)
    secure_cookies: bool = Field(default=False, description="Send cookies only over HTTPS, always")

    @property
    def idle(self) -> timedelta:
        return timedelta(minutes=self.session_idle_minutes)

    @property
    def max_age(self) -> timedelta:
        return timedelta(hours=self.session_max_hours)

    @property
    def lease(self) -> timedelta:
        return timedelta(minutes=self.lease_minutes)


@lru_cache(maxsize=1)
def desk_settings() -> DeskSettings:
    """Return the desk settings of this process."""
    return DeskSettings()


def get_census_share(*, session: Session) -> float:
    """Return the share of the 2024 census population this register is meant to hold."""
    row = session.get(DeskSetting, CENSUS_SHARE)
    return float(row.value) if row is not None else 1.0


def set_census_share(*, session: Session, share: float) -> None:
    """Say which share of the census population this register is meant to hold (0 < share <= 1)."""
    if not 0 < share <= 1:
        raise UsageError(f"the census share must be in (0, 1]; got {share}")
    row = session.get(DeskSetting, CENSUS_SHARE)
    if row is None:
        session.add(DeskSetting(name=CENSUS_SHARE, value=share))
    else:
        row.value = share
