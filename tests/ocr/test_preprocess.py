"""ocr.preprocess: each step finds what it should on generated receipts, and leaves clean pages alone."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocr import preprocess
from ocr.engine import TesseractEngine
from tests import receipts


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    return receipts.sample_receipt().image


@pytest.fixture(scope="module")
def engine() -> TesseractEngine:
    return TesseractEngine()


class NoEngine:
    """Fails the test if a step calls the OCR engine when it should not."""

    def read_words(self, image, **_):
        raise AssertionError("engine called")

    def detect_orientation(self, image):
        raise AssertionError("engine called")


def test_to_grayscale(page):
    rgb = np.dstack([page] * 3)
    assert preprocess.to_grayscale(rgb).shape == page.shape
    assert preprocess.to_grayscale(page) is page


@pytest.mark.parametrize("degrees", [-12, -5, 3, 9, 14])
def test_deskew_recovers_known_angles(page, degrees):
    skewed = receipts.rotate(page, degrees)
    angle, _, _ = preprocess.text_angle(skewed)
    assert abs(angle - degrees) <= 0.5
    straight, details = preprocess.deskew(skewed)
    assert "skipped" not in details
    assert abs(preprocess.text_angle(straight)[0]) <= 0.5


def test_deskew_leaves_level_and_textless_pages_alone(page):
    assert preprocess.deskew(page)[1]["skipped"]
    blank = np.full((400, 300), 255, np.uint8)
    out, details = preprocess.deskew(blank)
    assert out is blank and details["skipped"]


@pytest.mark.slow
@pytest.mark.parametrize("turned", [90, 180, 270])
def test_orientation_turns_page_upright(page, engine, turned):
    upright, details = preprocess.orient(receipts.turn(page, turned), engine=engine, always=True)
    assert details["rotate"] == (360 - turned) % 360
    assert np.array_equal(upright, page)


@pytest.mark.parametrize("turned", [90, 270])
def test_sideways_pages_are_noticed_without_ocr(page, turned):
    assert preprocess.looks_sideways(receipts.turn(page, turned))[0]
    assert preprocess.looks_sideways(receipts.turn(receipts.rotate(page, 10), turned))[0]


def test_upright_page_needs_no_engine_call(page):
    out, details = preprocess.orient(page, engine=NoEngine())
    assert out is page and details["skipped"]


def test_denoise_only_when_noisy(page):
    assert preprocess.denoise(page)[1]["skipped"]
    noisy = receipts.add_noise(page, sigma=40)
    cleaned, details = preprocess.denoise(noisy)
    assert "skipped" not in details
    assert preprocess.noise_sigma(cleaned) < preprocess.noise_sigma(noisy) / 2


def test_flatten_light_evens_shaded_paper_and_skips_even_pages(page):
    assert preprocess.flatten_light(page)[1]["skipped"]
    shaded = receipts.uneven_light(page)
    flat, details = preprocess.flatten_light(shaded)
    assert details["paper_range"] > 100
    low, high = np.percentile(preprocess.background(flat), [2, 98])
    assert high - low < 15


def test_a_dark_strip_that_hides_grey_print_is_painted_over(page, engine):
    hidden = receipts.dark_strip(receipts.faint(page, 170))
    assert len(engine.read_words(hidden)) < 5  # Tesseract's global threshold puts the grey print on the paper side
    painted, details = preprocess.paint_borders(hidden)
    assert not details.get("skipped") and details["print_kept"] < 0.2
    assert painted[: int(page.shape[0] * 0.05)].min() > 200  # the strip is paper now
    assert np.array_equal(painted[page.shape[0] // 2:], hidden[page.shape[0] // 2:])  # the print below is untouched
    assert len(engine.read_words(painted)) > 40


def test_dark_strips_beside_black_print_and_pages_without_one_are_left_alone(page):
    same, details = preprocess.paint_borders(receipts.dark_strip(page))
    assert details["skipped"] and details["reason"] == "the border leaves the print readable"
    assert preprocess.paint_borders(page)[1]["reason"] == "no dark border"
    banner = page.copy()
    banner[200:260, 40:-40] = 0  # a black band inside the paper, not at its edge: not a border
    assert preprocess.paint_borders(receipts.faint(banner, 170))[1]["reason"] == "no dark border"


def test_rescale_up_and_down(page):
    assert preprocess.rescale(page)[1]["skipped"]
    tiny = receipts.shrink(page, 0.35)
    up, details = preprocess.rescale(tiny)
    assert details["factor"] > 2 and 20 <= preprocess.text_height(up) <= 40
    huge = cv2.resize(page, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
    down, details = preprocess.rescale(huge)
    assert details["factor"] < 0.8 and 20 <= preprocess.text_height(down) <= 40
