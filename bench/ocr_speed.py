"""OCR speed and quality benchmark (a script, not a test).

    .venv/bin/python bench/ocr_speed.py /work/shared/datasets/sroie-dev [--limit N] [--skip-wall]

(a) per page, in one process: everything except Tesseract (load, cleaning, fields) vs Tesseract's read time;
    the orientation check's own Tesseract calls are shown separately; plus character error rate against
    box/NNN.csv of the pipeline vs bare grayscale (psm 6), so preprocessing is shown not to hurt clean scans.
(b) wall time of `cli.py extract --jsonl` over all images vs bare `tesseract IMG stdout --psm 6`,
    OMP_THREAD_LIMIT=1, one process per core (xargs -P).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz.distance import Levenshtein  # noqa: E402

from ocr import preprocess  # noqa: E402
from ocr.load import load_pages  # noqa: E402
from ocr.pipeline import default_engine, extract_document, warm_up  # noqa: E402
from ocr.types import PageResult  # noqa: E402
from settings import Settings  # noqa: E402

TESSERACT_STEPS = ("ocr",)


def box_text(path: Path) -> str:
    lines = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for row in csv.reader(handle):
            if len(row) >= 9:
                lines.append(",".join(row[8:]))
    return "\n".join(lines)


def cer(expected: str, got: str) -> float:
    a, b = " ".join(expected.split()), " ".join(got.split())
    return Levenshtein.distance(a, b) / max(1, len(a))


def per_page(images: list[Path], dataset: Path) -> None:
    config = Settings().ocr_config()
    warm_up(config)  # as a worker does once at start: the second reader's model is loaded before timing
    engine = default_engine(config)
    overhead, tesseract, osd, pipe_cer, bare_cer, bare_ms, confidences = [], [], [], [], [], [], []
    steps: dict[str, float] = {}
    for path in images:
        data = path.read_bytes()
        result = extract_document(data, config=config, engine=engine, keep_images=False)
        t = result.timings
        osd_ms = sum(tr.ms for page in result.pages for tr in page.trace
                     if tr.name in ("orient", "recheck_orientation") and not tr.skipped)
        tesseract.append(t["ocr"])
        overhead.append(t["total"] - t["ocr"])
        osd.append(osd_ms)
        for name, ms in t.items():
            steps[name] = steps.get(name, 0.0) + ms
        confidences.append(result.pages[0].mean_confidence or 0.0)
        truth_path = dataset / "box" / (path.stem + ".csv")
        # bare: grayscale straight into the engine, same psm
        gray = preprocess.to_grayscale(next(load_pages(data, config.limits)).image)
        start = time.perf_counter()
        bare = PageResult(0, gray.shape[1], gray.shape[0], tuple(engine.read_words(gray)))
        bare_ms.append((time.perf_counter() - start) * 1000)
        if truth_path.exists():
            truth = box_text(truth_path)
            pipe_cer.append(cer(truth, "\n".join(p.text for p in result.pages)))
            bare_cer.append(cer(truth, bare.text))
        pipe_last, bare_last = (pipe_cer[-1], bare_cer[-1]) if pipe_cer else (float("nan"), float("nan"))
        print(f"{path.name}: tesseract {t['ocr']:.0f} ms, other {t['total'] - t['ocr']:.0f} ms (orient {osd_ms:.0f}),"
              f" cer pipeline {pipe_last:.3f} bare {bare_last:.3f}", flush=True)
    n = len(images)
    print("\n## (a) per page, one process")
    print(f"pages: {n}")
    print(f"Tesseract read time: mean {statistics.mean(tesseract):.0f} ms/page")
    print(f"everything else:     mean {statistics.mean(overhead):.0f} ms/page "
          f"({statistics.mean(overhead) / statistics.mean(tesseract):.1%} of Tesseract); "
          f"of which orientation-check Tesseract calls {statistics.mean(osd):.0f} ms/page "
          f"({sum(1 for v in osd if v > 0)} pages needed them)")
    print(f"without those calls: {(statistics.mean(overhead) - statistics.mean(osd)) / statistics.mean(tesseract):.1%}"
          " of Tesseract")
    print("mean ms/page per step: " + ", ".join(f"{k} {v / n:.1f}" for k, v in sorted(steps.items())))
    print(f"bare grayscale read: mean {statistics.mean(bare_ms):.0f} ms/page")
    if pipe_cer:
        pairs = list(zip(pipe_cer, bare_cer, strict=True))
        print(f"CER vs box text: pipeline {statistics.mean(pipe_cer):.4f}, "
              f"bare grayscale {statistics.mean(bare_cer):.4f}"
              f" (pipeline better on {sum(p < b for p, b in pairs)}, worse on {sum(p > b for p, b in pairs)},"
              f" of {len(pipe_cer)})")
    print(f"mean word confidence: min {min(confidences):.3f}, median {statistics.median(confidences):.3f}")


def wall(images: list[Path]) -> None:
    cores = os.cpu_count() or 1
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    start = time.perf_counter()
    run = subprocess.run([sys.executable, str(ROOT / "cli.py"), "extract", "--jsonl", *map(str, images)],
                         env=env, capture_output=True, text=True, cwd=ROOT)
    cli_s = time.perf_counter() - start
    failed = sum('"error": null' not in line for line in run.stdout.splitlines())
    start = time.perf_counter()
    subprocess.run(["xargs", "-P", str(cores), "-I{}", "tesseract", "{}", "stdout", "--psm", "6"],
                   input="\n".join(map(str, images)), env=env, capture_output=True, text=True, check=True)
    bare_s = time.perf_counter() - start
    print("\n## (b) wall time, all files")
    print(f"cli.py extract --jsonl ({cores} processes): {cli_s:.1f} s ({cli_s / len(images):.2f} s/receipt,"
          f" {failed} failed, exit {run.returncode})")
    print(f"tesseract IMG stdout --psm 6, OMP_THREAD_LIMIT=1, xargs -P {cores}: {bare_s:.1f} s "
          f"({bare_s / len(images):.2f} s/receipt)")
    print(f"ratio: {cli_s / bare_s:.2f}")


def psm_compare(images: list[Path], dataset: Path, modes: tuple[int, ...] = (3, 4, 6, 11)) -> None:
    """CER against box text of bare grayscale pages read with each page segmentation mode."""
    config = Settings().ocr_config()
    engine = default_engine(config)
    scores: dict[int, list[float]] = {mode: [] for mode in modes}
    times: dict[int, float] = {mode: 0.0 for mode in modes}
    for path in images:
        truth_path = dataset / "box" / (path.stem + ".csv")
        if not truth_path.exists():
            continue
        truth = box_text(truth_path)
        gray = preprocess.to_grayscale(next(load_pages(path.read_bytes(), config.limits)).image)
        for mode in modes:
            start = time.perf_counter()
            page = PageResult(0, gray.shape[1], gray.shape[0], tuple(engine.read_words(gray, psm=mode)))
            times[mode] += time.perf_counter() - start
            scores[mode].append(cer(truth, page.text))
    print("\n## page segmentation mode, bare grayscale")
    for mode in modes:
        ms_per_page = times[mode] / len(scores[mode]) * 1000
        print(f"--psm {mode}: CER {statistics.mean(scores[mode]):.4f}, {ms_per_page:.0f} ms/page")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--skip-wall", action="store_true")
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--psm", action="store_true", help="also compare page segmentation modes 3/4/6/11")
    args = parser.parse_args()
    images = sorted(p for p in (args.dataset / "img").iterdir() if p.is_file())
    if args.limit:
        images = images[: args.limit]
    if not args.skip_pages:
        per_page(images, args.dataset)
    if not args.skip_wall:
        wall(images)
    if args.psm:
        psm_compare(images, args.dataset)


if __name__ == "__main__":
    main()
