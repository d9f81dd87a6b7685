"""Settings of sijill, read from the environment (prefix SIJILL_) with safe defaults."""

from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the register lives and how hard the machine may be worked."""

    model_config = SettingsConfigDict(env_prefix="SIJILL_", extra="ignore")

    database_url: str = Field(default="sqlite:///sijill.db")
    chunk_size: int = Field(default=20_000, ge=100, le=1_000_000)
    duckdb_memory_limit: str = Field(default="2GB")
    duckdb_threads: int = Field(default=2, ge=1, le=64)
    lock_wait_seconds: float = Field(default=60.0, ge=0, le=86_400)

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError(
                f"unsupported database URL scheme in {value.split(':', 1)[0]!r}: "
                "use sqlite:/// or postgresql+psycopg://"
            )
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the settings of this process."""
    return Settings()
