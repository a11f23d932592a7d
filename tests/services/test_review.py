from datetime import date

import pytest

from errors import ApprovalBlocked, ConflictError, InputError
from ocr.types import Flag
from services import inputs, review
from storage import repository
from storage.db import session_factory
from storage.models import AuditEvent, Status
from tests.receipts import encode, sample_receipt
from tests.seeding import make_document
from tests.signin import add


def seed(settings, **kwargs) -> int:
    with session_factory(settings).begin() as session:
        return make_document(session, settings, **kwargs).id


def test_queue_is_lowest_confidence_first_then_oldest(migrated):
    sure = seed(migrated, confidence=0.95)
    unsure = seed(migrated, confidence=0.3)
    also_sure = seed(migrated, confidence=0.95)
    seed(migrated, status=Status.APPROVED, confidence=0.1)
    items, length = review.queue(settings=migrated)
    assert [i.id for i in items] == [unsure, sure, also_sure]
    assert length == 3
    assert review.open_document(settings=migrated).id == unsure


def test_save_records_a_revision_marks_the_field_user_and_rechecks_the_total(migrated):
    add(migrated, "rita")
    document_id = seed(migrated, fields={"vendor": "SHOP", "subtotal": "40.50", "tax": "2.43", "rounding": "0.02",
                                                   "total": "42.95"},
                       items=False)
    view = review.open_document(document_id, settings=migrated)
    assert not [f for f in view.flags if f.code == "total_mismatch"]

    outcome = review.save(document_id, view.version, {"total": "49.00", "vendor": "SHOP", "date": date(2024, 3, 14)},
                          user="rita", settings=migrated)
    assert sorted(outcome.changed) == ["date", "total"]
    after = review.open_document(document_id, settings=migrated)
    assert after.version > view.version
    total = after.field("total")
    assert (total.value, total.source) == ("49.00", "user")
    assert {(h.field, h.old, h.new, h.user) for h in after.history} == {
        ("total", "42.95", "49.00", "rita"), ("date", None, "2024-03-14", "rita")}
    assert "total_mismatch" in [f.code for f in after.flags]
    assert after.field("total").flags  # the failed check is shown on the field

    review.save(document_id, after.version, {"total": "42.95"}, user="rita", settings=migrated)
    assert "total_mismatch" not in [f.code for f in review.open_document(document_id, settings=migrated).flags]


def test_a_total_cash_minus_change_confirmed_stays_out_of_a_failed_sum_until_the_reviewer_changes_it(migrated):
    confirmed = Flag("total_confirmed", "the total 42.95 agrees with CASH 50.00; CHANGE 7.05", ("total",))
    document_id = seed(migrated, fields={"vendor": "SHOP", "subtotal": "40.50", "tax": "2.43", "total": "42.95"},
                       items=False, flags=[confirmed])
    view = review.open_document(document_id, settings=migrated)
    review.save(document_id, view.version, {"subtotal": "41.50"}, settings=migrated)
    after = review.open_document(document_id, settings=migrated)
    [mismatch] = [f for f in after.flags if f.code == "total_mismatch"]
    assert mismatch.fields == ("subtotal", "tax") and confirmed in after.flags
    assert after.field("total").notes == (confirmed.message,) and not after.field("total").flags
    [queued] = [item for item in review.queue(settings=migrated)[0] if item.id == document_id]
    assert queued.flags == len(after.flags) - 1 == 2  # the failed sum and the missing date; the note is no check

    review.save(document_id, after.version, {"total": "44.00"}, settings=migrated)
    final = review.open_document(document_id, settings=migrated)
    [mismatch] = [f for f in final.flags if f.code == "total_mismatch"]
    assert mismatch.fields == ("subtotal", "tax", "total") and confirmed not in final.flags


def test_a_stale_version_conflicts_and_never_overwrites(migrated):
    add(migrated, "first")
    add(migrated, "second")
    document_id = seed(migrated)
    loaded = review.open_document(document_id, settings=migrated)
    review.save(document_id, loaded.version, {"total": "50.00"}, user="first", settings=migrated)
    with pytest.raises(ConflictError, match="first saved this document first; reloaded their version"):
        review.save(document_id, loaded.version, {"total": "60.00"}, user="second", settings=migrated)
    with pytest.raises(ConflictError):
        review.approve(document_id, loaded.version, {}, user="second", settings=migrated)
    assert review.open_document(document_id, settings=migrated).field("total").value == "50.00"


