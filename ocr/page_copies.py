"""Small copies of a page, and what the cleaning steps compute from one, remembered until another page comes.

Every cleaning step (ocr/preprocess.py) looks at a small copy of the same page, and area-resizing the full page is
what costs (~2 ms a step on a 9 MP scan), so copies up to 1200 px are made from one remembered 1200-px copy of the
last page, and each copy is remembered until another page is asked for. Per thread, and weakly: a page no one
holds any more is forgotten.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any, Callable

import cv2
import numpy as np

_BASE_SIDE = 1200  # the largest small copy a step asks for
_recent = threading.local()  # per thread and kind: (weak reference to the last page asked about, what it gave)


def remembered(kind: str, gray: np.ndarray, compute: Callable[[np.ndarray], Any]) -> Any:
    """`compute(gray)`, remembered (weakly) until another page is asked for: several steps look at the same page."""
    last = getattr(_recent, kind, None)
    if last is not None and last[0]() is gray:
        return last[1]
    value = compute(gray)
    setattr(_recent, kind, (weakref.ref(gray), value))
    return value


def small_copy(gray: np.ndarray, longest: int) -> tuple[np.ndarray, float]:
    """A copy whose longest side is at most `longest` px, and its scale (the page itself when it is small)."""
    size, scale = _fitted(gray, longest)
    if scale == 1.0:
        return gray, scale
    # remembered too: the noise test and the ink profile both ask for the same page at 1000 px
    return remembered(f"small_{longest}", gray, lambda page: _area_resized(
        page if longest > _BASE_SIDE else _base_copy(page), size)), scale


def _base_copy(gray: np.ndarray) -> np.ndarray:
    """The page at most _BASE_SIDE px long, remembered until another page is asked for."""
    return remembered("base_copy", gray, lambda page: _area_resized(page, _fitted(page, _BASE_SIDE)[0]))


def _fitted(image: np.ndarray, longest: int) -> tuple[tuple[int, int], float]:
    """(width, height) and scale of `image` shrunk so its longest side is at most `longest` px."""
    h, w = image.shape[:2]
    scale = min(1.0, longest / max(h, w))
    return (max(1, round(w * scale)), max(1, round(h * scale))), scale


def _area_resized(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if (image.shape[1], image.shape[0]) == size:
        return image
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)
