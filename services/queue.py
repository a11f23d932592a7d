"""The work queue: Huey, built lazily from settings, carrying only document ids (and a retraining run's id).

Embedded default: `SqliteHuey` in `data_dir/queue.db`. `DOCDESK_QUEUE_URL=redis://...` switches to
`RedisHuey` with the same task code. The document row stays the truth: a lost or duplicated job is
harmless, because `process_document` only acts on a document that is queued (or stale in processing)
and the worker's recovery loop re-enqueues queued documents that have no job.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from huey import Huey, RedisHuey, SqliteHuey

from errors import QueueUnavailable
from settings import Settings, get_settings

log = logging.getLogger("docdesk.queue")

QUEUE_NAME = "docdesk"
TASK_NAME = "process_document"
RETRAIN_TASK_NAME = "retrain_ranker"

_instances: dict[str, Huey] = {}
_lock = threading.Lock()


def queue_key(settings: Settings) -> str:
    return settings.queue_url or str((settings.data_dir / "queue.db").resolve())


def describe(settings: Settings) -> str:
    """Where the queue is, fit for a log: a Redis URL without its user and password."""
    if not settings.queue_url:
        return queue_key(settings)
    parts = urlsplit(settings.queue_url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def get_huey(settings: Settings | None = None) -> Huey:
    """The Huey instance for these settings (one per queue location, created on first use)."""
    settings = settings or get_settings()
    key = queue_key(settings)
    with _lock:
        huey = _instances.get(key)
        if huey is None:
            huey = _build(settings)
            _instances[key] = huey
        return huey


def _build(settings: Settings) -> Huey:
    if settings.queue_url:
        if not settings.queue_url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"DOCDESK_QUEUE_URL must be a redis:// URL, not {settings.queue_url!r}")
        huey = RedisHuey(QUEUE_NAME, url=settings.queue_url, results=False, utc=True)
    else:
        from storage.db import prepare_data_dir

        prepare_data_dir(settings)
        huey = SqliteHuey(QUEUE_NAME, filename=str(settings.data_dir / "queue.db"), results=False, utc=True,
                          timeout=30)
    _register(huey, settings)
    return huey


def _register(huey: Huey, settings: Settings) -> None:
    huey.docdesk_handlers = {}  # type: ignore[attr-defined]  # task name -> what its jobs run: handed over by `serve`
    huey.docdesk_tasks = {name: _task(huey, name, settings)  # type: ignore[attr-defined]
                          for name in (TASK_NAME, RETRAIN_TASK_NAME)}

    @huey.on_startup(name="docdesk_after_fork")
    def after_fork() -> None:
        """A forked worker must not reuse the parent's database connections."""
        from storage.db import engine_for

        engine_for(settings.sqlalchemy_url).dispose(close=False)


def _task(huey: Huey, name: str, settings: Settings):
    """The Huey task `name`: a job carries one id and runs the handler a worker handed over for `name`."""
    @huey.task(name=name)
    def run(row_id: int) -> None:
        handler = huey.docdesk_handlers.get(name)  # type: ignore[attr-defined]
        if handler is None:
            raise RuntimeError("This process only puts jobs on the queue; `python cli.py worker` runs them.")
        handler(row_id, settings=settings)

    return run


def serve(task: Callable[..., None], settings: Settings | None = None, *,
          retrain: Callable[..., None] | None = None) -> Huey:
    """The Huey instance a worker consumes, its jobs running `task(document_id, settings=...)` (and
    `retrain(run_id, settings=...)`). The worker hands the tasks over, so the queue needs to know nothing about
    processing or training."""
    huey = get_huey(settings)
    huey.docdesk_handlers.update({TASK_NAME: task, RETRAIN_TASK_NAME: retrain})  # type: ignore[attr-defined]
    return huey


def enqueue(document_id: int, settings: Settings | None = None, *, delay: float | None = None) -> None:
    """Put a job for this document on the queue (after the transaction that made it queued has committed)."""
    task = get_huey(settings).docdesk_tasks[TASK_NAME]  # type: ignore[attr-defined]
    if delay:
        task.schedule(args=(int(document_id),), delay=delay)
    else:
        task(int(document_id))


def enqueue_retraining(run_id: int, settings: Settings | None = None) -> None:
    """Put a retraining run (services.retraining) on the queue, after the transaction that recorded it."""
    get_huey(settings).docdesk_tasks[RETRAIN_TASK_NAME](int(run_id))  # type: ignore[attr-defined]


def enqueue_quietly(document_id: int, settings: Settings | None = None, *, delay: float | None = None) -> None:
    """`enqueue` after the row says queued: a queue that cannot be reached is logged, not raised, because the
    worker's recovery loop enqueues every queued document that has no job."""
    try:
        enqueue(document_id, settings, delay=delay)
    except Exception:  # noqa: BLE001 - the row is queued; recovery enqueues it later
        log.exception("could not enqueue; the worker will pick it up on recovery",
                      extra={"document_id": document_id, "step": "enqueue"})


def job_ids(settings: Settings | None = None, task_name: str = TASK_NAME) -> set[int]:
    """Document ids (or, with RETRAIN_TASK_NAME, retraining runs) that have a job waiting, now or scheduled (retries
    with backoff)."""
    huey = get_huey(settings)
    ids: set[int] = set()
    for task in [*huey.pending(), *huey.scheduled()]:
        if task.name == task_name and task.args:
            ids.add(int(task.args[0]))
    return ids


def depth(settings: Settings | None = None) -> int:
    """Jobs waiting on the queue, including scheduled retries; QueueUnavailable when it cannot be read."""
    settings = settings or get_settings()
    huey = get_huey(settings)
    try:
        return huey.pending_count() + huey.scheduled_count()
    except Exception as error:  # Redis down or refusing us, the queue file unreadable: the same to an admin
        where = f"Redis at {describe(settings)}" if settings.queue_url else "The queue file"
        raise QueueUnavailable(f"{where} cannot be read ({type(error).__name__}: {error}). Start it or correct "
                               "DOCDESK_QUEUE_URL; meanwhile uploads wait in the database as queued and the "
                               "workers pick them up once the queue is back.") from error


def close(settings: Settings | None = None) -> None:
    """Close this process's queue connection (before forking workers)."""
    get_huey(settings).storage.close()
