"""Field boxes drawn on a page image for the review screen: image bytes in, JPEG bytes out."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageOps

SELECTED = (220, 20, 60)  # crimson, drawn thicker and a little outside the box
WEAK = (255, 140, 0)  # orange: a value below the low-confidence threshold
PLAIN = (30, 110, 220)
JPEG_QUALITY = 85


@dataclass(frozen=True)
class Highlight:
    box: Sequence[int]  # left, top, width, height in the pixels of the page the boxes refer to
    selected: bool = False
    weak: bool = False


def draw_boxes(image: bytes, page_size: tuple[int, int], boxes: Iterable[Highlight], *, max_width: int) -> bytes:
    """`image` as JPEG, scaled down to at most `max_width` wide, with `boxes` drawn in order. Boxes are in
    the pixels of a page of `page_size` (width, height: the cleaned page); on another image of that page (the
    original) they are scaled to its size, which is approximate if the cleaning turned or deskewed the page."""
    picture = ImageOps.exif_transpose(Image.open(io.BytesIO(image))).convert("RGB")
    page_width, page_height = page_size
    sx = picture.width / page_width if page_width else 1.0
    sy = picture.height / page_height if page_height else 1.0
    scale = min(1.0, max_width / picture.width)
    if scale < 1.0:
        picture = picture.resize((int(picture.width * scale), int(picture.height * scale)))
    draw = ImageDraw.Draw(picture)
    for highlight in boxes:
        left, top, width, height = highlight.box
        rect = [left * sx * scale, top * sy * scale, (left + width) * sx * scale, (top + height) * sy * scale]
        if highlight.selected:
            draw.rectangle([rect[0] - 3, rect[1] - 3, rect[2] + 3, rect[3] + 3], outline=SELECTED, width=4)
        else:
            draw.rectangle(rect, outline=WEAK if highlight.weak else PLAIN, width=2)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue()
