"""ocr.pipeline: preprocessing earns its keep on degraded receipts, traces and boxes are right, JSON lines, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from errors import InputError
from ocr.config import OcrConfig
from ocr.engine import TesseractEngine
from ocr.pipeline import DocumentResult, clean_page, default_engine, extract_document, read_page, receipts_to_json
from ocr.types import PageResult
from tests import receipts

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def receipt() -> receipts.Receipt:
    return receipts.sample_receipt()


@pytest.fixture(scope="module")
def engine() -> TesseractEngine:
    return TesseractEngine()


DEGRADATIONS = {
    "rotate_7": lambda im: receipts.rotate(im, 7),
    "rotate_-11": lambda im: receipts.rotate(im, -11),
    "turn_90": lambda im: receipts.turn(im, 90),
    "turn_180": lambda im: receipts.turn(im, 180),
    "noise": lambda im: receipts.add_noise(im, sigma=40),
    "blur": lambda im: receipts.blur(im, 5),
    "uneven_light": receipts.uneven_light,
    "shrink": lambda im: receipts.shrink(im, 0.5),
    "faint_under_a_dark_strip": lambda im: receipts.dark_strip(receipts.faint(im, 170)),
}


@pytest.mark.slow
def test_degraded_receipts_read_nearly_as_well_as_clean_and_better_than_raw(receipt, engine):
    clean_page_result, _ = read_page(0, receipt.image, engine=engine)
    clean_cer = receipts.character_error_rate(receipt.text, clean_page_result.text)
    piped, raw = {}, {}
    for name, degrade in DEGRADATIONS.items():
        image = degrade(receipt.image)
        page, _ = read_page(0, image, engine=engine)
        piped[name] = receipts.character_error_rate(receipt.text, page.text)
        bare = PageResult(0, image.shape[1], image.shape[0], tuple(engine.read_words(image)))
        raw[name] = receipts.character_error_rate(receipt.text, bare.text)
    mean_piped, mean_raw = np.mean(list(piped.values())), np.mean(list(raw.values()))
    assert clean_cer <= 0.02
    assert mean_piped <= clean_cer + 0.03, piped
    assert max(piped.values()) <= clean_cer + 0.08, piped
    assert mean_piped < mean_raw / 3, (piped, raw)


def test_clean_page_traces_every_step_and_leaves_a_clean_page_alone(receipt, engine):
    cleaned, trace = clean_page(np.dstack([receipt.image] * 3), engine=engine)
    assert [t.name for t in trace] == ["photo", "grayscale", "borders", "rescale", "light", "denoise", "orient",
                                       "deskew"]
    assert trace[0].skipped and all(t.skipped for t in trace[2:])
    assert np.array_equal(cleaned, receipt.image)
    assert all(t.ms >= 0 for t in trace)


def test_boxes_refer_to_the_cleaned_image(receipt, engine):
    skewed = receipts.rotate(receipt.image, 8)
    page, images = read_page(3, skewed, engine=engine, dpi=300)
    assert (page.height, page.width) == images.cleaned.shape[:2] != skewed.shape[:2]
    assert images.original is skewed and page.index == 3 and page.dpi == 300
    deskew = next(t for t in page.trace if t.name == "deskew")
    assert not deskew.skipped and abs(deskew.details["angle"] - 8) <= 0.5
    total = next(w for w in page.words if w.text == "TOTAL")
    assert 0 <= total.box.left < total.box.right <= page.width
    crop = images.cleaned[total.box.top:total.box.bottom, total.box.left:total.box.right]
    assert crop.min() < 100  # the box holds ink


@pytest.mark.slow
def test_extract_document_and_json_line(receipt, engine):
    data = receipts.encode(receipts.rotate(receipt.image, -4), "PNG")
    result = extract_document(data, config=OcrConfig(), engine=engine)
    assert isinstance(result, DocumentResult) and len(result.pages) == len(result.images) == 1
    for key in ("load", "ocr", "fields", "total", "deskew"):
        assert key in result.timings
    [line] = receipts_to_json("a.png", result)
    json.dumps(line)
    assert line["error"] is None and line["pages"] == [1] and "TOTAL" in line["text"]
    for field in line["fields"].values():
        assert set(field) == {"value", "raw", "confidence", "page", "box"}
        assert field["box"] is None or len(field["box"]) == 4
    without = extract_document(data, config=OcrConfig(), engine=engine, keep_images=False)
    assert without.images == ()


def test_only_the_fast_reading_skips_tesseracts_inverted_second_look():
    assert [default_engine(OcrConfig(reading=reading)).invert for reading in ("accurate", "fast", "tesseract")] == [
        True, False, True]


def test_json_line_for_a_failed_file():
    [line] = receipts_to_json("x.jpg", error=InputError("bad", code="damaged_file"))
    assert line["error"] == {"code": "damaged_file", "message": "bad"} and line["pages"] == []
    assert receipts_to_json("y.jpg", error=ValueError("boom"))[0]["error"]["code"] == "internal"


@pytest.mark.slow
def test_cli_extract_keeps_input_order_and_fails_on_a_bad_file(tmp_path, receipt):
    first, bad, second = tmp_path / "one.png", tmp_path / "bad.jpg", tmp_path / "two.jpg"
    first.write_bytes(receipts.encode(receipt.image, "PNG"))
    bad.write_bytes(b"just some text, not a JPEG\n")
    second.write_bytes(receipts.encode(receipts.shrink(receipt.image, 0.7), "JPEG"))
    run = subprocess.run([sys.executable, str(ROOT / "cli.py"), "extract", "--jsonl", "--workers", "2",
                          str(first), str(bad), str(second)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 1, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(first), str(bad), str(second)]
    assert lines[1]["error"]["code"] == "unsupported_type"
    assert lines[0]["error"] is None and lines[2]["error"] is None
    assert "TOTAL" in lines[0]["text"] and lines[0]["pages"] == [1]


_FIRST_USE = """
import sys
from ocr.config import OcrConfig
from ocr.pipeline import extract_document, warm_up
config = OcrConfig(reading=sys.argv[1])
warm_up(config)
before = set(sys.modules)
for path in sys.argv[2:]:
    extract_document(open(path, "rb").read(), config=config, keep_images=False)
