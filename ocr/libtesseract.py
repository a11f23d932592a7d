"""libtesseract, the library the `tesseract` command runs, through its C API (ctypes; only ocr.engine uses this).

Why: the command loads its model (eng.traineddata) for every page it reads, ~0.1 s of CPU a page. Loaded here once
per process, before the documents' children are forked, each child reads with its parent's copy. A page goes in as
the BMP the command was handed and comes out as the command's TSV, so the words are the same.
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import io
import os
import time

from PIL import Image

from errors import DocDeskError, EngineUnavailable, ErrorCode, TransientError

# The libraries by soname, newest Debian last: Leptonica 1.83 renamed itself (bookworm: liblept.so.5; trixie:
# libleptonica.so.6). Their C functions used here are the same in both.
TESSERACT_NAMES = ("libtesseract.so.5",)
LEPTONICA_NAMES = ("liblept.so.5", "libleptonica.so.6")
_HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
_P = ctypes.c_void_p


class Library:
    """One initialised TessBaseAPI for a language; `tsv` reads a page with it, as `tesseract IMG out tsv` would."""

    def __init__(self, language: str):
        # One thread, read by OpenMP when the library loads: the project runs a process per core, and a process that
        # forks documents' children must not have OpenMP threads (GNU OpenMP hangs in a child of a process using them).
        os.environ["OMP_THREAD_LIMIT"] = "1"
        self._tess = open_library(TESSERACT_NAMES, "Tesseract 5 is not installed")
        self._lept = open_library(LEPTONICA_NAMES, "Leptonica, the image library Tesseract reads with, is missing")
        _declare(self._tess, self._lept)
        self._api = self._tess.TessBaseAPICreate()
        if self._tess.TessBaseAPIInit3(self._api, None, language.encode()) != 0:
            self._tess.TessBaseAPIDelete(self._api)
            raise EngineUnavailable(f"Tesseract language data for '{language}' is missing: install "
                                    f"tesseract-ocr-{language}.")
        self._set("debug_file", "/dev/null")  # its notes ('Estimating resolution ...') went to the command's stderr
        atexit.register(self._end)

    def tsv(self, image: Image.Image, *, psm: int, variables: dict[str, str], timeout_s: float) -> str:
        """The page's TSV, header included. A page that takes longer than `timeout_s` is stopped (OCR_TIMEOUT)."""
        buffer = io.BytesIO()
        image.save(buffer, format="BMP")  # the file the command read: same pixels, same resolution
        data = buffer.getvalue()
        pix = _P(self._lept.pixReadMem(data, len(data)))
        if not pix.value:
            raise DocDeskError("Tesseract could not read this page: the image could not be decoded.",
                               code=ErrorCode.OCR_FAILED)
        monitor = self._tess.TessMonitorCreate()
        try:
            self._tess.TessBaseAPISetPageSegMode(self._api, psm)
            for name, value in variables.items():
                self._set(name, value)
            self._tess.TessBaseAPISetImage2(self._api, pix)
            self._tess.TessMonitorSetDeadlineMSecs(monitor, max(1, int(timeout_s * 1000)))
            start = time.monotonic()
            if self._tess.TessBaseAPIRecognize(self._api, monitor) != 0:
                if time.monotonic() - start >= timeout_s:
                    raise TransientError(f"Reading the page took longer than {timeout_s:.0f} s and was stopped.",
                                         code=ErrorCode.OCR_TIMEOUT)
                raise DocDeskError("Tesseract could not read this page.", code=ErrorCode.OCR_FAILED)
            text = self._tess.TessBaseAPIGetTsvText(self._api, 0)
            try:
                return _HEADER + ctypes.string_at(text).decode("utf-8")
            finally:
                self._tess.TessDeleteText(text)
        finally:
            self._tess.TessBaseAPIClear(self._api)
            self._tess.TessBaseAPIClearAdaptiveClassifier(self._api)  # each page read as by a fresh command
            self._tess.TessMonitorDelete(monitor)
            self._lept.pixDestroy(ctypes.byref(pix))

    def _set(self, name: str, value: str) -> None:
        if not self._tess.TessBaseAPISetVariable(self._api, name.encode(), value.encode()):
            raise ValueError(f"Tesseract has no setting {name!r}")

    def _end(self) -> None:
        self._tess.TessBaseAPIEnd(self._api)
        self._tess.TessBaseAPIDelete(self._api)


def open_library(names: tuple[str, ...], missing: str) -> ctypes.CDLL:
    """The first of `names` the system has; `missing` starts the error when none is there."""
    for name in names:
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    raise EngineUnavailable(f"{missing} ({' or '.join(names)} not found): run `make install` (Debian package "
                            "tesseract-ocr).")


@functools.cache
def library(language: str) -> Library:
    """Loaded once per process and language; the worker loads it before forking each document's child."""
    return Library(language)


def _declare(tess: ctypes.CDLL, lept: ctypes.CDLL) -> None:
    signatures = {
        (tess, "TessBaseAPICreate"): ([], _P),
        (tess, "TessBaseAPIInit3"): ([_P, ctypes.c_char_p, ctypes.c_char_p], ctypes.c_int),
        (tess, "TessBaseAPISetPageSegMode"): ([_P, ctypes.c_int], None),
        (tess, "TessBaseAPISetVariable"): ([_P, ctypes.c_char_p, ctypes.c_char_p], ctypes.c_int),
        (tess, "TessBaseAPISetImage2"): ([_P, _P], None),
        (tess, "TessBaseAPIRecognize"): ([_P, _P], ctypes.c_int),
        (tess, "TessBaseAPIGetTsvText"): ([_P, ctypes.c_int], _P),
        (tess, "TessDeleteText"): ([_P], None),
        (tess, "TessBaseAPIClear"): ([_P], None),
        (tess, "TessBaseAPIClearAdaptiveClassifier"): ([_P], None),
        (tess, "TessBaseAPIEnd"): ([_P], None),
        (tess, "TessBaseAPIDelete"): ([_P], None),
        (tess, "TessMonitorCreate"): ([], _P),
        (tess, "TessMonitorSetDeadlineMSecs"): ([_P, ctypes.c_int], None),
        (tess, "TessMonitorDelete"): ([_P], None),
        (lept, "pixReadMem"): ([ctypes.c_char_p, ctypes.c_size_t], _P),
        (lept, "pixDestroy"): ([ctypes.POINTER(_P)], None),
    }
    for (lib, name), (arguments, result) in signatures.items():
        function = getattr(lib, name)
        function.argtypes, function.restype = arguments, result
