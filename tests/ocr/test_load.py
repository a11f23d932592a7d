"""ocr.load: refusal paths with real broken files (generators shared in tests/badfiles.py; the whole corpus runs
through every entry point in tests/test_bad_input.py), and the good paths (multi-page, EXIF, DPI)."""

from __future__ import annotations

import io
import os
import sys

import numpy as np
import pytest
from PIL import Image

from errors import InputError
from ocr import load
from ocr.config import LoadLimits
from ocr.load import inspect, load_pages, sniff, tiff_page_count
from tests import receipts
from tests.badfiles import encrypted_pdf, pdf_bytes, png_with_huge_header, tiff_of_tiny_pages


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    return receipts.render(["TOTAL 12.50", "THANK YOU"], font_size=20).image


def cfg(**overrides) -> LoadLimits:
    return LoadLimits(**overrides)


def error_code(data: bytes, limits: LoadLimits | None = None) -> InputError:
    with pytest.raises(InputError) as caught:
        list(load_pages(data, limits or cfg()))
    assert caught.value.message and caught.value.message[-1] in ".)"
    return caught.value


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "WEBP", "TIFF", "AVIF"])
def test_each_image_type_loads_by_magic_bytes(page, fmt):
    data = receipts.encode(page, fmt)
    info = inspect(data, cfg())
    assert info.media_type == f"image/{fmt.lower()}" and info.pages == 1
    [loaded] = list(load_pages(data, cfg()))
    assert loaded.image.dtype == np.uint8 and loaded.image.shape[:2] == page.shape


