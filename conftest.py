"""Shared fixtures. Living at the project root also puts the root on sys.path for every test."""

from __future__ import annotations

import os
from contextlib import ExitStack

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


@pytest.fixture(autouse=True)
def own_temp_folder_restored():
    """app.py and the worker point the process's temp folder at the data folder (storage.workdir): in the test
    process that must end with the test, or the next one (a PostgreSQL server, another data folder) inherits it."""
    import tempfile

    saved = tempfile.tempdir, os.environ.get("TMPDIR"), os.umask(0o022)
    os.umask(saved[2])
    yield
    tempfile.tempdir = saved[0]
    if saved[1] is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = saved[1]
    os.umask(saved[2])


BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "backends(*names): run only on these database backends (default: "
                            + ", ".join(BACKENDS) + ")")


def pytest_generate_tests(metafunc) -> None:
    """Every test that touches the database (through the `settings` fixture) runs once per backend:
    sqlite = SQLite + the SQLite queue (one machine), postgresql = PostgreSQL + Redis (scale out)."""
    if "backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        metafunc.parametrize("backend", marker.args if marker else BACKENDS, indirect=True)


@pytest.fixture
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def postgres_cluster():
    """One PostgreSQL server for the whole run (tests/servers.py), stopped at the end even when tests fail."""
    from tests.servers import PostgresCluster

    with PostgresCluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def postgres_head(postgres_cluster, tmp_path_factory) -> str:
    """A database migrated to head once, copied for each test that asks for `migrated`."""
    from storage import db

    name = postgres_cluster.create_database()
    url = postgres_cluster.url(name)
    db.upgrade(Settings(data_dir=tmp_path_factory.mktemp("head") / "data", database_url=url))
    db.engine_for(url).dispose()
    return name


@pytest.fixture
def settings(backend, request, tmp_path, monkeypatch) -> Settings:
    """Settings pointing at a fresh data folder and a fresh database on `backend`, also seen by code that calls
    get_settings() and by worker processes the test starts."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("DOCDESK_DATA_DIR", str(data_dir))
    monkeypatch.delenv("DOCDESK_DATABASE_URL", raising=False)
    monkeypatch.delenv("DOCDESK_QUEUE_URL", raising=False)
    with ExitStack() as cleanup:
        if backend == "postgresql":
            _use_postgres_and_redis(request, tmp_path, monkeypatch, cleanup)
        get_settings.cache_clear()
        yield get_settings()
        get_settings.cache_clear()


def _use_postgres_and_redis(request, tmp_path, monkeypatch, cleanup: ExitStack) -> None:
    from storage import db
    from tests.servers import RedisServer

    cluster = request.getfixturevalue("postgres_cluster")
    # A test that asks for `migrated` gets a copy of the migrated database: much faster than migrating each time.
    template = request.getfixturevalue("postgres_head") if "migrated" in request.fixturenames else None
    name = cluster.create_database(template)
    url = cluster.url(name)
    cleanup.callback(cluster.drop_database, name)
    cleanup.callback(lambda: db.engine_for(url).dispose())
    redis = cleanup.enter_context(RedisServer(tmp_path / "redis"))
    monkeypatch.setenv("DOCDESK_DATABASE_URL", url)
    monkeypatch.setenv("DOCDESK_QUEUE_URL", redis.url)


@pytest.fixture
def migrated(settings) -> Settings:
    """A data folder whose database has every migration applied."""
    from storage import db

    db.upgrade(settings)
    return settings


@pytest.fixture
def session(migrated):
    """A session on the migrated database, committed at the end of the test."""
    from storage.db import session_factory

    with session_factory(migrated).begin() as session:
        yield session
