import os
import stat

import pytest
from sqlalchemy import inspect, text

from storage import db
from storage.models import Base


def test_upgrade_creates_every_table_from_an_empty_database(settings):
    revision = db.upgrade(settings)
    assert revision != "base"
    tables = set(inspect(db.engine_for(settings.sqlalchemy_url)).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_migrations_match_the_models(migrated):
    """A model change without a migration is caught here, not in production."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from storage.models import managed_by_models  # leaves out the FTS5 search index a migration adds

    with db.engine_for(migrated.sqlalchemy_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": managed_by_models})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_migrations_go_down_to_empty_and_up_again(migrated):
    from alembic import command

    command.downgrade(db._alembic_config(migrated), "base")
    assert db.current_revision(migrated) == "base"
    assert set(inspect(db.engine_for(migrated.sqlalchemy_url)).get_table_names()) <= {"alembic_version"}
    assert db.upgrade(migrated) != "base"


def test_upgrade_twice_is_harmless(migrated):
    assert db.upgrade(migrated) == db.current_revision(migrated)


@pytest.mark.backends("sqlite")
def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(migrated):
    with db.engine_for(migrated.sqlalchemy_url).connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def test_data_folder_is_private_to_its_owner(migrated):
    mode = stat.S_IMODE(os.stat(migrated.data_dir).st_mode)
    assert mode == 0o700
