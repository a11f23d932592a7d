"""Queries for near-duplicates (services.duplicates): candidates by values and by page hash, and the pairs found."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session, aliased

from storage.models import Document, DuplicatePair, Field, Page, Status, utcnow

NOT_READ = (Status.QUEUED, Status.PROCESSING, Status.FAILED)


def same_date_and_total(session: Session, document_id: int, date: str, total: str) -> list[tuple[int, str | None]]:
    """(id, vendor) of the other read documents with this date and total."""
    date_field, total_field, vendor_field = aliased(Field), aliased(Field), aliased(Field)
    statement = (
        select(Document.id, vendor_field.value).select_from(Document)
        .join(date_field, and_(date_field.document_id == Document.id, date_field.name == "date"))
        .join(total_field, and_(total_field.document_id == Document.id, total_field.name == "total"))
        .outerjoin(vendor_field, and_(vendor_field.document_id == Document.id, vendor_field.name == "vendor"))
        .where(date_field.value == date, total_field.value == total, Document.id != document_id,
               Document.status.not_in(NOT_READ)))
    return [(row[0], row[1]) for row in session.execute(statement)]


def page_hashes(session: Session, document_id: int) -> list[tuple[int, str]]:
    """(document id, page hash) of every page of the other read documents."""
    statement = (select(Page.document_id, Page.image_hash).join(Document, Document.id == Page.document_id)
                 .where(Page.image_hash.is_not(None), Page.document_id != document_id,
                        Document.status.not_in(NOT_READ)))
    return [(row[0], row[1]) for row in session.execute(statement) if row[1] is not None]


def pairs_of(session: Session, document_id: int) -> list[DuplicatePair]:
    return list(session.scalars(select(DuplicatePair).where(
        or_(DuplicatePair.first_id == document_id, DuplicatePair.second_id == document_id))
        .order_by(DuplicatePair.first_id, DuplicatePair.second_id)))


def replace_pairs(session: Session, document_id: int, found: dict[int, tuple[bool, int | None]]) -> None:
    """The document's open pairs become `found` (other id -> (same values, image distance)); a pair a reviewer
    dismissed stays dismissed and keeps what was found then."""
    kept = {}
    for pair in pairs_of(session, document_id):
        other = pair.second_id if pair.first_id == document_id else pair.first_id
        if pair.dismissed_at is not None:
            kept[other] = pair
        elif other not in found:
            session.execute(delete(DuplicatePair).where(DuplicatePair.id == pair.id))
        else:
            pair.same_values, pair.image_distance = found[other]
            kept[other] = pair
    for other, (same_values, distance) in found.items():
        if other not in kept:
            first, second = sorted((document_id, other))
            session.add(DuplicatePair(first_id=first, second_id=second, same_values=same_values,
                                      image_distance=distance))
    session.flush()


def open_pairs_within(session: Session, document_ids: Iterable[int]) -> list[DuplicatePair]:
    """Pairs not dismissed whose two documents are both among `document_ids`."""
    ids = set(document_ids)
    if not ids:
        return []
    statement = select(DuplicatePair).where(DuplicatePair.dismissed_at.is_(None))
    return [pair for pair in session.scalars(statement.order_by(DuplicatePair.first_id, DuplicatePair.second_id))
            if pair.first_id in ids and pair.second_id in ids]


def dismiss(session: Session, document_id: int, other_id: int, user: str | None) -> bool:
    """Mark the pair "not a duplicate"; False if there is no such pair."""
    first, second = sorted((document_id, other_id))
    pair = session.scalars(select(DuplicatePair).where(DuplicatePair.first_id == first,
                                                       DuplicatePair.second_id == second)).first()
    if pair is None:
        return False
    pair.dismissed_by, pair.dismissed_at = user, utcnow()
    return True
