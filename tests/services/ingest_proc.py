"""Test helper: the real `cli.py ingest` in a subprocess that SIGKILLs itself at a chosen point.

`python -m tests.services.ingest_proc FOLDER` with DOCDESK_TEST_KILL_AT="<point>:<k>" dies on the k-th file at:
- blob_link: the original is written to a temp file and fsynced, not yet linked into the blob store;
- after_blob: the original is in the blob store, its Document row not yet written;
- after_commit: the row is committed, its job not yet on the queue;
- after_enqueue: the job is on the queue (the next file not started).
The fault is injected only here, never in the application.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _install(point: str, k: int) -> None:
    import services.ingest
    import storage.blobs

    calls = {"n": 0}

    def hit() -> bool:
        calls["n"] += 1
        return calls["n"] == k

    if point == "blob_link":
        real_link = os.link
        originals = {"n": 0}

        def link(source, target, *args, **kwargs):
            if Path(target).parent.parent.parent.name == "blobs":  # an original (page images come later)
                originals["n"] += 1
                if originals["n"] == k:
                    _die()
            return real_link(source, target, *args, **kwargs)

        storage.blobs.os.link = link
    elif point == "after_blob":
        real_put = storage.blobs.BlobStore.put

        def put(self, data):
            key = real_put(self, data)
            if hit():
                _die()
            return key

        storage.blobs.BlobStore.put = put
    elif point in ("after_commit", "after_enqueue"):
        real_enqueue = services.ingest.queue.enqueue

        def enqueue(*args, **kwargs):
            if point == "after_enqueue":
                real_enqueue(*args, **kwargs)
            if hit():
                _die()
            if point == "after_commit":
                real_enqueue(*args, **kwargs)

        services.ingest.queue.enqueue = enqueue
    else:
        raise SystemExit(f"unknown kill point {point!r}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    point, _, k = os.environ["DOCDESK_TEST_KILL_AT"].partition(":")
    _install(point, int(k))
    from cli import app

    app(["ingest", *sys.argv[1:]])
