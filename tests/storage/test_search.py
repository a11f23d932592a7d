"""Full-text search means the same on SQLite (FTS5) and PostgreSQL (tsvector + GIN): every case runs on both."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, text

from storage import repository, search
from storage.db import session_factory
from storage.models import Field, LineItem
from tests.seeding import make_document


@pytest.fixture
def documents(migrated) -> dict[str, int]:
    with session_factory(migrated).begin() as session:
        made = {
            "hardware": make_document(session, text="GREENLEAF HARDWARE\nCABLE TIE 12.00\nTOTAL RM42.95", items=False,
                                      fields={"vendor": "GREENLEAF HARDWARE", "total": "42.95"}),
            "cafe": make_document(session, text="Kopi Corner Café\nTeh tarik 3.50", items=False,
                                  fields={"vendor": "Kopi Corner Café", "total": "3.50"}),
            "apart": make_document(session, text="42 apples and 95 pears", items=False, fields={}),
        }
        return {name: document.id for name, document in made.items()}


def found(settings, query: str) -> set[int]:
    with session_factory(settings).begin() as session:
        return set(session.scalars(search.matching_documents(session, query)))


@pytest.mark.parametrize(("query", "expected"), [
    ("hardware", {"hardware"}),
    ("HARD", {"hardware"}),  # a prefix, any case
    ("cable greenleaf", {"hardware"}),  # every word, any order
    ("cable kopi", set()),  # each word somewhere, but not in one document
    ("42.95", {"hardware"}),  # punctuation joins a word's parts: 42 then 95, not 42 ... 95 apart
    ("42.9", {"hardware"}),
    ("rm42", {"hardware"}),
    ("42", {"hardware", "apart"}),
    ("cafe", {"cafe"}),  # accents do not matter, either way
    ("CAFÉ", {"cafe"}),
    ("teh-tarik", {"cafe"}),
    ("'kopi' OR", set()),  # operators are plain words, never syntax
    ("kopi:* | !corner & (x)", set()),
    ('" * :', set()),  # nothing searchable
    ("", set()),
])
def test_search_has_one_meaning_on_both_backends(migrated, documents, query, expected):
    assert found(migrated, query) == {documents[name] for name in expected}


def test_corrected_field_values_and_line_items_are_found(migrated, documents):
    hardware = documents["hardware"]
    with session_factory(migrated).begin() as session:
        document = repository.get_document(session, hardware, with_children=True)
        document.field("vendor").value = "Woon Tan Trading"  # what a reviewer typed; not in the OCR text
        document.line_items.append(LineItem(position=0, description="Masking tape 24mm", amount=Decimal("5.00")))
    assert found(migrated, "woon tan") == {hardware}
    assert found(migrated, "trading 42.95") == {hardware}  # one word from a field, one from the page text
    assert found(migrated, "masking 24mm") == {hardware}

    with session_factory(migrated).begin() as session:
        document = repository.get_document(session, hardware, with_children=True)
        document.field("vendor").value = "Greenleaf"
        document.line_items.clear()
    assert found(migrated, "woon") == set() and found(migrated, "masking") == set()


def test_deleted_rows_leave_the_index(migrated, documents):
    with session_factory(migrated).begin() as session:
        session.delete(repository.get_document(session, documents["cafe"]))
    assert found(migrated, "kopi") == set()
    with session_factory(migrated).begin() as session:
        assert session.scalars(select(Field.id).where(Field.document_id == documents["cafe"])).all() == []


@pytest.mark.backends("postgresql")
def test_postgresql_answers_from_its_gin_indexes(migrated, documents):
    with session_factory(migrated).begin() as session:
        session.execute(text("SET LOCAL enable_seqscan = off"))  # a handful of rows: make the planner show its index
        plan = "\n".join(session.scalars(text("EXPLAIN " + str(
            search.matching_documents(session, "greenleaf").compile(session.get_bind(),
                                                                     compile_kwargs={"literal_binds": True})))))
    for table in ("pages", "fields", "line_items"):
        assert f"ix_{table}_search_vector" in plan
