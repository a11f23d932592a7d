"""Shared fixtures. Living at the project root also puts the root on sys.path for every test."""

from __future__ import annotations

import os

import pytest

from settings import Settings, get_settings

# Tests read pages in this process too, and run as an entry point of their own (`make test` exports it already).
os.environ.setdefault("OMP_THREAD_LIMIT", "1")


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """argon2 with the cheapest parameters: tests create and sign in many users; production keeps the defaults."""
    from argon2 import PasswordHasher

    from services import users

    real = users._hasher, users._DUMMY_HASH
    users._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    users._DUMMY_HASH = users._hasher.hash("not a real password")
    yield
    users._hasher, users._DUMMY_HASH = real


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """Settings pointing at a fresh data folder, also seen by code that calls get_settings()."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("DOCDESK_DATA_DIR", str(data_dir))
    monkeypatch.delenv("DOCDESK_DATABASE_URL", raising=False)
    monkeypatch.delenv("DOCDESK_QUEUE_URL", raising=False)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def migrated(settings) -> Settings:
    """A data folder whose SQLite database has every migration applied."""
    from storage import db

    db.upgrade(settings)
    return settings


@pytest.fixture
def session(migrated):
    """A session on the migrated database, committed at the end of the test."""
    from storage.db import session_factory

    with session_factory(migrated).begin() as session:
        yield session
