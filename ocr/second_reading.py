"""Second reading: the rows and spans that can hold a field, chosen from Tesseract's own words, are read again by
PP-OCRv6-small's text-line recogniser; its letters are re-cut at Tesseract's word breaks and kept beside
Tesseract's on each word (`Word.second`), so the extractor sees both readings of every line read twice.

Why: on thermal-paper scans Tesseract misreads a letter in most shop names; the line recogniser reads whole lines
far better (CER 0.022 against 0.054 for PP-OCRv4 on the labelled lines), but glues words together and has no word
boxes, hence the re-cut. What is read (`ReadingMode`): by default the header rows down to the first phone / tax-id /
date label (the name and the address), and only the digit spans of rows holding a labelled amount or a date; the
fast reading only the first two header rows (the name). Figures: docs/decisions.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np
from rapidfuzz.distance import Levenshtein

from ocr.config import ReadingMode
from ocr.engine import EngineUnavailable
from ocr.fields.labels import PHONE, amount_kind, has_word, label_tokens
from ocr.fields.lexicon import Lexicon
from ocr.fields.names import REGISTRATION
from ocr.layout import Row, group_rows
from ocr.parse import amounts_in, dates_in
from ocr.types import BoundingBox, PageResult, StepTrace, Word

# The recogniser ships inside the rapidocr 3.10 wheel (installed without its dependencies: only the file is used).
MODEL_PACKAGE, MODEL_FILE = "rapidocr", "models/PP-OCRv6_rec_small.onnx"
HEIGHT = 48  # the network's input height
MIN_WIDTH = 48  # narrower crops are padded, as PaddleOCR does
HEADER_ROWS = 8  # at most this many header rows are read again ...
HEADER_SCAN = 14  # ... among the first rows of the first page
FAST_HEADER_ROWS = 2  # the fast reading's: the name, where a second reading gains most per line read


class Recogniser(Protocol):
    def read(self, crop: np.ndarray) -> tuple[str, float]: ...


class LineRecogniser:
    """PP-OCRv6-small text-line recognition on CPU, one crop at a time, single-threaded (we parallelise by process;
    in a batch every crop is padded to the widest)."""

    def __init__(self, model: Path | None = None) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(model or model_path()), options,
                                                     providers=["CPUExecutionProvider"])
        characters = self._session.get_modelmeta().custom_metadata_map["character"].splitlines()
        self._characters = ["", *characters, " "]  # CTC blank first; the dictionary's last entry is the space
        self._input = self._session.get_inputs()[0].name
        self.read(np.full((HEIGHT, 4 * MIN_WIDTH), 255, dtype=np.uint8))  # the first run sets up the session (~30 ms)

    def read(self, crop: np.ndarray) -> tuple[str, float]:
        """The text of a one-line crop (grayscale or RGB) and the recogniser's mean character probability."""
        probabilities = self._session.run(None, {self._input: _tensor(crop)})[0][0]
        best = probabilities.argmax(axis=1)
        keep = np.ones(len(best), dtype=bool)
        keep[1:] = best[1:] != best[:-1]
        keep &= best != 0
        text = "".join(self._characters[i] for i in best[keep])
        return text, float(probabilities.max(axis=1)[keep].mean()) if keep.any() else 0.0


def model_path() -> Path:
    spec = importlib.util.find_spec(MODEL_PACKAGE)  # found, not imported: its own dependencies are not installed
    path = Path(spec.origin).parent / MODEL_FILE if spec and spec.origin else None
    if path is None or not path.exists():
        raise EngineUnavailable("The second reader's model is missing: run `make install` (it ships in the "
                                "rapidocr==3.10.0 wheel), or set DOCDESK_READING=tesseract to read with Tesseract "
                                "only.")
    return path


@functools.cache
def line_recogniser() -> LineRecogniser:
    """Loaded once per process; the worker loads it before forking each document's child."""
    return LineRecogniser()


def _tensor(crop: np.ndarray) -> np.ndarray:
    import cv2

    rgb = np.repeat(crop[:, :, None], 3, axis=2) if crop.ndim == 2 else crop
    height, width = rgb.shape[:2]
    resized_width = max(1, math.ceil(HEIGHT * width / max(1, height)))
    resized = cv2.resize(rgb, (resized_width, HEIGHT)).astype(np.float32).transpose(2, 0, 1) / 127.5 - 1.0
    tensor = np.zeros((1, 3, HEIGHT, max(MIN_WIDTH, resized_width)), dtype=np.float32)
    tensor[0, :, :, :resized_width] = resized
    return tensor


# --- what to read again ----------------------------------------------------------------------------