print(" ".join(sorted(set(sys.modules) - before)))
"""


@pytest.mark.slow
@pytest.mark.parametrize("reading", ["fast", "tesseract"])
def test_warm_up_leaves_no_module_to_import_on_a_documents_first_read(tmp_path, receipt, reading):
    """Each document is read in a child forked after warm_up: what it imports on first use, every document pays."""
    jpeg, png = tmp_path / "one.jpg", tmp_path / "two.png"
    jpeg.write_bytes(receipts.encode(receipt.image, "JPEG"))
    png.write_bytes(receipts.encode(receipt.image, "PNG"))
    run = subprocess.run([sys.executable, "-c", _FIRST_USE, reading, str(jpeg), str(png)], capture_output=True,
                         text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == []


_STARTED = """
import subprocess
import sys
from ocr.config import OcrConfig
from ocr.pipeline import extract_document, warm_up
config = OcrConfig(reading="fast")
warm_up(config)
started, start = [], subprocess.Popen.__init__
def recorded(self, args, *rest, **kwargs):
    started.append(" ".join(map(str, args)))
    start(self, args, *rest, **kwargs)
subprocess.Popen.__init__ = recorded
warm_up(config)  # as `cli.py extract` does again before each file
result = extract_document(open(sys.argv[1], "rb").read(), config=config, keep_images=False)
assert "TOTAL" in result.pages[0].text
print("\\n".join(started))
"""


@pytest.mark.slow
def test_after_warm_up_a_document_starts_no_process(tmp_path, receipt):
    """Tesseract's model is loaded by warm_up and pages are read in this process (ocr.libtesseract); pytesseract's
    `tesseract --version` is asked once there too. A document's child would pay again for any process it starts."""
    jpeg = tmp_path / "one.jpg"
    jpeg.write_bytes(receipts.encode(receipt.image, "JPEG"))
    run = subprocess.run([sys.executable, "-c", _STARTED, str(jpeg)], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == []
