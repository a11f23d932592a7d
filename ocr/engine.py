"""The only module that runs Tesseract (pages through libtesseract in this process, ocr.libtesseract; orientation
through the command). Maps its failures onto DocDesk errors and its output onto `Word`s."""

from __future__ import annotations

import contextlib
import re
import shutil
import sys
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from PIL import Image

from errors import DocDeskError, EngineUnavailable, ErrorCode, TransientError
from ocr.libtesseract import library
from ocr.types import BoundingBox, Word


def _without_pandas(name: str):
    """Import `name` while pandas looks absent. pytesseract imports pandas (0.27 s with pyarrow) whenever it is
    installed, for a DataFrame output DocDesk never asks for; a short batch of `cli.py extract` would pay for it."""
    import importlib

    hidden = "pandas" not in sys.modules
    if hidden:
        sys.modules["pandas"] = None  # type: ignore[assignment]  # `import pandas` now raises ModuleNotFoundError
    try:
        return importlib.import_module(name)
    finally:
        if hidden:
            del sys.modules["pandas"]


pytesseract = _without_pandas("pytesseract")


@dataclass(frozen=True)
class Orientation:
    rotate: int  # degrees clockwise that turn the page upright: 0, 90, 180 or 270
    confidence: float  # Tesseract OSD's orientation confidence (roughly 0..20+; < 2 means unsure)


class Engine(Protocol):
    """What the pipeline needs from an OCR engine, so another one can be plugged in later."""

    def read_words(self, image: np.ndarray) -> list[Word]: ...

    def detect_orientation(self, image: np.ndarray) -> Orientation | None: ...


class TesseractEngine:
    """One page in, words with 0..1 confidences and pixel boxes out."""

    def __init__(self, language: str = "eng", psm: int = 6, timeout_s: float = 60.0, invert: bool = True):
        self.language = language
        self.psm = psm
        self.timeout_s = timeout_s
        self.invert = invert  # False: lines read poorly are not read again as white on black (tessedit_do_invert)

    def read_words(self, image: np.ndarray, *, psm: int | None = None) -> list[Word]:
        """The words as `tesseract IMG out --psm N tsv` reads them, read by libtesseract in this process."""
        tsv = library(self.language).tsv(_uncompressed(image), psm=psm or self.psm, timeout_s=self.timeout_s,
                                          variables={"tessedit_do_invert": "1" if self.invert else "0"})
        return words_from_data(pytesseract.pytesseract.file_to_dict(tsv, "\t", -1))  # parsed as pytesseract did

    def detect_orientation(self, image: np.ndarray) -> Orientation | None:
        """Tesseract OSD; None when the page has too little text to tell."""
        try:
            osd = self._call(pytesseract.image_to_osd, image, config="--psm 0 -c min_characters_to_try=5")
        except DocDeskError as error:
            if error.code == ErrorCode.OCR_FAILED:  # "Too few characters" and similar: OSD cannot decide
                return None
            raise
        rotate = re.search(r"Rotate:\s*(\d+)", osd)
        confidence = re.search(r"Orientation confidence:\s*([\d.]+)", osd)
        if not rotate or not confidence:
            return None
        return Orientation(int(rotate.group(1)) % 360, float(confidence.group(1)))

    def _call(self, function, image, **kwargs):
        image = _uncompressed(image)
        try:
            return function(image, timeout=self.timeout_s, **kwargs)
        except pytesseract.TesseractNotFoundError as error:
            raise EngineUnavailable(
                "Tesseract is not installed or not on PATH: run `make install` (Debian package tesseract-ocr)."
            ) from error
        except pytesseract.TesseractError as error:
            if "Failed loading language" in str(error) or "Error opening data file" in str(error):
                raise EngineUnavailable(
                    f"Tesseract language data for '{self.language}' is missing: install tesseract-ocr-{self.language}."
                ) from error
            raise DocDeskError(f"Tesseract could not read this page: {error.message}",
                              code=ErrorCode.OCR_FAILED) from error
        except RuntimeError as error:
            if "timeout" in str(error).lower():
                raise TransientError(f"Reading the page took longer than {self.timeout_s:.0f} s and was stopped.",
                                     code=ErrorCode.OCR_TIMEOUT) from error
            raise


def _uncompressed(image):
    """pytesseract hands Tesseract a temporary file, PNG unless told otherwise; compressing a 2000 x 750 page to PNG
    took longer than reading it at times. Uncompressed BMP costs well under a millisecond and gives the same words."""
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
        image.format = "BMP"
    return image


def words_from_data(data: dict[str, list]) -> list[Word]:
    """Turn image_to_data's column dict into Words, dropping empty cells and non-word rows."""
    words = []
    for i, text in enumerate(data["text"]):
        text = (text or "").strip()
        confidence = float(data["conf"][i])
        if not text or confidence < 0:
            continue
        box = BoundingBox(int(data["left"][i]), int(data["top"][i]), int(data["width"][i]), int(data["height"][i]))
        words.append(Word(text=text, confidence=max(0.0, min(1.0, confidence / 100)), box=box,
                          block=int(data["block_num"][i]), paragraph=int(data["par_num"][i]),
                          line=int(data["line_num"][i])))
    return words


def load(language: str) -> None:
    """Load the reading model once in this process (before documents' children are forked), and ask the command its
    version: pytesseract asks (a `tesseract --version` process, ~14 ms CPU) before a process's first call, and every
    child would ask again. Not installed or no language data: the first read says so."""
    with contextlib.suppress(EngineUnavailable):
        library(language)
    with contextlib.suppress(pytesseract.TesseractNotFoundError, SystemExit):
        pytesseract.get_tesseract_version(cached=True)  # cached: asked once, however often this runs


def probe(language: str = "eng") -> str:
    """Startup check: returns Tesseract's version, or raises EngineUnavailable saying exactly what to install."""
    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        raise EngineUnavailable("Tesseract is not installed or not on PATH: "
                                "run `make install` (Debian package tesseract-ocr).")
    available = set(pytesseract.get_languages(config=""))
    missing = [lang for lang in language.split("+") if lang not in available]
    if missing:
        packages = " ".join(f"tesseract-ocr-{lang}" for lang in missing)
        raise EngineUnavailable(f"Tesseract language data missing: {', '.join(missing)}; install {packages}.")
    return str(pytesseract.get_tesseract_version())
