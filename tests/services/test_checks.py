"""services.checks: what a reviewer's value means, and which checks a document fails as it stands."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from errors import InputError
from ocr.types import CONFIRMED, Flag
from services import checks
from services.checks import item_decimal, normalise_value, recheck
from storage.db import session_factory
from storage.models import Source
from tests.seeding import make_document


@pytest.mark.parametrize("name, value, stored", [
    ("total", " 1,234.5 ", "1234.50"), ("tax", "0.125", "0.125"), ("total", "7", "7.00"),
    ("date", "2024-03-14", "2024-03-14"), ("date", date(2024, 3, 14), "2024-03-14"),
    ("date", datetime(2024, 3, 14, 9, 30), "2024-03-14"), ("currency", "myr", "MYR"),
    ("vendor", "  Kedai Runcit  ", "Kedai Runcit"), ("vendor", "   ", None), ("total", None, None),
])
def test_form_values_become_the_stored_text(name, value, stored):
    assert normalise_value(name, value) == stored


@pytest.mark.parametrize("name, value, code, hint", [
    ("total", "12,5O", "invalid_amount", "like 12.50"), ("subtotal", "NaN", "invalid_amount", "like 12.50"),
    ("date", "14/03/2024", "invalid_date", "YYYY-MM-DD"), ("currency", "RM", "invalid_currency", "3-letter"),
])
def test_a_value_that_means_nothing_is_refused_with_what_to_write(name, value, code, hint):
    with pytest.raises(InputError, match=hint) as refused:
        normalise_value(name, value)
    assert refused.value.code == code


def test_line_item_numbers_are_read_or_refused_naming_the_line():
    assert item_decimal("1,250.5", "amount", 0) == Decimal("1250.5")
    assert item_decimal(float("nan"), "amount", 0) is None and item_decimal(" ", "quantity", 0) is None
    with pytest.raises(InputError, match="line 3: quantity: 'two' is not a number; write it like 2.50"):
        item_decimal("two", "quantity", 2)


def test_notes_are_told_apart_from_failed_checks():
    assert Flag(CONFIRMED, "", ("total",)).is_note
    assert not Flag("total_mismatch", "", ("total",)).is_note


def test_recheck_flags_a_sum_that_does_not_add_up_and_trusts_a_reviewers_value(migrated):
    fields = {"vendor": "SHOP", "subtotal": "40.50", "tax": "2.43", "total": "49.00"}
    with session_factory(migrated).begin() as session:
        document = make_document(session, fields=fields, confidence=0.2, items=False)
        flags = recheck(document, migrated)
        assert "total_mismatch" in [f.code for f in flags]
        assert "low_confidence" in [f.code for f in flags]

        for field in document.fields:
            field.source = Source.USER
        document.field("total").value = "42.93"
        assert not {"total_mismatch", "low_confidence"} & {f.code for f in recheck(document, migrated)}


@pytest.mark.parametrize("name, picked, value", [
    ("total", "RM42.95", "42.95"), ("total", "TOTAL RM 1,234.50", "1234.50"), ("tax", "12", "12.00"),
    ("total", "TOTAL", "TOTAL"), ("date", "DATE: 14/03/2024 10:02", "2024-03-14"), ("date", "no date", "no date"),
    ("time", "2:32 PM", "14:32"), ("currency", "RM", "MYR"), ("currency", "TOTAL S$ 5.00", "SGD"),
    ("vendor", "  GREENLEAF   HARDWARE ", "GREENLEAF HARDWARE"),
])
def test_words_picked_on_the_page_are_read_as_the_fields_kind(settings, name, picked, value):
    assert checks.reading_as(name, picked, settings) == value
