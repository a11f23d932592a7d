import os

import pytest

from storage.blobs import BlobStore, sha256_hex


def test_put_get_round_trip_is_content_addressed(tmp_path):
    store = BlobStore(tmp_path)
    key = store.put(b"receipt bytes")
    assert key == sha256_hex(b"receipt bytes")
    assert store.get(key) == b"receipt bytes"
    assert store.path(key).relative_to(tmp_path).parts[:2] == (key[:2], key[2:4])


def test_put_is_idempotent_and_never_rewrites(tmp_path):
    store = BlobStore(tmp_path)
    key = store.put(b"same")
    before = os.stat(store.path(key))
    assert store.put(b"same") == key
    after = os.stat(store.path(key))
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    store = BlobStore(tmp_path)

    def crash(_fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        store.put(b"x" * 100_000)
    monkeypatch.undo()
    assert not store.exists(sha256_hex(b"x" * 100_000))
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_keys_are_not_paths(tmp_path):
    store = BlobStore(tmp_path)
    with pytest.raises(ValueError):
        store.path("../../etc/passwd")


def test_stray_temp_files_are_cleaned_only_when_old(tmp_path):
    store = BlobStore(tmp_path)
    key = store.put(b"x")
    stray = store.path(key).parent / ".tmp-crashed"
    stray.write_bytes(b"partial")
    assert store.remove_stray_temp_files() == 0  # might belong to a writer still running
    os.utime(stray, (0, 0))
    assert store.remove_stray_temp_files() == 1
    assert store.exists(key)


def test_a_full_disk_is_named_and_leaves_no_partial_file(tmp_path, monkeypatch):
    import errno

    from errors import DiskFull
    from storage import blobs

    def no_space(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(blobs, "_write", no_space)
    store = BlobStore(tmp_path / "blobs")
    with pytest.raises(DiskFull) as caught:
        store.put(b"a receipt")
    assert caught.value.code == "disk_full" and not list(store.root.glob("*/*/*"))
