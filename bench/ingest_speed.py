"""Throughput of the whole ingestion path against bare Tesseract, on the same files, in the same run.

    .venv/bin/python bench/ingest_speed.py ../shared/datasets/sroie-dev [--workers 2] [--limit N] [--report FILE]

1. Bare Tesseract: `tesseract IMG stdout --psm 6` with OMP_THREAD_LIMIT=1, one process per worker, all files.
2. DocDesk: an empty data folder, `cli.py worker --workers N` running, then `cli.py ingest --wait IMG_DIR`
   (queue -> OCR pipeline -> page images -> database -> needs_review). Peak RSS of each worker process
   (with its per-document OCR child) is sampled with psutil every 100 ms.
Prints the wall times, their ratio, pages per minute, RSS, and where the worker's time went (mean ms per
step from ProcessingRun.step_ms). The machine may be shared: wall time then depends on what else runs, so
the CPU time of each side (all descendant processes, from getrusage) is reported too, and --rounds N
repeats both measurements alternately.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp", ".pdf"}


def children_cpu_s() -> float:
    """CPU seconds of every waited-for descendant so far (tesseract, the worker and its processes)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bare_tesseract(files: list[Path], processes: int) -> float:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def one(path: Path) -> None:
        subprocess.run(["tesseract", str(path), "stdout", "--psm", "6"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    start = time.perf_counter()
    with ThreadPoolExecutor(processes) as pool:
        list(pool.map(one, files))
    return time.perf_counter() - start


class RssSampler(threading.Thread):
    """Peak RSS of each direct child of the consumer (a huey worker), counting its OCR child with it."""

    def __init__(self, consumer_pid: int):
        super().__init__(daemon=True)
        self.consumer = psutil.Process(consumer_pid)
        self.peak_worker_mb: dict[int, float] = {}
        self.peak_consumer_mb = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.peak_consumer_mb = max(self.peak_consumer_mb, self.consumer.memory_info().rss / 2**20)
                for child in self.consumer.children():
                    try:
                        family = [child, *child.children(recursive=True)]
                        total = sum(c.memory_info().rss for c in family)
                    except psutil.NoSuchProcess:
                        continue
                    self.peak_worker_mb[child.pid] = max(self.peak_worker_mb.get(child.pid, 0.0), total / 2**20)
            except psutil.NoSuchProcess:
                return
            self.stop.wait(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", type=Path, help="folder with img/ (e.g. ../shared/datasets/sroie-dev)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--report", type=Path, default=None, help="also write the figures as markdown here")
    parser.add_argument("--rounds", type=int, default=1, help="repeat bare / DocDesk alternately N times")
    args = parser.parse_args()

    image_dir = args.dataset / "img" if (args.dataset / "img").is_dir() else args.dataset
    files = sorted(p for p in image_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[: args.limit]
    if args.limit:
        image_dir = Path(tempfile.mkdtemp(prefix="docdesk-bench-img-"))
        for path in files:
            (image_dir / path.name).symlink_to(path.resolve())

    rounds = [run_round(files, image_dir, args.workers) for _ in range(args.rounds)]
    last = rounds[-1]
    pages = last["pages"]
    lines = [f"- files: {len(files)} ({pages} pages), workers: {args.workers}, cores: {os.cpu_count()}, "
             f"load average at start of each round: {', '.join(r['load'] for r in rounds)}", ""]
    lines += ["| round | bare tesseract wall s | DocDesk wall s | wall ratio | bare CPU s | DocDesk CPU s | CPU ratio "
              "| pages/min DocDesk | pages/min bare |", "|---|---|---|---|---|---|---|---|---|"]
    for i, r in enumerate(rounds, 1):
        lines.append(f"| {i} | {r['tesseract_s']:.1f} | {r['docdesk_s']:.1f} "
                     f"| **{r['docdesk_s'] / r['tesseract_s']:.2f}** | {r['tesseract_cpu']:.1f} "
                     f"| {r['docdesk_cpu']:.1f} | **{r['docdesk_cpu'] / r['tesseract_cpu']:.2f}** "
                     f"| {r['pages'] / r['docdesk_s'] * 60:.0f} | {len(files) / r['tesseract_s'] * 60:.0f} |")
    lines += [
        "",
        f"- ingest summary line (last round): `{last['summary']}`",
        "- peak RSS per worker process incl. its OCR child, shared copy-on-write pages counted twice (MB): "
        + ", ".join(f"{mb:.0f}" for mb in last["worker_peaks"]),
        f"- peak RSS of the consumer main process: {last['consumer_mb']:.0f} MB",
        "",
        "Mean ms per document, by step (ProcessingRun.step_ms, last round; `total` = the OCR pipeline, "
        "`run` = claim to commit):",
        "",
        "| step | mean ms |",
        "|---|---|",
        *(f"| {name} | {ms:.1f} |" for name, ms in sorted(last["steps"].items(), key=lambda kv: -kv[1])),
    ]
    text = "\n".join(lines)
    print(text)
    if args.report:
        args.report.write_text(text + "\n")


def run_round(files: list[Path], image_dir: Path, workers: int) -> dict:
    load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    cpu = children_cpu_s()
    tesseract_s = bare_tesseract(files, workers)
    tesseract_cpu = children_cpu_s() - cpu
    print(f"bare tesseract: {len(files)} files in {tesseract_s:.1f} s, {tesseract_cpu:.1f} CPU s", flush=True)

    data_dir = Path(tempfile.mkdtemp(prefix="docdesk-bench-")) / "data"
    env = {**os.environ, "DOCDESK_DATA_DIR": str(data_dir), "OMP_THREAD_LIMIT": "1"}
    env.pop("DOCDESK_DATABASE_URL", None)
    env.pop("DOCDESK_QUEUE_URL", None)
    python = sys.executable
    subprocess.run([python, "cli.py", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    log = open(data_dir.parent / "worker.log", "wb")
    cpu = children_cpu_s()
    worker = subprocess.Popen([python, "cli.py", "worker", "--workers", str(workers)], cwd=ROOT, env=env,
                              stdout=log, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while b"worker started" not in (data_dir.parent / "worker.log").read_bytes():
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("worker did not start: see " + str(data_dir.parent / "worker.log"))
            time.sleep(0.1)
        sampler = RssSampler(worker.pid)
        sampler.start()
        start = time.perf_counter()
        ingest = subprocess.run([python, "cli.py", "ingest", "--wait", str(image_dir)], cwd=ROOT, env=env,
                                capture_output=True, text=True)
        docdesk_s = time.perf_counter() - start
        sampler.stop.set()
        sampler.join()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    docdesk_cpu = children_cpu_s() - cpu  # includes the worker's start-up and the ingest command

    summary = ingest.stdout.strip().splitlines()[-1]
    print(f"docdesk ingest --wait: {docdesk_s:.1f} s, {docdesk_cpu:.1f} CPU s  ({summary})", flush=True)
    if ingest.returncode != 0:
        print(ingest.stdout[-2000:], ingest.stderr[-2000:], file=sys.stderr)
    steps = step_means(env)
    return {"load": load, "tesseract_s": tesseract_s, "tesseract_cpu": tesseract_cpu, "docdesk_s": docdesk_s,
            "docdesk_cpu": docdesk_cpu, "summary": summary, "pages": steps.pop("_pages"), "steps": steps,
            "worker_peaks": sorted(sampler.peak_worker_mb.values(), reverse=True)[: workers * 3],
            "consumer_mb": sampler.peak_consumer_mb}


def step_means(env: dict[str, str]) -> dict[str, float]:
    code = (
        "import json\n"
        "from sqlalchemy import select\n"
        "from storage.db import session_factory\n"
        "from storage.models import ProcessingRun\n"
        "with session_factory().begin() as s:\n"
        "    runs = s.scalars(select(ProcessingRun).where(ProcessingRun.outcome == 'ok')).all()\n"
        "    print(json.dumps([[r.total_ms, r.pages, r.step_ms] for r in runs]))\n"
    )
    import json

    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    runs = json.loads(out.stdout)
    names = {name for _, _, steps in runs for name in steps}
    means = {name: statistics.fmean(steps.get(name, 0.0) for _, _, steps in runs) for name in names}
    means["run (claim to commit)"] = statistics.fmean(total for total, _, _ in runs)
    means["_pages"] = sum(pages for _, pages, _ in runs)
    return means


if __name__ == "__main__":
    main()
