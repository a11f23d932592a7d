"""Words with boxes -> receipt fields: candidates -> features -> learned ranker -> cross-field selection -> checks.

Each family proposes candidates with named features (ocr.fields.header, amounts, dates); the ranker (trained by
`cli.py train`, ocr/models/fields.json) orders them and says how sure it is of the winner; the selection keeps the
fields consistent with each other; the checks turn disagreements and doubts into flags. Fields no labelled folder
gives truth for (phone, tax id, receipt number, payment, currency, time) are read by their labels.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Sequence

from ocr.config import ExtractionConfig
from ocr.fields import identifiers
from ocr.fields.amounts import amounts_of, total_candidates
from ocr.fields.candidates import Candidate
from ocr.fields.checks import check_fields, filled_if_readable
from ocr.fields.dates import date_candidates, time_candidate
from ocr.fields.document import Document, read_document
from ocr.fields.header import header_candidates
from ocr.fields.items import line_items
from ocr.fields.lexicon import load_lexicon
from ocr.fields.memory import Remembered, with_memory
from ocr.fields.ranker import Ranker, shipped_ranker
from ocr.fields.select import address_apart, confirmation, parts_of
from ocr.types import Extraction, PageResult


def document_of(pages: Sequence[PageResult], config: ExtractionConfig) -> Document:
    return read_document(pages, load_lexicon(tuple(config.locales)))


def candidates_of(doc: Document, config: ExtractionConfig) -> dict[str, list[Candidate]]:
    """The learned families' candidates with their features, but for the vendor memory's (ocr.fields.memory):
    what the ranker ranks, and what training labels."""
    found = header_candidates(doc)
    found["date"] = date_candidates(doc, config.date_order, config.today or date.today())
    found["total"] = total_candidates(doc)
    return found


def _learned(doc: Document, found: dict[str, list[Candidate]], ranker: Ranker) -> dict[str, Candidate]:
    ranked = {name: ranker.rank(name, candidates) for name, candidates in found.items()}
    chosen: dict[str, Candidate] = {}
    for name in ("vendor", "date", "total"):
        if ranked.get(name):
            chosen[name] = ranked[name][0]
    address = address_apart(ranked.get("vendor_address", []), chosen.get("vendor"))
    if address is not None:
        if address is not ranked["vendor_address"][0]:  # the best address was the vendor's: not sure of this one
            address = replace(address, confidence=min(address.confidence, ranked["vendor_address"][0].confidence))
        chosen["vendor_address"] = address
    return chosen


def _by_label(doc: Document, chosen: dict[str, Candidate], config: ExtractionConfig) -> dict[str, Candidate]:
    total_row = chosen["total"].row if "total" in chosen else -1
    found = {"vendor_phone": identifiers.phone(doc), "vendor_tax_id": identifiers.tax_id(doc),
             "receipt_number": identifiers.receipt_number(doc), "payment_method": identifiers.payment(doc, total_row),
             "time": time_candidate(doc, chosen["date"].row if "date" in chosen else None),
             "currency": identifiers.currency(doc, config.default_currency)}
    return {name: candidate for name, candidate in found.items() if candidate is not None}


def _items_span(doc: Document, chosen: dict[str, Candidate]) -> tuple[int, int]:
    """Line items sit below the header (and the date, when it is printed above them) and above the totals."""
    ends = [c.row for name in ("subtotal", "total") if (c := chosen.get(name)) and c.row >= 0]
    end = min(ends) if ends else len(doc.rows)
    starts = [max(chosen[name].rows or (chosen[name].row,)) + 1 for name in ("vendor", "vendor_address")
              if name in chosen]
    if "date" in chosen and chosen["date"].row < end:
        starts.append(chosen["date"].row + 1)
    return max(starts, default=0), end


def extract_fields(pages: Sequence[PageResult], config: ExtractionConfig = ExtractionConfig(),
                   ranker: Ranker | None = None, memory: Remembered | None = None) -> Extraction:
    """Receipt fields from OCR'd pages: each with value, raw text, confidence, page and box; plus line items and
    flags from cross-field checks (total_mismatch, items_mismatch, implausible_date, missing_*, unreadable,
    low_confidence) and notes (total_confirmed). `memory`: what approved receipts of this supplier showed."""
    doc = document_of(pages, config)
    if not doc.rows:
        currency = identifiers.currency(doc, config.default_currency)
        fields = {"currency": currency.to_field()}
        return Extraction(fields, (), tuple(check_fields(fields, (), config)))
    chosen = _learned(doc, with_memory(candidates_of(doc, config), doc, memory), ranker or shipped_ranker())
    amounts = amounts_of(doc)
    chosen.update(parts_of(doc, chosen.get("total"), amounts))
    chosen.update(_by_label(doc, chosen, config))
    items = line_items(doc, *_items_span(doc, chosen))
    fields = {name: filled_if_readable(c.to_field(), config.unreadable_below) for name, c in chosen.items()}
    note = confirmation(doc, chosen.get("total"), amounts)
    flags = check_fields(fields, items, config, notes=[note] if note else [])
    return Extraction(fields=fields, line_items=tuple(items), flags=tuple(flags))
