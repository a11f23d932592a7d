"""Near-duplicates on real receipts: how many true duplicates are flagged, how many different receipts are.

    .venv/bin/python bench/near_duplicates.py ../shared/datasets/sroie-dev [../shared/datasets/sroie-train]
        [--workers 2] [--cache DIR]

True duplicates: each scan against two copies of it made here, seeded by the file name:
- rescanned: smaller (45-80 %), turned 0.5-3 degrees either way, lighter or darker, other margins, JPEG 35-65;
- photographed: seen at an angle (corners moved 2-5 %), on a darker table, uneven light, a little blur, JPEG 60-85.
Different receipts: every pair of receipts of the same shop (the key's company), and up to 2000 random pairs of
different shops. Every image is read by the real pipeline (ocr.pipeline.extract_document: cleaning, Tesseract,
fields, second reading), and ocr.duplicates' two signs are applied as services.duplicates applies them: the page
hash, and vendor + date + total as read; and vendor + date + total as a reviewer would correct them (the key's).
`--cache DIR` keeps each reading (cleaned page, words, fields) so that a second run only re-applies the signs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ocr import duplicates  # noqa: E402 - after the path is set
from ocr.evaluate import gold_amount, gold_date, list_receipts, load_gold  # noqa: E402
from ocr.types import BoundingBox, Word  # noqa: E402

KINDS = ("scan", "rescanned", "photographed")
RANDOM_PAIRS = 2000


def rescanned(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    scale = rng.uniform(0.45, 0.8)
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    angle = rng.uniform(0.5, 3.0) * rng.choice([-1, 1])
    h, w = small.shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    turned = cv2.warpAffine(small, turn, (w, h), borderValue=(255, 255, 255))
    light = np.clip(turned.astype(np.float32) * rng.uniform(0.85, 1.1) + rng.uniform(-20, 20), 0, 255)
    pad = [int(v) for v in rng.integers(5, 60, 4)]
    framed = cv2.copyMakeBorder(light.astype(np.uint8), *pad, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    return _jpeg(framed, int(rng.integers(35, 66)))


def photographed(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = image.shape[:2]
    margin = int(0.08 * max(h, w))
    table = np.full((h + 2 * margin, w + 2 * margin, 3), rng.integers(70, 140, 3), np.uint8)
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    moved = corners + margin + rng.uniform(-0.05, 0.05, (4, 2)).astype(np.float32) * [w, h]
    warp = cv2.getPerspectiveTransform(corners, moved.astype(np.float32))
    paper = cv2.warpPerspective(image, warp, table.shape[1::-1], borderMode=cv2.BORDER_TRANSPARENT, dst=table)
    ramp = np.linspace(rng.uniform(0.7, 0.85), 1.05, paper.shape[1], dtype=np.float32)[None, :, None]
    shaded = np.clip(paper.astype(np.float32) * ramp, 0, 255).astype(np.uint8)
    blurred = cv2.GaussianBlur(shaded, (3, 3), 0)
    scale = rng.uniform(0.6, 0.9)
    return _jpeg(cv2.resize(blurred, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA),
                 int(rng.integers(60, 86)))


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def copy_of(path: Path, kind: str) -> bytes:
    if kind == "scan":
        return path.read_bytes()
    rng = np.random.default_rng(_seed(path.name, kind))
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    made = rescanned(image, rng) if kind == "rescanned" else photographed(image, rng)
    return cv2.imencode(".jpg", made, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()


def _seed(name: str, kind: str) -> int:
    return int.from_bytes(f"{name}/{kind}".encode(), "big") % 2**32


def read(job: tuple[str, str, str]) -> dict:
    """One image read by the real pipeline: its cleaned first page (PNG, hex), words and fields (cached)."""
    from ocr.pipeline import extract_document
    from settings import get_settings

    path, kind, cache = Path(job[0]), job[1], job[2]
    cached = Path(cache) / f"{path.parent.parent.name}-{path.stem}-{kind}.json" if cache else None
    if cached is not None and cached.exists():
        return json.loads(cached.read_text())
    result = extract_document(copy_of(path, kind), config=get_settings().ocr_config(), keep_images=True)
    page, cleaned = result.pages[0], result.images[0].cleaned
    fields = {name: field.value for name, field in result.receipts[0].extraction.fields.items()}
    reading = {"page": cv2.imencode(".png", cleaned)[1].tobytes().hex(), "fields": fields,
               "words": [[w.text, *w.box.as_list()] for w in page.words]}
    if cached is not None:
        cached.write_text(json.dumps(reading))
    return reading


def page_hash(reading: dict) -> duplicates.PageHash:
    gray = cv2.imdecode(np.frombuffer(bytes.fromhex(reading["page"]), np.uint8), cv2.IMREAD_GRAYSCALE)
    words = [Word(text, 1.0, BoundingBox(*box)) for text, *box in reading["words"]]
    return duplicates.page_hash(gray, words)


def values(fields: dict) -> duplicates.Values:
    return duplicates.Values(fields.get("vendor"), fields.get("date"), fields.get("total"))


def key_values(gold: dict) -> duplicates.Values:
    """The key's values as the review form would store them (ISO date, plain amount)."""
    day, amount = gold_date(gold["date"]), gold_amount(gold["total"])
    return duplicates.Values(gold["vendor"], day.isoformat() if day else None,
                             f"{amount:.2f}" if amount is not None else None)


