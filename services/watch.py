"""The watched folder: every file a scanner or a shared drive drops into a folder is ingested once it is written.

A file is taken once it has stopped changing (the same size and modification time for `settle_s`), or at once when
it was renamed into place (how careful writers finish a file). Taking it is services.ingest.ingest_path: the same
checks, refusals, duplicates and audit trail as an upload. Then, by default (`after="move"`), it goes to DIR/done/
(queued, or a duplicate, with NAME.txt beside it saying of which document) or to DIR/refused/ with NAME.txt
saying why and what to do; with `after="keep"` it stays where it is. Either way the database remembers the file
(path, size, modification time): a restart never takes it twice, and a file taken but not yet moved (a crash in
between) is moved without being ingested again. A file that is changed later is a new file.

inotify (watchdog) reports changes at once; the folder is also listed every `poll_s` seconds, which is what sees
files on network shares (NFS, SMB), where inotify reports nothing. Without inotify (none, or out of watches) the
listing alone does the work. Hidden files and the usual names of files still being written (.part, .tmp,
.crdownload, ...) are left alone, and so are symbolic links.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from errors import ErrorCode, InputError
from services import ingest
from services.access import Permission, use_case
from services.ingest import IngestResult
from settings import Settings, get_settings
from storage import watched

log = logging.getLogger("docdesk.watch")

DONE, REFUSED = "done", "refused"
UNFINISHED = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".swp", "~")
MIN_SCAN_INTERVAL_S = 0.2  # a file being written sends many events: list the folder at most this often
RETRY_BASE_S, RETRY_MAX_S = 10.0, 300.0  # after an internal error (a full disk, the database down)

Report = Callable[[str, IngestResult], None]  # the file's path inside the folder, and what became of it


@dataclass(frozen=True)
class WatchOptions:
    folder: Path
    user: str | None = None
    after: str = "move"  # or "keep"
    settle_s: float = 2.0
    poll_s: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings, folder: Path | None = None, **overrides) -> WatchOptions:
        folder = folder or settings.watch_dir
        if folder is None:
            raise InputError("Say which folder to watch: cli.py watch DIR, or set DOCDESK_WATCH_DIR.")
        values = {"user": settings.watch_user, "after": settings.watch_after, "settle_s": settings.watch_settle_s,
                  "poll_s": settings.watch_poll_s}
        values.update({name: value for name, value in overrides.items() if value is not None})
        return cls(Path(folder), **values)


@dataclass
class _Seen:
    """A file as last listed, and where it stands."""

    size: int
    mtime_ns: int
    since: float  # when it was first seen at this size and time
    renamed: bool = False  # renamed into place: complete
    done: bool = False  # taken (or found taken before) at this size and time
    retry_at: float = 0.0
    failures: int = 0


class FolderWatcher:
    def __init__(self, options: WatchOptions, settings: Settings | None = None, report: Report | None = None):
        self.options = options
        self.settings = settings or get_settings()
        self.folder = options.folder.resolve()
        self.report = report or (lambda path, result: None)
        self._seen: dict[str, _Seen] = {}
        self._renamed: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._missing = False

    def check(self) -> None:
        """Refuse to start on a folder that is not there, or for a user who may not upload (PermissionDenied)."""
        if not self.folder.is_dir():
            raise InputError(f"{self.folder} is not a folder: create it, or mount the share, and start again.")
        with use_case(self.options.user, Permission.UPLOAD, settings=self.settings):
            pass

    # --- the loop --------------------------------------------------------------------------------

    def run(self) -> None:
        """Watch until stop(): list, take what is ready, wait for an event or the next listing."""
        self.check()
        observer = self._start_observer()
        try:
            while not self._stopping.is_set():
                self.scan()
                settling = any(not seen.done for seen in self._seen.values())
                self._wake.wait(min(self.options.settle_s / 2, self.options.poll_s) if settling
                                else self.options.poll_s)
                self._wake.clear()
                self._stopping.wait(MIN_SCAN_INTERVAL_S)
        finally:
            if observer is not None:
                observer.stop()
                observer.join(timeout=5)

    def stop(self) -> None:
        """Finish the file being taken, then return from run() (safe from a signal handler or another thread)."""
        self._stopping.set()
        self._wake.set()

    def _start_observer(self):
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        watcher = self

        class Events(FileSystemEventHandler):
            def on_any_event(self, event) -> None:
                if event.event_type == "moved" and not event.is_directory:
                    watcher.note_renamed(os.fsdecode(event.dest_path))
                watcher._wake.set()

        observer = Observer()
        try:
            observer.schedule(Events(), str(self.folder), recursive=True)
            observer.start()
        except OSError as error:  # no inotify, or out of watches (fs.inotify.max_user_watches)
            log.warning("inotify unavailable: listing the folder every %s s", self.options.poll_s,
                        extra={"step": "watch", "error": str(error)})
            return None
        return observer

    def note_renamed(self, path: str) -> None:
        """A file was renamed into `path` (from the inotify thread): it is complete."""
        relative = self._relative(path)
        if relative is not None:
            with self._lock:
                self._renamed.add(relative)

    # --- one listing -----------------------------------------------------------------------------

    def scan(self, now: float | None = None) -> int:
        """List the folder once and take every file that is ready; returns how many were taken."""
        now = time.monotonic() if now is None else now
        present = self._listing()
        with self._lock:
            renamed, self._renamed = self._renamed, set()
        for relative in [name for name in self._seen if name not in present]:
            del self._seen[relative]
        taken = 0
        for relative, (size, mtime_ns) in present.items():
            seen = self._seen.get(relative)
            if seen is None or (seen.size, seen.mtime_ns) != (size, mtime_ns):
                seen = self._seen[relative] = _Seen(size, mtime_ns, now, renamed=relative in renamed)
                self._finish_if_taken_before(relative, seen)
            if seen.done or now < seen.retry_at or self._stopping.is_set():
                continue
            if seen.renamed or now - seen.since >= self.options.settle_s:
                taken += self._take(relative, seen, now)
        return taken

    def _listing(self) -> dict[str, tuple[int, int]]:
        if not self.folder.is_dir():
            if not self._missing:
                log.warning("the watched folder is gone (a share unmounted?): waiting for it", extra={"step": "watch"})
            self._missing = True
            return {}
        self._missing = False
        return dict(self._files())

    def _files(self) -> Iterator[tuple[str, tuple[int, int]]]:
        skipped = {DONE, REFUSED} if self.options.after == "move" else set()
        for root, folders, names in os.walk(self.folder):
            top = Path(root) == self.folder
            folders[:] = sorted(f for f in folders if not f.startswith(".") and not (top and f in skipped))
            for name in sorted(names):
                if name.startswith(".") or name.lower().endswith(UNFINISHED):
                    continue
                path = os.path.join(root, name)
                try:
                    info = os.lstat(path)
                except OSError:
                    continue  # gone already
                if stat.S_ISREG(info.st_mode):  # not a link, a pipe or a device
                    yield os.path.relpath(path, self.folder), (info.st_size, info.st_mtime_ns)

    def _relative(self, path: str) -> str | None:
        relative = os.path.relpath(os.path.abspath(path), self.folder)
        return None if relative.startswith("..") else relative

    # --- taking a file ---------------------------------------------------------------------------

    def _finish_if_taken_before(self, relative: str, seen: _Seen) -> None:
        with use_case(settings=self.settings) as session:
            record = watched.taken(session, str(self.folder), relative, seen.size, seen.mtime_ns)
            outcome, message = (record.outcome, record.message) if record is not None else (None, "")
        if outcome is not None:
            seen.done = True
            if self.options.after == "move":  # taken, then stopped before it was moved
                self._move(relative, outcome, message)

    def _take(self, relative: str, seen: _Seen, now: float) -> int:
        result = ingest.ingest_path(self.folder / relative, user=self.options.user, settings=self.settings)
        if result.code == ErrorCode.INTERNAL:  # not the file's fault: try it again later
            seen.failures += 1
            seen.retry_at = now + min(RETRY_BASE_S * 2 ** (seen.failures - 1), RETRY_MAX_S)
            log.warning("could not take a file; will try again", extra={"step": "watch", "attempt": seen.failures})
            return 0
        message = result.message + (f" [{result.code}]" if result.code else "")
        with use_case(settings=self.settings) as session:
            watched.remember(session, folder=str(self.folder), path=relative, size=seen.size, mtime_ns=seen.mtime_ns,
                             outcome=result.outcome, document_id=result.document_id, message=message)
        seen.done = True
        if self.options.after == "move":
            self._move(relative, result.outcome, message)
        self.report(relative, result)
        return 1

    def _move(self, relative: str, outcome: str, message: str) -> None:
        """Into done/ or refused/ (keeping sub-folders), with NAME.txt beside it unless it was simply queued."""
        target = _free_name(self.folder / (REFUSED if outcome == "refused" else DONE) / relative)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.folder / relative, target)
            if outcome != "queued":
                target.with_name(target.name + ".txt").write_text(f"{relative}: {message}\n", encoding="utf-8")
        except FileNotFoundError:
            pass  # moved or deleted by someone else meanwhile
        except OSError as error:  # remembered anyway: it is not taken again where it is
            log.warning("could not move a taken file", extra={"step": "watch", "error": error.strerror})


def _free_name(path: Path) -> Path:
    """`path`, or 'name (2).ext', 'name (3).ext', ... if that is taken (a scanner reusing its file names)."""
    candidate, number = path, 2
    while candidate.exists() or candidate.with_name(candidate.name + ".txt").exists():
        candidate = path.with_name(f"{path.stem} ({number}){path.suffix}")
        number += 1
    return candidate
