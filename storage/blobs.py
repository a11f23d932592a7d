"""Content-addressed file store: originals and derived page images, keyed by their SHA-256.

A blob is written to a temporary file in the target folder, fsynced, then hard-linked into place, so a
reader never sees a partial file, a crash leaves at most a stray temp file, and nothing is overwritten.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError(f"not a blob key: {key!r}")
        return self.root / key[:2] / key[2:4] / key

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def get(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def put(self, data: bytes) -> str:
        """Store `data` and return its key. Storing the same bytes again is a no-op."""
        key = sha256_hex(data)
        target = self.path(key)
        if target.is_file():
            return key
        try:
            _private_dirs(target.parent)
            fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        except OSError as error:
            _raise_if_full(error)
            raise
        try:
            _write(fd, data)
            try:
                os.link(temp_name, target)  # atomic, and refuses to replace an existing blob
            except FileExistsError:
                pass  # another writer stored the same bytes first
            _fsync_dir(target.parent)
        except OSError as error:
            _raise_if_full(error)
            raise
        finally:
            os.unlink(temp_name)
        return key

    def remove_stray_temp_files(self, older_than_s: float = 3600) -> int:
        """Delete temp files left by writers that crashed mid-write (old enough not to be in use)."""
        removed = 0
        cutoff = time.time() - older_than_s
        for temp in self.root.glob("*/*/.tmp-*"):
            if temp.stat().st_mtime < cutoff:
                temp.unlink(missing_ok=True)
                removed += 1
        return removed


def _write(fd: int, data: bytes) -> None:
    with os.fdopen(fd, "wb") as temp:
        temp.write(data)
        temp.flush()
        os.fsync(temp.fileno())


def _raise_if_full(error: OSError) -> None:
    """A full disk becomes DiskFull (the caller refuses or waits); any other OSError is left to the caller."""
    from storage.space import disk_full, is_disk_full

    if is_disk_full(error):
        raise disk_full() from error


def _private_dirs(folder: Path) -> None:
    """Create `folder` and any missing parents readable by their owner only: blobs are receipts with personal
    data (normally under the data folder, which storage.db.prepare_data_dir creates owner-only)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
