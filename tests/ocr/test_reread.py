"""ocr.reread: word breaks carried across readings (pure), and the real PP-OCR reader settling a misread word."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ocr.catalogue import FIELDS
from ocr.config import OcrConfig
from ocr.engine import TesseractEngine
from ocr.fields import date_lookalikes
from ocr.pipeline import extract_document
from ocr.reread import (
    Target,
    _acceptable,
    line_reader,
    reread_fields,
    respace,
    targets_for,
    unsure_fields,
    unsure_words,
)
from ocr.types import BoundingBox, Extraction, Field, PageResult, Word
from tests import receipts

REREAD_BELOW = FIELDS.read_again_below(by_words=False)  # the fields read again whole, and when
REREAD_WORDS_BELOW = FIELDS.read_again_below(by_words=True)  # the fields whose least sure words are read again


@pytest.mark.parametrize("words, other, expected", [
    (["GREENLEAE", "HARDWARE"], "GREENLEAFHARDWARE", ["GREENLEAF", "HARDWARE"]),  # a letter fixed, no space
    (["GREENLEAF", "HARDWARE"], "GREEN LEAF HARDWARE", ["GREENLEAF", "HARDWARE"]),  # its own spaces ignored
    (["SDN", "BHO"], "SDNBHD", ["SDN", "BHD"]),
    (["14/03/2024", "14:32"], "14/03/202414:32", ["14/03/2024", "14:32"]),
    (["KEDAI", "RUNCIT", "|", "MAJU"], "KEDAIRUNCITMAJU", ["KEDAI", "RUNCIT", "", "MAJU"]),  # a smudge gone
    (["CO.", "(M)", "BHD"], "CO.(M)SDNBHD", ["CO.", "(M)", "SDNBHD"]),  # a missed word joins its neighbour
])
def test_respace_cuts_the_other_reading_at_tesseracts_word_breaks(words, other, expected):
    assert respace(words, other) == expected


def test_respace_never_loses_or_invents_letters():
    words, other = ["AB", "CDE", "F"], "XYABQCDF"
    assert "".join(respace(words, other)) == other


@pytest.mark.parametrize("tesseract, other, score, ok", [
    ("GREENLEAE HARDWARE", "GREENLEAFHARDWARE", 0.95, True),
    ("GREENLEAE HARDWARE", "GREENLEAFHARDWARE", 0.3, False),  # the second reader is unsure itself
    ("GREENLEAE HARDWARE", "綠葉五金", 0.99, False),  # the Chinese-trained model guessing
    ("GREENLEAE HARDWARE", "TOTAL", 0.99, False),  # not the same words at all
    ("GREENLEAE HARDWARE", "  ", 0.99, False),
])
def test_a_second_reading_is_used_only_when_sure_and_alike(tesseract, other, score, ok):
    assert _acceptable(tesseract, other, score) is ok


def test_a_second_reading_of_a_date_must_still_be_a_date():
    assert _acceptable("DATE:09/10/2017", "DATE:09/10/2017", 0.9, "date")
    assert not _acceptable("DATE:09/10/2017", "D:9/10/207", 0.9, "date")  # letters lost: keep Tesseract's
    assert _acceptable("DATE:09/1O/2Q17", "DATE:09/10/2017", 0.9, "date")  # only the second reading parses


def test_a_second_reading_of_an_address_word_keeps_its_punctuation():
    assert _acceptable("Nataysia", "Malaysia", 0.9, "vendor_address")
    assert _acceptable("S812/7,47100", "SS12/7,47100", 0.9, "vendor_address")
    assert not _acceptable(",Ui7/A", "U17/A", 0.9, "vendor_address")  # a comma lost
    assert not _acceptable("NO.1,", "NO1,", 0.9, "vendor_address")


def test_only_the_least_sure_words_of_an_address_are_read_again():
    def word(text, confidence, x):
        return Word(text, confidence, BoundingBox(x, 100, 60, 20))
    words = (word("12,", 0.95, 10), word("JALAN", 0.5, 80), word("Nataysia", 0.3, 150), word("47100", 0.4, 220),
             word("|", 0.1, 290), word("KAJANG", 0.97, 360))
    page = PageResult(index=0, width=500, height=300, words=words)
    address = Field("vendor_address", "12, JALAN Nataysia 47100 KAJANG", "", 0.5, 0,
                    BoundingBox.enclosing([w.box for w in words]))
    targets = unsure_words([page], Extraction({"vendor_address": address}), REREAD_WORDS_BELOW, limit=2)
    assert [t.box.left for t in targets] == [150, 80]  # the two least sure words; a postcode or a speck is none
    assert unsure_words([page], Extraction({"vendor_address": address}), {}) == []
    unreadable = replace(address, value="")  # left empty (unreadable_address_below): two words would not mend it
    assert unsure_words([page], Extraction({"vendor_address": unreadable}), REREAD_WORDS_BELOW) == []


def test_what_is_read_again_follows_the_chosen_fields():
    def word(text, confidence, x, y):
        return Word(text, confidence, BoundingBox(x, y, 60, 20))
    words = (word("GREENLEAE", 0.5, 10, 10), word("Date:", 0.9, 10, 60), word("17/84/2016", 0.8, 80, 60),
             word("JALAN", 0.4, 10, 110), word("TOTAL", 0.9, 10, 200))
    page = PageResult(index=0, width=500, height=300, words=words)
    vendor = Field("vendor", "GREENLEAE", "", 0.5, 0, words[0].box)
    address = Field("vendor_address", "JALAN", "", 0.5, 0, words[3].box)
    extraction = Extraction({"vendor": vendor, "vendor_address": address})  # no date parsed

    def chosen(*fields):
        return [(t.field, t.box.top) for t in targets_for([page], extraction, fields)]

    assert chosen("date", "vendor") == [("vendor", 10), ("date", 60)]
    assert chosen("vendor", "vendor_address") == [("vendor", 10), ("vendor_address", 110)]
    assert chosen() == []


@pytest.fixture(scope="module")
def shop_line():
    receipt = receipts.render(["GREENLEAF HARDWARE SDN BHD", "", "TOTAL 42.95"])
    words = TesseractEngine().read_words(receipt.image)
    return receipt.image, words


def test_the_real_second_reader_puts_back_a_letter_tesseract_got_wrong(shop_line):
    image, words = shop_line
    name_words = [w for w in words if w.box.top < 100]
    assert " ".join(w.text for w in name_words) == "GREENLEAF HARDWARE SDN BHD"
    misread = [replace(w, text="GREENLEAE") if w.text == "GREENLEAF" else w for w in words]  # the fault
    page = PageResult(index=0, width=image.shape[1], height=image.shape[0], words=tuple(misread))
    box = BoundingBox.enclosing([w.box for w in name_words])
    extraction = Extraction({"vendor": Field("vendor", "GREENLEAE HARDWARE SDN BHD", "", 0.5, 0, box)})

    [reread], updated = reread_fields([page], [image], unsure_fields(extraction, REREAD_BELOW), line_reader())

    assert updated == 4
    assert [w.text for w in reread.words if w.box.top < 100] == ["GREENLEAF", "HARDWARE", "SDN", "BHD"]
    assert [w.text for w in reread.words if w.box.top >= 100] == [w.text for w in words if w.box.top >= 100]
    [trace] = [t for t in reread.trace if t.name == "second_reading"]
    assert trace.details == {"fields": ["vendor"], "words_changed": 1, "words_confirmed": 3}


def test_words_both_readers_agree_on_become_surer():
    """Two recognisers reading the same letters: a word is wrong only if both misread it alike."""
    receipt = receipts.render(["GREENLEAF HARDWARE SDN BHD", "", "TOTAL 42.95"])
    words = TesseractEngine().read_words(receipt.image)
    name = [w for w in words if w.box.top < 100]
    doubted = tuple(replace(w, confidence=0.5) if w in name else w for w in words)
    page = PageResult(index=0, width=receipt.image.shape[1], height=receipt.image.shape[0], words=doubted)
    target = Target("vendor", 0, BoundingBox.enclosing([w.box for w in name]))

    [reread], updated = reread_fields([page], [receipt.image], [target], line_reader())

    assert updated == len(name)
    assert [w.text for w in reread.words] == [w.text for w in words]
    assert all(0.9 < w.confidence <= 1.0 for w in reread.words if w.box.top < 100)
    assert [w.confidence for w in reread.words if w.box.top >= 100] == [w.confidence for w in words if w.box.top >= 100]


def test_address_words_both_readers_agree_on_keep_their_confidence():
    """Only two of an address's words are read twice: confirming them must not vouch for the rest of it."""
    receipt = receipts.render(["GREENLEAF HARDWARE SDN BHD", "12 JALAN CEMPAKA, 47100 PUCHONG", "", "TOTAL 42.95"])
    words = TesseractEngine().read_words(receipt.image)
    doubted = tuple(replace(w, confidence=0.3) if w.text == "CEMPAKA," else w for w in words)
    page = PageResult(index=0, width=receipt.image.shape[1], height=receipt.image.shape[0], words=doubted)
    [word] = [w for w in doubted if w.text == "CEMPAKA,"]

    [reread], updated = reread_fields([page], [receipt.image], [Target("vendor_address", 0, word.box)], line_reader())

    assert updated == 0 and reread.words == page.words
    [as_vendor], raised = reread_fields([page], [receipt.image], [Target("vendor", 0, word.box)], line_reader())
    assert raised == 1 and [w.confidence for w in as_vendor.words if w.text == "CEMPAKA,"][0] > 0.9


