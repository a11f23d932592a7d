from datetime import date

from services import documents, queue
from storage.db import session_factory
from storage.models import Status
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
    assert set(everything.uploaders) == {"ann", "bob"}

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
