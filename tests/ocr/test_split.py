"""ocr.split: which pages of a file are which receipts, judged from pages read by the real Tesseract."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ocr import split
from ocr.config import OcrConfig
from ocr.pipeline import default_engine, read_page
from ocr.types import PageResult
from tests import stacks


@pytest.fixture(scope="module")
def read():
    """Each generated page read once; a test lays them out as a file."""
    engine = default_engine(OcrConfig())
    long_receipt = stacks.pages_of(stacks.shop_receipt(5, items=40), 28)
    images = {
        **{f"shop{n}": stacks.render(stacks.shop_receipt(n)) for n in range(4)},
        "shop0 again": stacks.render(stacks.shop_receipt(5, items=2)),  # SHOPS[5 % 5]: the same shop as shop0
        "plain": stacks.render(stacks.shop_receipt(3, items=4, centred=False, seed=1)),  # no centred header
        "long 1": long_receipt[0], "long 2": long_receipt[1],
    }
    assert len(long_receipt) == 2 and "TOTAL" not in "".join(stacks.shop_receipt(5, items=40).lines[:28])
    pages = {name: read_page(0, image, engine=engine)[0] for name, image in images.items()}
    pages["blank"] = PageResult(0, 800, 1100, ())
    return pages


def file_of(read, *names: str) -> list[PageResult]:
    return [replace(read[name], index=i) for i, name in enumerate(names)]


def starts(read, *names: str) -> list[bool]:
    return [page.starts for page in split.judge(file_of(read, *names))]


def test_four_receipts_are_four(read):
    assert starts(read, "shop0", "shop1", "shop2", "shop3") == [True] * 4


def test_the_pages_of_a_long_receipt_are_one(read):
    judged = split.judge(file_of(read, "long 1", "long 2"))
    assert [page.starts for page in judged] == [True, False]
    assert judged[0].signs.start > 0.5 > judged[1].signs.start  # a header above; priced lines from the top
    assert not judged[0].signs.closes and judged[1].signs.closes  # the total is on the second page


def test_a_stack_of_short_and_long_receipts(read):
    assert starts(read, "shop1", "long 1", "long 2", "plain", "shop2") == [True, True, False, True, True]


def test_two_receipts_of_one_shop_are_two(read):
    assert starts(read, "shop0", "shop0 again") == [True, True]


def test_a_blank_page_goes_with_the_receipt_before_it(read):
    """The back of each sheet of a duplex scan."""
    assert starts(read, "shop1", "blank", "long 1", "blank", "long 2", "blank") == [True, False, True, False, False,
                                                                                    False]
    assert starts(read, "blank", "shop1", "shop2") == [True, False, True]


def test_an_invoice_with_its_letterhead_on_every_page_is_one(read):
    """A printed invoice repeats the shop's header on page 2; its total is only on the last page."""
    invoice = stacks.shop_receipt(2, items=40)
    header, rest = invoice.lines[:4], invoice.lines[4:]
    first = stacks.render(stacks.Printed([*header, "PAGE 1 OF 2", *rest[:24]], 4, invoice.total, invoice.date))
    second = stacks.render(stacks.Printed([*header, "PAGE 2 OF 2", *rest[24:]], 4, invoice.total, invoice.date))
    engine = default_engine(OcrConfig())
    pages = [read_page(i, image, engine=engine)[0] for i, image in enumerate((first, second))]
    assert split.page_signs(pages[1]).start == 0.0  # it says so itself
    assert [page.starts for page in split.judge(pages)] == [True, False]
    unmarked = [replace(page, words=tuple(w for w in page.words if w.text not in ("PAGE", "1", "2", "OF")))
                for page in pages]
    assert split.page_signs(unmarked[1]).start > 0.5  # reads like a start, but the first page has no total yet
    assert [page.starts for page in split.judge(unmarked)] == [True, False]


def test_the_setting_always_and_never(read):
    judged = split.judge(file_of(read, "shop0", "long 1", "long 2"))
    assert split.receipts(judged, "auto") == [[0], [1, 2]]
    assert split.receipts(judged, "always") == [[0], [1], [2]]
    assert split.receipts(judged, "never") == [[0, 1, 2]]
    flag = split.mixed(judged, [0, 1, 2])
    assert flag is not None and flag.code == "several_receipts" and "page 2 looks like the start" in flag.message
    assert split.mixed(judged, [1, 2]) is None


def test_a_single_page_is_not_judged(read):
    [page] = split.judge(file_of(read, "shop0"))
    assert page.starts and page.signs is None
