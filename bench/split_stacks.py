"""How well scanned stacks are split into their receipts (a script, not a test).

    .venv/bin/python bench/split_stacks.py DATASET_DIR [--generated N] [--fitted-on DIR] [--stacks 1000] [--seed 0]
    .venv/bin/python bench/split_stacks.py DATASET_DIR --fit      # refit ocr.split's page-start model on its pages

Pages: each labelled receipt of DATASET_DIR (img/, box/) is read by the real pipeline (cleaning + Tesseract) whole,
and cut into the pages of a long receipt at gaps between printed lines (box/NNN.csv): one break between 45 % and 80 %
of its height (a scanner's page is longer than a receipt's header), or, for a quarter of them, two breaks. With
`--generated N`, N invented receipts (tests/stacks.py: other shops, layouts, fonts, slight skew and noise) are read too,
each short (one page) and long (40-70 items over pages of 25-40 lines). Reading is cached (`--cache`).

Stacks: random files of 2-6 receipts, each whole (60 %) or long (40 %), sometimes a blank page after one (the back of
a duplex scan). ocr.split judges each file; reported: receipt starts found, missed (two receipts merged: their fields
could mix) and invented (a long receipt cut in two), files split exactly right, and the judgment's cost per page.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pickle
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ocr import split  # noqa: E402
from ocr.load import load_pages  # noqa: E402
from ocr.pipeline import default_engine, read_page  # noqa: E402
from ocr.types import PageResult  # noqa: E402
from settings import Settings  # noqa: E402

# Where a long receipt's page breaks fall, as shares of its height: a scanner's page is longer than a receipt's header,
# so the first break falls below it; the second of three pages ends between 60 % and 85 %.
ONE_BREAK = (0.45, 0.80)
TWO_BREAKS = ((0.35, 0.60), (0.60, 0.85))
THREE_PAGES = 0.25  # share of long receipts cut twice


@dataclass(frozen=True)
class Pieces:
    """One labelled receipt read whole and as the pages of a long receipt (top to bottom)."""

    name: str
    whole: PageResult
    parts: tuple[PageResult, ...]


def line_spans(box_csv: Path) -> list[tuple[int, int]]:
    """(top, bottom) of each printed line, top to bottom."""
    spans = []
    with open(box_csv, encoding="utf-8", errors="replace") as handle:
        for row in csv.reader(handle):
            if len(row) >= 9:
                ys = [int(v) for v in row[1:8:2]]
                spans.append((min(ys), max(ys)))
    return sorted(spans)


def gaps_between_lines(spans: list[tuple[int, int]]) -> list[int]:
    """y positions between two printed lines (none overlapping the gap)."""
    gaps, reach = [], 0
    for (_, bottom), (next_top, _) in zip(spans, spans[1:], strict=False):
        reach = max(reach, bottom)
        if next_top > reach:
            gaps.append((reach + next_top) // 2)
    return gaps


def page_breaks(spans: list[tuple[int, int]], height: int, rng: random.Random) -> list[int]:
    """Where this long receipt's pages end: one or two gaps between lines inside the break ranges; [] if none fit."""
    gaps = gaps_between_lines(spans)
    ranges = TWO_BREAKS if rng.random() < THREE_PAGES else (ONE_BREAK,)
    breaks = []
    for low, high in ranges:
        inside = [y for y in gaps if low * height <= y <= high * height]
        if not inside:
            return []
        breaks.append(rng.choice(inside))
    return breaks


def patient_engine():
    """Tesseract as the pipeline runs it, with time to spare on a busy machine (this measures splitting, not speed)."""
    return default_engine(replace(Settings().ocr_config(), page_timeout_s=900))


def _cached_read(path: Path, read):
    if path.exists():
        return pickle.loads(path.read_bytes())
    result = read()
    path.write_bytes(pickle.dumps(result))
    return result