def test_a_field_tesseract_was_sure_of_is_not_read_again(shop_line):
    image, words = shop_line
    page = PageResult(index=0, width=image.shape[1], height=image.shape[0], words=tuple(words))
    box = BoundingBox.enclosing([w.box for w in words if w.box.top < 100])
    sure = Extraction({"vendor": Field("vendor", "GREENLEAF HARDWARE SDN BHD", "", 0.97, 0, box)})

    assert unsure_fields(sure, REREAD_BELOW) == []
    [same], changed = reread_fields([page], [image], [], line_reader())

    assert changed == 0 and same == page


def test_a_date_tesseract_misread_beyond_parsing_is_found_and_read_again():
    receipt = receipts.render(["GREENLEAF HARDWARE SDN BHD", "", "DATE: 17/04/2016", "", "TOTAL 42.95"])
    words = TesseractEngine().read_words(receipt.image)
    assert "17/04/2016" in [w.text for w in words]
    misread = tuple(replace(w, text="17/84/2016") if w.text == "17/04/2016" else w for w in words)  # the fault
    page = PageResult(index=0, width=receipt.image.shape[1], height=receipt.image.shape[0], words=misread)
    targets = [Target("date", index, box) for index, box in date_lookalikes([page])]

    [reread], changed = reread_fields([page], [receipt.image], targets, line_reader())

    assert changed == 1 and "17/04/2016" in [w.text for w in reread.words]


