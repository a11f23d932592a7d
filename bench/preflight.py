"""Time and memory of the upload preflight (`ocr.load.inspect`, run inside the upload request) per hostile file.

    .venv/bin/python bench/preflight.py

Each file of the bad-input corpus (tests/badfiles.py, its DOCDESK_MAX_UPLOAD_BYTES) and TIFFs of 8 and 16 MB of
16 x 16 pages (the default 50 MB limit) goes through `inspect` in a fresh process; prints the answer, the wall
time and how far the peak resident memory rose above the process's start, its own and its children's (pdfinfo).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MEASURE = """
import resource, sys, time
from errors import DocDeskError
from ocr.load import inspect
from ocr.config import LoadLimits
data = open(sys.argv[1], "rb").read()
limits = LoadLimits(max_upload_bytes=int(sys.argv[2]))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    answer = inspect(data, limits).media_type
except DocDeskError as error:
    answer = error.code
seconds = time.perf_counter() - start
rise = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(answer, round(seconds, 3), rise // 1024, children // 1024)
"""


def main() -> None:
    from tests import badfiles

    files: list[tuple[str, bytes, int]] = [(c.key, c.make(), badfiles.SIZE_LIMIT) for c in badfiles.CASES]
    for megabytes in (8, 16):
        files.append((f"tiny-pages-{megabytes}mb.tif", badfiles.tiff_of_tiny_pages(megabytes * 10**6 // 110),
                      50 * 1024 * 1024))
    print(f"{'file':34} {'answer':18} {'s':>7} {'MB rise':>8} {'MB child':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for name, data, limit in files:
            path = Path(folder) / name
            path.write_bytes(data)
            out = subprocess.run([sys.executable, "-c", MEASURE, str(path), str(limit)], capture_output=True,
                                 text=True, cwd=ROOT, check=True).stdout.split()
            print(f"{name:34} {out[0]:18} {out[1]:>7} {out[2]:>8} {out[3]:>8}")
    print(json.dumps({"files": len(files)}))


if __name__ == "__main__":
    main()