def test_invalid_values_are_refused_with_what_to_do(migrated):
    document_id = seed(migrated)
    version = review.open_document(document_id, settings=migrated).version
    with pytest.raises(InputError, match="not an amount"):
        review.save(document_id, version, {"total": "4O.00"}, settings=migrated)
    with pytest.raises(InputError, match="3-letter"):
        review.save(document_id, version, {"currency": "RM 1"}, settings=migrated)
    with pytest.raises(InputError, match="not a number"):
        review.save(document_id, version, {}, [{"description": "x", "amount": "abc"}], settings=migrated)


def test_line_items_are_replaced_only_when_changed(migrated):
    document_id = seed(migrated)
    view = review.open_document(document_id, settings=migrated)
    same = review.save(document_id, view.version, {}, view.line_items, settings=migrated)
    assert same.changed == [] and same.version == view.version
    edited = [*view.line_items[:2], {"description": "WALL PLUG 8MM", "quantity": 4, "amount": "10.00"}]
    assert review.save(document_id, view.version, {}, edited, settings=migrated).changed == ["line_items"]
    assert review.open_document(document_id, settings=migrated).line_items[2]["description"] == "WALL PLUG 8MM"


def test_approve_and_reject_move_on_to_the_next_document(migrated):
    add(migrated, "rita")
    first, second = seed(migrated, confidence=0.2), seed(migrated, confidence=0.5)
    outcome = review.approve(first, review.open_document(first, settings=migrated).version, {"vendor": "GREENLEAF"},
                             user="rita", settings=migrated)
    assert outcome.next_id == second
    with pytest.raises(InputError, match="why"):
        review.reject(second, 1, "  ", settings=migrated)
    rejected = review.reject(second, review.open_document(second, settings=migrated).version, "not a receipt",
                             user="rita", settings=migrated)
    assert rejected.next_id is None
    with session_factory(migrated).begin() as session:
        approved, refused = repository.get_document(session, first), repository.get_document(session, second)
        assert (approved.status, approved.reviewed_by) == (Status.APPROVED, "rita")
        assert (refused.status, refused.review_note) == (Status.REJECTED, "not a receipt")


def test_sums_that_do_not_add_up_block_the_approval_and_nothing_is_saved(migrated):
    add(migrated, "rita")
    document_id = seed(migrated)
    view = review.open_document(document_id, settings=migrated)
    assert view.approval_problems == ()
    with pytest.raises(ApprovalBlocked) as blocked:
        review.approve(document_id, view.version, {"total": "49.00"}, user="rita", settings=migrated)
    assert "but the total reads 49.00" in blocked.value.message and "give a reason" in blocked.value.message
    after = review.open_document(document_id, settings=migrated)
    assert (after.status, after.version, after.field("total").value) == (Status.NEEDS_REVIEW, view.version, "42.95")

    # correcting the sum in the same step approves it
    review.approve(document_id, view.version, {"total": "49.00", "subtotal": "46.55"}, line_items=[],
                   user="rita", settings=migrated)
    approved = review.open_document(document_id, settings=migrated)
    assert (approved.status, approved.approval_override) == (Status.APPROVED, None)


def test_an_empty_required_field_blocks_the_approval_until_a_reason_overrides_it(migrated):
    add(migrated, "rita")
    document_id = seed(migrated, fields={"vendor": "SHOP", "total": "1.00"}, items=False)  # no date
    view = review.open_document(document_id, settings=migrated)
    assert view.approval_problems == ("Date is empty.",)
    with pytest.raises(ApprovalBlocked, match="Date is empty"):
        review.approve(document_id, view.version, {}, override="   ", user="rita", settings=migrated)
    review.approve(document_id, view.version, {}, override=" no date printed,  paid by card ", user="rita",
                   settings=migrated)
    with session_factory(migrated).begin() as session:
        document = repository.get_document(session, document_id)
        assert (document.status, document.approval_override) == (Status.APPROVED, "no date printed, paid by card")
        event = session.query(AuditEvent).filter_by(action="approve").one()
        assert event.details["override"] == "no date printed, paid by card"
        assert event.details["problems"] == ["Date is empty."]