def signs(a: dict, b: dict) -> dict[str, bool]:
    distance = duplicates.same_page(a["hash"], b["hash"])
    image, read_values = distance is not None, duplicates.same_values(a["values"], b["values"])
    return {"image": image, "values as read": read_values, "either (as read)": image or read_values,
            "values as reviewed": duplicates.same_values(a["key"], b["key"]),
            "either (as reviewed)": image or duplicates.same_values(a["key"], b["key"])}


def pairs(receipts: dict[str, dict]) -> dict[str, list[tuple[dict, dict]]]:
    names = sorted(receipts)
    shops = defaultdict(list)
    for name in names:
        shops[" ".join(receipts[name]["gold"]["vendor"].upper().split())].append(name)
    same_shop = [(receipts[a]["scan"], receipts[b]["scan"])
                 for group in shops.values() for a, b in itertools.combinations(group, 2)]
    shop_of = {name: shop for shop, group in shops.items() for name in group}
    others = [(a, b) for a, b in itertools.combinations(names, 2) if shop_of[a] != shop_of[b]]
    random.Random(0).shuffle(others)
    return {"rescanned copy (true)": [(receipts[n]["scan"], receipts[n]["rescanned"]) for n in names],
            "photographed copy (true)": [(receipts[n]["scan"], receipts[n]["photographed"]) for n in names],
            "same shop, other receipt": same_shop,
            "other shops": [(receipts[a]["scan"], receipts[b]["scan"]) for a, b in others[:RANDOM_PAIRS]]}


def report(dataset: Path, readings: dict[tuple[str, str], dict]) -> None:
    receipts: dict[str, dict] = {}
    for (name, kind), reading in readings.items():
        gold = load_gold(dataset / "key" / f"{name}.json")
        entry = receipts.setdefault(name, {"gold": gold})
        entry[kind] = {"hash": page_hash(reading), "values": values(reading["fields"]), "key": key_values(gold)}
    print(f"\n{dataset.name}: {len(receipts)} receipts")
    columns = ["image", "values as read", "either (as read)", "values as reviewed", "either (as reviewed)"]
    print("| pairs | n | " + " | ".join(columns) + " |")
    print("|---|---|" + "---|" * len(columns))
    for label, chosen in pairs(receipts).items():
        counts = dict.fromkeys(columns, 0)
        for a, b in chosen:
            for column, flagged in signs(a, b).items():
                counts[column] += flagged
        print(f"| {label} | {len(chosen)} | " + " | ".join(f"{counts[c]} ({counts[c] / max(1, len(chosen)):.0%})"
                                                          for c in columns) + " |")
    distances = {label: sorted(d for a, b in chosen if (d := duplicates.hash_distance(a["hash"], b["hash"]))
                               is not None) for label, chosen in pairs(receipts).items()}
    for label, found in distances.items():
        if found:
            print(f"  hash distance, {label}: min {found[0]}, median {found[len(found) // 2]}, max {found[-1]} "
                  f"({len(found)} of the pairs had text areas of a like shape)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=None, help="Keep the readings here (made if missing).")
    parser.add_argument("--limit", type=int, default=None, help="Only the first N receipts of each folder.")
    args = parser.parse_args()
    import os

    os.environ["OMP_THREAD_LIMIT"] = "1"
    if args.cache:
        args.cache.mkdir(parents=True, exist_ok=True)
    for dataset in args.datasets:
        jobs = [(str(path), kind, str(args.cache or "")) for path in list_receipts(dataset, limit=args.limit)
                for kind in KINDS]
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            readings = dict(zip(((Path(p).stem, k) for p, k, _ in jobs), pool.map(read, jobs), strict=True))
        report(dataset, readings)


if __name__ == "__main__":
    main()