def test_multipage_tiff_and_pdf(page):
    frames = [Image.fromarray(page), Image.fromarray(255 - page), Image.fromarray(page)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    assert inspect(buffer.getvalue(), cfg()).pages == 3
    loaded = list(load_pages(buffer.getvalue(), cfg()))
    assert [p.index for p in loaded] == [0, 1, 2]
    assert loaded[1].image.mean() < loaded[0].image.mean()  # the second page really is the second frame

    pdf = pdf_bytes([page, page])
    assert inspect(pdf, cfg()) == inspect(pdf, cfg()) and inspect(pdf, cfg()).media_type == "application/pdf"
    pages = list(load_pages(pdf, cfg(pdf_dpi=150)))
    assert len(pages) == 2 and pages[0].dpi == 150
    assert abs(pages[0].image.shape[0] - page.shape[0]) <= 2  # saved at 150 dpi, rasterized at 150 dpi


def test_only_the_chosen_pages_are_loaded(page):
    """One receipt of a stack is read again from its own pages: the others are not decoded."""
    frames = [Image.fromarray(page), Image.fromarray(255 - page), Image.fromarray(page)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    loaded = list(load_pages(buffer.getvalue(), cfg(), only=range(1, 3)))
    assert [p.index for p in loaded] == [1, 2] and loaded[0].image.mean() < loaded[1].image.mean()
    pdf = pdf_bytes([page, 255 - page, page])
    assert [p.index for p in load_pages(pdf, cfg(pdf_dpi=100), only=range(1, 2))] == [1]


def test_exif_orientation_applied_and_dpi(page):
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    buffer = io.BytesIO()
    Image.fromarray(page).save(buffer, format="JPEG", exif=exif.tobytes(), dpi=(300, 300))
    [loaded] = list(load_pages(buffer.getvalue(), cfg()))
    assert loaded.image.shape[:2] == (page.shape[1], page.shape[0])
    assert loaded.dpi == 300
    absurd = receipts.encode(page, "PNG", dpi=(1, 1))
    assert next(load_pages(absurd, cfg())).dpi is None


def test_rgba_is_flattened_on_white(page):
    rgba = np.dstack([page, page, page, np.zeros_like(page)])  # fully transparent
    [loaded] = list(load_pages(receipts.encode(rgba, "PNG"), cfg()))
    assert loaded.image.ndim == 3 and loaded.image.min() == 255


def test_empty_file():
    assert error_code(b"").code == "empty_file"


def test_text_named_jpg_is_unsupported(tmp_path):
    path = tmp_path / "receipt.jpg"
    path.write_text("this is not a picture\n")
    assert error_code(path.read_bytes()).code == "unsupported_type"
    assert sniff(path.read_bytes()) is None


def test_truncated_jpeg(page):
    data = receipts.encode(page, "JPEG")
    assert error_code(data[: len(data) // 3]).code == "damaged_file"


def test_png_with_broken_crc(page):
    data = bytearray(receipts.encode(page, "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 10] ^= 0xFF  # flip a byte inside the first IDAT chunk: its CRC no longer matches
    assert error_code(bytes(data)).code == "damaged_file"


def test_encrypted_pdf():
    error = error_code(encrypted_pdf())
    assert error.code == "encrypted_pdf"
    assert "password" in error.message


def test_pdf_too_many_pages(page):
    small = page[:40, :40]
    data = pdf_bytes([small] * 4)
    with pytest.raises(InputError) as caught:
        inspect(data, cfg(max_pages=3))
    assert caught.value.code == "too_many_pages"
    assert error_code(data, cfg(max_pages=3)).code == "too_many_pages"


def test_header_claiming_huge_dimensions_is_refused_before_decoding():
    data = png_with_huge_header(60_000, 60_000)
    assert len(data) < 200
    with pytest.raises(InputError) as caught:
        inspect(data, cfg())
    assert caught.value.code == "page_too_large"
    assert error_code(data).code == "page_too_large"


def test_too_many_bytes(page):
    data = receipts.encode(page, "PNG")
    assert error_code(data, cfg(max_upload_bytes=len(data) - 1)).code == "too_large"


def test_truncated_pdf(page):
    data = pdf_bytes([page])
    assert error_code(data[: len(data) // 4]).code in ("damaged_file",)


def test_huge_jpeg_is_decoded_at_a_reduced_scale():
    big = np.full((5000, 4000), 255, np.uint8)
    big[1000:1100, 500:3500] = 0
    [loaded] = list(load_pages(receipts.encode(big, "JPEG", dpi=(600, 600)), cfg()))
    assert loaded.image.shape == (2500, 2000) and loaded.dpi == 300
    assert loaded.image[525:545, 300:1700].max() < 60  # the bar is still there, at half scale


def test_a_tiff_of_many_tiny_pages_is_refused_without_counting_them_all():
    """8 MB of 16 x 16 pages (~74,000): Pillow's page count walked them all, in time growing with their square
    (54 s in the upload request). Counting stops one past the limit."""
    data = tiff_of_tiny_pages(8 * 10**6 // 110)
    with pytest.raises(InputError) as caught:
        inspect(data, cfg(max_upload_bytes=50 * 2**20))
    assert caught.value.code == "too_many_pages" and "more than 50 pages" in caught.value.message


def test_tiff_pages_past_the_limit_are_never_read():
    """The 55th page's link points outside the file: still 'too many pages', as nothing past page 51 is read."""
    assert tiff_page_count(tiff_of_tiny_pages(60, broken_after=55), stop_after=51) == 51
    assert error_code(tiff_of_tiny_pages(60, broken_after=55)).code == "too_many_pages"
    assert error_code(tiff_of_tiny_pages(20, broken_after=10)).code == "damaged_file"
    assert [p.index for p in load_pages(tiff_of_tiny_pages(3), cfg())] == [0, 1, 2]


def test_a_tiff_whose_pages_link_in_a_loop_is_damaged():
    data = bytearray(tiff_of_tiny_pages(2))
    data[-4:] = data[4:8]  # the last page links back to the first
    assert error_code(bytes(data)).code == "damaged_file"


def _fake_pdfinfo(folder, monkeypatch, body: str) -> None:
    script = folder / "pdfinfo"
    script.write_text(f"#!{sys.executable}\n{body}\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


def test_the_pdf_preflight_is_bounded_in_time(tmp_path, monkeypatch, page):
    """pdfinfo runs inside the upload request: one that hangs ends there with a refusal, not a stuck request."""
    _fake_pdfinfo(tmp_path, monkeypatch, "import time\ntime.sleep(600)")
    monkeypatch.setattr(load, "PREFLIGHT_TIMEOUT_S", 1)
    with pytest.raises(InputError) as caught:
        inspect(pdf_bytes([page]), cfg())
    assert caught.value.code == "damaged_file" and "timed out" in caught.value.message


def test_the_pdf_preflight_is_bounded_in_memory(tmp_path, monkeypatch, page):
    """A pdfinfo that wants 2 GB is stopped at PREFLIGHT_MEMORY_MB (a fault injected by a fake pdfinfo that
    aborts when refused memory, as Poppler does)."""
    _fake_pdfinfo(tmp_path, monkeypatch, "import os\ntry:\n    block = bytearray(2 << 30)\nexcept MemoryError:\n"
                  "    os.abort()\nprint('Pages: 1')")
    with pytest.raises(InputError) as caught:
        inspect(pdf_bytes([page]), cfg())
    assert caught.value.code == "too_complex"