def test_a_reason_is_kept_only_when_it_overrides_something(migrated):
    add(migrated, "rita")
    document_id = seed(migrated)
    review.approve(document_id, 1, {}, override="just because", user="rita", settings=migrated)
    with session_factory(migrated).begin() as session:
        assert repository.get_document(session, document_id).approval_override is None
        assert "override" not in session.query(AuditEvent).filter_by(action="approve").one().details
    with pytest.raises(InputError, match="too long"):
        review.approve(document_id, 2, {}, override="x" * (inputs.NOTE_CHARS + 1), settings=migrated)


def test_the_page_for_the_screen_has_its_words_in_lines_and_fields_keep_a_picked_box(migrated):
    from io import BytesIO

    from PIL import Image

    receipt = sample_receipt()
    document_id = seed(migrated, image=encode(receipt.image))
    assert review.page_screen(document_id, 0, settings=migrated).words == []  # seeded without OCR
    with session_factory(migrated).begin() as session:  # OCR's words, as processing stores them
        page = repository.get_document(session, document_id, with_children=True).pages[0]
        page.words = [["TOTAL", 0.9, 40, 300, 90, 30], ["42.95", 0.8, 300, 302, 80, 28], ["CASH", 0.9, 40, 360, 70, 30]]
    screen = review.page_screen(document_id, 0, cleaned=False, settings=migrated)
    assert Image.open(BytesIO(screen.jpeg)).format == "JPEG"
    assert (screen.width, screen.height) == (receipt.image.shape[1], receipt.image.shape[0])
    assert (screen.page_width, screen.page_height) == (800, 1200)
    assert screen.words == [("TOTAL", 40, 300, 90, 30, 0), ("42.95", 300, 302, 80, 28, 0), ("CASH", 40, 360, 70, 30, 1)]
    assert review.page_screen(seed(migrated), 0, settings=migrated) is None  # no image stored

    review.save(document_id, 1, {"total": "42.95"}, boxes={"total": (0, [300, 302, 80, 28])}, settings=migrated)
    assert review.open_document(document_id, settings=migrated).field("total").box == [300, 302, 80, 28]


def test_untouched_odd_values_do_not_block_a_save(migrated):
    document_id = seed(migrated, fields={"date": "14/03/2024?", "total": "42.9"})
    outcome = review.save(document_id, 1, {"date": "14/03/2024?", "total": "42.9", "vendor": "SHOP"},
                          settings=migrated)
    assert outcome.changed == ["vendor"]
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        review.save(document_id, outcome.version, {"date": "14/03/2024"}, settings=migrated)


def _fast_saves_between_read_and_write(settings, monkeypatch) -> int:
    """A document whose next load lets reviewer 'fast' save a total of 50.00 before the loader writes (the fault
    injected: the load itself is real)."""
    add(settings, "fast"), add(settings, "slow")
    document_id = seed(settings)
    real_get = repository.get_document
    raced = []

    def get_then_race(session, doc_id, **kwargs):
        document = real_get(session, doc_id, **kwargs)
        if not raced:
            raced.append(True)
            review.save(doc_id, 1, {"total": "50.00"}, user="fast", settings=settings)
        return document

    monkeypatch.setattr(repository, "get_document", get_then_race)
    return document_id


def test_a_save_racing_another_between_read_and_write_conflicts(migrated, monkeypatch):
    """The version check at load time can pass and the other reviewer still commit before our UPDATE:
    the version column catches it at flush (StaleDataError) and it surfaces as the same ConflictError."""
    document_id = _fast_saves_between_read_and_write(migrated, monkeypatch)
    with pytest.raises(ConflictError, match="saved this document first"):
        review.save(document_id, 1, {"total": "60.00"}, user="slow", settings=migrated)
    monkeypatch.undo()
    assert review.open_document(document_id, settings=migrated).field("total").value == "50.00"


