"""Searchable PDFs out: a document's pages as read (upright, straightened) with their words as invisible text,
so the archive can be searched outside DocDesk; and a zip of them for an export, named by date, vendor and total.

The words are the ones OCR already read (no second Tesseract run): their boxes are on the cleaned page, so that
page is the picture, and the text sits exactly on it (storage.pdf).
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from errors import ErrorCode, InputError
from services.access import Permission, holds, use_case
from settings import Settings, get_settings
from storage import images, jobs, repository
from storage.blobs import BlobStore
from storage.models import Document, Page
from storage.pdf import PdfPage, paper_dpi, searchable_pdf

JPEG_QUALITY = 80  # the cleaned grayscale page: ~100-200 kB for a receipt, text still crisp
NAME_PART_CHARS = 60


@dataclass(frozen=True)
class NamedPdf:
    name: str  # pdf_file_name's: date, vendor and total
    data: bytes


@dataclass(frozen=True)
class _StoredPage:
    key: str | None
    dpi: float
    words: tuple


def document_pdf(document_id: int, *, user: str | None = None, settings: Settings | None = None) -> NamedPdf:
    """The document's pages as a searchable PDF. An uploader may download only the documents they uploaded."""
    settings = settings or get_settings()
    with use_case(user, Permission.VIEW_OWN, settings=settings) as session:
        document = repository.get_document(session, document_id, with_children=True)
        if document is None or not (holds(session, user, Permission.VIEW_ALL) or document.uploaded_by == user):
            raise InputError(f"There is no document #{document_id}.", code=ErrorCode.NOT_FOUND)
        pages = _stored_pages(document)
        name = _file_name(repository.field_values(session, [document_id]).get(document_id, {}))
    return NamedPdf(name, _pdf(pages, BlobStore(settings.blob_dir), document_id))


def _stored_pages(document: Document) -> list[_StoredPage]:
    if not document.pages:
        raise InputError(f"Document #{document.id} is {document.status.replace('_', ' ')} and has not been read "
                         "yet: its PDF can be made once it has been processed.", code=ErrorCode.NOT_READ)
    return [_StoredPage(page.cleaned_key or page.original_key, _page_dpi(page), page.ocr_words())
            for page in document.pages]


def _page_dpi(page: Page) -> float:
    factor = next((step["details"].get("factor", 1.0) for step in page.trace
                   if step.get("name") == "rescale" and not step.get("skipped")), 1.0)
    return paper_dpi(page.dpi, factor, page.ocr_words())


def _pdf(pages: list[_StoredPage], store: BlobStore, document_id: int) -> bytes:
    pdf_pages = []
    for number, page in enumerate(pages, start=1):
        if not page.key or not store.exists(page.key):
            raise InputError(f"Page {number} of document #{document_id} has no stored image: process the document "
                             "again (Review: re-process) to make its PDF.", code=ErrorCode.NOT_READ)
        jpeg, width, height, gray = images.as_jpeg(store.get(page.key), JPEG_QUALITY)
        pdf_pages.append(PdfPage(jpeg, width, height, page.dpi, gray, page.words))
    return searchable_pdf(pdf_pages)


def pdf_file_name(date: str | None, vendor: str | None, total: str | None) -> str:
    """'2024-03-01_corner-hardware_42.95.pdf': safe on every file system (ASCII letters, digits, '-', '.', '_')."""
    return "_".join((_safe(date) or "no-date", _safe(vendor) or "no-vendor", _safe(total) or "no-total")) + ".pdf"


def _file_name(values: dict[str, str | None]) -> str:
    return pdf_file_name(values.get("date"), values.get("vendor"), values.get("total"))


def _safe(text: str | None) -> str:
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9.]+", "-", ascii_text).strip("-.")[:NAME_PART_CHARS].strip("-.")


def write_pdfs_zip(document_ids: Iterable[int], target: IO[bytes], *, user: str | None = None,
                   settings: Settings | None = None) -> int:
    """A zip of the documents' searchable PDFs, named by date, vendor and total, written to `target`; returns how
    many it holds. A document that has not been read yet is listed in `not-included.txt` instead."""
    settings = settings or get_settings()
    with use_case(user, Permission.EXPORT, settings=settings) as session:
        documents = jobs.documents_by_ids(session, list(document_ids))
        values = repository.field_values(session, [d.id for d in documents])
        entries = [(d.id, d.original_name, values.get(d.id, {}), _pages_or_reason(d)) for d in documents]
    store, names, missing = BlobStore(settings.blob_dir), set(), []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:  # PDFs hold JPEGs: no gain
        for document_id, original, fields, pages in sorted(entries):
            try:
                if isinstance(pages, str):
                    raise InputError(pages)
                pdf = _pdf(pages, store, document_id)
            except InputError as error:
                missing.append(f"#{document_id} {original}: {error.message}")
                continue
            archive.writestr(_unique(_file_name(fields), document_id, names), pdf)
        if missing:
            archive.writestr("not-included.txt", "\n".join(missing) + "\n")
    with use_case(settings=settings) as session:
        repository.add_audit(session, "export_pdfs", user=user, documents=len(names), not_included=len(missing))
    return len(names)


def _pages_or_reason(document: Document) -> list[_StoredPage] | str:
    try:
        return _stored_pages(document)
    except InputError as error:
        return error.message


def _unique(name: str, document_id: int, taken: set[str]) -> str:
    if name in taken:
        name = f"{name.removesuffix('.pdf')}_doc{document_id}.pdf"
    taken.add(name)
    return name
