"""What every candidate family proposes: a value for a field, where it was read, and named features for the ranker."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Mapping

from ocr.layout import min_mean_confidence
from ocr.types import BoundingBox, Field, Word

MISSING = float("nan")  # a feature that does not apply (no second reading, no remembered supplier)


@dataclass(frozen=True)
class Candidate:
    field: str
    value: str  # normalized: ISO date, '12.50', the name as printed
    raw: str  # the OCR text it came from
    words: tuple[Word, ...]
    page: int
    row: int  # index of its (first) row in the document
    reading: str  # which reading the value was taken from (ocr.fields.document.TESSERACT or SECOND)
    features: Mapping[str, float] = dataclasses.field(default_factory=dict, compare=False)
    score: float = 0.0  # the ranker's, higher is better
    confidence: float = 0.0  # how sure the extractor is the value is right, 0..1
    rows: tuple[int, ...] = ()  # every row the value spans

    @property
    def ocr_confidence(self) -> float:
        return min_mean_confidence(self.words) if self.words else 0.0

    def to_field(self) -> Field:
        box = BoundingBox.enclosing([w.box for w in self.words]) if self.words else None
        return Field(self.field, self.value, self.raw, round(self.confidence, 3), self.page, box)


def reading_features(words: tuple[Word, ...], reading: str) -> dict[str, float]:
    """How the words were read: Tesseract's confidence, the second reader's, and whether the second reading is the
    one the value came from."""
    second = [w.second_confidence for w in words if w.second_confidence is not None]
    confidences = [w.confidence for w in words] or [0.0]
    agree = [w.second == w.text for w in words if w.second is not None]
    return {
        "ocr_conf_mean": sum(confidences) / len(confidences),
        "ocr_conf_min": min(confidences),
        "second_conf": min(second) if second else MISSING,
        "read_twice": 1.0 if second else 0.0,
        "readings_agree": sum(agree) / len(agree) if agree else MISSING,
        "from_second": 1.0 if reading == "second" else 0.0,
    }
