"""Untrusted bytes -> page images.

The type comes from the magic bytes, never the file name. Every limit (bytes, pages, pixels per page) is
checked from headers BEFORE anything is decoded, so a small file claiming a huge page costs nothing.
Each failure is an `InputError` with a stable code and a message the uploader can act on.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from errors import EngineUnavailable, ErrorCode, InputError
from ocr.config import LoadLimits
from ocr.filetype import known_other_kind, sniff

_SANE_DPI = (100, 1200)  # outside this a header DPI is a default (72/96) or nonsense: treat it as unknown
# JPEGs above this many pixels (an A4 page at 600 dpi is 35 MP) are decoded by libjpeg at 1/2 or 1/4 scale:
# several times faster than a full decode, and 300 dpi is all OCR needs (measured on SROIE's 35 MP scans).
DRAFT_ABOVE_PIXELS = 16_000_000
MIN_PAGE_SIDE = 16  # pixels; a narrower or shorter page cannot hold a readable character (a 1 x 1 image is refused)
# pdfinfo's limits: it runs in the upload request (a receipt's page list takes milliseconds)
PREFLIGHT_TIMEOUT_S = 15
PREFLIGHT_CPU_S = 10
PREFLIGHT_MEMORY_MB = 512
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


def inspect(data: bytes, limits: LoadLimits) -> FileInfo:
    """Cheap preflight: type, size and page-count limits, header dimensions. Decodes no pixels."""
    media_type = _check_bytes(data, limits)
    if media_type == "application/pdf":
        pages, _sizes = _pdf_preflight(data, limits)
        return FileInfo(media_type, pages)
    frames = _frame_count(data, media_type, limits)
    with _open_image(data, limits) as image:
        if frames == 1:
            _check_still(image)
        _check_image_pixels(image, 0, limits)
    return FileInfo(media_type, frames)


def load_pages(data: bytes, limits: LoadLimits, only: range | None = None) -> Iterator[LoadedPage]:
    """Yield the pages one at a time (a 50-page PDF is never all in memory); `only`: just these page indices (the
    pages of one receipt of a stack), the others are not decoded."""
    media_type = _check_bytes(data, limits)
    if media_type == "application/pdf":
        yield from _pdf_pages(data, limits, only)
        return
    frames = _frame_count(data, media_type, limits)
    with _open_image(data, limits) as image:
        if frames == 1:
            _check_still(image)
        for index in range(frames):
            if only is not None and index not in only:
                continue
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

def check_size(size: int, limits: LoadLimits) -> None:
    """Refuse an empty or too large file from its size alone (a file on disk is checked before it is read)."""
    if not size:
        raise InputError("The file is empty (0 bytes): upload the file again.", code=ErrorCode.EMPTY_FILE)
    if size > limits.max_upload_bytes:
        raise InputError(
            f"The file is {size / 1e6:.1f} MB; the limit is {limits.max_upload_bytes / 1e6:.1f} MB: "
            "scan at a lower resolution or split it.", code=ErrorCode.TOO_LARGE)


def _check_bytes(data: bytes, limits: LoadLimits) -> str:
    check_size(len(data), limits)
    media_type = sniff(data)
    if media_type is None:
        kind = known_other_kind(data)
        raise InputError(f"This is {kind}" if kind else "This is not a supported file: upload a JPEG, PNG, TIFF, BMP, "
                         "WebP or AVIF image or a PDF.", code=ErrorCode.UNSUPPORTED_TYPE)
    return media_type


def _check_still(image: Image.Image) -> None:
    """An animated image (APNG, WebP, AVIF) is refused: which of its frames shows the receipt is anyone's guess."""
    frames = getattr(image, "n_frames", 1)
    if frames > 1:
        raise InputError(f"This is an animated image ({frames} frames): save the frame that shows the receipt as a "
                         "PNG or JPEG and upload that.", code=ErrorCode.ANIMATED_IMAGE)


def _frame_count(data: bytes, media_type: str, limits: LoadLimits) -> int:
    """Pages in the file, limit checked. A TIFF's are counted from its chain of page directories, stopping one
    past the limit: Pillow's n_frames walks every page and took 54 s for 8 MB of tiny pages."""
    if media_type != "image/tiff":
        return 1
    frames = tiff_page_count(data, stop_after=limits.max_pages + 1)
    if frames > limits.max_pages:
        raise _too_many_pages(f"more than {limits.max_pages}", limits)
    return frames


