"""Scale-out benchmark: the same receipts through 1, 2 and 4 worker processes, on SQLite + the SQLite queue (one
machine) and on PostgreSQL + Redis (the scale-out setup), and what an added worker host can be expected to give.

    flock /tmp/docdesk-bench.lock .venv/bin/python bench/scale.py ../shared/datasets/sroie-dev \\
        ../shared/datasets/sroie-train [--workers 1,2,4] [--backends sqlite,postgresql] [--limit N] [--report FILE]

For each backend and worker count: a fresh database (PostgreSQL: a throwaway cluster and Redis server, as the
tests start them, tests/servers.py), every receipt ingested through the app's ingest, then `cli.py worker
--workers N` until all are processed. From the ProcessingRun rows: pages per minute (first claim to last commit,
so the worker's start-up is not counted), seconds per page p50 / p95 (claim to commit, per document), the time a
document spends storing its results (`db` step); on PostgreSQL also the CPU the database server and Redis used
per page, which bounds how many worker hosts one PostgreSQL serves.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.ingest import ingest_files  # noqa: E402 - after the path is set
from settings import Settings  # noqa: E402
from storage import db, jobs, repository  # noqa: E402
from storage.db import session_factory  # noqa: E402
from tests.servers import PostgresCluster, RedisServer  # noqa: E402

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".pdf"}


@dataclass
class Result:
    backend: str
    workers: int
    documents: int
    failed: int
    pages: int
    minutes: float
    p50_s: float
    p95_s: float
    db_ms: float  # mean time a document spends storing its results
    ingest_s: float
    server_cpu_ms: float | None = None  # PostgreSQL + Redis CPU per page
    blob_kb: float = 0.0  # blob store growth per page

    @property
    def pages_per_minute(self) -> float:
        return self.pages / self.minutes if self.minutes else 0.0


def cpu_seconds(pid: int) -> float:
    """CPU of a process and its children, live and ended (ended ones count once their parent reaped them)."""
    process = psutil.Process(pid)
    times = process.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in process.children(recursive=True):
        try:
            child_times = child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += child_times.user + child_times.system
    return total


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def run_worker(settings: Settings, workers: int, expected: int, log: Path) -> None:
    """`cli.py worker --workers N` until `expected` documents are out of queued / processing."""
    env = {**{key: value for key, value in os.environ.items() if not key.startswith("DOCDESK_")},
           "DOCDESK_DATA_DIR": str(settings.data_dir), "OMP_THREAD_LIMIT": "1",
           **{f"DOCDESK_{key.upper()}": value for key in ("database_url", "queue_url")
              if (value := getattr(settings, key))}}
    worker = subprocess.Popen([sys.executable, "cli.py", "worker", "--workers", str(workers)], cwd=ROOT, env=env,
                              stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    shown = -1
    try:
        while (done := finished(settings)) < expected:
            if worker.poll() is not None:
                raise SystemExit(f"the worker stopped: see {log}")
            if done // 25 != shown // 25:
                print(f"  {done}/{expected} processed", flush=True)
                shown = done
            time.sleep(2)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=120)


def finished(settings: Settings) -> int:
    with session_factory(settings).begin() as session:
        counts = repository.count_by_status(session)
    return sum(counts.values()) - counts["queued"] - counts["processing"]


def measure(settings: Settings, files: list[Path], workers: int, backend: str, servers: list[int]) -> Result:
    db.upgrade(settings)
    start = time.perf_counter()
    uploaded = ingest_files([(path.name, path.read_bytes()) for path in files], settings=settings)
    ingest_s = time.perf_counter() - start
    ids = [result.document_id for result in uploaded if result.outcome == "queued"]
    cpu_before = sum(cpu_seconds(pid) for pid in servers)
    run_worker(settings, workers, len(ids), settings.data_dir.parent / "worker.log")
    server_cpu_s = sum(cpu_seconds(pid) for pid in servers) - cpu_before
    with session_factory(settings).begin() as session:
        runs = [run for run in jobs.successful_runs(session, ids) if run.pages]
        failed = repository.count_by_status(session)["failed"]
    pages = sum(run.pages for run in runs)
    per_page = [run.total_ms / run.pages / 1000 for run in runs]
    window = max(run.finished_at for run in runs) - min(run.started_at for run in runs)
    blob_bytes = sum(path.stat().st_size for path in settings.blob_dir.rglob("*") if path.is_file())
    return Result(backend, workers, len(ids), failed, pages, window.total_seconds() / 60,
                  percentile(per_page, 0.5), percentile(per_page, 0.95),
                  statistics.fmean(run.step_ms.get("db", 0.0) for run in runs), ingest_s,
                  server_cpu_s * 1000 / pages if servers else None, blob_bytes / 1024 / pages)


def one_configuration(backend: str, workers: int, files: list[Path], cluster: PostgresCluster | None) -> Result:
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="docdesk-scale-")))
        settings = Settings(data_dir=folder / "data", database_url=None, queue_url=None, blob_store=None)
        servers: list[int] = []
        if backend == "postgresql":
            assert cluster is not None
            database = cluster.create_database()
            stack.callback(cluster.drop_database, database)
            stack.callback(lambda: db.engine_for(cluster.url(database)).dispose())
            redis = stack.enter_context(RedisServer(folder / "redis"))
            settings = settings.model_copy(update={"database_url": cluster.url(database), "queue_url": redis.url})
            servers = [cluster.pid, redis.pid]
        print(f"{backend}, {workers} worker process(es), {len(files)} receipts", flush=True)
        return measure(settings, files, workers, backend, servers)


def table(results: list[Result]) -> str:
    lines = ["| backend | workers | receipts | pages | failed | pages/min | s/page p50 | s/page p95 | store ms/doc "
             "| DB+Redis CPU ms/page | blob KB/page | ingest s |", "|---|" + "---|" * 11]
    for r in results:
        server = f"{r.server_cpu_ms:.0f}" if r.server_cpu_ms is not None else "-"
        lines.append(f"| {r.backend} | {r.workers} | {r.documents} | {r.pages} | {r.failed} | "
                     f"**{r.pages_per_minute:.1f}** | {r.p50_s:.2f} | {r.p95_s:.2f} | {r.db_ms:.0f} | {server} | "
                     f"{r.blob_kb:.0f} | {r.ingest_s:.1f} |")
    return "\n".join(lines)


def outlook(results: list[Result]) -> str:
    """What one machine does, and what each added worker host like it can be expected to add."""
    scaled = [r for r in results if r.backend == "postgresql"]
    if not scaled:
        return ""
    best = max(scaled, key=lambda r: r.pages_per_minute)
    cpu = statistics.fmean(r.server_cpu_ms for r in scaled if r.server_cpu_ms is not None)
    per_db_core = 60_000 / cpu if cpu else float("inf")
    hosts = per_db_core / best.pages_per_minute if best.pages_per_minute else 0.0
    return (f"One machine ({os.cpu_count()} cores) on PostgreSQL + Redis: {best.pages_per_minute:.1f} pages/min at "
            f"{best.workers} worker processes. Workers on other hosts share only the database, Redis and the blob "
            f"folder, so each added host like this one adds about {best.pages_per_minute:.0f} pages/min, until the "
            f"database saturates: PostgreSQL and Redis used {cpu:.0f} ms CPU per page, so one database core "
            f"serves ~{per_db_core:.0f} pages/min, ~{hosts:.0f} such hosts; the blob folder must take "
            f"~{best.blob_kb * best.pages_per_minute / 1024:.1f} MB/min per host.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", type=Path, nargs="+", help="folders with img/ (e.g. ../shared/datasets/sroie-dev)")
    parser.add_argument("--workers", default="1,2,4", help="worker process counts, comma-separated")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--limit", type=int, default=None, help="only the first N receipts")
    parser.add_argument("--report", type=Path, default=None, help="also write the table as markdown here")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a `kill` still stops the servers it started
    files = sorted((p for folder in args.datasets for p in (folder / "img").iterdir()
                    if p.suffix.lower() in IMAGE_SUFFIXES), key=lambda p: (p.parent, p.name))[: args.limit]
    backends = args.backends.split(",")
    load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    results = []
    with ExitStack() as stack:
        cluster = stack.enter_context(PostgresCluster()) if "postgresql" in backends else None
        for backend in backends:
            for workers in (int(n) for n in args.workers.split(",")):
                results.append(one_configuration(backend, workers, files, cluster))
                print(table(results[-1:]).splitlines()[-1], flush=True)
    text = "\n\n".join([f"{len(files)} receipts, {os.cpu_count()} cores, load average at start {load}",
                        table(results), outlook(results)])
    print("\n" + text)
    if args.report:
        args.report.write_text(text + "\n")


if __name__ == "__main__":
    main()
