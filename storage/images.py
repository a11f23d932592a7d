"""Page images as the files the blob store keeps: PNG and JPEG without metadata, chosen for speed.

Page images are written for every page, so their encoding is on every document's bill
(docs/decisions/ingestion-throughput.md):
- cleaned page (what OCR read, boxes refer to it): PNG, zlib level 1 with the RLE strategy (grayscale, mostly
  white paper: ~8 ms for a typical receipt instead of ~40 ms at level 6, and smaller than level 1's default);
- original page: PNG level 1 when the upload was lossless; when the upload was a JPEG, JPEG quality 92
  (a 35 MP phone photo: ~75 ms instead of ~1 s as PNG, and no bigger than the upload itself).
OpenCV writes no metadata (no EXIF, no GPS) in either format.
Thumbnails (the Documents page) are small JPEGs made once from the original page and cached.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import cv2
import numpy as np

from storage.blobs import BlobStore

PNG_LEVEL = 1
JPEG_QUALITY = 92


def png(image: np.ndarray) -> bytes:
    """An RGB or grayscale page as PNG: fast compression (RLE for grayscale pages), no metadata."""
    params = [cv2.IMWRITE_PNG_COMPRESSION, PNG_LEVEL]
    if image.ndim == 2:
        params += [cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE]
    return _encode(".png", _bgr(image), params)


def jpeg(image: np.ndarray) -> bytes:
    """An RGB or grayscale page as JPEG (quality JPEG_QUALITY), no metadata."""
    return _encode(".jpg", _bgr(image), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])


def _bgr(image: np.ndarray) -> np.ndarray:
    """Pages are RGB (or gray); OpenCV encoders expect BGR."""
    return cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 and image.shape[2] == 3 else image


def _encode(extension: str, image: np.ndarray, params: list[int]) -> bytes:
    ok, buffer = cv2.imencode(extension, image, params)
    if not ok:
        raise RuntimeError(f"{extension} encoding failed")
    return buffer.tobytes()


def thumbnail(data: bytes, width: int) -> bytes | None:
    """A page image (PNG or JPEG bytes) shrunk to `width` pixels wide, as JPEG; None when it cannot be decoded.
    JPEGs are decoded at 1/8 or 1/4 size straight away (libjpeg scales while decoding), which is most of the
    cost saved."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    image = cv2.imdecode(buffer, cv2.IMREAD_REDUCED_COLOR_4 if width <= 300 else cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        return None
    height = max(1, round(image.shape[0] * width / image.shape[1]))
    if image.shape[1] > width:
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    return _encode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])


class ThumbnailCache:
    """Thumbnails of blob-store images, made once and kept as files beside the blobs (`<key>-<width>.jpg`,
    owner-only like the blobs: they show receipts)."""

    def __init__(self, store: BlobStore, folder: Path):
        self.store, self.folder = store, Path(folder)

    def get(self, key: str, width: int) -> bytes | None:
        self.store.path(key)  # refuses anything that is not a blob key before it becomes a file name
        cached = self.folder / f"{key}-{width}.jpg"
        if cached.is_file():
            return cached.read_bytes()
        if not self.store.exists(key):
            return None
        made = thumbnail(self.store.get(key), width)
        if made is not None:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, temp_name = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
            with os.fdopen(fd, "wb") as temp:
                temp.write(made)
            os.replace(temp_name, cached)  # whole or absent, also with two pages making it at once
        return made


def as_jpeg(data: bytes, quality: int) -> tuple[bytes, int, int, bool]:
    """A stored page image (PNG or JPEG) as JPEG at `quality`: its bytes, width, height and whether it is gray."""
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ValueError("not a page image the blob store wrote")
    if image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    gray = image.ndim == 2
    height, width = image.shape[:2]
    return _encode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality]), width, height, gray