def tiff_page_count(data: bytes, *, stop_after: int) -> int:
    """Pages in a classic TIFF (its image file directories, IFDs, each ending with the next one's offset), counted
    up to `stop_after`; a chain that points outside the file or back into itself is damaged."""
    if len(data) < 8:
        raise _damaged("its header is cut short")
    order = "<" if data[:2] == b"II" else ">"
    offset = struct.unpack(f"{order}I", data[4:8])[0]
    seen: set[int] = set()
    while offset and len(seen) < stop_after:
        if offset in seen or offset + 2 > len(data):
            raise _damaged("its page list cannot be read")
        seen.add(offset)
        entries = struct.unpack(f"{order}H", data[offset:offset + 2])[0]
        link = offset + 2 + 12 * entries
        if link + 4 > len(data):
            raise _damaged("its page list cannot be read")
        offset = struct.unpack(f"{order}I", data[link:link + 4])[0]
    if not seen:
        raise _damaged("it has no pages")
    return len(seen)


def _check_frames(frames: int, limits: LoadLimits) -> None:
    if frames > limits.max_pages:
        raise _too_many_pages(str(frames), limits)


def _too_many_pages(count: str, limits: LoadLimits) -> InputError:
    return InputError(f"The file has {count} pages; the limit is {limits.max_pages}: split it into smaller files.",
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
    """Page count (limit checked) and each page's size in points, from one bounded pdfinfo run; no rasterizing."""
    report = _pdfinfo(data, last_page=limits.max_pages + 1)
    pages_line = re.search(r"^Pages:\s*(\d+)", report, re.MULTILINE)
    pages = int(pages_line.group(1)) if pages_line else 0
    if pages <= 0:
        raise _damaged("it has no pages")
    _check_frames(pages, limits)
    sizes = {int(m.group(1)): (float(m.group(2)), float(m.group(3))) for m in re.finditer(
        r"^Page\s+(\d+) size:\s*([\d.]+) x ([\d.]+) pts", report, re.MULTILINE)}
    return pages, [sizes.get(i + 1) for i in range(pages)]


def _encrypted() -> InputError:
    return InputError("This is a password-protected PDF: remove the password and upload again.",
                      code=ErrorCode.ENCRYPTED_PDF)


def _pdfinfo(data: bytes, *, last_page: int) -> str:
    """pdfinfo's report on pages 1..last_page, run under a wall-clock, CPU and memory limit (prlimit, util-linux):
    it runs inside the upload request, where no sandbox bounds it."""
    with tempfile.NamedTemporaryFile(prefix="docdesk-", suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        command = ["pdfinfo", "-f", "1", "-l", str(last_page), handle.name]
        if prlimit := shutil.which("prlimit"):
            command = [prlimit, f"--as={PREFLIGHT_MEMORY_MB << 20}", f"--cpu={PREFLIGHT_CPU_S}", "--", *command]
        try:
            done = subprocess.run(command, capture_output=True, timeout=PREFLIGHT_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as error:
            raise _damaged("reading its page list timed out") from error
        except FileNotFoundError as error:
            raise EngineUnavailable("Poppler is not installed: run `make install` "
                                    "(Debian package poppler-utils).") from error
    errors = done.stderr.decode("utf-8", "replace")
    if done.returncode < 0 or "std::bad_alloc" in errors:  # killed by a limit, or out of memory
        raise InputError("Reading this PDF's page list needs more time or memory than allowed: save it again "
                         "(print to PDF) or split it, and upload the new file.", code=ErrorCode.TOO_COMPLEX)
    if done.returncode != 0:
        if _ENCRYPTED.search(errors):
            raise _encrypted()
        raise _damaged("its page list cannot be read")
    return done.stdout.decode("utf-8", "replace")


def _pdf_pages(data: bytes, limits: LoadLimits, only: range | None) -> Iterator[LoadedPage]:
    from pdf2image import convert_from_path
    from pdf2image.exceptions import PDFPageCountError, PDFPopplerTimeoutError, PDFSyntaxError

    pages, sizes = _pdf_preflight(data, limits)
    with tempfile.TemporaryDirectory(prefix="docdesk-pdf-") as folder:
        path = os.path.join(folder, "in.pdf")
        with open(path, "wb") as handle:
            handle.write(data)
        for index in range(pages):
            if only is not None and index not in only:
                continue
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
