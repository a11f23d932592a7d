"""Peak memory of `cli.py extract --jsonl` over the whole bad-input corpus (tests/badfiles.py).

    .venv/bin/python bench/bad_input_memory.py [--workers 2] [--rounds 1]

Builds the corpus in a temporary folder, runs `cli.py extract --jsonl --workers N` over it with the corpus'
settings (DOCDESK_MAX_UPLOAD_BYTES) and the default child limits, samples the RSS of the whole process tree
(the command, its pool workers, their OCR children and Tesseract / Poppler) with psutil every 20 ms, and
prints the peak of the sum, the peak of any single process, the wall time and each file's error code.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _tree_rss(process: psutil.Process) -> tuple[int, int]:
    total = biggest = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0
    for member in members:
        try:
            rss = member.memory_info().rss
        except psutil.Error:
            continue
        total += rss
        biggest = max(biggest, rss)
    return total, biggest


def run_once(folder: Path, files: list[str], workers: int) -> dict:
    from tests import badfiles

    env = {**os.environ, **badfiles.ENV, "DOCDESK_DATA_DIR": str(folder / "data")}
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "cli.py", "extract", "--jsonl", "--workers", str(workers), *files],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process = psutil.Process(child.pid)
    peak = {"total": 0, "single": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            total, single = _tree_rss(process)
            peak["total"] = max(peak["total"], total)
            peak["single"] = max(peak["single"], single)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    done.set()
    sampler.join()
    lines = [json.loads(line) for line in out.splitlines()]
    return {"peak_tree_mb": peak["total"] / 2**20, "peak_single_mb": peak["single"] / 2**20,
            "wall_s": time.perf_counter() - start, "exit": child.returncode, "lines": lines, "stderr": err}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    from tests import badfiles

    with tempfile.TemporaryDirectory(prefix="docdesk-badinput-") as temp:
        folder = Path(temp)
        written = badfiles.write_corpus(folder / "corpus")
        size = sum(Path(p).stat().st_size for p in written)
        print(f"corpus: {len(written)} files, {size / 1e6:.2f} MB in {folder / 'corpus'}")
        for round_ in range(1, args.rounds + 1):
            result = run_once(folder, list(written), args.workers)
            print(f"round {round_}: peak RSS of the process tree {result['peak_tree_mb']:.0f} MB "
                  f"(largest single process {result['peak_single_mb']:.0f} MB), {result['wall_s']:.1f} s, "
                  f"exit {result['exit']}")
        for line in result["lines"]:
            code = line["error"]["code"] if line["error"] else f"ok, page(s) {line['pages']}"
            print(f"  {Path(line['file']).name:<28} {code}")
        if result["stderr"].strip():
            print("stderr:", result["stderr"][-2000:])


if __name__ == "__main__":
    main()
