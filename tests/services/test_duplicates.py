"""services.duplicates: near-duplicates found through the real worker and database, a reviewer's correction,
"not a duplicate", and the export's warning."""

from __future__ import annotations

import pytest

from errors import InputError, PermissionDenied
from services import duplicates, export, review
from services.ingest import ingest_file
from services.process import process_document
from storage.db import session_factory
from tests.ocr.test_duplicates import other_purchase_lines
from tests.receipts import encode, render, rotate, sample_receipt, shrink
from tests.seeding import make_document
from tests.services.worker_proc import start_worker, stop_worker, wait_for_status
from tests.signin import add

IN_REVIEW = export.ExportFilter(statuses=("needs_review",))


def _seed(settings, **fields) -> int:
    values = {"vendor": "GREENLEAF HARDWARE SDN BHD", "date": "2024-03-14", "total": "42.95", **fields}
    with session_factory(settings).begin() as session:
        return make_document(session, settings, fields=values).id


@pytest.mark.slow
def test_a_rescanned_copy_is_flagged_through_the_worker_and_the_database(migrated):
    scan = sample_receipt().image
    copy = rotate(shrink(scan, 0.6), 2.0)  # scanned again: smaller, a little turned, as a JPEG
    first = ingest_file(encode(scan, "PNG"), "scan.png", settings=migrated).document_id
    second = ingest_file(encode(copy, "JPEG", quality=50), "again.jpg", settings=migrated).document_id
    worker = start_worker(migrated.data_dir, workers=1)
    try:
        for document_id in (first, second):
            wait_for_status(migrated, document_id, {"needs_review"})
    finally:
        stop_worker(worker)

    [pair] = duplicates.of_document(second, settings=migrated)
    assert (pair.other_id, pair.other_name, pair.other_status) == (first, "scan.png", "needs_review")
    assert pair.image_distance is not None and pair.image_distance <= 40  # (the smaller copy may read otherwise)
    assert pair.message.startswith(f"possible duplicate of #{first}: ") and "a near-identical page (" in pair.message
    assert [p.other_id for p in duplicates.of_document(first, settings=migrated)] == [second]  # both ways
    assert export.preview(IN_REVIEW, settings=migrated).duplicates == [
        f"#{first} and #{second} may be the same receipt ({pair.reason}): both are in this export."]

    duplicates.dismiss(second, first, user=add(migrated, "rita"), settings=migrated)
    assert export.preview(IN_REVIEW, settings=migrated).duplicates == []
    review.reprocess(second, settings=migrated)
    process_document(second, settings=migrated)  # read again: the reviewer's answer stands
    [again] = duplicates.of_document(second, settings=migrated)
    assert again.dismissed_by == "rita" and export.preview(IN_REVIEW, settings=migrated).duplicates == []


@pytest.mark.slow
def test_another_purchase_at_the_same_shop_is_not_flagged(migrated):
    for name, image in (("a.png", sample_receipt().image), ("b.png", render(other_purchase_lines()).image)):
        process_document(ingest_file(encode(image, "PNG"), name, settings=migrated).document_id, settings=migrated)
    assert duplicates.of_document(1, settings=migrated) == [] and duplicates.of_document(2, settings=migrated) == []


def test_a_reviewers_correction_makes_and_unmakes_a_pair_by_values(migrated):
    first, second = _seed(migrated), _seed(migrated, total="40.00")
    rita = add(migrated, "rita")
    version = review.open_document(second, settings=migrated).version
    saved = review.save(second, version, {"total": "42.95"}, user=rita, settings=migrated)
    [pair] = duplicates.of_document(second, settings=migrated)
    assert (pair.other_id, pair.same_values, pair.image_distance) == (first, True, None)

    review.save(second, saved.version, {"date": "2024-03-15"}, user=rita, settings=migrated)
    assert duplicates.of_document(second, settings=migrated) == []
    assert duplicates.of_document(first, settings=migrated) == []


def test_a_vendor_read_alike_counts_and_another_shop_does_not(migrated):
    first = _seed(migrated)
    misread = _seed(migrated, vendor="GREENLEAF HARDVVARE SDN. BHD", total="1.00")
    other_shop = _seed(migrated, vendor="CORNER BAKERY", total="1.00")
    rita = add(migrated, "rita")
    for document_id in (misread, other_shop):
        review.save(document_id, review.open_document(document_id, settings=migrated).version, {"total": "42.95"},
                    user=rita, settings=migrated)
    assert [p.other_id for p in duplicates.of_document(first, settings=migrated)] == [misread]


def test_only_a_reviewer_may_dismiss_and_only_a_pair_that_exists(migrated):
    first, second = _seed(migrated), _seed(migrated, total="1.00")
    with pytest.raises(InputError, match=f"#{first} and #{second} are not marked as possible duplicates") as refused:
        duplicates.dismiss(first, second, settings=migrated)
    assert refused.value.code == "not_found"
    with pytest.raises(PermissionDenied):
        duplicates.dismiss(first, second, user=add(migrated, "una", "uploader"), settings=migrated)
