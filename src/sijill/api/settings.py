"""Settings of the HTTP services, read from the environment (prefix SIJILL_API_)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    """Limits and lifetimes of the services; each default is the safe one."""

    model_config = SettingsConfigDict(env_prefix="SIJILL_API_", extra="ignore")

    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024)
    access_token_seconds: int = Field(default=300, ge=30, le=3600)
    resident_session_seconds: int = Field(default=600, ge=60, le=3600)
    credential_cache_seconds: float = Field(default=5.0, ge=0.0, le=60.0)
    matcher_seconds: float = Field(default=300.0, ge=0.0, le=86_400.0)
    workers: int = Field(default=1, ge=1, le=64)
    registry_id: str = Field(default="register.sijill.example.org", max_length=99)
