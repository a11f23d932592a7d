from datetime import date

import pytest

from errors import ConflictError, InputError
from services import documents, queue
from storage.db import session_factory
from storage.models import AuditEvent, Status
from tests.seeding import make_document
from tests.signin import add


def test_filters_search_and_pagination(migrated):
    with session_factory(migrated).begin() as session:
        hardware = make_document(session, text="GREENLEAF HARDWARE\nPIPE CLAMP 12.00", uploaded_by="ann").id
        cafe = make_document(session, text="KOPI CORNER CAFE\nTEH TARIK", uploaded_by="bob",
                             fields={"vendor": "KOPI CORNER", "date": "2024-05-01", "total": "3.50"}).id
        failed = make_document(session, status=Status.FAILED, fields={}, text="", error_code="bad_input",
                               error_message="The file is damaged.").id
        for _ in range(7):
            make_document(session, text="FILLER")
    everything = documents.list_documents(settings=migrated, page_size=4)
    assert (everything.total, everything.pages, len(everything.rows)) == (10, 3, 4)
    assert documents.list_documents(settings=migrated, page=99, page_size=4).page == 3
    assert set(documents.uploaders(settings=migrated)) == {"ann", "bob"}

    def ids(**kwargs):
        return [r.id for r in documents.list_documents(documents.DocumentFilter(**kwargs), settings=migrated).rows]

    assert ids(text="clamp") == [hardware]
    assert ids(text="teh tar") == [cafe]  # prefix words, any order of case
    assert ids(text='"kopi" OR') == []  # operators are taken as words, never as FTS syntax errors
    assert ids(text='" "') == [] and ids(text="42.95 AND") == []
    assert ids(vendor="kopi") == [cafe]
    assert ids(uploader="bob") == [cafe]
    assert ids(since=date(2024, 4, 1), until=date(2024, 6, 1)) == [cafe]
    assert ids(statuses=("failed",)) == [failed]
    row = documents.list_documents(documents.DocumentFilter(statuses=("failed",)), settings=migrated).rows[0]
    assert row.error == "bad_input: The file is damaged."


def test_search_index_follows_page_changes(migrated):
    with session_factory(migrated).begin() as session:
        document = make_document(session, text="OLD WORDING")
        document_id = document.id
    with session_factory(migrated).begin() as session:
        from storage import repository

        repository.get_document(session, document_id, with_children=True).pages[0].text = "NEW WORDING"
    found = lambda text: [r.id for r in documents.list_documents(documents.DocumentFilter(text=text),  # noqa: E731
                                                                 settings=migrated).rows]
    assert found("new") == [document_id] and found("old") == []


def test_retry_requeues_failed_documents_only(migrated):
    with session_factory(migrated).begin() as session:
        failed = make_document(session, status=Status.FAILED, attempts=3, error_code="bad", error_message="bad").id
        fine = make_document(session, status=Status.NEEDS_REVIEW).id

    assert documents.retry(settings=migrated, user=add(migrated, "rita")) == [failed]
    assert documents.retry([fine], settings=migrated) == []

    with session_factory(migrated).begin() as session:
        from storage import repository

        document = repository.get_document(session, failed)
        assert (document.status, document.attempts, document.error_code) == ("queued", 0, None)
        assert repository.get_document(session, fine).status == "needs_review"
    assert queue.job_ids(migrated) == {failed}
    assert documents.batch_progress([failed, fine], settings=migrated)["queued"] == 1


def test_the_vendor_filter_takes_percent_and_underscore_as_letters(migrated):
    """'%' matched every vendor and '_' any letter: they were LIKE wildcards."""
    with session_factory(migrated).begin() as session:
        sale = make_document(session, fields={"vendor": "50% OFF OUTLET"}).id
        underscore = make_document(session, fields={"vendor": "A_B TRADING"}).id
        make_document(session, fields={"vendor": "AXB TRADING"})

    def ids(vendor):
        return [r.id for r in documents.list_documents(documents.DocumentFilter(vendor=vendor), settings=migrated).rows]

    assert ids("%") == [sale]
    assert ids("a_b") == [underscore]
    assert ids("\\") == []


