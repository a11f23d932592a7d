"""Vendor and address candidates: spans of consecutive header lines, in either reading, each described by what
its lines look like (where they sit, how tall, legal forms, address words, labels) and by its neighbours."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator

from ocr.fields.candidates import MISSING, Candidate, reading_features
from ocr.fields.document import SECOND, TESSERACT, Document
from ocr.fields.labels import PHONE, count_words, has_word, is_heading
from ocr.fields.names import (
    REGISTRATION,
    clean_address,
    clean_vendor,
    legal_suffix,
    letters,
    plain,
    text_quality,
    without_phone,
)
from ocr.types import Word

_SLIPS = ("odd_chars", "non_ascii", "mixed_tokens", "inner_colons")
HEADER_LINES = 16  # the first rows of the first page that may hold the name or the address
VENDOR_LINES, VENDOR_SPAN = 10, 3  # a name starts within the first 10 header lines and spans at most 3
ADDRESS_SPAN = 6


def header_lines(doc: Document) -> list[int]:
    """Rows at the top of the first page with at least two letters or digits (not a border or a speck)."""
    return [i for i in doc.first_page_rows(HEADER_LINES + 8)
            if sum(ch.isalnum() for ch in doc.rows[i].text) >= 2][:HEADER_LINES]


def line_features(doc: Document, i: int, reading: str) -> dict[str, float]:
    """What one header line looks like, in one reading."""
    text, tokens, lexicon = doc.text(i, reading), doc.tokens(i, reading), doc.lexicon
    row, width = doc.rows[i], max(1, doc.width(i))
    cleaned = plain(text).replace(" ", "")
    size = max(1, len(cleaned))
    alpha = max(1, letters(cleaned))
    named = clean_vendor(text, lexicon)
    return {
        "position": doc.positions[i],
        "height": doc.heights[i],
        "width_share": row.box.width / width,
        "centre_offset": abs(row.box.left + row.box.width / 2 - width / 2) / width,
        "letters_share": letters(cleaned) / size,
        "digits_share": sum(ch.isdigit() for ch in cleaned) / size,
        "upper_share": sum(ch.isupper() for ch in cleaned) / alpha,
        "tokens": float(len(tokens)),
        "legal": 1.0 if legal_suffix(lexicon).search(named) else 0.0,
        "business": float(count_words(tokens, lexicon.business)),
        "address_words": float(count_words(tokens, lexicon.address_words)),
        "postcode": 1.0 if lexicon.postcode and lexicon.postcode.search(text) else 0.0,
        "phone": 1.0 if PHONE.search(text) else 0.0,
        "end_label": 1.0 if has_word(tokens[:3], *lexicon.header_end) else 0.0,
        "heading": 1.0 if is_heading(text, lexicon) else 0.0,
        "owner": 1.0 if has_word(tokens, *lexicon.owner) else 0.0,
        "registration": 1.0 if REGISTRATION.search(text) else 0.0,
        "commas": float(text.count(",")),
        "conf": row.confidence,
    }


NEIGHBOUR = ("legal", "business", "address_words", "postcode", "end_label", "heading", "registration", "phone")


def _neighbour(features: dict[str, float] | None, prefix: str) -> dict[str, float]:
    """A few features of the header line above or below a span (Tesseract's reading), or MISSING past either end."""
    return {f"{prefix}_{name}": features[name] if features else MISSING for name in NEIGHBOUR}


def _spans(lines: list[int], starts: int, longest: int) -> Iterator[tuple[int, int]]:
    for start in range(min(starts, len(lines))):
        for end in range(start + 1, min(len(lines), start + longest) + 1):
            yield start, end


def _readings(doc: Document, rows: list[int]) -> list[str]:
    return [TESSERACT, SECOND] if any(SECOND in doc.readings(i) for i in rows) else [TESSERACT]


class _Lines:
    """The header lines' features, each computed once per reading."""

    def __init__(self, doc: Document, lines: list[int]):
        self.doc, self.lines = doc, lines
        self._features: dict[tuple[int, str], dict[str, float]] = {}
        self.named = [k for k, i in enumerate(lines)
                      if self.of(i, TESSERACT)["legal"] or self.of(i, TESSERACT)["business"]]

    def of(self, i: int, reading: str) -> dict[str, float]:
        if (i, reading) not in self._features:
            self._features[i, reading] = line_features(self.doc, i, reading)
        return self._features[i, reading]

    def at_rank(self, k: int) -> dict[str, float] | None:
        return self.of(self.lines[k], TESSERACT) if 0 <= k < len(self.lines) else None


def _span_features(header: _Lines, start: int, end: int, reading: str) -> dict[str, float]:
    rows = header.lines[start:end]
    every = [header.of(i, reading) for i in rows]
    first, last = every[0], every[-1]
    legal_ranks = header.named
    features = {f"first_{name}": value for name, value in first.items()}
    features.update({f"last_{name}": value for name, value in last.items()})
    for name in ("legal", "business", "address_words", "postcode", "phone", "end_label", "heading", "owner",
                 "registration", "commas"):
        features[f"sum_{name}"] = sum(f[name] for f in every)
    features.update({
        "rows": float(len(rows)),
        "start_rank": float(start),
        "mean_conf": sum(f["conf"] for f in every) / len(every),
        "min_conf": min(f["conf"] for f in every),
        "max_height": max(f["height"] for f in every),
        "min_height": min(f["height"] for f in every),
        "after_first_name": float(start - legal_ranks[0]) if legal_ranks else MISSING,
        "names_above": float(sum(1 for k in legal_ranks if k < start)),
    })
    features.update(_neighbour(header.at_rank(start - 1), "above"))
    features.update(_neighbour(header.at_rank(end), "below"))
    return features


def _slips(text: str) -> float:
    """How many signs of a misreading `text` shows (ocr.fields.names.text_quality)."""
    quality = text_quality(text)
    return sum(quality[name] for name in _SLIPS)


def _name_text(doc: Document, i: int, reading: str) -> str:
    """Row i in `reading`, read as a name: in the second reading, a word that shows a misreading where Tesseract's
    word of the same box shows none ('HAI-0' against 'HAI-O', ':TOAST' against 'TOAST') is Tesseract's."""
    if reading != SECOND:
        return doc.text(i, reading)
    return " ".join(word for word in map(_name_word, doc.rows[i].words) if word)


def _name_word(word: Word) -> str:
    """The second reading of a word ('' when it saw no letters there), unless only it shows a misreading."""
    if word.second is None or (word.second and _slips(word.second) and not _slips(word.text)):
        return word.text
    return word.second


def _candidate(header: _Lines, name: str, start: int, end: int, reading: str) -> Candidate | None:
    doc = header.doc
    rows = header.lines[start:end]
    texts = [_name_text(doc, i, reading) if name == "vendor" else doc.text(i, reading) for i in rows]
    raw = " ".join(texts)
    if name == "vendor":
        value = clean_vendor(raw, doc.lexicon)
        # the lines the name is on: a registration number or an address line the span ends with is no part of it
        used = next(k for k in range(1, len(rows) + 1) if clean_vendor(" ".join(texts[:k]), doc.lexicon) == value)
    else:
        value, used = clean_address(" ".join(without_phone(text) for text in texts)), len(rows)
    if letters(value) < 2:
        return None
    words = tuple(w for i in rows[:used] for w in doc.rows[i].words)
    features = _span_features(header, start, end, reading)
    features.update(reading_features(words, reading))
    features.update({"value_length": float(len(value)), "value_letters": float(letters(value)),
                     "value_legal_end": 1.0 if legal_suffix(doc.lexicon).search(value[-12:]) else 0.0,
                     "value_postcode": 1.0 if doc.lexicon.postcode and doc.lexicon.postcode.search(value) else 0.0})
    features.update(text_quality(value))
    return Candidate(name, value, raw, words, doc.rows[rows[0]].page, rows[0], reading, features,
                     rows=tuple(rows[:used]))


TWIN_FEATURES = ("twin_differs", "twin_slips", "twin_legal_end", "twin_letters", "twin_looks_better")


def _against_twin(candidate: Candidate, twin: Candidate | None) -> Candidate:
    """`candidate` with how its twin (the other reading of the same lines) compares: whether it reads otherwise, how
    many more signs of a misreading, legal-form endings and letters it shows, and whether it looks the better read
    (fewer slips or a legal form where this has none). All MISSING when the lines were read once."""
    own = candidate.features
    if twin is None:
        return replace(candidate, features={**own, **dict.fromkeys(TWIN_FEATURES, MISSING)})
    other = twin.features
    slips = sum(other[name] - own[name] for name in _SLIPS)
    legal_end = other["value_legal_end"] - own["value_legal_end"]
    return replace(candidate, features={
        **own, "twin_differs": float(twin.value != candidate.value), "twin_slips": slips, "twin_legal_end": legal_end,
        "twin_letters": other["value_letters"] - own["value_letters"],
        "twin_looks_better": float(slips < 0 or legal_end > 0)})


def header_candidates(doc: Document) -> dict[str, list[Candidate]]:
    """Vendor candidates (1-3 lines starting in the first 10 header lines, each compared with its twin) and address
    candidates (1-6 lines)."""
    lines = header_lines(doc)
    header = _Lines(doc, lines)
    found: dict[str, list[Candidate]] = {"vendor": [], "vendor_address": []}
    for name, starts, longest in (("vendor", VENDOR_LINES, VENDOR_SPAN), ("vendor_address", len(lines), ADDRESS_SPAN)):
        for start, end in _spans(lines, starts, longest):
            read = [c for reading in _readings(doc, lines[start:end])
                    if (c := _candidate(header, name, start, end, reading)) is not None]
            for candidate in read:
                twin = next((c for c in read if c is not candidate), None)
                found[name].append(_against_twin(candidate, twin) if name == "vendor" else candidate)
    return found
