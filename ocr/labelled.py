"""Labelled folders as training and validation data: img/NNN.jpg read by the real pipeline, key/NNN.json the truth
({"company", "date", "address", "total"}, as in sroie-dev). A folder is one source of `LabelledReceipt`s; approved
documents are another (services). Reading a receipt costs about a second, so readings can be kept in a cache folder
(one JSON file per image, keyed by the image's SHA-256 and the reading setting) and reused by later runs."""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from ocr.evaluate import box_text, list_receipts, load_gold
from ocr.fields.training import LabelledReceipt, shop_of
from ocr.types import BoundingBox, PageResult, Word

CACHE_FORMAT = 1


@dataclass(frozen=True)
class FolderReceipt:
    """A labelled receipt of a folder, and what its reading cost and missed (for the report)."""

    receipt: LabelledReceipt
    seconds: float
    box_text: str  # the folder's line transcriptions, for the OCR's character error rate ('' without box/)


def page_to_json(page: PageResult) -> dict:
    return {"index": page.index, "width": page.width, "height": page.height, "ocr_ms": page.ocr_ms,
            "words": [[w.text, w.confidence, *w.box.as_list(), w.block, w.paragraph, w.line, w.second,
                       w.second_confidence] for w in page.words]}


def page_from_json(data: dict) -> PageResult:
    words = tuple(Word(row[0], row[1], BoundingBox(*row[2:6]), *row[6:]) for row in data["words"])
    return PageResult(data["index"], data["width"], data["height"], words, ocr_ms=data.get("ocr_ms", 0.0))


def _cache_file(cache: Path, data: bytes, reading: str) -> Path:
    return cache / f"{hashlib.sha256(data).hexdigest()[:32]}-{reading}-v{CACHE_FORMAT}.json"


def read_image(path: Path, read: Callable[[bytes], tuple[Sequence[PageResult], float]], reading: str,
               cache: Path | None) -> tuple[tuple[PageResult, ...], float]:
    """The pages of one image with both readings, and the seconds reading it took (from the cache when there)."""
    data = path.read_bytes()
    cached = _cache_file(cache, data, reading) if cache else None
    if cached is not None and cached.exists():
        stored = json.loads(cached.read_text(encoding="utf-8"))
        return tuple(page_from_json(page) for page in stored["pages"]), stored["seconds"]
    pages, seconds = read(data)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_suffix(".tmp")
        temporary.write_text(json.dumps({"pages": [page_to_json(p) for p in pages], "seconds": seconds}),
                             encoding="utf-8")
        os.replace(temporary, cached)
    return tuple(pages), seconds


def receipt_name(image: Path) -> str:
    """How a labelled receipt is named in reports and model cards: its folder and file, 'sroie-dev/002.jpg'."""
    return f"{image.parent.parent.name}/{image.name}"


def _one(job: tuple[Path, Callable, str, Path | None]) -> FolderReceipt:
    path, read, reading, cache = job
    root = path.parent.parent
    gold = load_gold(root / "key" / f"{path.stem}.json")
    pages, seconds = read_image(path, read, reading, cache)
    box = root / "box" / f"{path.stem}.csv"
    receipt = LabelledReceipt(receipt_name(path), shop_of(gold.get("vendor", "")), pages, gold)
    return FolderReceipt(receipt, seconds, box_text(box) if box.exists() else "")


def folder_receipts(folders: Sequence[Path], read: Callable[[bytes], tuple[Sequence[PageResult], float]], *,
                    reading: str, cache: Path | None = None, workers: int = 2,
                    progress: Callable[[int, int], None] | None = None) -> list[FolderReceipt]:
    """Every labelled image of the folders (img/ with a key/ beside), read with `read` in `workers` processes."""
    jobs = [(path, read, reading, cache) for folder in folders for path in list_receipts(Path(folder))
            if (path.parent.parent / "key" / f"{path.stem}.json").exists()]
    found: list[FolderReceipt] = []
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        for item in pool.map(_one, jobs, chunksize=1) if workers > 1 else map(_one, jobs):
            found.append(item)
            if progress:
                progress(len(found), len(jobs))
    return found

