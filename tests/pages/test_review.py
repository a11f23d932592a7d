"""The review page through AppTest: the form from the catalogue, save / approve & next / reject, conflicts, the
approval rules and their override, the unsaved-edits prompt, the address naming the document. (The page viewer's
clicks and keys are JavaScript: tests/e2e/test_review_page.py drives them in Chromium.)"""

import pytest
from streamlit.testing.v1 import AppTest

import ui
from ocr import catalogue
from ocr.types import Flag
from services import review
from storage import repository
from storage.db import session_factory
from storage.models import AuditEvent, Status
from tests.seeding import make_document
from tests.signin import add, signed_in_app


def seed(settings, **kwargs) -> int:
    with session_factory(settings).begin() as session:
        return make_document(session, settings, **kwargs).id


def review_page(settings, document_id: int | None = None) -> AppTest:
    app = signed_in_app(settings, "reviewer")
    if document_id is not None:
        app.query_params["doc"] = str(document_id)
    app.switch_page("pages/review.py").run()
    assert not app.exception, app.exception
    return app


def shown(app: AppTest) -> str:
    return app.title[0].value


def field(app: AppTest, document_id: int, version: int, name: str):
    return app.text_input(key=f"{document_id}-{version}-{name}")


def press(app: AppTest, button: str) -> AppTest:
    app.button(key=f"review-{button}").click().run()
    assert not app.exception, app.exception
    return app


def status_of(settings, document_id: int) -> Status:
    with session_factory(settings).begin() as session:
        return repository.get_document(session, document_id).status


def test_the_form_has_every_catalogue_field_and_marks_checks_and_notes(migrated):
    recalled = Flag("vendor_recalled", "vendor as approved on document #7", ("vendor",))
    mismatch = Flag("total_mismatch", "subtotal 40.50 + tax 0 = 40.50, but the total reads 42.95.",
                    ("subtotal", "total"))
    document_id = seed(migrated, flags=[recalled, mismatch], confidence={"total": 0.3})
    app = review_page(migrated)
    labels = [w.label for w in [*app.text_input, *app.date_input, *app.selectbox] if w.key and
              w.key.startswith(f"{document_id}-") and not w.key.endswith("-reason")]
    assert {label.rstrip(" ⚠✗") for label in labels} == {spec.label for spec in catalogue.FIELDS}
    texts = [t.value for t in app.text]
    assert "ℹ vendor as approved on document #7" in texts
    assert any(t.startswith("⚠ subtotal 40.50") for t in texts)
    assert any(t.startswith("✗ Approving needs a reason") for t in texts)
    vendor = field(app, document_id, 1, "vendor")
    assert "✗" not in vendor.label and "approved on document" in vendor.help
    assert field(app, document_id, 1, "total").label == "Total ⚠ ✗"


def test_save_an_invalid_value_a_conflict_and_approve_and_next(migrated):
    first = seed(migrated, confidence={"total": 0.3})
    second = seed(migrated, confidence=0.8)
    app = review_page(migrated)
    assert shown(app).startswith(f"Review #{first} ")
    assert app.query_params["doc"] == str(first)

    field(app, first, 1, "total").set_value("4x.00")
    press(app, "save")
    assert "not an amount" in app.error[0].value

    field(app, first, 1, "vendor").set_value("GREENLEAF HARDWARE")
    field(app, first, 1, "total").set_value("42.95")
    press(app, "save")
    assert "Saved" in app.toast[0].value
    assert field(app, first, 2, "vendor").value == "GREENLEAF HARDWARE"

    # another reviewer saves first; this form still carries version 2
    review.save(first, 2, {"vendor": "THEIRS"}, user=add(migrated, "other"), settings=migrated)
    field(app, first, 2, "vendor").set_value("MINE")
    press(app, "save")
    assert ui.plain("other saved this document first; reloaded their version") in app.warning[0].value
    assert field(app, first, 3, "vendor").value == "THEIRS"

    press(app, "approve")
    assert shown(app).startswith(f"Review #{second} ") and app.query_params["doc"] == str(second)
    assert "Approved" in app.toast[0].value
    assert status_of(migrated, first) == Status.APPROVED


@pytest.mark.parametrize("name, typed, expected", [
    ("total", "1e30", "out of range"), ("total", "1" * 29, "out of range"), ("total", "1e400", "out of range"),
    ("vendor", "V" * 1001, "too long"), ("vendor", "SHOP\x00", "NUL character")])
