"""The OCR pipeline: load -> clean (named, traced steps) -> read words (Tesseract, then the second reader on the
lines that can hold a field) -> fields.

Each page keeps a trace of what every step found and how long it took, so a bad result can be explained
("turned 90 by OSD", "deskewed -4.2 deg", "denoise skipped: clean").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from errors import DocDeskError, ErrorCode
from ocr import photo, preprocess
from ocr.config import OcrConfig
from ocr.engine import Engine, TesseractEngine
from ocr.fields import extract_fields
from ocr.fields.lexicon import load_lexicon
from ocr.fields.ranker import shipped_ranker
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
class DocumentResult:
    pages: tuple[PageResult, ...]
    images: tuple[PageImages, ...]
    extraction: Extraction
    timings: dict[str, float]  # ms per step summed over pages, plus 'load', 'ocr', 'fields', 'total'


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
    """Load what every document needs once per process (the ranker's model file, the second reader), before a
    child is forked for each document."""
    shipped_ranker()
    if config.reading == "accurate":
        line_recogniser()


def default_engine(config: OcrConfig) -> TesseractEngine:
    return TesseractEngine(language=config.language, psm=6, timeout_s=config.page_timeout_s)


@dataclass(frozen=True)
class Reading:
    pages: tuple[PageResult, ...]
    images: tuple[PageImages, ...]
    timings: dict[str, float]  # ms per step summed over pages, plus 'load', 'ocr' and 'second_reading'


def read_document(data: bytes, *, config: OcrConfig, engine: Engine | None = None,
                  keep_images: bool = True) -> Reading:
    """Bytes of one uploaded file -> pages with words (both readings of the lines read twice) and cleaned images."""
    engine = engine or default_engine(config)
    timings: dict[str, float] = {"load": 0.0, "ocr": 0.0}
    pages: list[PageResult] = []
    images: list[PageImages] = []
    loader = load_pages(data, config.limits)
    while True:
        start = time.perf_counter()
        loaded = next(loader, None)
        timings["load"] += (time.perf_counter() - start) * 1000
        if loaded is None:
            break
        page, page_images = read_page(loaded.index, loaded.image, engine=engine, dpi=loaded.dpi)
        if config.reading == "accurate":
            page = read_page_again(page, page_images.cleaned, line_recogniser(),
                                   load_lexicon(config.extraction.locales), first=not pages)
        for trace in page.trace:
            timings[trace.name] = timings.get(trace.name, 0.0) + trace.ms
        timings["ocr"] += page.ocr_ms
        pages.append(page)
        if keep_images:
            images.append(page_images)
    return Reading(tuple(pages), tuple(images), timings)


def extract_document(data: bytes, *, config: OcrConfig, engine: Engine | None = None,
                     keep_images: bool = True) -> DocumentResult:
    """Bytes of one uploaded file -> pages with words, the cleaned images, the extracted fields and timings."""
    total_start = time.perf_counter()
    reading = read_document(data, config=config, engine=engine, keep_images=keep_images)
    start = time.perf_counter()
    extraction = extract_fields(reading.pages, config.extraction)
    timings = {**reading.timings, "fields": (time.perf_counter() - start) * 1000,
               "total": (time.perf_counter() - total_start) * 1000}
    return DocumentResult(reading.pages, reading.images, extraction, {k: round(v, 2) for k, v in timings.items()})


def document_to_json(file: str, result: DocumentResult | None = None, error: Exception | None = None
                     ) -> dict[str, Any]:
    """One `cli.py extract --jsonl` line: {"file", "pages", "fields", "text", "timings", "error"}."""
    if result is None:
        if isinstance(error, DocDeskError):
            err = error.as_dict()
        elif error is not None:
            err = {"code": ErrorCode.INTERNAL, "message": f"{type(error).__name__}: {error}"}
        else:
            err = {"code": ErrorCode.INTERNAL, "message": "no result"}
        return {"file": file, "pages": 0, "fields": {}, "text": "", "timings": {}, "error": err}
    fields = {
        name: {"value": f.value, "raw": f.raw, "confidence": round(f.confidence, 3), "page": f.page,
               "box": f.box.as_list() if f.box is not None else None}
        for name, f in result.extraction.fields.items()
    }
    text = "\n\f\n".join(page.text for page in result.pages)  # pages separated by a form feed line
    return {"file": file, "pages": len(result.pages), "fields": fields, "text": text,
            "timings": dict(result.timings), "error": None}
