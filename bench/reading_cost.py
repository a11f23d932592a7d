"""CPU the whole reading path costs against bare Tesseract (a script, not a test).

    flock /tmp/docdesk-bench.lock .venv/bin/python bench/reading_cost.py ../shared/datasets/sroie-dev --limit 20

Runs, on the same images, one after the other:
  bare       `tesseract IMG stdout --psm 6`, two at a time (xargs -P 2), one thread each (OMP_THREAD_LIMIT=1): the
             fast way to run Tesseract on a 2-core machine;
  accurate   `cli.py extract --jsonl --workers 2` at the default reading (Tesseract + the second reading);
  fast       the same with DOCDESK_READING=fast (Tesseract + the shop's name read again);
  tesseract  the same with DOCDESK_READING=tesseract (Tesseract only).
and prints each one's CPU time (user + system, child processes included), wall time and the ratio to bare.
Start-up costs (imports, loading the models once per worker) are included: that is what a batch pays.
With --repeat N the four run N times in turn (bare, accurate, fast, tesseract, bare, ...) and the medians are
printed: on a shared virtual machine one 20-receipt run moves by a quarter of bare's time from one run to the next.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff"}


def images(folder: Path, limit: int | None) -> list[Path]:
    found = sorted(p for p in (folder / "img").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    return found[:limit] if limit else found


def measured(command: list[str], env: dict[str, str], stdin: str | None = None) -> tuple[float, float]:
    """(CPU seconds of the command and its children, wall seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, input=stdin, text=True, env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="a folder with img/ (sroie-dev's layout)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N images")
    parser.add_argument("--repeat", type=int, default=1, help="run the four N times in turn and print the medians")
    args = parser.parse_args()
    files = [str(p) for p in images(args.folder, args.limit)]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    commands = {
        "bare": (["xargs", "-P", "2", "-I", "{}", "tesseract", "{}", "stdout", "--psm", "6"], env,
                 "\n".join(files) + "\n"),
        **{reading: ([sys.executable, "cli.py", "extract", "--jsonl", "--workers", "2", *files],
                     {**env, "DOCDESK_READING": reading}, None) for reading in ("accurate", "fast", "tesseract")},
    }
    rounds: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(args.repeat):
        for name, (command, command_env, stdin) in commands.items():
            rounds[name].append(measured(command, command_env, stdin))
    bare_cpu = statistics.median(cpu for cpu, _ in rounds["bare"])
    bare_wall = statistics.median(wall for _, wall in rounds["bare"])
    print(f"{len(files)} receipts from {args.folder}, {args.repeat} round(s), load average {os.getloadavg()[0]:.1f}")
    print("| run | CPU s (median) | wall s | CPU / bare | wall / bare | CPU / bare, each round |")
    print("|---|---|---|---|---|---|")
    for name, measures in rounds.items():
        cpu, wall = statistics.median(m[0] for m in measures), statistics.median(m[1] for m in measures)
        each = " / ".join(f"{m[0] / b[0]:.2f}x" for m, b in zip(measures, rounds["bare"], strict=True))
        print(f"| {name} | {cpu:.1f} | {wall:.1f} | {cpu / bare_cpu:.2f}x | {wall / bare_wall:.2f}x | {each} |")


if __name__ == "__main__":
    main()
