"""Vendor memory end to end: real Tesseract, real SQLite; a reviewer's approval teaches the next receipt."""

from __future__ import annotations

import pytest

from services import review
from services.ingest import ingest_file
from services.process import process_document
from storage import repository
from storage.db import session_factory
from tests.services.worker_proc import receipt_png

CORRECTED = {"vendor": "Greenleaf Hardware (Puchong) Sdn Bhd",
             "vendor_address": "12 Jalan Cempaka, 47100 Puchong, Selangor Darul Ehsan"}


def _read(settings, variant: int) -> int:
    document_id = ingest_file(receipt_png(variant), f"r{variant}.png", settings=settings).document_id
    process_document(document_id, settings=settings)
    return document_id


def _fields_and_flags(settings, document_id):
    with session_factory(settings).begin() as session:
        document = repository.get_document(session, document_id, with_children=True)
        return {f.name: f.value for f in document.fields}, document.flags


def test_an_approved_correction_is_used_for_the_next_receipt_from_the_same_shop(migrated):
    first = _read(migrated, 0)
    review.approve(first, review.open_document(first, settings=migrated).version, dict(CORRECTED),
                   settings=migrated)

    second = _read(migrated, 1)

    fields, flags = _fields_and_flags(migrated, second)
    assert {name: fields[name] for name in CORRECTED} == CORRECTED
    [flag] = [f for f in flags if f.code == "vendor_recalled"]
    assert f"document #{first}" in flag.message
    vendor = review.open_document(second, settings=migrated).field("vendor")
    assert vendor.notes == (flag.message,) and not vendor.flags  # where it came from, not a failed check


@pytest.mark.slow
def test_nothing_is_learnt_before_approval_or_with_the_memory_off(migrated):
    first = _read(migrated, 0)
    read_vendor = _fields_and_flags(migrated, first)[0]["vendor"]
    second = _read(migrated, 1)  # the first one is still waiting for review
    assert _fields_and_flags(migrated, second)[0]["vendor"] == read_vendor

    review.approve(first, review.open_document(first, settings=migrated).version, dict(CORRECTED),
                   settings=migrated)
    switched_off = migrated.model_copy(update={"vendor_memory": False})
    third = _read(switched_off, 2)
    fields, flags = _fields_and_flags(migrated, third)
    assert fields["vendor"] == read_vendor and not any(f.code == "vendor_recalled" for f in flags)


@pytest.mark.slow
def test_the_note_stays_through_a_save_until_the_reviewer_changes_the_vendor(migrated):
    first = _read(migrated, 0)
    review.approve(first, review.open_document(first, settings=migrated).version, dict(CORRECTED),
                   settings=migrated)
    second = _read(migrated, 1)

    review.save(second, review.open_document(second, settings=migrated).version, {"total": "43.00"},
                settings=migrated)
    assert any(f.code == "vendor_recalled" for f in _fields_and_flags(migrated, second)[1])

    review.save(second, review.open_document(second, settings=migrated).version, {"vendor": "Another Shop"},
                settings=migrated)
    assert not any(f.code == "vendor_recalled" for f in _fields_and_flags(migrated, second)[1])


def test_the_memory_knows_where_an_approved_receipt_printed_its_total_and_date(migrated):
    from services import vendors

    first = _read(migrated, 0)
    review.approve(first, review.open_document(first, settings=migrated).version, {}, settings=migrated)
    with session_factory(migrated).begin() as session:
        pages, values = vendors.stored_pages(session, first)
        assert any(w.second is not None for w in pages[0].words)  # both readings are stored
        [known] = vendors.known_vendors(session)
        profile = vendors.profile(session, known, migrated.ocr_config().extraction)
    assert profile.vendor == values["vendor"] and profile.total_label == "TOTAL"
    assert profile.date_shape == "99/99/9999" and profile.total_position > profile.date_position