def test_bulk_approve_and_reject_go_through_review_and_say_what_they_left_alone(migrated):
    from services import review

    rita = add(migrated, "rita")
    with session_factory(migrated).begin() as session:
        waiting = [make_document(session).id for _ in range(3)]
        approved = make_document(session, status=Status.APPROVED).id
        queued = make_document(session, status=Status.QUEUED).id
        undated = make_document(session, fields={"vendor": "SHOP", "total": "1.00"}).id  # a required field empty
    stale = review.open_document(waiting[0], settings=migrated).version

    outcome = documents.approve_many([*waiting, approved, queued, 999, undated], user=rita, settings=migrated)
    assert outcome.done == waiting
    assert set(outcome.skipped) == {approved, queued, 999, undated}
    assert "Date is empty" in outcome.skipped[undated]  # the approval rules hold in bulk too: one by one, with a reason
    assert "approved already" in outcome.skipped[approved] and "queued, not reviewed yet" in outcome.skipped[queued]
    with pytest.raises(ConflictError):  # a reviewer's open form is stale now, never silently overwritten
        review.save(waiting[0], stale, {"total": "1.00"}, user=rita, settings=migrated)

    with pytest.raises(InputError):
        documents.reject_many(waiting, "  ", user=rita, settings=migrated)
    rejected = documents.reject_many(waiting[:2], "duplicate of the paper copy", user=rita, settings=migrated)
    assert rejected.done == waiting[:2] and not rejected.skipped
    rows = {r.id: r for r in documents.list_documents(settings=migrated).rows}
    assert rows[waiting[0]].review_note == "duplicate of the paper copy" and rows[waiting[0]].status == "rejected"
    with session_factory(migrated).begin() as session:
        actions = [e.action for e in session.query(AuditEvent).filter(AuditEvent.document_id.in_(waiting))]
    assert actions.count("approve") == 3 and actions.count("reject") == 2


def test_an_uploader_sees_their_own_document_read_only_with_its_page(migrated):
    from tests.receipts import encode, sample_receipt

    with session_factory(migrated).begin() as session:
        mine = make_document(session, migrated, uploaded_by="una", status=Status.REJECTED, review_note="blurred",
                             image=encode(sample_receipt().image)).id
        theirs = make_document(session, migrated, uploaded_by="bob").id
    una = add(migrated, "una", "uploader")
    view = documents.view_document(mine, user=una, settings=migrated)
    assert view.row.review_note == "blurred" and ("Total", "42.95") in view.fields and len(view.line_items) == 3
    with pytest.raises(InputError) as hidden:
        documents.view_document(theirs, user=una, settings=migrated)
    assert hidden.value.code == "not_found"
    preview = documents.page_preview(mine, user=una, settings=migrated)
    assert preview.startswith(b"\xff\xd8")  # a JPEG
    rows = documents.list_documents(user=una, settings=migrated).rows
    thumbs = documents.thumbnails(rows, user=una, settings=migrated)
    assert set(thumbs) == {mine}  # the other one has no image
    cached = list((migrated.data_dir / "thumbnails").iterdir())
    assert len(cached) == 2  # the thumbnail and the preview, made once
    assert documents.thumbnails(rows, user=una, settings=migrated) == thumbs


def test_export_state_filter_and_label(migrated):
    from services import export, review

    with session_factory(migrated).begin() as session:
        first, second, third = (make_document(session, status=Status.APPROVED).id for _ in range(3))
    export.export_batch(export.ExportFilter(document_ids=(first, second)), settings=migrated)
    review.approve(second, review.open_document(second, settings=migrated).version, settings=migrated)

    def listed(state):
        return {r.id: r.export_label for r in documents.list_documents(
            documents.DocumentFilter(export_state=state), settings=migrated).rows}

    assert listed("not_exported") == {third: ""}
    assert listed("exported") == {first: "batch 1"}
    assert listed("changed") == {second: "changed since batch 1"}
