"""The typed OCR tree shared by every stage. Frozen, so a stage can never change what an earlier one found."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Sequence


@dataclass(frozen=True)
class BoundingBox:
    """Pixel box on the page image the words were read from (the cleaned page, after rotation)."""

    left: int
    top: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height

    @property
    def center_y(self) -> float:
        return self.top + self.height / 2

    def union(self, other: BoundingBox) -> BoundingBox:
        left, top = min(self.left, other.left), min(self.top, other.top)
        right, bottom = max(self.right, other.right), max(self.bottom, other.bottom)
        return BoundingBox(left, top, right - left, bottom - top)

    def as_list(self) -> list[int]:
        return [self.left, self.top, self.width, self.height]

    @staticmethod
    def enclosing(boxes: list[BoundingBox]) -> BoundingBox:
        result = boxes[0]
        for box in boxes[1:]:
            result = result.union(box)
        return result


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float  # 0..1
    box: BoundingBox
    block: int = 0
    paragraph: int = 0
    line: int = 0
    # The second reader's letters for this word (ocr.second_reading), re-cut at Tesseract's word breaks; None when
    # the word was read once, '' when the second reader saw no letters there. Its confidence is the line's.
    second: str | None = None
    second_confidence: float | None = None

    def as_row(self) -> list[Any]:
        """The JSON row a page's words are stored as: [text, confidence, left, top, width, height], plus the second
        reading and its confidence when the word has one."""
        row: list[Any] = [self.text, round(self.confidence, 4), *self.box.as_list()]
        return row + [self.second, self.second_confidence] if self.second is not None else row

    @staticmethod
    def from_row(row: Sequence[Any]) -> Word:
        text, confidence, left, top, width, height = row[:6]
        second, second_confidence = (row[6], row[7]) if len(row) >= 8 else (None, None)
        return Word(text, confidence, BoundingBox(left, top, width, height), second=second,
                    second_confidence=second_confidence)


@dataclass(frozen=True)
class StepTrace:
    """What one preprocessing step did on one page: its name, what it found, and how long it took."""

    name: str
    ms: float
    details: dict[str, Any] = field(default_factory=dict)
    skipped: bool = False


@dataclass(frozen=True)
class PageResult:
    """One page after OCR. Boxes refer to an image of `width` x `height` pixels."""

    index: int
    width: int
    height: int
    words: tuple[Word, ...]
    dpi: int | None = None
    trace: tuple[StepTrace, ...] = ()
    ocr_ms: float = 0.0

    @property
    def text(self) -> str:
        """Words joined into Tesseract's own lines, lines by newlines."""
        lines: list[str] = []
        current_key: tuple[int, int, int] | None = None
        current: list[str] = []
        for word in self.words:
            key = (word.block, word.paragraph, word.line)
            if key != current_key and current:
                lines.append(" ".join(current))
                current = []
            current_key = key
            current.append(word.text)
        if current:
            lines.append(" ".join(current))
        return "\n".join(lines)

    @property
    def mean_confidence(self) -> float | None:
        if not self.words:
            return None
        return sum(w.confidence for w in self.words) / len(self.words)


@dataclass(frozen=True)
class Field:
    """One extracted value: normalized `value` (ISO date, '12.50', 'MYR' ...), the `raw` OCR text it came from."""

    name: str
    value: str
    raw: str
    confidence: float  # 0..1: OCR confidence combined with how sure the rule is
    page: int | None = None
    box: BoundingBox | None = None


@dataclass(frozen=True)
class LineItem:
    description: str
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal | None
    confidence: float
    page: int | None = None
    box: BoundingBox | None = None


# A flag that says where a value came from instead of asking for a check: shown as a note, not as a warning.
RECALLED = "vendor_recalled"  # the vendor (and address) of an approved receipt from the same shop
CONFIRMED = "total_confirmed"  # the total agrees with other amounts read separately (subtotal + tax, cash - change)
NOTE_CODES = frozenset({RECALLED, CONFIRMED})
LINE_ITEMS = "line_items"  # what a flag or a revision names when it is about the line items as a whole


@dataclass(frozen=True)
class Flag:
    """A failed cross-field check or another reason a reviewer should look, e.g. code 'total_mismatch'; or a note
    (NOTE_CODES) on where a value came from."""

    code: str
    message: str
    fields: tuple[str, ...] = ()

    @property
    def is_note(self) -> bool:
        return self.code in NOTE_CODES

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape stored in Document.flags."""
        return {"code": self.code, "message": self.message, "fields": list(self.fields)}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Flag:
        return Flag(str(data.get("code", "")), str(data.get("message", "")), tuple(data.get("fields") or ()))


@dataclass(frozen=True)
class Extraction:
    fields: dict[str, Field]
    line_items: tuple[LineItem, ...] = ()
    flags: tuple[Flag, ...] = ()

