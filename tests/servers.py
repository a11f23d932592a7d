"""Real servers for the tests and the scale benchmark: a throwaway PostgreSQL cluster and Redis servers, each on
a unix socket in a temporary folder of its own, stopped and removed afterwards.

`make test` installs Debian's `postgresql` and `redis-server` (scripts/install-system.sh --test). PostgreSQL
refuses to run as root: as root the cluster runs as the `postgres` account the Debian package creates.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

INSTALL_HINT = "run `make test`, which installs it (scripts/install-system.sh --test)"
# Speed over durability: the cluster lives for one test run.
POSTGRES_OPTIONS = {"listen_addresses": "''", "fsync": "off", "synchronous_commit": "off",
                    "full_page_writes": "off", "max_connections": "300", "shared_buffers": "32MB"}


def _postgres_bin(program: str) -> str:
    """Debian keeps the server programs off PATH, in /usr/lib/postgresql/<version>/bin: take the newest."""
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{program}"),
                      key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0)
    found = str(versions[-1]) if versions else shutil.which(program)
    if found is None:
        raise RuntimeError(f"PostgreSQL's {program} is not installed: {INSTALL_HINT}")
    return found


class PostgresCluster:
    """`with PostgresCluster() as cluster:` initdb + pg_ctl start in a temporary folder; stopped on exit."""

    user = "docdesk"

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="docdesk-pg-"))
        self._names = itertools.count(1)
        self._run_as: dict[str, object] = {}
        if os.geteuid() == 0:
            self._run_as = {"user": "postgres", "group": "postgres", "extra_groups": []}
            shutil.chown(self.folder, "postgres", "postgres")

    def _run(self, *args: str) -> None:
        result = subprocess.run(args, capture_output=True, text=True, cwd=self.folder, **self._run_as)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {result.stderr.strip() or result.stdout.strip()}")

    def __enter__(self) -> PostgresCluster:
        data = self.folder / "data"
        options = " ".join(f"-c {key}={value}" for key, value in POSTGRES_OPTIONS.items())
        try:
            self._run(_postgres_bin("initdb"), "-D", str(data), "-U", self.user, "--auth=trust", "--encoding=UTF8",
                      "--locale=C.UTF-8", "--no-sync")
            self._run(_postgres_bin("pg_ctl"), "-D", str(data), "-l", str(self.folder / "server.log"), "-w",
                      "-t", "60", "-o", f"{options} -c unix_socket_directories={self.folder}", "start")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *_exc) -> None:
        if (self.folder / "data" / "postmaster.pid").exists():
            self._run(_postgres_bin("pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@/{database}?host={self.folder}"

    def execute(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(host=str(self.folder), user=self.user, dbname="postgres", autocommit=True) as conn:
            conn.execute(statement)

    def create_database(self, template: str | None = None) -> str:
        """A new empty database (or a copy of `template`); returns its name."""
        name = f"docdesk_{os.getpid()}_{next(self._names)}"
        self.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        return name

    def drop_database(self, name: str) -> None:
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    @property
    def pid(self) -> int:
        """The postmaster's process id (its backends are its children)."""
        return int((self.folder / "data" / "postmaster.pid").read_text().split()[0])


class RedisServer:
    """`with RedisServer(folder) as server:` a redis-server on `folder`/redis.sock without persistence."""

    def __init__(self, folder: Path) -> None:
        self.socket = Path(folder) / "redis.sock"
        self.url = f"unix://{self.socket}"
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> RedisServer:
        server = shutil.which("redis-server")
        if server is None:
            raise RuntimeError(f"redis-server is not installed: {INSTALL_HINT}")
        self.socket.parent.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            [server, "--port", "0", "--unixsocket", str(self.socket), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while not self._accepts():  # the socket file appears at bind(), a moment before redis listens on it
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)
        return self

    def _accepts(self) -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            try:
                client.connect(str(self.socket))
            except OSError:  # not there yet, or not listening yet
                return False
        return True

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    def __exit__(self, *_exc) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=15)
