from __future__ import annotations

from pathlib import Path

import pytest

from mtchat.settings import ConfigError, Settings, normalize_database_url


def test_production_without_secrets_refuses_with_one_line() -> None:
    settings = Settings(jwt_secret=None, admin_jwt_secret=None, admin_api_token=None, mtchat_dev=False)
    with pytest.raises(ConfigError) as info:
        settings.check_production()
    message = str(info.value)
    assert "\n" not in message
    assert "JWT_SECRET" in message and "ADMIN" in message


def test_dev_mode_relaxes_and_reports() -> None:
    settings = Settings(jwt_secret=None, admin_api_token=None, admin_jwt_secret=None, mtchat_dev=True)
    assert settings.check_production()  # warnings returned, no exception


def test_admin_secret_must_differ_from_user_secret() -> None:
    with pytest.raises(ConfigError, match="ADMIN_JWT_SECRET equals"):
        Settings(jwt_secret="same", admin_jwt_secret="same").check_production()


def test_rotated_secrets_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRETS", "new, old")
    monkeypatch.setenv("JWT_SECRET", "new")
    assert Settings().user_secrets == ["new", "old"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite+aiosqlite:////tmp/x.db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_database_url_forms(url: str, expected: str) -> None:
    assert normalize_database_url(url, Path("d")) == expected


def test_embedded_default_is_sqlite_in_data_dir() -> None:
    assert normalize_database_url(None, Path("/data")) == "sqlite+aiosqlite:////data/mtchat.db"
