"""Near-duplicates: "possible duplicate of #N" when another read document has the same vendor, date and total
(the reviewed values where a reviewer corrected them), or a near-identical page (ocr.duplicates).

Found again whenever a document is read (services.process) and whenever a reviewer changes its vendor, date or
total (services.review), in the same transaction. The reviewer sees both side by side and may mark the pair "not
a duplicate", which is remembered; the export warns when it would hold both documents of an open pair.
"""

from __future__ import annotations

from dataclasses import dataclass

from errors import ErrorCode, InputError
from ocr import duplicates
from ocr.duplicates import PageHash, Values
from services.access import Permission, use_case
from settings import Settings
from storage import duplicate_pairs, repository
from storage.models import Document, DuplicatePair

VALUE_FIELDS = ("vendor", "date", "total")


@dataclass(frozen=True)
class PossibleDuplicate:
    document_id: int
    other_id: int
    other_name: str
    other_status: str
    same_values: bool
    image_distance: int | None
    dismissed_by: str | None

    @property
    def reason(self) -> str:
        reasons = ["the same vendor, date and total"] if self.same_values else []
        if self.image_distance is not None:
            reasons.append(f"a near-identical page ({self.image_distance} of {duplicates.HASH_SIDE ** 2} hash bits "
                           "differ)")
        return " and ".join(reasons)

    @property
    def message(self) -> str:
        return f"possible duplicate of #{self.other_id}: {self.reason}"


def refresh(session, document: Document) -> None:
    """Find the document's possible duplicates among the other read documents and record them."""
    values = _values(document)
    found: dict[int, tuple[bool, int | None]] = {}
    if values.date and values.total:
        for other_id, vendor in duplicate_pairs.same_date_and_total(session, document.id, values.date, values.total):
            if duplicates.same_values(values, Values(vendor, values.date, values.total)):
                found[other_id] = (True, None)
    hashes = [PageHash.from_text(page.image_hash) for page in document.pages if page.image_hash]
    if hashes:
        for other_id, text in duplicate_pairs.page_hashes(session, document.id):
            distances = [d for h in hashes if (d := duplicates.same_page(h, PageHash.from_text(text))) is not None]
            if distances:
                same_values, best = found.get(other_id, (False, None))
                found[other_id] = (same_values, min([*distances, *([best] if best is not None else [])]))
    duplicate_pairs.replace_pairs(session, document.id, found)


def _values(document: Document) -> Values:
    fields = {field.name: field.value for field in document.fields}
    return Values(*(fields.get(name) or None for name in VALUE_FIELDS))


def of_document(document_id: int, *, user: str | None = None,
                settings: Settings | None = None) -> list[PossibleDuplicate]:
    """The document's possible duplicates, dismissed ones included (they say who dismissed them)."""
    with use_case(user, Permission.REVIEW, settings=settings) as session:
        return [_view(session, document_id, pair) for pair in duplicate_pairs.pairs_of(session, document_id)]


def _view(session, document_id: int, pair: DuplicatePair) -> PossibleDuplicate:
    other_id = pair.second_id if pair.first_id == document_id else pair.first_id
    other = repository.get_document(session, other_id)
    return PossibleDuplicate(document_id, other_id, other.original_name if other else "", other.status if other else "",
                             pair.same_values, pair.image_distance, pair.dismissed_by)


def dismiss(document_id: int, other_id: int, *, user: str | None = None, settings: Settings | None = None) -> None:
    """A reviewer's "not a duplicate": the pair no longer warns, and is not found again."""
    with use_case(user, Permission.REVIEW, settings=settings) as session:
        if not duplicate_pairs.dismiss(session, document_id, other_id, user):
            raise InputError(f"#{document_id} and #{other_id} are not marked as possible duplicates.",
                             code=ErrorCode.NOT_FOUND)
        repository.add_audit(session, "not_duplicate", user=user, document_id=document_id, other=other_id)


def warnings_within(session, document_ids: list[int]) -> list[str]:
    """One line per open pair whose two documents are both in `document_ids` (an export's)."""
    return [f"#{pair.first_id} and #{pair.second_id} may be the same receipt "
            f"({_view(session, pair.second_id, pair).reason}): both are in this export."
            for pair in duplicate_pairs.open_pairs_within(session, document_ids)]
