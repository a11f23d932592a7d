"""ocr.highlight: field boxes drawn on a page image."""

import io

import numpy as np
from PIL import Image

from ocr.highlight import PLAIN, SELECTED, WEAK, Highlight, draw_boxes


def _white_png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, format="PNG")
    return out.getvalue()


def _pixels(jpeg: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG"
    return np.asarray(image.convert("RGB")).astype(int)


def _near(pixel, colour, tolerance=40) -> bool:
    return bool(np.abs(np.asarray(pixel) - colour).max() <= tolerance)


def test_boxes_are_drawn_in_their_colours_where_they_are():
    drawn = _pixels(draw_boxes(_white_png(400, 300), (400, 300), [
        Highlight((20, 20, 100, 40)), Highlight((20, 120, 100, 40), weak=True),
        Highlight((200, 200, 100, 40), selected=True)], max_width=1000))
    assert drawn.shape == (300, 400, 3)
    assert _near(drawn[20, 70], PLAIN) and _near(drawn[120, 70], WEAK)
    assert _near(drawn[198, 250], SELECTED)  # drawn a little outside the box, thicker
    assert _near(drawn[40, 70], (255, 255, 255))  # inside a box: the page shows through


def test_boxes_follow_the_image_when_it_is_larger_than_the_page_or_scaled_down():
    box = [Highlight((50, 50, 100, 20))]
    original = _pixels(draw_boxes(_white_png(800, 600), (400, 300), box, max_width=1000))
    assert _near(original[100, 200], PLAIN) and _near(original[50, 100], (255, 255, 255))

    shrunk = _pixels(draw_boxes(_white_png(800, 600), (400, 300), box, max_width=400))
    assert shrunk.shape == (300, 400, 3)
    assert _near(shrunk[50, 100], PLAIN)


def test_without_boxes_the_image_comes_back_as_a_jpeg():
    assert _pixels(draw_boxes(_white_png(40, 30), (0, 0), [], max_width=100)).shape == (30, 40, 3)