def read_pieces(args: tuple[Path, Path, int]) -> Pieces | None:
    image_path, cache_dir, seed = args
    config = Settings().ocr_config()
    engine = patient_engine()
    loaded = next(load_pages(image_path.read_bytes(), config.limits))
    image = loaded.image
    rng = random.Random(f"{seed}:{image_path.stem}")
    spans = line_spans(image_path.parent.parent / "box" / f"{image_path.stem}.csv")
    breaks = page_breaks(spans, image.shape[0], rng)
    if not breaks:
        return None
    whole = _cached_read(cache_dir / f"{image_path.stem}.pkl",
                         lambda: read_page(0, image, engine=engine, dpi=loaded.dpi)[0])
    edges = [0, *breaks, image.shape[0]]

    def part(number: int, top: int, bottom: int) -> PageResult:
        return _cached_read(cache_dir / f"{image_path.stem}-{top}-{bottom}.pkl",
                            lambda: read_page(number, image[top:bottom], engine=engine, dpi=loaded.dpi)[0])

    parts = tuple(part(i, top, bottom) for i, (top, bottom) in enumerate(zip(edges, edges[1:], strict=False)))
    return Pieces(image_path.stem, whole, parts)


def read_all(dataset: Path, cache: Path, seed: int, workers: int) -> list[Pieces]:
    cache_dir = cache / dataset.name
    cache_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(path, cache_dir, seed) for path in sorted((dataset / "img").glob("*.jpg"))]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [p for p in pool.map(read_pieces, jobs) if p is not None]


# --- invented receipts (tests/stacks.py) -------------------------------------------------------------------------

def read_generated(args: tuple[int, Path]) -> Pieces:
    from tests import receipts, stacks

    number, cache_dir = args

    def read() -> Pieces:
        rng = random.Random(number)
        font = {"font_size": rng.choice((22, 24, 26, 28, 30))}
        centred = rng.random() < 0.6
        short = stacks.render(stacks.shop_receipt(number, items=rng.randint(2, 8), centred=centred, seed=number),
                              **font)
        long = stacks.pages_of(stacks.shop_receipt(number, items=rng.randint(40, 70), centred=centred, seed=number + 1),
                               rng.randint(25, 40), **font)
        skew, noise = rng.uniform(-1.5, 1.5), rng.choice((0, 0, 8, 15))

        def scanned(image):
            image = receipts.rotate(image, skew)
            return receipts.add_noise(image, noise, seed=number) if noise else image

        engine = patient_engine()
        whole = read_page(0, scanned(short), engine=engine, dpi=300)[0]
        parts = tuple(read_page(i, scanned(page), engine=engine, dpi=300)[0] for i, page in enumerate(long))
        return Pieces(f"generated-{number}", whole, parts)

    return _cached_read(cache_dir / f"generated-{number}.pkl", read)


def read_all_generated(count: int, cache: Path, workers: int) -> list[Pieces]:
    cache_dir = cache / "generated"
    cache_dir.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(read_generated, [(n, cache_dir) for n in range(count)]))


# --- stacks, judged -----------------------------------------------------------------------------------------------

BLANK = PageResult(0, 2480, 3508, ())


def make_stack(pieces: list[Pieces], rng: random.Random) -> tuple[list[PageResult], set[int]]:
    """A random file of 2-6 receipts and the positions where they start."""
    pages: list[PageResult] = []
    starts: set[int] = set()
    for chosen in rng.sample(pieces, rng.randint(2, 6)):
        starts.add(len(pages))
        pages += [chosen.whole] if rng.random() < 0.6 else list(chosen.parts)
        if rng.random() < 0.1:
            pages.append(BLANK)
    return [replace(page, index=i) for i, page in enumerate(pages)], starts