def test_a_value_no_database_can_store_gets_a_message_never_a_traceback(migrated, name, typed, expected):
    """Issue #21 item 8 on the review screen: a NUL, an amount of 1e30, 29 digits or 1e400 (stored as inf before,
    after which the form could not be saved), an over-long value: a message saying what to do, nothing stored."""
    first = seed(migrated)
    app = review_page(migrated)
    field(app, first, 1, name).set_value(typed)
    press(app, "save")
    assert ui.plain(expected) in app.error[0].value
    field(app, first, 1, name).set_value("12.50" if name == "total" else "SHOP")
    press(app, "save")
    assert not app.error and "Saved" in app.toast[0].value


def test_the_address_opens_its_document_and_an_odd_date_stays_text(migrated):
    seed(migrated, confidence=0.1)
    linked = seed(migrated, fields={"vendor": "SHOP", "date": "14/03/2024?", "total": "1.00"})
    app = review_page(migrated, linked)
    assert shown(app).startswith(f"Review #{linked} ")
    assert field(app, linked, 1, "date").value == "14/03/2024?"
    assert not app.date_input


def test_an_exported_document_says_so_before_and_after_a_change(migrated):
    from services import export

    exported = seed(migrated, status=Status.APPROVED)
    export.export_batch(settings=migrated)
    app = review_page(migrated, exported)
    assert any("Exported in batch 1" in t.value for t in app.text)
    field(app, exported, 1, "total").set_value("43.00")
    press(app, "save")
    assert "now marked changed since export batch 1" in app.toast[0].value
    assert any("Changed since export batch 1" in t.value for t in app.text)


def two_alike(settings) -> tuple[int, int]:
    """Two documents of one purchase: the second, corrected by another reviewer, is a possible duplicate of the
    first."""
    from tests.receipts import encode, sample_receipt

    image = encode(sample_receipt().image)
    first = seed(settings, image=image)
    second = seed(settings, fields={"vendor": "GREENLEAF HARDWARE SDN BHD", "date": "2024-03-14", "total": "1.00"},
                  image=image)
    review.save(second, 1, {"total": "42.95"}, user=add(settings, "rita"), settings=settings)
    return first, second


def test_a_possible_duplicate_is_shown_side_by_side_until_it_is_marked_not_one(migrated):
    from services import duplicates

    first, second = two_alike(migrated)
    app = review_page(migrated, second)
    assert [w.value for w in app.warning if "duplicate" in w.value] == [
        f"Possible duplicate of #{first}: the same vendor, date and total."]
    assert len(app.get("image")) == 2  # this page next to the other one's (the page under review is the viewer)
    [b for b in app.button if b.label == "Not a duplicate"][0].click().run()
    assert not app.exception, app.exception
    assert not [w for w in app.warning if "duplicate" in w.value]
    assert duplicates.of_document(second, settings=migrated)[0].dismissed_by == "reviewer-user"


def test_opening_the_possible_duplicate_asks_first_when_there_are_unsaved_edits(migrated):
    first, second = two_alike(migrated)
    app = review_page(migrated, second)
    field(app, second, 2, "vendor").set_value("GREENLEAF").run()
    app.button(key=f"open-duplicate-{second}-{first}").click().run()
    assert shown(app).startswith(f"Review #{second} ")  # not switched: asked first
    assert "Vendor: GREENLEAF HARDWARE SDN BHD → GREENLEAF" in app.text[-1].value
    app.button(key="review-pending-drop").click().run()
    assert shown(app).startswith(f"Review #{first} ")
    app.button(key=f"open-duplicate-{first}-{second}").click().run()  # nothing unsaved: it opens at once
    assert shown(app).startswith(f"Review #{second} ")
    assert field(app, second, 2, "vendor").value == "GREENLEAF HARDWARE SDN BHD"  # the dropped edit is gone


def test_opening_another_document_never_rejects_this_one(migrated):
    first = seed(migrated, confidence=0.1)
    second = seed(migrated, confidence=0.9)
    app = review_page(migrated)
    app.text_input(key=f"{first}-1-reason").set_value("typed, then changed my mind").run()
    app.button(key=f"queue-{second}").click().run()
    assert not app.exception, app.exception
    assert shown(app).startswith(f"Review #{second} ")
    assert status_of(migrated, first) == Status.NEEDS_REVIEW


