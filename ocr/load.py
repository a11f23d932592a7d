"""Untrusted bytes -> page images.

The type comes from the magic bytes, never the file name. Every limit (bytes, pages, pixels per page) is
checked from headers BEFORE anything is decoded, so a small file claiming a huge page costs nothing.
Each failure is an `InputError` with a stable code and a message the uploader can act on.
"""

from __future__ import annotations

import io
import os
import re
import struct
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from errors import EngineUnavailable, ErrorCode, InputError
from ocr.config import LoadLimits

_SANE_DPI = (100, 1200)  # outside this a header DPI is a default (72/96) or nonsense: treat it as unknown
# JPEGs above this many pixels (an A4 page at 600 dpi is 35 MP) are decoded by libjpeg at 1/2 or 1/4 scale:
# several times faster than a full decode, and 300 dpi is all OCR needs (measured on SROIE's 35 MP scans).
DRAFT_ABOVE_PIXELS = 16_000_000
MIN_PAGE_SIDE = 16  # pixels; a narrower or shorter page cannot hold a readable character (a 1 x 1 image is refused)
_PDFINFO_TIMEOUT_S = 30
# What Pillow's decoders raise on damaged data besides OSError (found by tests/ocr/test_load_fuzz.py: e.g. a TIFF
# whose next frame lacks its size tags raises TypeError from n_frames). Inside Pillow these mean "damaged file".
_DAMAGED = (OSError, SyntaxError, ValueError, EOFError, TypeError, KeyError, IndexError, struct.error,
            ZeroDivisionError)
_RASTER_TIMEOUT_S = 120


@dataclass(frozen=True)
class FileInfo:
    media_type: str
    pages: int


@dataclass(frozen=True)
class LoadedPage:
    index: int
    image: np.ndarray  # uint8, HxW (gray) or HxWx3 (RGB)
    dpi: int | None


