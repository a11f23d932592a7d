"""services.watch: a real folder, files appearing in it while the watcher runs (real inotify, database, queue)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from errors import PermissionDenied
from services import ingest as ingest_service
from services import queue
from services.ingest import IngestResult
from services.watch import FolderWatcher, WatchOptions
from storage.db import session_factory
from storage.models import AuditEvent, Document, WatchedFile
from tests.services.worker_proc import receipt_png
from tests.signin import add


def _count(settings, model, **where) -> int:
    with session_factory(settings).begin() as session:
        return session.scalar(select(func.count()).select_from(model).filter_by(**where))


def _watcher(settings, folder: Path, **options) -> tuple[FolderWatcher, list[tuple[str, str]]]:
    taken: list[tuple[str, str]] = []
    watcher = FolderWatcher(WatchOptions(folder, **{"settle_s": 1.0, "poll_s": 0.5, **options}), settings,
                            report=lambda path, result: taken.append((path, result.outcome)))
    return watcher, taken


def _until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def running(migrated, tmp_path):
    """Start a watcher in a thread on a fresh folder; stopped (and joined) at the end of the test."""
    started: list[tuple[FolderWatcher, threading.Thread]] = []

    def start(folder: Path | None = None, **options) -> tuple[FolderWatcher, list[tuple[str, str]]]:
        folder = folder or tmp_path / "scans"
        folder.mkdir(exist_ok=True)
        watcher, taken = _watcher(migrated, folder, **options)
        thread = threading.Thread(target=watcher.run, daemon=True)
        thread.start()
        started.append((watcher, thread))
        return watcher, taken

    yield start
    for watcher, thread in started:
        watcher.stop()
        thread.join(timeout=10)
        assert not thread.is_alive()


@pytest.mark.slow
def test_files_appearing_while_it_runs_are_taken_once_written_and_moved(migrated, running, tmp_path):
    folder = tmp_path / "scans"
    watcher, taken = running(folder, settle_s=3.0)
    data = receipt_png(1)
    slow = folder / "scanner-0001.png"
    with open(slow, "wb") as handle:  # a scanner writing slowly: half now, the rest after a while
        handle.write(data[: len(data) // 2])
        handle.flush()
        time.sleep(0.6)
        assert taken == [] and slow.exists()  # not taken while it is being written
        handle.write(data[len(data) // 2:])
    (folder / ".upload.png.part").write_bytes(receipt_png(2))  # a careful writer: temp name, then rename
    (folder / ".upload.png.part").rename(folder / "upload.png")
    (folder / "sub").mkdir()
    (folder / "sub" / "again.png").write_bytes(data)  # the same bytes: a duplicate
    (folder / "notes.txt").write_text("not a receipt")
    _until(lambda: len(taken) == 4)

    assert sorted(taken) == [("notes.txt", "refused"), ("scanner-0001.png", "queued"),
                             ("sub/again.png", "duplicate"), ("upload.png", "queued")]
    with session_factory(migrated).begin() as session:
        sizes = dict(session.execute(select(Document.original_name, Document.size_bytes)).all())
    assert sizes == {"scanner-0001.png": len(data), "upload.png": len(receipt_png(2))}  # whole files
    assert len(queue.job_ids(migrated)) == 2
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "done/scanner-0001.png", "done/sub/again.png", "done/sub/again.png.txt", "done/upload.png",
        "refused/notes.txt", "refused/notes.txt.txt"]
    first = [name for name, outcome in taken if outcome == "queued"]
    assert (folder / "done/sub/again.png.txt").read_text() == \
        f"sub/again.png: duplicate of document #{1 if first[0] == 'scanner-0001.png' else 2}\n"
    assert (folder / "refused/notes.txt.txt").read_text() == (
        "notes.txt: refused: This is not a supported file: upload a JPEG, PNG, TIFF, BMP, WebP or AVIF image or a PDF. "
        "[unsupported_type]\n")
    assert _count(migrated, AuditEvent, action="upload_refused") == 1  # refused the way an upload is


@pytest.mark.slow
def test_without_inotify_the_listing_alone_finds_the_files(migrated, running, tmp_path, monkeypatch):
    from watchdog.observers import Observer

    def out_of_watches(self):
        raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(Observer, "start", out_of_watches)  # the fault: inotify cannot start (a network share)
    watcher, taken = running(tmp_path / "share")
    (tmp_path / "share" / "a.png").write_bytes(receipt_png(3))
    _until(lambda: taken == [("a.png", "queued")])


def test_a_restart_never_takes_a_file_twice_and_finishes_the_move(migrated, tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "a.png").write_bytes(receipt_png(4))
    (folder / "b.txt").write_text("not a receipt")
    keeping, taken = _watcher(migrated, folder, after="keep")
    keeping.scan(now=0.0)
    assert taken == []  # still settling
    keeping.scan(now=5.0)
    assert sorted(taken) == [("a.png", "queued"), ("b.txt", "refused")]
    assert sorted(p.name for p in folder.iterdir()) == ["a.png", "b.txt"]  # kept in place

    again, taken_again = _watcher(migrated, folder, after="keep")  # a restart
    again.scan(now=0.0)
    again.scan(now=50.0)
    assert taken_again == []
    # taken, then stopped before the move (here: a watcher that kept them): the restart moves them, nothing more
    moving, taken_moving = _watcher(migrated, folder, after="move")
    moving.scan(now=0.0)
    assert taken_moving == [] and (folder / "done" / "a.png").exists() and (folder / "refused" / "b.txt").exists()
    assert _count(migrated, Document) == 1 and _count(migrated, WatchedFile) == 2
    assert _count(migrated, AuditEvent, action="upload_duplicate") == 0  # not even offered to ingest again


def test_a_file_changed_after_it_was_taken_is_a_new_file(migrated, tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "scan.png").write_bytes(receipt_png(5))
    watcher, taken = _watcher(migrated, folder, after="keep")
    watcher.scan(now=0.0)
    watcher.scan(now=5.0)
    (folder / "scan.png").write_bytes(receipt_png(6))  # the scanner reused the name
    watcher.scan(now=6.0)
    watcher.scan(now=10.0)
    assert taken == [("scan.png", "queued"), ("scan.png", "queued")] and _count(migrated, Document) == 2


def test_hidden_unfinished_and_linked_files_are_left_alone(migrated, tmp_path):
    folder = tmp_path / "scans"
    (folder / ".sync").mkdir(parents=True)
    for name in (".hidden.png", "big.png.part", "photo.jpg.crdownload", "draft.png~", ".sync/a.png"):
        (folder / name).write_bytes(receipt_png(7))
    outside = tmp_path / "secret.png"
    outside.write_bytes(receipt_png(8))
    (folder / "link.png").symlink_to(outside)
    watcher, taken = _watcher(migrated, folder)
    watcher.scan(now=0.0)
    watcher.scan(now=5.0)
    assert taken == [] and _count(migrated, Document) == 0


def test_a_file_that_hit_an_internal_error_stays_and_is_tried_again_later(migrated, tmp_path, monkeypatch):
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "a.png").write_bytes(receipt_png(9))
    real = ingest_service.ingest_path
    calls = []

    def database_down_once(path, **kwargs):  # the fault: ingest reports an internal error the first time
        calls.append(path)
        if len(calls) == 1:
            return IngestResult("a.png", "refused", None, "internal", "refused: internal error (logged); try again")
        return real(path, **kwargs)

    monkeypatch.setattr(ingest_service, "ingest_path", database_down_once)
    watcher, taken = _watcher(migrated, folder)
    watcher.scan(now=0.0)
    watcher.scan(now=5.0)
    assert taken == [] and (folder / "a.png").exists() and _count(migrated, WatchedFile) == 0
    watcher.scan(now=10.0)
    assert taken == []  # waits before trying again
    watcher.scan(now=16.0)
    assert taken == [("a.png", "queued")] and (folder / "done" / "a.png").exists()


def test_it_refuses_to_start_on_a_missing_folder_or_for_a_user_who_may_not_upload(migrated, tmp_path):
    missing, _ = _watcher(migrated, tmp_path / "nowhere")
    with pytest.raises(Exception, match="is not a folder: create it, or mount the share"):
        missing.check()
    (tmp_path / "scans").mkdir()
    add(migrated, "audrey", "admin")
    from services import users

    users.set_active("audrey", False, settings=migrated)
    disabled, _ = _watcher(migrated, tmp_path / "scans", user="audrey")
    with pytest.raises(PermissionDenied):
        disabled.check()


def test_the_settings_give_the_defaults_and_the_command_line_overrides_them(migrated, tmp_path, monkeypatch):
    from settings import Settings

    settings = Settings(watch_dir=tmp_path, watch_after="keep", watch_user="ana")
    options = WatchOptions.from_settings(settings, settle_s=3.0)
    assert (options.folder, options.after, options.user, options.settle_s, options.poll_s) == \
        (tmp_path, "keep", "ana", 3.0, 5.0)
    with pytest.raises(Exception, match="Say which folder to watch"):
        WatchOptions.from_settings(Settings())
