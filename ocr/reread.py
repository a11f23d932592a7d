"""Second reading: the words behind a few key fields are read again by a second recogniser, PP-OCRv4's text-line
model (rapidocr-onnxruntime), and its letters replace Tesseract's where the two roughly agree.

Why: on thermal-paper scans Tesseract's fast model misreads one letter in most shop names (CER 0.11 on labelled
lines against PP-OCR's 0.03), and an exact vendor match needs every letter. PP-OCR often drops the spaces between
words, so the words keep Tesseract's boxes and word breaks and take only PP-OCR's letters. Measured on the tuning
receipts (docs/decisions/field-extraction.md): date +6 points, vendor +14, the address's two least sure words +4;
totals did not gain. All three cost ~19 ms a page, with the network rewritten as in ocr/fuse.py. A field is read
again only when Tesseract was unsure of it, or, for a date, when none parsed but something looks like one (one model
load per process).
"""

from __future__ import annotations

import functools
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np
from rapidfuzz.distance import Levenshtein

from ocr import catalogue
from ocr.catalogue import Keep, SecondReading
from ocr.fields import date_lookalikes
from ocr.fuse import fuse
from ocr.parse import dates_in
from ocr.types import BoundingBox, Extraction, PageResult, StepTrace, Word

# Which fields can be read again, below which confidence, whole or word by word: ocr.catalogue; which of those are:
# a setting (DOCDESK_SECOND_READING).
WORDS_PER_FIELD = 2
MIN_SCORE = 0.5  # PP-OCR's mean character probability below this: keep Tesseract's reading
MAX_DISAGREEMENT = 0.5  # readings further apart than this (normalized edit distance) are not the same words
FIRST_NON_LATIN = 0x2E80  # CJK and later: the Chinese-trained model guessing at a smudge


class LineReader(Protocol):
    def read(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]: ...


