"""storage.images: page images encoded as the blob store keeps them."""

import io

import numpy as np
import pytest
from PIL import Image

from storage import images


def _page(channels: int) -> np.ndarray:
    rng = np.random.default_rng(3)
    page = np.full((120, 90), 245, np.uint8)
    page[20:30, 10:80] = rng.integers(0, 60, (10, 70))  # a line of "text"
    if channels == 1:
        return page
    rgb = np.stack([page] * 3, axis=-1)
    rgb[60:90, 20:50] = (220, 20, 20)  # a red stamp: channels must not be swapped
    return rgb


@pytest.mark.parametrize("channels, mode", [(1, "L"), (3, "RGB")])
def test_png_is_lossless_and_keeps_the_channels_in_order(channels, mode):
    page = _page(channels)
    data = images.png(page)
    decoded = Image.open(io.BytesIO(data))
    assert data.startswith(b"\x89PNG") and decoded.mode == mode
    assert np.array_equal(np.asarray(decoded), page)


def test_jpeg_keeps_the_colours_close():
    page = _page(3)
    data = images.jpeg(page)
    decoded = np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)
    assert data.startswith(b"\xff\xd8\xff")
    red, green, blue = decoded[75, 35]
    assert red > 180 and green < 70 and blue < 70
    assert np.abs(decoded - page).mean() < 3


@pytest.mark.parametrize("encode", [images.png, images.jpeg])
def test_no_metadata_is_written(encode):
    decoded = Image.open(io.BytesIO(encode(_page(3))))
    assert not decoded.getexif() and "exif" not in decoded.info and "icc_profile" not in decoded.info


@pytest.mark.parametrize("channels, gray", [(1, True), (3, False)])
def test_as_jpeg_reencodes_a_stored_page_and_says_its_size(channels, gray):
    page = _page(channels)
    data, width, height, is_gray = images.as_jpeg(images.png(page), quality=80)
    decoded = Image.open(io.BytesIO(data))
    assert data.startswith(b"\xff\xd8\xff") and (width, height, is_gray) == (90, 120, gray)
    assert decoded.size == (90, 120) and decoded.mode == ("L" if gray else "RGB")
    if not gray:
        red, green, blue = np.asarray(decoded)[75, 35]
        assert red > 180 and green < 70 and blue < 70  # not turned to BGR on the way


def test_as_jpeg_refuses_bytes_that_are_no_image():
    with pytest.raises(ValueError, match="not a page image"):
        images.as_jpeg(b"not an image", quality=80)
