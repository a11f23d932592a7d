"""ocr.duplicates: the page hash survives a rescan (scale, a small turn, JPEG) but tells receipts of one shop apart;
the values rule reads vendors alike."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocr import duplicates
from ocr.duplicates import PageHash, Values, hash_distance, page_hash, same_page, same_values
from ocr.engine import TesseractEngine
from ocr.pipeline import read_page
from tests.receipts import SAMPLE_FIELDS, add_noise, render, rotate, sample_lines, sample_receipt, shrink


def other_purchase_lines() -> list[str]:
    """The same shop's receipt for another purchase: the same header, five other items and other amounts."""
    lines = sample_lines({**SAMPLE_FIELDS, "date": "2024-04-02", "receipt_number": "INV-000517", "time": "09:05",
                          "subtotal": "7.50", "tax": "0.45", "rounding": "0.00", "total": "7.95"})
    items = ["1   MASKING TAPE 24MM         1.50", "3   CABLE CLIP 8MM            3.00",
             "1   HEX KEY SET               1.00", "2   SANDPAPER P120            1.20",
             "1   PUTTY KNIFE               0.80"]
    start = lines.index("QTY DESCRIPTION            AMOUNT") + 1
    return lines[:start] + items + lines[start + 3:]


def _hash(image: np.ndarray) -> PageHash:
    page, images = read_page(0, image, engine=TesseractEngine())  # as processing does: on the cleaned page
    return page_hash(images.cleaned, page.words)


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    return cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_GRAYSCALE)


@pytest.mark.slow
def test_a_rescanned_copy_hashes_alike_and_another_purchase_of_the_same_shop_does_not():
    scan = sample_receipt().image
    copies = {"smaller, turned, JPEG 40": _jpeg(rotate(shrink(scan, 0.6), 2.0), 40),
              "noisy, turned the other way": add_noise(rotate(scan, -1.5), sigma=12),
              "wider margins": cv2.copyMakeBorder(scan, 80, 30, 120, 20, cv2.BORDER_CONSTANT, value=255)}
    original = _hash(scan)
    for name, copy in copies.items():
        assert same_page(original, _hash(copy)) is not None, name
    other = _hash(render(other_purchase_lines()).image)
    assert same_page(original, other) is None


def test_the_hash_is_256_bits_and_reads_back_from_its_text():
    page = sample_receipt().image
    found = page_hash(page, [])  # no words: the whole page, cut to its ink
    (top, left), (bottom, right) = np.argwhere(page < 128).min(axis=0), np.argwhere(page < 128).max(axis=0)
    assert len(found.bits) == duplicates.HASH_SIDE ** 2 // 4
    assert found.aspect == pytest.approx((right - left) / (bottom - top), rel=0.03)
    assert PageHash.from_text(found.as_text()) == PageHash(found.bits, round(found.aspect, 4))
    assert hash_distance(found, found) == 0


def test_text_areas_of_other_shapes_are_not_compared():
    assert hash_distance(PageHash("00" * 32, 0.5), PageHash("00" * 32, 0.7)) is None
    assert hash_distance(PageHash("00" * 32, 0.5), PageHash("ff" * 32, 0.55)) == 256


def test_the_same_date_and_total_with_vendors_read_alike_is_the_same_purchase():
    scanned = Values("GREENLEAF HARDWARE SDN BHD", "2024-03-14", "42.95")
    assert same_values(scanned, Values("GREENLEAF HARDWARE SDN. BHD", "2024-03-14", "42.950"))
    assert same_values(scanned, Values("greenleaf hardvvare sdn bhd", "2024-03-14", "42.95"))  # misread, same shop
    assert not same_values(scanned, Values("CORNER BAKERY SDN BHD", "2024-03-14", "42.95"))
    assert not same_values(scanned, Values("GREENLEAF HARDWARE SDN BHD", "2024-03-15", "42.95"))
    assert not same_values(scanned, Values("GREENLEAF HARDWARE SDN BHD", "2024-03-14", "42.90"))
    assert not same_values(scanned, Values(None, "2024-03-14", "42.95"))  # nothing to go by
    assert not same_values(Values("A", "2024-03-14", "n/a"), Values("A", "2024-03-14", "n/a"))