class PaddleLineReader:
    """PP-OCRv4 text-line recognition on CPU, single-threaded (we parallelise by process)."""

    def __init__(self) -> None:
        import rapidocr_onnxruntime
        from rapidocr_onnxruntime.ch_ppocr_rec import TextRecognizer

        model = Path(rapidocr_onnxruntime.__file__).parent / "models" / "ch_PP-OCRv4_rec_infer.onnx"
        fused, _ = fuse(model.read_bytes())  # the same network, a quarter faster (ocr/fuse.py)
        with tempfile.TemporaryDirectory() as folder:  # rapidocr loads from a path; the session keeps no file open
            path = Path(folder) / model.name
            path.write_bytes(fused)
            # rec_img_shape's width is the narrowest input: 48 keeps a short date crop from being padded to 320 px.
            self._recognise = TextRecognizer({"model_path": str(path), "rec_img_shape": [3, 48, 48],
                                              "rec_batch_num": 1, "intra_op_num_threads": 1,
                                              "inter_op_num_threads": 1, "use_cuda": False, "use_dml": False})

    def read(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        # One crop per call: in a batch every crop is padded to the widest, so a date would cost a shop name.
        return [self._recognise([_bgr(crop)])[0][0] for crop in crops]


@functools.cache
def line_reader() -> PaddleLineReader:
    """Loaded once per process (~0.4 s with the rewrite); the worker loads it before forking each document's child."""
    return PaddleLineReader()


def _bgr(crop: np.ndarray) -> np.ndarray:
    return np.repeat(crop[:, :, None], 3, axis=2) if crop.ndim == 2 else crop


def respace(words: Sequence[str], text: str) -> list[str]:
    """Cut `text` (another reading of the same words, spaces ignored) where `words` has its word breaks.

    The breaks are carried over by aligning the two readings letter by letter; a word the other reading has no
    letters for comes back empty.
    """
    letters = "".join(text.split())
    joined = "".join(words)
    breaks, position = [], 0
    for word in words[:-1]:
        position += len(word)
        breaks.append(position)
    mapped: dict[int, int] = {}
    for op in Levenshtein.opcodes(joined, letters):
        tag, i1, i2, j1, j2 = op.tag, op.src_start, op.src_end, op.dest_start, op.dest_end
        for point in breaks:
            if point in mapped or not (i1 <= point < i2 or (point == i2 and tag == "equal")):
                continue
            if tag in ("equal", "replace") and i2 - i1 == j2 - j1:
                mapped[point] = j1 + point - i1
            else:
                mapped[point] = j1 if point == i1 else j2
    cuts = [0] + [mapped.get(point, len(letters)) for point in breaks] + [len(letters)]
    for i in range(1, len(cuts)):
        cuts[i] = max(cuts[i], cuts[i - 1])
    return [letters[cuts[i]:cuts[i + 1]] for i in range(len(words))]


def _still_a_date(before: str, after: str) -> bool:
    return bool(dates_in(after))


def _same_punctuation(before: str, after: str) -> bool:
    return [ch for ch in before if not ch.isalnum() and not ch.isspace()] == \
        [ch for ch in after if not ch.isalnum() and not ch.isspace()]


# A second reading must keep what makes the field usable (ocr.catalogue.Keep).
_KEEPS = {Keep.DATE: _still_a_date, Keep.PUNCTUATION: _same_punctuation}


def _how(field: str) -> SecondReading:
    """How the catalogue has `field` read again (read whole, keeping anything, when it says nothing)."""
    return catalogue.FIELDS.read_again.get(field) or SecondReading(below=0.0)


def _acceptable(tesseract: str, other: str, score: float, field: str = "") -> bool:
    if not other.strip() or score < MIN_SCORE or any(ord(ch) >= FIRST_NON_LATIN for ch in other):
        return False
    keeps = _KEEPS.get(_how(field).keep)
    if keeps is not None and not keeps(tesseract, other):
        return False
    distance = Levenshtein.normalized_distance("".join(tesseract.split()).upper(), "".join(other.split()).upper())
    return distance <= MAX_DISAGREEMENT


def _words_in(page: PageResult, box: BoundingBox) -> list[Word]:
    inside = [w for w in page.words if box.left <= w.box.left + w.box.width / 2 <= box.right
              and box.top <= w.box.center_y <= box.bottom]
    return sorted(inside, key=lambda w: w.box.left)


def _crop(image: np.ndarray, box: BoundingBox) -> np.ndarray:
    pad = max(2, box.height // 5)
    height, width = image.shape[:2]
    top, bottom = max(0, box.top - pad), min(height, box.bottom + pad)
    return image[top:bottom, max(0, box.left - pad):min(width, box.right + pad)]


@dataclass(frozen=True)
class Target:
    """A region to read again: the words of `field` inside `box` on page `page`."""

    field: str
    page: int
    box: BoundingBox


def unsure_fields(extraction: Extraction, below: dict[str, float]) -> list[Target]:
    """The fields read with less confidence than `below` gives for their name."""
    return [Target(name, field.page, field.box) for name, field in extraction.fields.items()
            if field.confidence < below.get(name, 0) and field.box is not None and field.page is not None]


def unsure_words(pages: Sequence[PageResult], extraction: Extraction, below: dict[str, float],
                 limit: int = WORDS_PER_FIELD) -> list[Target]:
    """The least sure words of two letters or more (under `below` for their field's name, at most `limit` per
    field), one target each."""
    targets = []
    for name, field in extraction.fields.items():
        page = next((p for p in pages if p.index == field.page), None)
        if name not in below or field.box is None or page is None or not field.value:
            continue  # (an unreadable field, left empty, would not be mended by two words)
        # words of letters: house numbers and postcodes read again gained nothing (address 0.43 either way, 13 %
        # fewer crops), the line model's edge over Tesseract is in names
        weak = [w for w in _words_in(page, field.box)
                if w.confidence < below[name] and sum(ch.isalpha() for ch in w.text) >= 2]
        targets += [Target(name, page.index, w.box) for w in sorted(weak, key=lambda w: w.confidence)[:limit]]
    return targets


def targets_for(pages: Sequence[PageResult], extraction: Extraction, fields: Sequence[str]) -> list[Target]:
    """What to read again of the chosen `fields`: those Tesseract was unsure of, the least sure words of those read
    word by word, and, when no date parsed, what looks like one."""
    whole, by_words = (catalogue.FIELDS.read_again_below(by_words=words) for words in (False, True))
    below = {name: whole[name] for name in fields if name in whole}
    targets = unsure_fields(extraction, below)
    targets += unsure_words(pages, extraction, {name: by_words[name] for name in fields if name in by_words})
    if "date" in below and "date" not in extraction.fields:
        targets += [Target("date", page, box) for page, box in date_lookalikes(pages)]
    return targets


def reread_fields(pages: Sequence[PageResult], images: Sequence[np.ndarray], targets: Sequence[Target],
                  reader: LineReader) -> tuple[list[PageResult], int]:
    """Pages whose words inside the targets carry the second reading, and how many words it updated: letters
    changed, or the same letters confirmed (their confidence raised).

    `images` are the cleaned pages the words' boxes refer to. Each page read again gets a 'second_reading'
    trace step.
    """
    updated = list(pages)
    changed_total = 0
    for number, page in enumerate(pages):
        start = time.perf_counter()
        groups = [(t.field, _words_in(page, t.box), t.box) for t in targets if t.page == page.index]
        groups = [(name, words, box) for name, words, box in groups if words]
        if not groups:
            continue
        readings = reader.read([_crop(images[number], box) for _, _, box in groups])
        replacements: dict[int, Word | None] = {}
        confirmed = 0
        for (name, words, _), (text, score) in zip(groups, readings, strict=True):
            if not _acceptable(" ".join(w.text for w in words), text, score, name):
                continue
            for word, part in zip(words, respace([w.text for w in words], text), strict=True):
                if part != word.text:
                    replacements[id(word)] = replace(word, text=part, confidence=float(score)) if part else None
                elif not _how(name).by_words:
                    # Two recognisers read the same letters: wrong only if both misread them alike. Not for a field
                    # read word by word: two confirmed words would lift its confidence while the rest was read once
                    # (address mistakes flagged 0.60 with the lift, 0.75 without, on the tuning receipts).
                    replacements[id(word)] = replace(word, confidence=1 - (1 - word.confidence) * (1 - score))
                    confirmed += 1
        read_again = [replacements.get(id(w), w) for w in page.words]  # None: a word the second reading dropped
        ms = round((time.perf_counter() - start) * 1000, 2)
        trace = StepTrace("second_reading", ms, {"fields": [name for name, _, _ in groups],
                                                 "words_changed": len(replacements) - confirmed,
                                                 "words_confirmed": confirmed})
        updated[number] = replace(page, words=tuple(w for w in read_again if w is not None),
                                  trace=(*page.trace, trace))
        changed_total += len(replacements)
    return updated, changed_total
