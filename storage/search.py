"""Full-text search over a document's OCR text, field values and line-item descriptions, with one meaning on
both backends: every word of the search must occur somewhere in the document, in any order, each as the start
of a word ('hard' finds HARDWARE); punctuation inside a word joins its parts as a phrase ('42.95' finds 42.95,
not 42 and 95 far apart); case and accents do not matter.

SQLite answers from FTS5 indexes, PostgreSQL from tsvector columns with GIN indexes: both are made and kept up
to date by the database itself (migrations 0002 and 0003).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, literal_column, select, table, union
from sqlalchemy.orm import Session

from storage.models import Document, Field, LineItem, Page

# The searched tables (their columns: pages.text, fields.value, line_items.description, in migration 0003); each
# table's index is named after it: pages_fts on SQLite, pages.search_vector on PostgreSQL, ...
SEARCHED = (Page, Field, LineItem)


def search_words(text: str) -> list[str]:
    """The words of a search: split at spaces; a word without any letter or digit finds nothing, so it is
    left out (as are FTS operators: they are just words here)."""
    return [word for word in text.split() if any(ch.isalnum() for ch in word)]


def fts5_phrase(word: str) -> str:
    """One word as an FTS5 prefix phrase; the quotes keep operators and punctuation literal."""
    return '"' + word.replace('"', '""') + '"*'


def _documents_with_word(dialect: str, word: str):
    """Ids of documents where `word` occurs in any searched column."""
    parts: list[Select[Any]] = []
    for model in SEARCHED:
        name = model.__tablename__
        if dialect == "sqlite":
            index = f"{name}_fts"
            rows: Select[Any] = (select(literal_column("rowid")).select_from(table(index))
                    .where(literal_column(index).op("MATCH")(fts5_phrase(word))))
            parts.append(select(model.document_id).where(model.id.in_(rows)))
        else:
            vector: ColumnElement[Any] = literal_column(f"{name}.search_vector")
            parts.append(select(model.document_id).where(vector.op("@@")(func.docdesk_search_query(word))))
    return union(*parts)


def matching_documents(session: Session, text: str) -> Select:
    """A query of the ids of documents that contain every word of `text` (see the module docstring)."""
    words = search_words(text)
    if not words:
        return select(Document.id).where(false())
    dialect = session.get_bind().dialect.name
    query = select(Document.id)
    for word in words:
        query = query.where(Document.id.in_(_documents_with_word(dialect, word)))
    return query