def test_reprocess_racing_a_save_is_a_conflict_not_a_raw_database_error(migrated, monkeypatch):
    """It showed SQLAlchemy's StaleDataError on the page. Now a ConflictError that says what happened, and the
    reviewer's save stands."""
    document_id = _fast_saves_between_read_and_write(migrated, monkeypatch)
    with pytest.raises(ConflictError, match="changed this document at the same moment"):
        review.reprocess(document_id, user="slow", settings=migrated)
    monkeypatch.undo()
    after = review.open_document(document_id, settings=migrated)
    assert (after.status, after.field("total").value) == ("needs_review", "50.00")


def test_an_unreadable_address_stays_flagged_after_a_save_until_the_reviewer_types_one(migrated):
    document_id = seed(migrated, items=False)
    with session_factory(migrated).begin() as session:  # as processing leaves an address read too unsurely
        document = repository.get_document(session, document_id)
        [address] = [f for f in document.fields if f.name == "vendor_address"]
        address.value, address.raw, address.confidence = None, "~{ [ ee. l2 JA1AN CEMP4KA, 4/(10O", 0.2
    view = review.open_document(document_id, settings=migrated)
    review.save(document_id, view.version, {"receipt_number": "INV-7", "vendor_address": ""}, settings=migrated)
    after = review.open_document(document_id, settings=migrated)
    [unreadable] = [f for f in after.flags if f.code == "unreadable"]
    assert unreadable.fields == ("vendor_address",) and "CEMP4KA, 4/(10O" in unreadable.message
    assert after.field("vendor_address").flags

    review.save(document_id, after.version, {"vendor_address": "12 JALAN CEMPAKA, 47100 PUCHONG"}, settings=migrated)
    final = review.open_document(document_id, settings=migrated)
    assert "unreadable" not in [f.code for f in final.flags]


def test_the_cleaned_image_of_a_photo_is_the_flattened_receipt_with_its_boxes(migrated):
    from io import BytesIO

    import numpy as np
    from PIL import Image

    from services.ingest import ingest_file
    from services.process import process_document
    from tests import photos

    receipt = sample_receipt()
    shot = photos.photograph(receipt.image, photos.Conditions(background="wood", turn=9.0, tilt=(14.0, -6.0),
                                                              shadow=0.4, tint=(1.0, 0.93, 0.8), blur=0.6, seed=5))
    document_id = ingest_file(shot.jpeg(), "desk.jpg", settings=migrated).document_id
    # The forked child inherits this test process's address space, which the page tests' Streamlit threads bring
    # to ~2 GB: the child's address-space limit (tested in test_sandbox.py) is lifted here, not in the worker.
    process_document(document_id, settings=migrated.model_copy(update={"child_memory_mb": 0}))

    view = review.open_document(document_id, settings=migrated)
    [page] = view.pages
    assert abs(page.width / page.height - receipt.image.shape[1] / receipt.image.shape[0]) < 0.03  # not the photo's
    cleaned = review.page_screen(document_id, 0, settings=migrated)
    original = review.page_screen(document_id, 0, cleaned=False, settings=migrated)
    assert (cleaned.page_width, cleaned.page_height) == (page.width, page.height)
    assert cleaned.width / cleaned.height == pytest.approx(page.width / page.height, abs=0.01)
    assert original.width / original.height == pytest.approx(shot.image.shape[1] / shot.image.shape[0], abs=0.01)
    total = next(f for f in view.fields if f.name == "total")
    assert total.value == receipt.fields["total"]
    left, top, width, height = total.box  # on the flattened page, where the viewer draws it
    assert 0 <= left and left + width <= page.width and 0 <= top and top + height <= page.height
    assert any(text.endswith(receipt.fields["total"]) for text, *_ in cleaned.words)  # click-to-fill finds it
    pixels = np.asarray(Image.open(BytesIO(cleaned.jpeg)).convert("L")).astype(int)
    assert np.median(pixels[:, :8]) > 200  # paper to the edge: no desk