def test_the_real_second_reader_mends_a_doubtful_address_word():
    receipt = receipts.render(["GREENLEAF HARDWARE SDN BHD", "12 JALAN CEMPAKA, 47100 PUCHONG", "", "TOTAL 42.95"])
    words = TesseractEngine().read_words(receipt.image)
    assert "CEMPAKA," in [w.text for w in words]
    misread = tuple(replace(w, text="CFMPAK4,", confidence=0.3) if w.text == "CEMPAKA," else w for w in words)
    page = PageResult(index=0, width=receipt.image.shape[1], height=receipt.image.shape[0], words=misread)
    row = [w for w in misread if w.text in ("12", "JALAN", "CFMPAK4,", "47100", "PUCHONG")]
    address = Field("vendor_address", "12 JALAN CFMPAK4, 47100 PUCHONG", "", 0.6, 0,
                    BoundingBox.enclosing([w.box for w in row]))
    targets = unsure_words([page], Extraction({"vendor_address": address}), REREAD_WORDS_BELOW)

    [reread], changed = reread_fields([page], [receipt.image], targets, line_reader())

    assert changed == 1 and "CEMPAKA," in [w.text for w in reread.words]


@pytest.mark.slow
def test_the_pipeline_reads_the_chosen_unsure_fields_twice_unless_switched_off():
    data = receipts.encode(receipts.blur(receipts.sample_receipt().image, 5), "PNG")
    off = extract_document(data, config=OcrConfig(second_reading=()), keep_images=False)
    assert "second_reading" not in off.timings
    for chosen in ("date", "date,vendor"):
        on = extract_document(data, config=OcrConfig(second_reading=tuple(chosen.split(","))), keep_images=False)
        unsure = {name for name, field in off.extraction.fields.items()
                  if name in chosen.split(",") and field.confidence < REREAD_BELOW[name]}
        read_again = {name for t in on.pages[0].trace if t.name == "second_reading" for name in t.details["fields"]}
        assert read_again == unsure and read_again  # the blurred date is read again
        assert on.extraction.fields["vendor"].value == receipts.SAMPLE_FIELDS["vendor"]
        assert on.extraction.fields["date"].value == receipts.SAMPLE_FIELDS["date"]

