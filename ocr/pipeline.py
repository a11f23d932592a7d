"""The OCR pipeline: load -> clean (named, traced steps) -> read words (Tesseract, then the second reader on the
lines that can hold a field) -> fields.

Each page keeps a trace of what every step found and how long it took, so a bad result can be explained
("turned 90 by OSD", "deskewed -4.2 deg", "denoise skipped: clean").
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PIL import Image

from errors import DocDeskError, ErrorCode
from ocr import photo, preprocess, split
from ocr.config import OcrConfig
from ocr.engine import Engine, TesseractEngine, load
from ocr.fields import extract_fields
from ocr.fields.lexicon import load_lexicon
from ocr.fields.ranker import Ranker, shipped_ranker
from ocr.load import load_pages
from ocr.second_reading import line_recogniser, read_page_again
from ocr.types import Extraction, PageResult, StepTrace, Word

# A page read with mean word confidence below this gets a second orientation check (all four turns read on a
# crop): upright SROIE scans read at 0.50-0.86 (median 0.69), the same pages turned 180 degrees at 0.26-0.34.
RECHECK_BELOW = 0.45


@dataclass(frozen=True)
class PageImages:
    original: np.ndarray
    cleaned: np.ndarray


@dataclass(frozen=True)
class Receipt:
    """One receipt of a file: the file's pages it was read from (PageResult.index, in order) and its fields."""

    pages: tuple[int, ...]
    extraction: Extraction


@dataclass(frozen=True)
class DocumentResult:
    pages: tuple[PageResult, ...]  # every page read, in the file's order
    images: tuple[PageImages, ...]
    receipts: tuple[Receipt, ...]  # one for a single receipt; several for a stack (DOCDESK_SPLIT_PAGES)
    timings: dict[str, float]  # ms per step summed over pages, plus 'load', 'ocr', 'split', 'fields', 'total'


Step = Callable[..., tuple[np.ndarray, dict[str, Any]]]


def _steps(engine: Engine) -> tuple[tuple[str, Step], ...]:
    """The cleaning steps, in order. Dark borders first, so measuring the text and the light sees only paper;
    rescale next, so a 35-megapixel scan is made small before the rest touches it; light next, so later steps see
    paper, not shade; orientation before deskew."""
    return (
        ("borders", preprocess.paint_borders),
        ("rescale", preprocess.rescale),
        ("light", preprocess.flatten_light),
        ("denoise", preprocess.denoise),
        ("orient", lambda image: preprocess.orient(image, engine=engine)),
        ("deskew", preprocess.deskew),
    )


def _run(name: str, step: Step, image: np.ndarray) -> tuple[np.ndarray, StepTrace]:
    start = time.perf_counter()
    out, details = step(image)
    ms = (time.perf_counter() - start) * 1000
    details = dict(details)
    skipped = bool(details.pop("skipped", False))
    return out, StepTrace(name, round(ms, 2), details, skipped)


def clean_page(image: np.ndarray, *, engine: Engine) -> tuple[np.ndarray, tuple[StepTrace, ...]]:
    """Flatten a photographed receipt, grayscale, rescale, even out the light, denoise, orient, deskew. Returns the
    cleaned page and the trace."""
    image, found = _run("photo", photo.flatten_photo, image)
    image, first = _run("grayscale", lambda img: (preprocess.to_grayscale(img), {"channels": img.ndim}), image)
    traces = [found, first]
    for name, step in _steps(engine):
        image, trace = _run(name, step, image)
        traces.append(trace)
    return image, tuple(traces)


def _mean_confidence(words: list[Word]) -> float:
    scored = [w.confidence for w in words if len(w.text) > 1]
    return float(np.mean(scored)) if scored else 0.0


