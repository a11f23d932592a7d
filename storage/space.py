"""Room on the disk that holds the data folder: checked before an upload is stored and before a document is
processed, and how a write that found the disk full is told apart from other failures."""

from __future__ import annotations

import errno
import shutil

from sqlalchemy.exc import DBAPIError

from errors import DiskFull
from settings import Settings

_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
NEARLY_NOTHING = 1024 * 1024  # bytes: less than this free and any write may fail
# SQLite: SQLITE_FULL; PostgreSQL: SQLSTATE 53100 (disk_full) says "could not extend file ... No space left on device"
_FULL_MESSAGES = ("database or disk is full", "no space left on device", "could not extend file")


def free_bytes(settings: Settings) -> int:
    """Free space on the data folder's disk (blobs, the SQLite database and queue, the work folder live there)."""
    folder = settings.data_dir if settings.data_dir.exists() else settings.data_dir.parent
    return shutil.disk_usage(folder).free


def disk_full(free: int | None = None) -> DiskFull:
    where = f" ({free / 1e6:.0f} MB free)" if free is not None else ""
    return DiskFull(f"Disk full: the server's data folder has no room{where}, so nothing was stored. An admin must "
                    "free space there; until then uploads are refused and processing waits.")


def check_room(settings: Settings, needed: int = 0) -> None:
    """DiskFull unless `needed` bytes fit and DOCDESK_MIN_FREE_MB stay free."""
    free = free_bytes(settings)
    if free - needed < settings.min_free_mb * 1024 * 1024:
        raise disk_full(free)


def has_room(settings: Settings) -> bool:
    return free_bytes(settings) >= settings.min_free_mb * 1024 * 1024


def is_disk_full(error: BaseException, settings: Settings | None = None) -> bool:
    """A write that failed for want of space: an OSError (ENOSPC, EDQUOT), a database's 'disk full', DiskFull; with
    `settings`, also any file or database error while the data folder's disk has (almost) nothing left (SQLite then
    says only 'disk I/O error': it cannot even open its write-ahead log)."""
    if isinstance(error, DiskFull):
        return True
    if isinstance(error, OSError) and error.errno in _FULL_ERRNOS:
        return True
    if isinstance(error, DBAPIError) and any(text in str(error.orig).lower() for text in _FULL_MESSAGES):
        return True
    return settings is not None and isinstance(error, (OSError, DBAPIError)) and free_bytes(settings) < NEARLY_NOTHING
