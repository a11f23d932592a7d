"""ocr.pipeline on a stack: a PDF of several receipts gives one receipt each, with fields from its own pages only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ocr.config import OcrConfig
from ocr.pipeline import extract_document, receipts_to_json
from tests import stacks

ROOT = Path(__file__).resolve().parents[2]
FOUR = [stacks.shop_receipt(n) for n in range(4)]


@pytest.fixture(scope="module")
def four_receipts_pdf() -> bytes:
    return stacks.pdf([stacks.render(printed) for printed in FOUR])


def test_four_receipts_in_one_pdf_are_four_receipts_with_their_own_totals(four_receipts_pdf):
    result = extract_document(four_receipts_pdf, config=OcrConfig(), keep_images=False)
    assert [receipt.pages for receipt in result.receipts] == [(0,), (1,), (2,), (3,)]
    for receipt, printed in zip(result.receipts, FOUR, strict=True):
        fields = receipt.extraction.fields
        assert fields["total"].value == printed.total and fields["date"].value == printed.date
        assert fields["vendor"].value == printed.lines[0]
        assert {f.page for f in fields.values()} == set(receipt.pages)  # nothing read from another receipt's page
    lines = receipts_to_json("stack.pdf", result)
    assert [(line["file"], line["pages"]) for line in lines] == [("stack.pdf", [n]) for n in (1, 2, 3, 4)]
    assert "split" in lines[0]["timings"] and all(line["timings"] == {} for line in lines[1:])  # the file's, once
    assert [line["fields"]["total"]["value"] for line in lines] == [printed.total for printed in FOUR]
    assert "SUNRISE BAKERY" in lines[1]["text"] and "GREENLEAF" not in lines[1]["text"]


def test_a_long_receipt_over_two_pages_stays_one():
    printed = stacks.shop_receipt(1, items=36)
    data = stacks.pdf(stacks.pages_of(printed, 26))
    [receipt] = extract_document(data, config=OcrConfig(), keep_images=False).receipts
    fields = receipt.extraction.fields
    assert receipt.pages == (0, 1)
    assert (fields["vendor"].page, fields["total"].page) == (0, 1)  # the header above, the total on the last page
    assert fields["total"].value == printed.total and not any(f.code == "several_receipts"
                                                              for f in receipt.extraction.flags)


def test_never_keeps_the_file_one_receipt_and_says_it_may_mix_receipts():
    data = stacks.pdf([stacks.render(FOUR[0]), stacks.render(FOUR[1])])
    [receipt] = extract_document(data, config=OcrConfig(split_pages="never"), keep_images=False).receipts
    assert receipt.pages == (0, 1)
    [flag] = [f for f in receipt.extraction.flags if f.code == "several_receipts"]
    assert "page 2 looks like the start of another receipt" in flag.message


def test_always_makes_each_page_a_receipt():
    printed = stacks.shop_receipt(1, items=36)
    data = stacks.pdf(stacks.pages_of(printed, 26))
    first, second = extract_document(data, config=OcrConfig(split_pages="always"), keep_images=False).receipts
    assert (first.pages, second.pages) == ((0,), (1,))
    assert {f.page for f in first.extraction.fields.values()} == {0} and "vendor" in first.extraction.fields
    assert {f.page for f in second.extraction.fields.values()} == {1}
    assert second.extraction.fields["total"].value == printed.total


def test_cli_extract_prints_one_line_per_receipt(tmp_path, four_receipts_pdf):
    stack, single = tmp_path / "stack.pdf", tmp_path / "one.png"
    stack.write_bytes(four_receipts_pdf)
    single.write_bytes(stacks.pdf([stacks.render(FOUR[2])]))
    run = subprocess.run([sys.executable, str(ROOT / "cli.py"), "extract", "--jsonl", "--workers", "2", str(stack),
                          str(single)], capture_output=True, text=True, cwd=ROOT, timeout=240)
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [(line["file"], line["pages"]) for line in lines] == [(str(stack), [1]), (str(stack), [2]),
                                                                 (str(stack), [3]), (str(stack), [4]),
                                                                 (str(single), [1])]
    assert [line["fields"]["total"]["value"] for line in lines] == [p.total for p in FOUR] + [FOUR[2].total]
    summary = subprocess.run([sys.executable, str(ROOT / "cli.py"), "extract", "--workers", "1", str(stack)],
                             capture_output=True, text=True, cwd=ROOT, timeout=240)
    assert summary.stdout.splitlines()[1].startswith(f"{stack} (page 2): ")