def read_page(index: int, image: np.ndarray, *, engine: Engine, dpi: int | None = None
              ) -> tuple[PageResult, PageImages]:
    """Clean one page and read its words; boxes refer to the cleaned image (PageResult.width/height)."""
    cleaned, traces = clean_page(image, engine=engine)
    start = time.perf_counter()
    words = engine.read_words(cleaned)
    ocr_ms = (time.perf_counter() - start) * 1000
    confidence = _mean_confidence(words)
    orient_ran = any(t.name == "orient" and not t.skipped for t in traces)
    if confidence < RECHECK_BELOW and not orient_ran:
        # Upside-down (or sideways pages the cheap line test missed). OSD was unreliable on real scans, so the
        # candidates are read on a crop; this costs ~2 page reads, only for poorly read pages.
        start = time.perf_counter()
        turned, details = preprocess.orient(cleaned, engine=engine, always=True, use_osd=False)
        recheck: dict[str, Any] = {**details, "confidence_before": round(confidence, 3)}
        recheck_ms = (time.perf_counter() - start) * 1000
        if details.get("rotate"):
            start = time.perf_counter()
            turned_words = engine.read_words(turned)
            ocr_ms += (time.perf_counter() - start) * 1000
            turned_confidence = _mean_confidence(turned_words)
            recheck["confidence_after"] = round(turned_confidence, 3)
            if turned_confidence > confidence:
                cleaned, words, confidence = turned, turned_words, turned_confidence
            else:
                recheck["kept"] = "original"
        traces = (*traces, StepTrace("recheck_orientation", round(recheck_ms, 2), recheck, not details.get("rotate")))
    height, width = cleaned.shape[:2]
    page = PageResult(index=index, width=width, height=height, words=tuple(words), dpi=dpi, trace=traces,
                      ocr_ms=round(ocr_ms, 2))
    return page, PageImages(original=image, cleaned=cleaned)


def warm_up(config: OcrConfig) -> None:
    """Load what every document needs once per process, before a child is forked for each document: the ranker's
    model file, Tesseract's model (and the command's version), the word lists, the second reader, and the modules
    only imported on first use (Pillow's image formats; numpy.ma, which np.median imports). A forked child starts
    from this process's state: whatever is left to first use would be paid again by every document."""
    shipped_ranker()
    load(config.language)
    load_lexicon(config.extraction.locales)
    Image.preinit()
    importlib.import_module("numpy.ma")
    if config.reading != "tesseract":
        line_recogniser()


def default_engine(config: OcrConfig) -> TesseractEngine:
    """Tesseract as the reading mode wants it: the fast reading skips reading poorly read lines again inverted (white
    on black), ~5 % of Tesseract's time."""
    return TesseractEngine(language=config.language, psm=6, timeout_s=config.page_timeout_s,
                           invert=config.reading != "fast")


@dataclass(frozen=True)
class Reading:
    pages: tuple[PageResult, ...]  # every page read, with the second reading where it was made
    images: tuple[PageImages, ...]
    judged: tuple[split.Judged, ...]  # each page: does it start a receipt, and the signs that said so
    receipts: tuple[tuple[int, ...], ...]  # positions in `pages` of each receipt's pages
    timings: dict[str, float]  # ms per step summed over pages, plus 'load', 'ocr', 'split'


def read_document(data: bytes, *, config: OcrConfig, engine: Engine | None = None, keep_images: bool = True,
                  only: range | None = None) -> Reading:
    """Bytes of one uploaded file -> its pages with words, judged into receipts (ocr.split, as
    `config.split_pages` says; `only`: just these pages, as one receipt), then the lines that can hold a field read
    a second time, the header on each receipt's first page. The cleaned images are kept until then (grayscale)."""
    engine = engine or default_engine(config)
    timings: dict[str, float] = {"load": 0.0, "ocr": 0.0}
    pages: list[PageResult] = []
    images: list[PageImages] = []
    cleaned: list[np.ndarray] = []
    loader = load_pages(data, config.limits, only)
    while (loaded := _timed(timings, "load", lambda: next(loader, None))) is not None:
        page, page_images = read_page(loaded.index, loaded.image, engine=engine, dpi=loaded.dpi)
        timings["ocr"] += page.ocr_ms
        pages.append(page)
        cleaned.append(page_images.cleaned)
        if keep_images:
            images.append(page_images)
    judged = _timed(timings, "split", lambda: split.judge(pages))
    groups = split.receipts(judged, "never" if only is not None else config.split_pages)
    if config.reading != "tesseract":
        starts = {group[0] for group in groups if group}
        lexicon = load_lexicon(config.extraction.locales)
        pages = [read_page_again(page, image, line_recogniser(), lexicon, first=i in starts, reading=config.reading)
                 for i, (page, image) in enumerate(zip(pages, cleaned, strict=True))]
    for page in pages:
        for trace in page.trace:
            timings[trace.name] = timings.get(trace.name, 0.0) + trace.ms
    return Reading(tuple(pages), tuple(images), judged, tuple(tuple(group) for group in groups), timings)


def _timed(timings: dict[str, float], name: str, work: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = work()
    timings[name] = timings.get(name, 0.0) + (time.perf_counter() - start) * 1000
    return result


def extract_document(data: bytes, *, config: OcrConfig, engine: Engine | None = None, keep_images: bool = True,
                     only: range | None = None, ranker: Ranker | None = None) -> DocumentResult:
    """Bytes of one uploaded file -> pages with words, the cleaned images, its receipts' fields and timings. Each
    receipt's fields are read from its own pages only (see read_document); `ranker`: the field model to read with
    (None: the shipped one)."""
    total_start = time.perf_counter()
    reading = read_document(data, config=config, engine=engine, keep_images=keep_images, only=only)
    timings = dict(reading.timings)
    receipts = []
    for group in reading.receipts:
        start = time.perf_counter()
        extraction = extract_fields([reading.pages[i] for i in group], config.extraction, ranker)
        timings["fields"] = timings.get("fields", 0.0) + (time.perf_counter() - start) * 1000
        mixed = split.mixed(reading.judged, group)
        if mixed is not None:  # kept together by the setting, though they look like separate receipts
            extraction = replace(extraction, flags=(*extraction.flags, mixed))
        receipts.append(Receipt(tuple(reading.pages[i].index for i in group), extraction))
    timings["total"] = (time.perf_counter() - total_start) * 1000
    return DocumentResult(reading.pages, reading.images, tuple(receipts), {k: round(v, 2) for k, v in timings.items()})


def receipts_to_json(file: str, result: DocumentResult | None = None, error: Exception | None = None
                     ) -> list[dict[str, Any]]:
    """The `cli.py extract --jsonl` lines of one file, one per receipt in the file's order:
    {"file", "pages" (the file's page numbers, from 1), "fields", "text", "timings", "error"}. The file's timings
    are on its first line (so they add up over lines); a file that failed is one line with its "error"."""
    if result is None:
        if isinstance(error, DocDeskError):
            err = error.as_dict()
        elif error is not None:
            err = {"code": ErrorCode.INTERNAL, "message": f"{type(error).__name__}: {error}"}
        else:
            err = {"code": ErrorCode.INTERNAL, "message": "no result"}
        return [{"file": file, "pages": [], "fields": {}, "text": "", "timings": {}, "error": err}]
    by_index = {page.index: page for page in result.pages}
    return [{"file": file, "pages": [index + 1 for index in receipt.pages], "fields": _fields_json(receipt.extraction),
             "text": "\n\f\n".join(by_index[index].text for index in receipt.pages),  # a form feed line between pages
             "timings": dict(result.timings) if number == 0 else {}, "error": None}
            for number, receipt in enumerate(result.receipts)]


def _fields_json(extraction: Extraction) -> dict[str, Any]:
    return {name: {"value": f.value, "raw": f.raw, "confidence": round(f.confidence, 3), "page": f.page,
                   "box": f.box.as_list() if f.box is not None else None}
            for name, f in extraction.fields.items()}