def test_reject_needs_a_reason_and_the_address_opens_a_document(migrated):
    seed(migrated, confidence=0.1)
    target = seed(migrated, confidence=0.9, fields={"vendor": "SHOP", "date": "14/03/2024?", "total": "1.00"})
    app = review_page(migrated, target)
    assert shown(app).startswith(f"Review #{target} ")
    assert field(app, target, 1, "date").value == "14/03/2024?"  # an odd date stays text, never cleared
    press(app, "reject")
    assert "why" in app.error[0].value
    app.text_input(key=f"{target}-1-reason").set_value("duplicate paper copy")
    press(app, "reject")
    with session_factory(migrated).begin() as session:
        assert repository.get_document(session, target).review_note == "duplicate paper copy"


def test_failed_checks_block_approve_until_a_reason_is_given(migrated):
    document_id = seed(migrated, fields={"vendor": "SHOP", "subtotal": "10.00", "total": "12.00"}, items=False,
                       flags=[Flag("total_mismatch", "subtotal 10.00 + tax 0 = 10.00, but the total reads 12.00.",
                                   ("subtotal", "total"))])
    app = review_page(migrated)
    press(app, "approve")
    assert "Not approved" in app.error[0].value and "give a reason" in app.error[0].value
    assert status_of(migrated, document_id) == Status.NEEDS_REVIEW
    app.text_input(key=f"{document_id}-1-reason").set_value("service charge printed by hand")
    press(app, "approve")
    assert "Approved" in app.toast[0].value and "queue is empty" in app.info[0].value
    with session_factory(migrated).begin() as session:
        assert repository.get_document(session, document_id).approval_override == "service charge printed by hand"
        assert session.query(AuditEvent).filter_by(action="approve").one().details["override"]


def test_unsaved_edits_ask_before_another_document_opens_or_an_approval_saves_them(migrated):
    first = seed(migrated, confidence=0.1)
    second = seed(migrated, confidence=0.9)
    app = review_page(migrated)
    field(app, first, 1, "total").set_value("42.90").run()
    app.button(key=f"queue-{second}").click().run()
    assert shown(app).startswith(f"Review #{first} ")  # not switched: asked first
    assert "Total: 42.95 → 42.90" in app.text[-1].value
    app.button(key="review-pending-cancel").click().run()
    assert shown(app).startswith(f"Review #{first} ") and field(app, first, 1, "total").value == "42.90"

    press(app, "approve")
    assert status_of(migrated, first) == Status.NEEDS_REVIEW  # asked first
    app.button(key="review-pending-confirm").click().run()
    assert "Not approved" in app.error[0].value  # 42.90 breaks the sum: the rules still hold
    field(app, first, 1, "total").set_value("42.95").run()
    field(app, first, 1, "vendor").set_value("GREENLEAF").run()
    press(app, "approve")
    app.button(key="review-pending-confirm").click().run()
    assert shown(app).startswith(f"Review #{second} ")
    with session_factory(migrated).begin() as session:
        assert repository.get_document(session, first).field("vendor").value == "GREENLEAF"


def test_signing_out_with_unsaved_edits_asks_first(migrated):
    document_id = seed(migrated)
    app = review_page(migrated)
    field(app, document_id, 1, "vendor").set_value("CHANGED").run()
    app.sidebar.button(key="sign-out").click().run()
    assert "user" in app.session_state  # still signed in: asked first
    assert "Vendor" in app.text[-1].value
    [b for b in app.button if b.label == "Sign out and lose them"][0].click().run()
    assert [b.label for b in app.button] == ["Sign in"]


def test_a_receipt_of_a_stack_says_which_pages_of_which_file_it_is(migrated):
    with session_factory(migrated).begin() as session:
        file = make_document(session, migrated, status=Status.SPLIT, fields={}, items=False)
        file.original_name, file.pages = "stack.pdf", []
        receipts = [make_document(session, migrated, source_id=file.id, source_first_page=first,
                                  source_last_page=last) for first, last in ((0, 0), (1, 2))]
        for receipt in receipts:
            receipt.original_name = "stack.pdf"
        first, long, file_id = receipts[0].id, receipts[1].id, file.id
    app = review_page(migrated, long)
    assert ui.plain("pages 2-3 of stack.pdf") in app.caption[0].value
    assert app.button(key=f"queue-{long}").label == ui.plain(f"#{long} stack.pdf (pages 2-3) · 0.9")  # in the queue
    for document_id, origin in ((first, "page 1 of stack.pdf"),
                                (file_id, f"stack.pdf holds 2 receipts: #{first}, #{long}")):
        app.query_params["doc"] = str(document_id)
        app.run()
        assert not app.exception and ui.plain(origin) in app.caption[0].value
