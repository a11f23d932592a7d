"""Engine and session factory, SQLite connection settings, and migrations."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError  # noqa: F401 - re-exported, so services need no SQLAlchemy import
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError  # noqa: F401 - re-exported, so services need no SQLAlchemy import

from settings import Settings, get_settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def prepare_data_dir(settings: Settings) -> None:
    """Create the data folder readable by its owner only: it holds receipts with personal data."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.data_dir, 0o700)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")  # wait for a lock instead of failing at once
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, much faster than FULL
    cursor.close()


@lru_cache
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def session_factory(settings: Settings | None = None) -> sessionmaker[Session]:
    """Use as `with session_factory().begin() as session:` — commit on success, rollback on error."""
    settings = settings or get_settings()
    return _session_factory(settings.sqlalchemy_url)


@lru_cache
def _session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(engine_for(url), expire_on_commit=False)


def _alembic_config(settings: Settings):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = settings.sqlalchemy_url
    return config


def upgrade(settings: Settings | None = None, revision: str = "head") -> str:
    """Apply migrations up to `revision`; returns the revision the database is now at."""
    from alembic import command

    settings = settings or get_settings()
    prepare_data_dir(settings)
    command.upgrade(_alembic_config(settings), revision)
    return current_revision(settings)


def current_revision(settings: Settings | None = None) -> str:
    from alembic.runtime.migration import MigrationContext

    settings = settings or get_settings()
    with engine_for(settings.sqlalchemy_url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() or "base"
