"""Near-duplicates: the same receipt scanned twice, or photographed and then scanned, has other bytes, so the
checksum misses it; its page and its vendor, date and total are still the same.

Two signs, each enough for "possible duplicate" (the reviewer decides):
- the same vendor (read alike), date and total;
- a near-identical page: a perceptual hash (the low frequencies of a cosine transform, as pHash) of the text's ink
  on the cleaned page. The cleaned page is already upright and evened out; the words' boxes leave out the margins
  and whatever lay around the paper, the remaining small skew is levelled and the ink is cut to its extent, so the
  hash sees the print, not the scanner; the low frequencies survive scaling, blur and JPEG.

A page hash cannot tell two purchases at one shop apart when they print alike (the same number of lines, other
amounts): those are left to the values, and to the reviewer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import cv2
import numpy as np
from rapidfuzz import fuzz

from ocr.parse import normalize_text
from ocr.preprocess import text_angle
from ocr.types import BoundingBox, Word

HASH_SIDE = 16  # 16 x 16 low frequencies: a 256-bit hash
SAMPLE_SIDE = 64  # the text's ink is shrunk to this many points a side before the transform
WORKING_SIDE = 1000  # px: the text area is levelled and its ink found on a copy this long
MAX_SKEW = 3.0  # degrees: cleaning levels anything beyond 2.5, this the rest
INK_SHARE_CUT = 0.005  # the ink's outer 0.5 % on each side (specks, a paper edge) is left out of the text's extent
# Measured on sroie-dev (bench/near_duplicates.py): at 32 of 256 bits and shapes within 10 %, about half of the
# rescanned copies match and 3 % of the other receipts of the same shop do; wider, the same shop's do much more.
MAX_DISTANCE = 32
MAX_ASPECT_RATIO = 1.1  # the text's width / height may differ by this factor at most
VENDOR_SIMILARITY = 80.0  # how alike (rapidfuzz partial ratio, 0-100) two readings of a vendor must be


@dataclass(frozen=True)
class PageHash:
    bits: str  # HASH_SIDE**2 bits as hex
    aspect: float  # width / height of the text area

    def as_text(self) -> str:
        return f"{self.aspect:.4f}:{self.bits}"

    @classmethod
    def from_text(cls, text: str) -> PageHash:
        aspect, bits = text.split(":")
        return cls(bits, float(aspect))


def text_area(gray: np.ndarray, words: Sequence[Word]) -> np.ndarray:
    """The part of the page the real words are in (at least 3 letters or digits, mostly letters or digits: a
    speck read as '~' on the scanner's lid is not); the whole page when there are none."""
    boxes = [w.box for w in words if w.box.width > 0 and w.box.height > 0 and _wordlike(w.text)]
    if not boxes:
        return gray
    box = BoundingBox.enclosing(boxes)
    return gray[box.top:box.bottom, box.left:box.right]


def _wordlike(text: str) -> bool:
    alphanumeric = sum(ch.isalnum() for ch in text)
    return alphanumeric >= 3 and alphanumeric >= 0.6 * len(text)


def page_hash(gray: np.ndarray, words: Sequence[Word]) -> PageHash:
    """The perceptual hash of the text's ink, levelled and cut to its extent: each low frequency of its cosine
    transform above or below their median. Ink rather than grey levels, so light and paper tone do not count."""
    ink = text_ink(_shrunk(text_area(gray, words), WORKING_SIDE))
    height, width = ink.shape[:2]
    small = cv2.resize(ink.astype(np.float32), (SAMPLE_SIDE, SAMPLE_SIDE), interpolation=cv2.INTER_AREA)
    low = cv2.dct(small)[:HASH_SIDE, :HASH_SIDE].flatten()
    bits = low > np.median(low[1:])  # the first is the amount of ink, not where it is
    return PageHash(int("".join("1" if bit else "0" for bit in bits), 2).to_bytes(len(bits) // 8, "big").hex(),
                    width / max(1, height))


def _shrunk(gray: np.ndarray, longest: int) -> np.ndarray:
    scale = longest / max(gray.shape[:2])
    return cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray


def text_ink(gray: np.ndarray) -> np.ndarray:
    """Ink (255) on paper (0), turned by the small skew cleaning leaves (it levels only from 2.5 degrees), cut to
    where the ink is (less its outer INK_SHARE_CUT on each side)."""
    if min(gray.shape[:2]) < 3:
        return np.zeros((1, 1), np.uint8)
    angle = text_angle(gray, max_angle=MAX_SKEW)[0]
    ink = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)
    if abs(angle) >= 0.2:
        height, width = ink.shape
        turn = cv2.getRotationMatrix2D((width / 2, height / 2), -angle, 1.0)
        ink = cv2.warpAffine(ink, turn, (width, height), flags=cv2.INTER_LINEAR, borderValue=0)
    left, right = _extent(ink.sum(axis=0))
    top, bottom = _extent(ink.sum(axis=1))
    return ink[top:bottom, left:right]


def _extent(profile: np.ndarray) -> tuple[int, int]:
    """Where the middle (1 - 2 * INK_SHARE_CUT) of the ink lies along one axis."""
    total = np.cumsum(profile, dtype=np.float64)
    if total[-1] == 0:
        return 0, len(profile)
    start = int(np.searchsorted(total, INK_SHARE_CUT * total[-1]))
    return start, max(start + 1, int(np.searchsorted(total, (1 - INK_SHARE_CUT) * total[-1])) + 1)


def hash_distance(a: PageHash, b: PageHash) -> int | None:
    """How many bits differ; None when the text areas' shapes already differ too much to be the same page."""
    if max(a.aspect, b.aspect) > MAX_ASPECT_RATIO * min(a.aspect, b.aspect):
        return None
    return (int(a.bits, 16) ^ int(b.bits, 16)).bit_count()


def same_page(a: PageHash, b: PageHash) -> int | None:
    """The distance when the two pages look like one receipt, else None."""
    distance = hash_distance(a, b)
    return distance if distance is not None and distance <= MAX_DISTANCE else None


@dataclass(frozen=True)
class Values:
    """The values that name a purchase: who, when, how much (as stored: text)."""

    vendor: str | None
    date: str | None
    total: str | None


def same_values(a: Values, b: Values) -> bool:
    """The same date and total, and vendors read alike: the same purchase, whatever the pictures look like."""
    if not (a.vendor and b.vendor and a.date and b.date and a.total and b.total):
        return False
    if a.date != b.date or _amount(a.total) != _amount(b.total) or _amount(a.total) is None:
        return False
    return fuzz.partial_ratio(normalize_text(a.vendor), normalize_text(b.vendor)) >= VENDOR_SIMILARITY


def _amount(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
