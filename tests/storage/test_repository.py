from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm.exc import StaleDataError

from storage import repository
from storage.db import session_factory
from storage.models import AuditEvent, Field, FieldRevision, LineItem, Page, Source, Status, utcnow


def new_document(session, sha="a" * 64, **overrides):
    columns = dict(sha256=sha, original_name="receipt.jpg", media_type="image/jpeg", size_bytes=1234,
                   uploaded_by="alice") | overrides
    return repository.add_document(session, **columns)


def test_document_round_trip_with_children(migrated):
    with session_factory(migrated).begin() as session:
        document = new_document(session, page_count=1)
        document.pages.append(Page(index=0, width=800, height=1200, dpi=300, text="TOTAL 12.50", mean_confidence=0.91,
                                   trace=[{"name": "deskew", "ms": 3.2, "details": {"angle": 1.5}}]))
        document.fields.append(Field(name="total", value="12.50", raw="12.5O", confidence=0.8, page_index=0,
                                     box=[10, 20, 30, 40]))
        document.line_items.append(LineItem(position=0, description="TEA", quantity=Decimal("2"),
                                            unit_price=Decimal("1.25"), amount=Decimal("2.50")))
        document_id = document.id

    with session_factory(migrated).begin() as session:
        loaded = repository.get_document(session, document_id, with_children=True)
        assert loaded.status == Status.QUEUED and loaded.version == 1
        assert loaded.created_at.tzinfo is not None
        assert loaded.pages[0].trace[0]["details"]["angle"] == 1.5
        assert loaded.field("total").box == [10, 20, 30, 40]
        assert loaded.line_items[0].amount == Decimal("2.50")  # exact, not a float
        assert repository.document_by_sha256(session, "a" * 64).id == document_id


def test_sha256_is_unique(migrated):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        with session_factory(migrated).begin() as session:
            new_document(session)
            new_document(session)


def test_stale_save_raises_instead_of_overwriting(migrated):
    with session_factory(migrated).begin() as session:
        document_id = new_document(session).id
    first, second = session_factory(migrated)(), session_factory(migrated)()
    a = repository.get_document(first, document_id)
    b = repository.get_document(second, document_id)
    a.review_note = "first"
    first.commit()
    b.review_note = "second"
    with pytest.raises(StaleDataError):
        second.commit()
    second.rollback()
    assert repository.get_document(second, document_id).review_note == "first"
    first.close()
    second.close()


def test_replace_ocr_results_keeps_user_corrections(migrated):
    with session_factory(migrated).begin() as session:
        document = new_document(session)
        document.fields += [Field(name="total", value="10.00", source=Source.USER),
                            Field(name="date", value="2024-01-01", source=Source.OCR)]
        document.pages.append(Page(index=0, width=1, height=1))
        document_id = document.id

    with session_factory(migrated).begin() as session:
        document = repository.get_document(session, document_id, with_children=True)
        repository.replace_ocr_results(
            session, document,
            pages=[Page(index=0, width=2, height=2)],
            fields=[Field(name="total", value="99.00"), Field(name="date", value="2024-02-02")],
            line_items=[LineItem(position=0, description="NEW")])

    with session_factory(migrated).begin() as session:
        document = repository.get_document(session, document_id, with_children=True)
        assert document.field("total").value == "10.00"  # the reviewer's value survives
        assert document.field("date").value == "2024-02-02"  # OCR values are refreshed
        assert [p.width for p in document.pages] == [2]
        assert [i.description for i in document.line_items] == ["NEW"]


def test_field_revisions_and_audit_events(migrated):
    with session_factory(migrated).begin() as session:
        document = new_document(session)
        field = Field(name="total", value="1.00")
        document.fields.append(field)
        session.flush()
        field.revisions.append(FieldRevision(old="1.00", new="2.00", user="bob"))
        repository.add_audit(session, "field_change", user="bob", document_id=document.id, field="total")
        document_id = document.id

    with session_factory(migrated).begin() as session:
        document = repository.get_document(session, document_id, with_children=True)
        revision = document.field("total").revisions[0]
        assert (revision.old, revision.new, revision.user) == ("1.00", "2.00", "bob")
        event = session.query(AuditEvent).one()
        assert (event.action, event.details) == ("field_change", {"field": "total"})


def test_counts_by_status_include_empty_ones(migrated):
    with session_factory(migrated).begin() as session:
        new_document(session, sha="b" * 64, status=Status.PROCESSING, started_at=utcnow() - timedelta(hours=2))
        new_document(session, sha="c" * 64, status=Status.PROCESSING, started_at=utcnow())
        new_document(session, sha="d" * 64)
        counts = repository.count_by_status(session)
        assert counts["processing"] == 2 and counts["queued"] == 1 and counts["approved"] == 0


def test_approved_vendors_are_the_newest_approved_documents_with_a_vendor(migrated):
    with session_factory(migrated).begin() as session:
        ids = {}
        for name, status, vendor in [("old", Status.APPROVED, "SHOP A"), ("new", Status.APPROVED, "SHOP B"),
                                     ("waiting", Status.NEEDS_REVIEW, "SHOP C"), ("blank", Status.APPROVED, "")]:
            document = new_document(session, sha=name[0] * 64, status=status, updated_at=utcnow())
            document.pages.append(Page(index=0, width=10, height=10, text=f"{vendor}\\nTEL 1"))
            document.fields.append(Field(name="vendor", value=vendor))
            if name == "new":
                document.fields.append(Field(name="vendor_address", value="1 JALAN X"))
            session.flush()
            ids[name] = document.id
        session.get(type(document), ids["old"]).updated_at = utcnow() - timedelta(days=1)

    with session_factory(migrated).begin() as session:
        assert repository.approved_vendors(session, limit=10) == [
            (ids["new"], "SHOP B", "1 JALAN X", "SHOP B\\nTEL 1"), (ids["old"], "SHOP A", None, "SHOP A\\nTEL 1")]
        assert len(repository.approved_vendors(session, limit=1)) == 1
