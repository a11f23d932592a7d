"""What the watched folder took (services.watch): one row per file taken, found again by its path, size and time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import WatchedFile


def taken(session: Session, folder: str, path: str, size: int, mtime_ns: int) -> WatchedFile | None:
    """The record of this very file (same path, size and modification time) if it was taken before."""
    return session.scalars(select(WatchedFile).where(
        WatchedFile.folder == folder, WatchedFile.path == path, WatchedFile.size == size,
        WatchedFile.mtime_ns == mtime_ns).order_by(WatchedFile.id.desc()).limit(1)).first()


def remember(session: Session, **columns: Any) -> WatchedFile:
    record = WatchedFile(**columns)
    session.add(record)
    session.flush()
    return record