def sniff(data: bytes) -> str | None:
    """Media type from the first bytes, or None when it is none of the accepted kinds."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head.startswith(b"BM"):
        return "image/bmp"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if b"%PDF-" in data[:1024]:  # the PDF spec allows junk before the header
        return "application/pdf"
    return None


def inspect(data: bytes, limits: LoadLimits) -> FileInfo:
    """Cheap preflight: type, size and page-count limits, header dimensions. Decodes no pixels."""
    media_type = _check_bytes(data, limits)
    if media_type == "application/pdf":
        pages, _sizes = _pdf_preflight(data, limits)
        return FileInfo(media_type, pages)
    with _open_image(data, limits) as image:
        frames = _frame_count(image, media_type)
        _check_frames(frames, limits)
        _check_image_pixels(image, 0, limits)
    return FileInfo(media_type, frames)


def load_pages(data: bytes, limits: LoadLimits) -> Iterator[LoadedPage]:
    """Yield the pages one at a time (a 50-page PDF is never all in memory)."""
    media_type = _check_bytes(data, limits)
    if media_type == "application/pdf":
        yield from _pdf_pages(data, limits)
        return
    with _open_image(data, limits) as image:
        frames = _frame_count(image, media_type)
        _check_frames(frames, limits)
        for index in range(frames):
            if frames > 1:
                try:
                    image.seek(index)
                except _DAMAGED as error:
                    raise _damaged(f"page {index + 1} cannot be read") from error
            _check_image_pixels(image, index, limits)
            dpi = _image_dpi(image)
            if media_type == "image/jpeg" and image.width * image.height > DRAFT_ABOVE_PIXELS:
                full_width, factor = image.width, 2
                while image.width * image.height / factor ** 2 > DRAFT_ABOVE_PIXELS and factor < 8:
                    factor *= 2
                image.draft(image.mode, (image.width // factor, image.height // factor))
                if dpi is not None:
                    dpi = round(dpi * image.width / full_width)
            # a single-frame file's decoder is released before the page is handed on (one copy of the pixels)
            yield LoadedPage(index, _decode(image, index, release=frames == 1), dpi)


# --- checks -------------------------------------------------------------------------------------

def _check_bytes(data: bytes, limits: LoadLimits) -> str:
    if not data:
        raise InputError("The file is empty (0 bytes): upload the file again.", code=ErrorCode.EMPTY_FILE)
    if len(data) > limits.max_upload_bytes:
        raise InputError(
            f"The file is {len(data) / 1e6:.1f} MB; the limit is {limits.max_upload_bytes / 1e6:.1f} MB: "
            "scan at a lower resolution or split it.", code=ErrorCode.TOO_LARGE)
    media_type = sniff(data)
    if media_type is None:
        raise InputError("This is not a supported file: upload a JPEG, PNG, TIFF, BMP, WebP image or a PDF.",
                         code=ErrorCode.UNSUPPORTED_TYPE)
    return media_type


def _frame_count(image: Image.Image, media_type: str) -> int:
    if media_type != "image/tiff":
        return 1
    try:
        return int(getattr(image, "n_frames", 1))
    except _DAMAGED as error:
        raise _damaged("its page list cannot be read") from error


def _check_frames(frames: int, limits: LoadLimits) -> None:
    if frames > limits.max_pages:
        raise InputError(f"The file has {frames} pages; the limit is {limits.max_pages}: split it into smaller files.",
                         code=ErrorCode.TOO_MANY_PAGES)


def _check_pixels(width: int, height: int, index: int, limits: LoadLimits) -> None:
    if width <= 0 or height <= 0:
        raise _damaged(f"page {index + 1} has no pixels")
    if min(width, height) < MIN_PAGE_SIDE:
        raise InputError(
            f"Page {index + 1} is only {width} x {height} pixels: too small to hold readable text. "
            "Scan the receipt at 300 dpi and upload the new file.", code=ErrorCode.PAGE_TOO_SMALL)
    if width * height > limits.max_page_pixels:
        raise InputError(
            f"Page {index + 1} is {width} x {height} pixels ({width * height / 1e6:.0f} MP); the limit is "
            f"{limits.max_page_pixels / 1e6:.0f} MP: scan at a lower resolution (300 dpi is enough).",
            code=ErrorCode.PAGE_TOO_LARGE)


def _check_image_pixels(image: Image.Image, index: int, limits: LoadLimits) -> None:
    _check_pixels(*image.size, index, limits)


def _damaged(detail: str) -> InputError:
    return InputError(f"The file is damaged ({detail}): export or scan it again and upload the new file.",
                      code=ErrorCode.DAMAGED_FILE)


# --- raster images ------------------------------------------------------------------------------

def _open_image(data: bytes, limits: LoadLimits) -> Image.Image:
    """Lazy open: reads the header only."""
    Image.MAX_IMAGE_PIXELS = limits.max_page_pixels  # our own check comes first; this is the backstop
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise InputError(f"The page is too large to process: scan at a lower resolution ({error}).",
                         code=ErrorCode.PAGE_TOO_LARGE) from error
    except (UnidentifiedImageError, *_DAMAGED) as error:
        raise _damaged("the image header cannot be read") from error


def _decode(image: Image.Image, index: int, *, release: bool = False) -> np.ndarray:
    """Pixels as a writable uint8 array; the PIL image is released at once when the caller needs no other frame."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
            page = ImageOps.exif_transpose(image) if index == 0 and _exif_turned(image) else image
            page = _to_gray_or_rgb(page)
            pixels = _to_array(page)
            if page is not image:
                page.close()
            if release:
                image.close()
            return pixels
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise InputError("The page is too large to process: scan at a lower resolution.",
                         code=ErrorCode.PAGE_TOO_LARGE) from error
    except _DAMAGED as error:  # truncated data, broken CRC, bad codec stream, inconsistent tags
        raise _damaged(f"page {index + 1}: {error}") from error


def _exif_turned(image: Image.Image) -> bool:
    """Whether the camera's orientation tag asks for a turn (exif_transpose copies the pixels even when not)."""
    return image.getexif().get(ExifTags.Base.Orientation, 1) not in (1, None)


_STRIP_ROWS = 256


def _to_array(page: Image.Image) -> np.ndarray:
    """L or RGB image -> uint8 array, copied in strips of rows: `np.asarray(page)` would hold the pixels three times
    over (PIL's own, tobytes' chunks and their join), which is what runs a 60 MP page out of memory."""
    width, height = page.size
    pixels = np.empty((height, width) if page.mode == "L" else (height, width, 3), dtype=np.uint8)
    for top in range(0, height, _STRIP_ROWS):
        bottom = min(top + _STRIP_ROWS, height)
        with page.crop((0, top, width, bottom)) as strip:
            pixels[top:bottom] = np.frombuffer(strip.tobytes(), dtype=np.uint8).reshape(pixels[top:bottom].shape)
    return pixels


def _to_gray_or_rgb(image: Image.Image) -> Image.Image:
    """Only uint8 L or RGB leave this module; transparency is flattened onto white paper."""
    mode = image.mode
    if mode in ("L", "RGB"):
        return image
    if mode == "1":
        return image.convert("L")
    if mode.startswith("I;16") or mode in ("I", "F"):
        array = np.asarray(image, dtype=np.float64)
        low, high = float(array.min()), float(array.max())
        scaled = (array - low) * (255.0 / (high - low)) if high > low else np.zeros_like(array)
        return Image.fromarray(scaled.astype(np.uint8), "L")
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(paper, rgba).convert("RGB")
    if mode == "P":
        return image.convert("RGB")
    return image.convert("RGB")  # CMYK, YCbCr, LAB, HSV ...


