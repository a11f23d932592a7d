"""Vendor memory: recognise a receipt's vendor from receipts that reviewers already approved.

Back offices see the same suppliers again and again. Tesseract misreads a thermal-paper header the same way each
time, so the OCR text of the top of a new receipt looks like the OCR text of an earlier receipt from the same shop,
even when neither reads the name correctly. When it looks alike enough, the vendor (and, if it is printed there
too, the address) that a reviewer approved for that earlier receipt is better than a fresh reading.

The memory also knows where each supplier prints its total and date and how it writes its address
(ocr.fields.memory.Remembered): when the header matches, the receipt is read again with that as the ranker's
features, then the approved vendor (and address) replace the read ones.

Pure functions; the approved receipts come from storage (services.vendors) or, in the evaluation, from the keys of
receipts scored earlier.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Sequence

from rapidfuzz import fuzz, process

from ocr.config import ExtractionConfig
from ocr.fields import check_fields, extract_fields
from ocr.fields.memory import Remembered
from ocr.fields.ranker import Ranker
from ocr.layout import group_rows
from ocr.parse import letters_and_digits, normalize_text
from ocr.types import RECALLED, BoundingBox, Extraction, Field, Flag, PageResult

# Header = the first lines of page 1: enough for the name and most of the address, before the receipt's own
# number, date and cashier start to differ. 6 lines measured best (vs 3 and 10) on the tuning receipts.
HEADER_LINES = 6
# A known address is used only if most of it can be found in the new receipt's top lines (a chain's other branch
# has the same name but another address).
ADDRESS_LINES = 12
ADDRESS_MIN_SIMILARITY = 80.0
# A surely read vendor less alike than this to the approved one names another shop (0-100).
SAME_NAME_SIMILARITY = 60.0


@dataclass(frozen=True)
class KnownVendor:
    """One approved receipt: what the reviewer approved, and how the top of that receipt read."""

    document_id: int
    vendor: str
    address: str | None
    header: str  # header_text() of the approved receipt's OCR text
    profile: Remembered | None = None  # where its total and date were found; None: not known (yet)


@dataclass(frozen=True)
class Recall:
    known: KnownVendor
    similarity: float  # 0..100
    address: str | None  # the known address, if it is printed on this receipt too


def header_text(page_text: str, lines: int = HEADER_LINES) -> str:
    """The first `lines` non-empty lines of a page's OCR text, upper-cased, whitespace collapsed."""
    kept = [line for line in page_text.splitlines() if line.strip()][:lines]
    return normalize_text(" ".join(kept))


def best_match(page_text: str, known: Sequence[KnownVendor], *, min_similarity: float) -> Recall | None:
    """The approved receipt whose header reads most like this one, if at least `min_similarity` (0..100) alike."""
    header = header_text(page_text)
    if not header or not known:
        return None
    found = process.extractOne(header, [k.header for k in known], scorer=fuzz.ratio, score_cutoff=min_similarity)
    if found is None:
        return None
    _, similarity, index = found
    match = known[index]
    return Recall(match, float(similarity), _printed_address(page_text, match.vendor, known))


def _printed_address(page_text: str, vendor: str, known: Sequence[KnownVendor]) -> str | None:
    """Of the addresses approved for this vendor, the one most alike to something in the top lines, spelled as
    reviewers most often approved it."""
    top = header_text(page_text, ADDRESS_LINES)
    shop = letters_and_digits(vendor)
    approved = [k.address for k in known if k.address and letters_and_digits(k.vendor) == shop]
    scored = [(fuzz.partial_ratio(normalize_text(address), top), address) for address in set(approved)]
    scored = [item for item in scored if item[0] >= ADDRESS_MIN_SIMILARITY]
    return house_spelling(max(scored)[1], approved) if scored else None


def house_spelling(value: str, approved: Iterable[str]) -> str:
    """The way reviewers most often wrote `value`: of the approved values with the same letters and digits (spaced or
    punctuated otherwise), the most frequent; `value` itself when none is more frequent."""
    key = letters_and_digits(value)
    same = Counter(a for a in approved if letters_and_digits(a) == key)
    most, count = same.most_common(1)[0] if same else (value, 0)
    return value if same[value] >= count else most


def recall_vendor(extraction: Extraction, pages: Sequence[PageResult], known: Sequence[KnownVendor],
                  config: ExtractionConfig, ranker: Ranker | None = None,
                  profile_of: Callable[[KnownVendor], Remembered | None] | None = None) -> Extraction:
    """When the header matches an approved receipt's: the receipt read again with what the memory knows of that
    supplier (if it knows more than the name), and the read vendor (and address) replaced by the approved ones, spelled
    as reviewers most often approved them; otherwise unchanged.

    The field keeps the box of the header it matched, so reviewers still see where it came from, and a
    `vendor_recalled` flag names the approved document whose header matched. `profile_of` looks up what the memory
    knows of a match whose profile is not loaded yet (storage keeps only names and headers at hand).
    """
    if not pages:
        return extraction
    match = best_match(pages[0].text, known, min_similarity=config.vendor_similarity)
    if match is None or _another_shop(extraction, match.known.vendor, config):
        return extraction
    profile = match.known.profile or (profile_of(match.known) if profile_of else None)
    if profile is not None:
        extraction = extract_fields(pages, config, ranker, memory=profile)
    header_box = _header_box(pages[0])
    confidence = round(match.similarity / 100, 3)
    fields = dict(extraction.fields)
    recalled = {"vendor": house_spelling(match.known.vendor, [k.vendor for k in known])}
    if match.address:
        recalled["vendor_address"] = match.address
    for name, value in recalled.items():
        read = fields.get(name)
        agrees = read is not None and read.value == value
        fields[name] = Field(name, value, raw=read.raw if read else header_text(pages[0].text),
                             confidence=max(confidence, read.confidence) if read and agrees else confidence,
                             page=read.page if read else pages[0].index,
                             box=read.box if read and read.box is not None else header_box)
    what = "vendor and address" if "vendor_address" in recalled else "vendor"
    flag = Flag(RECALLED, f"{what} as approved for this supplier (top of the receipt {match.similarity:.0f} % alike "
                          f"document #{match.known.document_id})", tuple(recalled))
    notes = [note for note in extraction.flags if note.is_note]
    # checked again (no more missing_vendor, say), keeping the notes on where values came from
    checks = check_fields(fields, extraction.line_items, config, notes=notes)
    return replace(extraction, fields=fields, flags=(*checks, flag))


def _another_shop(extraction: Extraction, approved: str, config: ExtractionConfig) -> bool:
    """A receipt whose vendor was read surely and reads unlike the approved one is from another shop with a
    header laid out alike (the same till, the same mall), not from this one."""
    read = extraction.fields.get("vendor")
    return bool(read and read.value and read.confidence >= config.low_confidence
                and fuzz.ratio(normalize_text(read.value), normalize_text(approved)) < SAME_NAME_SIMILARITY)


def _header_box(page: PageResult) -> BoundingBox | None:
    rows = group_rows(page.words, page.index)[:HEADER_LINES]
    return BoundingBox.enclosing([row.box for row in rows]) if rows else None