def score_stacks(pieces: list[Pieces], count: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    found = missed = invented = exact = pages = 0
    seconds = 0.0
    for _ in range(count):
        stack, truth = make_stack(pieces, rng)
        start = time.process_time()  # CPU time: the judgment's own cost, whatever else the machine runs
        judged = split.judge(stack)
        seconds += time.process_time() - start
        got = {position for position, page in enumerate(judged) if page.starts}
        found += len(got & truth) - 1  # the first page always starts: not a judgment
        missed += len(truth - got)
        invented += len(got - truth)
        exact += got == truth
        pages += len(stack)
    return {"stacks": count, "pages": pages, "starts": found + missed, "found": found, "missed": missed,
            "invented": invented, "exact": exact / count, "ms_per_page": seconds * 1000 / pages}


def report(name: str, figures: dict[str, float]) -> None:
    print(f"{name}: {figures['stacks']} files, {figures['pages']} pages, {figures['starts']} receipt starts after the "
          f"first page: found {figures['found']}, missed {figures['missed']} (receipts merged), invented "
          f"{figures['invented']} (a receipt cut in two); files split exactly right {figures['exact']:.1%}; "
          f"judgment {figures['ms_per_page']:.2f} ms CPU a page")


# --- the page-start model ----------------------------------------------------------------------------------------

def fit(pieces: list[Pieces], l2: float = 1.0) -> None:
    """Logistic regression (Newton steps, L2) of 'starts a receipt' on ocr.split.start_signs: whole receipts and
    first pages of long ones start, the other pages do not. Prints the weights and the share of whole receipts that
    close (CLOSED_SHARE)."""
    import numpy as np

    rows, labels = [], []
    for p in pieces:
        for page, label in [(p.whole, 1.0), (p.parts[0], 1.0), *[(part, 0.0) for part in p.parts[1:]]]:
            rows.append(split.start_signs(split._content_rows(page)))
            labels.append(label)
    x = np.hstack([np.array(rows), np.ones((len(rows), 1))])
    y = np.array(labels)
    w = np.zeros(x.shape[1])
    ridge = l2 * np.diag([*([1.0] * (x.shape[1] - 1)), 0.0])
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ w))
        w -= np.linalg.solve((x * (p * (1 - p))[:, None]).T @ x + ridge, x.T @ (p - y) + ridge @ w)
    closed = sum(split.page_signs(p.whole).closes for p in pieces) / len(pieces)
    print(f"{len(rows)} pages, {int(y.sum())} starts")
    print(f"START_WEIGHTS = ({', '.join(f'{v:.2f}' for v in w[:-1])})\nSTART_BIAS = {w[-1]:.2f}")
    print(f"CLOSED_SHARE = {closed:.3f}  # of {len(pieces)} whole receipts")


def shop(key_json: Path) -> str:
    """A labelled receipt's shop: its company name, spaces and case aside."""
    return " ".join(str(json.loads(key_json.read_text(encoding="utf-8")).get("company", "")).upper().split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", type=Path, nargs="?")
    parser.add_argument("--generated", type=int, default=0, help="also read N invented receipts")
    parser.add_argument("--stacks", type=int, default=1000)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/docdesk-split-cache"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fit", action="store_true", help="refit the page-start model on DATASET_DIR's pages")
    parser.add_argument("--fitted-on", type=Path, help="also score DATASET_DIR's receipts of shops not in this folder")
    args = parser.parse_args()
    sources = []
    if args.dataset:
        sources.append((args.dataset.name, read_all(args.dataset, args.cache, args.seed, args.workers)))
        if args.fitted_on:
            seen = {shop(path) for path in (args.fitted_on / "key").glob("*.json")}
            unseen = [p for p in sources[0][1] if shop(args.dataset / "key" / f"{p.name}.json") not in seen]
            sources.append((f"{args.dataset.name}, shops not in {args.fitted_on.name}", unseen))
    if args.generated:
        sources.append(("generated", read_all_generated(args.generated, args.cache, args.workers)))
    if args.fit:
        fit([p for _, pieces in sources for p in pieces])
        return
    for name, pieces in sources:
        report(name, score_stacks(pieces, args.stacks, args.seed))


if __name__ == "__main__":
    main()
