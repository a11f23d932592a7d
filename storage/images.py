"""Page images as the files the blob store keeps: PNG and JPEG without metadata, chosen for speed.

Page images are written for every page, so their encoding is on every document's bill
(docs/decisions/ingestion-throughput.md):
- cleaned page (what OCR read, boxes refer to it): PNG, zlib level 1 with the RLE strategy (grayscale, mostly
  white paper: ~8 ms for a typical receipt instead of ~40 ms at level 6, and smaller than level 1's default);
- original page: PNG level 1 when the upload was lossless; when the upload was a JPEG, JPEG quality 92
  (a 35 MP phone photo: ~75 ms instead of ~1 s as PNG, and no bigger than the upload itself).
OpenCV writes no metadata (no EXIF, no GPS) in either format.
"""

from __future__ import annotations

import cv2
import numpy as np

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
