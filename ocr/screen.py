"""Page images for the review screen: a stored page (PNG or JPEG bytes) -> a JPEG small enough to send, large enough
to read when zoomed, without EXIF or other metadata. The fields' boxes are drawn by the screen itself."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps

MAX_WIDTH = 1600  # receipt print stays legible at 2x zoom; wider scans are scaled down
MAX_HEIGHT = 4800  # a very long receipt
JPEG_QUALITY = 82


@dataclass(frozen=True)
class ScreenImage:
    jpeg: bytes
    width: int
    height: int


def screen_image(image: bytes, *, max_width: int = MAX_WIDTH, max_height: int = MAX_HEIGHT) -> ScreenImage:
    """`image` upright (EXIF orientation applied), scaled down to fit `max_width` x `max_height`, as a JPEG that
    carries no metadata."""
    picture = ImageOps.exif_transpose(Image.open(io.BytesIO(image)))
    picture = picture.convert("L" if picture.mode in ("1", "L", "LA", "I;16") else "RGB")
    scale = min(1.0, max_width / picture.width, max_height / picture.height)
    if scale < 1.0:
        picture = picture.resize((max(1, round(picture.width * scale)), max(1, round(picture.height * scale))),
                                 Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=False)
    return ScreenImage(out.getvalue(), picture.width, picture.height)