def _image_dpi(image: Image.Image) -> int | None:
    dpi = image.info.get("dpi")
    try:
        value = round(float(dpi[0])) if dpi else None
    except (TypeError, ValueError, IndexError):
        return None
    if value is None or not _SANE_DPI[0] <= value <= _SANE_DPI[1]:
        return None
    return value


# --- PDF ----------------------------------------------------------------------------------------

_ENCRYPTED = re.compile(r"incorrect password|encrypted|password", re.IGNORECASE)


def _pdf_preflight(data: bytes, limits: LoadLimits) -> tuple[int, list[tuple[float, float] | None]]:
    """Page count (limit checked) and each page's size in points, from pdfinfo; no rasterizing."""
    from pdf2image import pdfinfo_from_bytes
    from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError, PDFPopplerTimeoutError

    try:
        info = pdfinfo_from_bytes(data, timeout=_PDFINFO_TIMEOUT_S)
    except PDFInfoNotInstalledError as error:
        raise EngineUnavailable("Poppler is not installed: run `make install` "
                                "(Debian package poppler-utils).") from error
    except PDFPopplerTimeoutError as error:
        raise _damaged("reading its page list timed out") from error
    except (PDFPageCountError, ValueError, KeyError) as error:
        if _ENCRYPTED.search(str(error)):
            raise _encrypted() from error
        raise _damaged("its page list cannot be read") from error
    pages = int(info.get("Pages", 0) or 0)
    if pages <= 0:
        raise _damaged("it has no pages")
    _check_frames(pages, limits)
    sizes = _pdf_page_sizes(data, pages)
    return pages, sizes


def _encrypted() -> InputError:
    return InputError("This is a password-protected PDF: remove the password and upload again.",
                      code=ErrorCode.ENCRYPTED_PDF)


def _pdf_page_sizes(data: bytes, pages: int) -> list[tuple[float, float] | None]:
    """Every page's size in points (pdfinfo -f 1 -l N), so a huge page is refused before rasterizing."""
    from pdf2image import pdfinfo_from_bytes

    sizes: list[tuple[float, float] | None] = [None] * pages
    try:
        info = pdfinfo_from_bytes(data, timeout=_PDFINFO_TIMEOUT_S, first_page=1, last_page=pages)
    except Exception:  # noqa: BLE001 - sizes are an extra check; the page count already succeeded
        return sizes
    # pdf2image keeps only the last duplicate key, so parse what it gives and fall back to 'Page size'
    fallback = _parse_size(str(info.get("Page size", "")))
    for i in range(pages):
        sizes[i] = _parse_size(str(info.get(f"Page{i + 1:>5} size", info.get(f"Page {i + 1} size", "")))) or fallback
    return sizes


def _parse_size(text: str) -> tuple[float, float] | None:
    match = re.search(r"([\d.]+)\s*x\s*([\d.]+)\s*pts", text)
    return (float(match.group(1)), float(match.group(2))) if match else None


def _pdf_pages(data: bytes, limits: LoadLimits) -> Iterator[LoadedPage]:
    from pdf2image import convert_from_path
    from pdf2image.exceptions import PDFPageCountError, PDFPopplerTimeoutError, PDFSyntaxError

    pages, sizes = _pdf_preflight(data, limits)
    with tempfile.TemporaryDirectory(prefix="docdesk-pdf-") as folder:
        path = os.path.join(folder, "in.pdf")
        with open(path, "wb") as handle:
            handle.write(data)
        for index in range(pages):
            dpi = limits.pdf_dpi
            size = sizes[index]
            if size is not None:
                width, height = (round(v / 72 * dpi) for v in size)
                if width * height > limits.max_page_pixels:  # a poster-sized page: rasterize coarser if that fits
                    dpi = int(dpi * (limits.max_page_pixels / (width * height)) ** 0.5)
                    if dpi < 72:
                        _check_pixels(width, height, index, limits)
            try:
                images = convert_from_path(path, dpi=dpi, first_page=index + 1, last_page=index + 1,
                                           timeout=_RASTER_TIMEOUT_S)
            except PDFPopplerTimeoutError as error:
                raise _damaged(f"page {index + 1} took too long to render") from error
            except (PDFPageCountError, PDFSyntaxError, OSError, ValueError) as error:
                if _ENCRYPTED.search(str(error)):
                    raise _encrypted() from error
                raise _damaged(f"page {index + 1} cannot be rendered") from error
            if not images:
                raise _damaged(f"page {index + 1} cannot be rendered")
            image = images[0]
            _check_image_pixels(image, index, limits)
            yield LoadedPage(index, np.asarray(_to_gray_or_rgb(image), dtype=np.uint8).copy(), dpi)