def header_rows(rows: Sequence[Row], lexicon: Lexicon) -> list[Row]:
    """The rows above the first phone / tax-id / date label: the name and the address. Rows that hold a date or
    an amount are skipped (their digits are read as spans)."""
    chosen: list[Row] = []
    for row in rows[:HEADER_SCAN]:
        tokens = label_tokens(row.text)
        registration = REGISTRATION.fullmatch(row.text.strip())  # '(CO.REG: 123456-X)' under the name
        if chosen and not registration and (has_word(tokens[:3], *lexicon.header_end) or PHONE.search(row.text)):
            break
        if dates_in(row.text) or amounts_in(row.text):
            continue
        chosen.append(row)
        if len(chosen) >= HEADER_ROWS:
            break
    return chosen


# What a date misread so that it no longer parses looks like: '18/64/2017', '11/0/2018', '3O.O4.2O18'
_DATE_SHAPE = re.compile(r"(?<![\w/.-])\w{1,4}[/.-]\w{1,3}[/.-]\w{2,4}(?![\w/.-])")


def _date_like(row: Row, lexicon: Lexicon) -> list[tuple[Word, ...]]:
    """Words that look like a date that did not parse: a date's shape, or digits after (or glued to) a date label
    ('Date: 1770472078', 'Dater11/03/18')."""
    spans = [row.span(*match.span()) for match in _DATE_SHAPE.finditer(row.text)
             if sum(ch.isdigit() for ch in match.group()) >= 3]
    for before, word in zip((None, *row.words), row.words, strict=False):
        digits = sum(ch.isdigit() for ch in word.text)
        glued = has_word(label_tokens(re.sub(r"[\d/.:-]+$", "", word.text)), *lexicon.date)
        after_label = before is not None and has_word(label_tokens(before.text), *lexicon.date)
        if digits >= 4 and (glued or after_label):
            spans.append((word,))
    return spans


def digit_spans(rows: Sequence[Row], lexicon: Lexicon) -> list[tuple[Word, ...]]:
    """The words of each date (or what looks like one), and of the last amount of each row whose label says what
    the amount is."""
    spans: list[tuple[Word, ...]] = []
    for row in rows:
        raws = [raw for _, raw in dates_in(row.text)]
        if amount_kind(row.text, lexicon) is not None:
            raws += [raw for _, raw in amounts_in(row.text)[-1:]]
        found = []
        for raw in raws:
            start = row.text.find(raw)
            found.append(row.span(start, start + len(raw)) if start >= 0 else ())
        for words in found + (_date_like(row, lexicon) if not dates_in(row.text) else []):
            if words and not any(set(words) <= set(span) for span in spans):
                spans.append(words)
    return spans


def spans_to_read(page: PageResult, lexicon: Lexicon, first: bool, reading: ReadingMode = "accurate"
                  ) -> list[tuple[Word, ...]]:
    if reading == "tesseract":
        return []
    rows = group_rows(page.words, page.index)
    header = [row.words for row in header_rows(rows, lexicon)] if first else []
    if reading == "fast":
        return header[:FAST_HEADER_ROWS]
    return header + [span for span in digit_spans(rows, lexicon) if span not in header]


# --- reading and re-cutting ------------------------------------------------------------------------

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
    for opcode in Levenshtein.opcodes(joined, letters):
        tag, i1, i2, j1, j2 = opcode.tag, opcode.src_start, opcode.src_end, opcode.dest_start, opcode.dest_end
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


def _crop(image: np.ndarray, box: BoundingBox) -> np.ndarray:
    pad = max(2, box.height // 5)
    height, width = image.shape[:2]
    top, bottom = max(0, box.top - pad), min(height, box.bottom + pad)
    return image[top:bottom, max(0, box.left - pad):min(width, box.right + pad)]


def read_page_again(page: PageResult, image: np.ndarray, recogniser: Recogniser, lexicon: Lexicon,
                    first: bool = True, reading: ReadingMode = "accurate") -> PageResult:
    """The page with the second reading on the words of its chosen spans, and a 'second_reading' trace step."""
    start = time.perf_counter()
    seconds: dict[int, tuple[str, float]] = {}
    spans = spans_to_read(page, lexicon, first, reading)
    for span in spans:
        ordered = sorted(span, key=lambda w: w.box.left)
        text, score = recogniser.read(_crop(image, BoundingBox.enclosing([w.box for w in ordered])))
        for word, part in zip(ordered, respace([w.text for w in ordered], text), strict=True):
            seconds[id(word)] = (part, round(score, 4))
    words = tuple(replace(w, second=seconds[id(w)][0], second_confidence=seconds[id(w)][1]) if id(w) in seconds
                  else w for w in page.words)
    changed = sum(1 for w in words if w.second is not None and w.second != w.text)
    trace = StepTrace("second_reading", round((time.perf_counter() - start) * 1000, 2),
                      {"crops": len(spans), "words_read": len(seconds), "words_changed": changed})
    return replace(page, words=words, trace=(*page.trace, trace))
