"""Input limits hold on both backends: a clear InputError at the service, nothing stored, never a database error."""

from __future__ import annotations

from decimal import Decimal

import pytest

from errors import InputError
from services import documents, inputs, review, users
from storage import repository
from storage.db import session_factory
from tests.seeding import make_document
from tests.signin import add

TOO_LONG = "1" * 40  # longer than DecimalText's String(32): crashed the review page on PostgreSQL


@pytest.fixture
def document_id(migrated) -> int:
    with session_factory(migrated).begin() as session:
        return make_document(session).id


def items_of(settings, document_id: int) -> list[tuple]:
    with session_factory(settings).begin() as session:
        document = repository.get_document(session, document_id, with_children=True)
        return [(i.description, i.quantity, i.unit_price, i.amount) for i in document.line_items]


@pytest.mark.parametrize(("row", "code", "message"), [
    ({"description": "TAPE", "quantity": TOO_LONG}, "out_of_range", "line 1: quantity: '1111"),
    ({"description": "TAPE", "amount": "1000000000000"}, "out_of_range", "at most 12 digits before the point"),
    ({"description": "TAPE", "unit_price": "0.00001"}, "out_of_range", "4 after it"),
    ({"description": "TAPE", "amount": "1e999999"}, "out_of_range", "line 1: amount"),
    ({"description": "TA\x00PE", "amount": "1.00"}, "invalid_text", "line 1: description: contains a NUL"),
    ({"description": "T" * 1001, "amount": "1.00"}, "too_long", "shorten it to at most 1000"),
])
def test_bad_line_items_are_refused_and_nothing_is_saved(migrated, document_id, row, code, message):
    before = items_of(migrated, document_id)
    with pytest.raises(InputError, match=message) as refused:
        review.save(document_id, 1, {}, [row], user=add(migrated, "rita"), settings=migrated)
    assert refused.value.code == code
    assert items_of(migrated, document_id) == before


def test_numbers_at_the_limits_are_stored_exactly(migrated, document_id):
    row = {"description": "BULK", "quantity": "999999999999.9999", "unit_price": "0.0001", "amount": "-999999999999"}
    review.save(document_id, 1, {"total": "999999999999.99"}, [row], settings=migrated)
    assert items_of(migrated, document_id) == [
        ("BULK", Decimal("999999999999.9999"), Decimal("0.0001"), Decimal("-999999999999"))]
    assert review.open_document(document_id, settings=migrated).field("total").value == "999999999999.99"


@pytest.mark.parametrize(("values", "message"), [
    ({"vendor": "SHOP\x00"}, "vendor: contains a NUL character"),
    ({"vendor_address": "x" * 1001}, "vendor_address: 1001 characters is too long"),
    ({"total": TOO_LONG}, "total: '1111"),
])
def test_bad_field_values_are_refused(migrated, document_id, values, message):
    with pytest.raises(InputError, match=message):
        review.save(document_id, 1, values, settings=migrated)


def test_a_rejection_reason_with_nul_is_refused(migrated, document_id):
    with pytest.raises(InputError, match="reason: contains a NUL"):
        review.reject(document_id, 1, "duplicate\x00", settings=migrated)


@pytest.mark.parametrize("filters", [documents.DocumentFilter(text="kopi\x00"),
                                     documents.DocumentFilter(vendor="v" * 201)])
def test_searches_that_cannot_be_run_say_why(migrated, filters):
    with pytest.raises(InputError, match="search: contains a NUL|vendor: 201 characters"):
        documents.list_documents(filters, settings=migrated)


def test_a_link_to_an_impossible_document_id_finds_nothing(migrated, document_id):
    assert review.open_document(inputs.MAX_ID + 1, settings=migrated) is None
    assert review.open_document(10**30, settings=migrated) is None


def test_impossible_names_fail_sign_in_like_unknown_ones(migrated):
    for name in ("ann\x00", "a" * 65):
        with pytest.raises(users.SignInError, match="Wrong name or password"):
            users.sign_in(name, "a-long-test-password", settings=migrated)
        with pytest.raises(users.SignInError, match="no active DocDesk account"):
            users.sign_in_external({"iss": "https://id.example", "sub": "1", "email": name, "email_verified": True},
                                   settings=migrated)
