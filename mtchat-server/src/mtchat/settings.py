"""Configuration from the environment (SPEC §3).

Secrets have no defaults. ``Settings.check_production`` refuses an insecure start with a one-line
reason unless ``MTCHAT_DEV=true``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class ConfigError(Exception):
    """The configuration cannot run safely; the message is the one line we print."""


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


CsvList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    database_url: str | None = None
    redis_url: str | None = None
    mtchat_data_dir: Path = Path(".mtchat")
    mtchat_dev: bool = False
    mtchat_auto_migrate: bool = True

    jwt_secret: str | None = None
    jwt_secrets: CsvList = Field(default_factory=list)
    admin_jwt_secret: str | None = None
    admin_api_token: str | None = None
    jwt_leeway_seconds: int = 10

    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_timeout_seconds: float = 10.0
    webhook_max_age_seconds: int = 24 * 3600
    webhook_poll_seconds: float = 1.0
    webhook_workers_in_serve: bool = True

    s3_endpoint: str | None = None
    s3_public_endpoint: str | None = None
    s3_bucket: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_region: str = "us-east-1"
    # Browser-facing base URL of this server, used for locally signed upload/download URLs.
    public_url: str | None = None
    storage_secret: str | None = None
    upload_url_ttl_seconds: int = 900
    download_url_ttl_seconds: int = 3600
    max_upload_bytes: int = 100 * 1024 * 1024

    cors_allowed_origins: CsvList = Field(default_factory=list)
    notification_delay_seconds: float = 30.0
    archive_after_seconds: int = 3 * 24 * 3600
    archive_check_seconds: float = 60.0
    rate_limit_per_minute: int = 600
    max_body_bytes: int = 1024 * 1024

    ws_queue_size: int = 256
    presence_ttl_seconds: int = 60
    typing_min_interval_seconds: float = 1.0

    port: int = 8080
    log_level: str = "info"

    _split = field_validator("jwt_secrets", "cors_allowed_origins", mode="before")(_split_csv)

    @property
    def user_secrets(self) -> list[str]:
        """Secrets accepted for user tokens; the first one signs (``mtchat token``)."""
        secrets = [s for s in self.jwt_secrets if s]
        if self.jwt_secret and self.jwt_secret not in secrets:
            secrets.insert(0, self.jwt_secret)
        return secrets

    @property
    def sqlalchemy_url(self) -> str:
        return normalize_database_url(self.database_url, self.mtchat_data_dir)

    @property
    def is_postgres(self) -> bool:
        return self.sqlalchemy_url.startswith("postgresql")

    def check_production(self) -> list[str]:
        """Raise ConfigError for an insecure production start; return warnings for dev mode."""
        problems: list[str] = []
        if not self.user_secrets:
            problems.append("no JWT_SECRET or JWT_SECRETS is set (user tokens cannot be verified)")
        if not (self.admin_jwt_secret or self.admin_api_token):
            problems.append("no ADMIN_JWT_SECRET or ADMIN_API_TOKEN is set (Management API unusable)")
        if self.admin_jwt_secret and self.admin_jwt_secret in self.user_secrets:
            problems.append("ADMIN_JWT_SECRET equals a user JWT secret (users could mint admin tokens)")
        if self.webhook_url and not self.webhook_secret:
            problems.append("WEBHOOK_URL is set without WEBHOOK_SECRET (webhooks would be unsigned)")
        if problems and not self.mtchat_dev:
            raise ConfigError(
                "refusing to start: " + "; ".join(problems) + " (set MTCHAT_DEV=true for local development)"
            )
        return problems


def normalize_database_url(url: str | None, data_dir: Path) -> str:
    """Accept the seed's plain ``postgres://`` form and ``sqlite:///path``; default to embedded SQLite."""
    if not url:
        return f"sqlite+aiosqlite:///{(data_dir / 'mtchat.db').as_posix()}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite://") and not url.startswith("sqlite+"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url
