"""ocr.photo: a receipt photographed on a desk is found (its corners to a few pixels) and flattened so the real
Tesseract reads its fields; a scan is left exactly as it is."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocr.config import OcrConfig
from ocr.engine import TesseractEngine
from ocr.photo import flatten_photo
from ocr.pipeline import extract_document
from tests import photos, receipts

CORNER_TOLERANCE = 3.0  # px, on photos about 1200-2000 px tall


@pytest.fixture(scope="module")
def receipt() -> receipts.Receipt:
    return receipts.sample_receipt()


def decoded(photo: photos.Photo) -> np.ndarray:
    """The photo through the phone's JPEG, at full size (Pillow's pixel limit is whatever a test's loader last set)."""
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(photo.jpeg(), np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def conditions(background: str, seed: int, **changes) -> photos.Conditions:
    drawn = photos.random_conditions(np.random.default_rng(seed))
    return photos.Conditions(**{**drawn.__dict__, "background": background, **changes})


# every desk, with the other conditions drawn at random (seeded), plus the hardest turns and shadows
CASES = [conditions(background, seed) for seed, background in enumerate(photos.BACKGROUNDS)] + [
    conditions("wood", 11, turn=15.0, tilt=(18.0, -10.0), shadow=0.55, tint=(1.0, 0.92, 0.78)),
    conditions("pale", 12, turn=-15.0, shadow=0.5, blur=1.3),
    conditions("tiles", 13, turn=12.0, tilt=(-20.0, 12.0), fill=0.55),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.background}-turn{c.turn:.0f}-shadow{c.shadow:.1f}" for c in CASES])
def test_the_paper_corners_are_found_within_a_few_pixels(receipt, case):
    photo = photos.photograph(receipt.image, case)

    flat, details = flatten_photo(decoded(photo))

    assert details["method"] == "outline"
    error = np.abs(np.array(details["corners"]) - photo.corners).max()
    assert error <= CORNER_TOLERANCE, (details["corners"], photo.corners.round(1).tolist())
    # the flattened page is the sheet upright at the photo's scale: its shape is the receipt's
    assert flat.ndim == 2
    assert abs(flat.shape[1] / flat.shape[0] - receipt.image.shape[1] / receipt.image.shape[0]) < 0.03


@pytest.mark.parametrize("case", [
    conditions("wood", 21, turn=-14.0, tilt=(-12.0, 8.0), shadow=0.45, tint=(1.0, 0.93, 0.8), blur=1.0),
    conditions("tiles", 22, turn=14.0, tilt=(15.0, -6.0), shadow=0.35, blur=0.6),
    conditions("pale", 23, turn=8.0, shadow=0.5, tint=(1.0, 0.95, 0.85), blur=1.1),
], ids=["wood-shadow-warm", "tiles-shadow", "pale-shadow"])
def test_the_fields_of_a_photographed_receipt_are_read(receipt, case):
    photo = photos.photograph(receipt.image, case)

    result = extract_document(photo.jpeg(), config=OcrConfig(), engine=TesseractEngine(psm=6))

    [read] = result.receipts
    fields = {name: field.value for name, field in read.extraction.fields.items()}
    for name in ("vendor", "vendor_address", "date", "total"):
        assert fields.get(name) == receipt.fields[name], (name, fields.get(name))
    [page] = result.pages
    found = page.trace[0]
    assert (found.name, found.skipped, found.details["method"]) == ("photo", False, "outline")
    assert found.ms > 0 and len(found.details["corners"]) == 4
    cleaned = result.images[0].cleaned
    assert (page.height, page.width) == cleaned.shape  # the words' boxes are on the flattened receipt
    edges = np.concatenate([cleaned[:5].ravel(), cleaned[-5:].ravel(), cleaned[:, :5].ravel(), cleaned[:, -5:].ravel()])
    assert np.median(edges) > 230  # paper to the edges, evened out: the desk and the shadow are gone


def test_the_print_is_cut_out_when_the_sheet_runs_off_the_picture(receipt):
    case = conditions("dark", 31, turn=6.0, tilt=(0.0, 0.0), fill=0.65, shadow=0.0)
    photo = photos.photograph(receipt.image, case)
    image = decoded(photo)
    bottom = int(photo.corners[:, 1].min() + 0.97 * np.ptp(photo.corners[:, 1]))
    cut = image[:bottom]  # the sheet's foot is out of the picture: no outline to find

    flat, details = flatten_photo(cut)

    assert details["method"] == "text"
    assert flat.shape[0] * flat.shape[1] < 0.6 * cut.shape[0] * cut.shape[1]  # the desk is cut away
    words = TesseractEngine(psm=6).read_words(flat)
    text = " ".join(word.text for word in words)
    for value in (receipt.fields["vendor"].split()[0], receipt.fields["total"], "THANK"):
        assert value in text  # the first and the last lines are kept


@pytest.mark.parametrize("name, make", [
    ("grey page", lambda im: im),
    ("colour page", lambda im: np.dstack([im] * 3)),
    ("turned on white", lambda im: receipts.rotate(im, 9)),
    ("dark strip", receipts.dark_strip),
    ("shaded", receipts.uneven_light),
    ("on a white lid", lambda im: np.pad(im, ((200, 300), (150, 400)), constant_values=250)),
])
def test_a_scan_is_left_exactly_as_it_is(receipt, name, make):
    scan = make(receipt.image)

    out, details = flatten_photo(scan)

    assert out is scan and details["skipped"], details
