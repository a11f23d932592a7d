"""ocr.screen: page images for the review screen."""

import io

import numpy as np
from PIL import Image

from ocr.screen import screen_image


def _png(width: int, height: int, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), "white").save(out, format="PNG")
    return out.getvalue()


def test_a_small_page_keeps_its_size_and_a_wide_one_is_scaled_to_the_width():
    small = screen_image(_png(400, 900))
    assert (small.width, small.height) == (400, 900)
    assert Image.open(io.BytesIO(small.jpeg)).format == "JPEG"
    wide = screen_image(_png(3200, 4000), max_width=1600)
    assert (wide.width, wide.height) == (1600, 2000)
    tall = screen_image(_png(1000, 10000), max_width=1600, max_height=4000)
    assert (tall.width, tall.height) == (400, 4000)


def test_grey_pages_stay_grey_and_the_picture_is_kept():
    gray = Image.new("L", (200, 100), 255)
    gray.paste(0, (50, 25, 150, 75))
    out = io.BytesIO()
    gray.save(out, format="PNG")
    shown = Image.open(io.BytesIO(screen_image(out.getvalue()).jpeg))
    assert shown.mode == "L"
    pixels = np.asarray(shown)
    assert pixels[50, 100] < 40 and pixels[5, 5] > 215


def test_exif_orientation_is_applied_and_no_metadata_is_kept():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    Image.new("RGB", (300, 100), "white").save(out, format="JPEG", exif=exif.tobytes())
    shown = screen_image(out.getvalue())
    assert (shown.width, shown.height) == (100, 300)
    assert b"PhoneMaker" not in shown.jpeg and not Image.open(io.BytesIO(shown.jpeg)).getexif()
