"""Date candidates: every date printed on the receipt, in either reading, with its label, its shape and how often
the same day is printed; and the time of day, taken from the date's row when it has one."""

from __future__ import annotations

import re
from datetime import date

from ocr.fields.candidates import Candidate, reading_features
from ocr.fields.document import Document, words_of
from ocr.fields.labels import has_word
from ocr.parse import EARLIEST_RECEIPT_DATE, MONTHS, dates_in, times_in


def shape(raw: str) -> str:
    """A printed date's shape, the same for every day printed alike: '25/12/2018' -> '99/99/9999'."""
    return re.sub(r"[A-Za-z]", "A", re.sub(r"\d", "9", "".join(raw.split())))


def date_candidates(doc: Document, date_order: str, today: date) -> list[Candidate]:
    found: list[tuple[int, str, date, str]] = []
    for i in range(len(doc.rows)):
        seen: set[date] = set()
        for reading in doc.readings(i):
            for value, raw in dates_in(doc.text(i, reading), date_order=date_order, today=today):
                if value not in seen:
                    seen.add(value)
                    found.append((i, reading, value, raw))
    counts: dict[date, int] = {}
    for _, _, value, _ in found:
        counts[value] = counts.get(value, 0) + 1
    candidates = []
    for rank, (i, reading, value, raw) in enumerate(found):
        tokens = doc.tokens(i, reading)
        words = words_of(doc.rows[i], raw, reading)
        digits = re.sub(r"\D", "", raw)
        features = {
            "date_label": 1.0 if has_word(tokens, *doc.lexicon.date) else 0.0,
            "not_date_label": 1.0 if has_word(tokens, *doc.lexicon.not_date) else 0.0,
            "time_on_row": 1.0 if times_in(doc.text(i, reading)) else 0.0,
            "position": doc.positions[i],
            "rank": float(rank),
            "same_day": float(counts[value]),
            "four_digit_year": 1.0 if re.search(r"\d{4}", raw) else 0.0,
            "month_name": 1.0 if re.search(MONTHS, raw, re.IGNORECASE) else 0.0,
            "ambiguous": 1.0 if value.day <= 12 and value.month <= 12 and value.day != value.month else 0.0,
            "plausible": 1.0 if EARLIEST_RECEIPT_DATE <= value <= today else 0.0,
            "digits": float(len(digits)),
        }
        features.update(reading_features(words, reading))
        candidates.append(Candidate("date", value.isoformat(), raw, words, doc.rows[i].page, i, reading, features))
    return candidates


# How often the time read is the receipt's, measured against the labelled folders' transcriptions
# (bench/label_confidence.py): on the date's row or after a time label 183 of 188, elsewhere 16 of 20.
TIME_BY_DATE_OR_LABEL = 0.97
TIME_ELSEWHERE = 0.8


def _time_confidence(score: float) -> float:
    if score >= 1.5:
        return TIME_BY_DATE_OR_LABEL
    if score >= 1.0:
        return TIME_ELSEWHERE
    return 0.9 * score / 2  # after words that make it no time of day (a parking duration): never measured, kept low


def time_candidate(doc: Document, date_row: int | None) -> Candidate | None:
    """The time printed on the date's row, else the one labelled as a time (not a parking duration)."""
    best, best_score = None, 0.0
    for i, row in enumerate(doc.rows):
        tokens = doc.tokens(i)
        for value, raw in times_in(row.text):
            score = 1.0 + (0.5 if has_word(tokens, *doc.lexicon.time) else 0) + (0.5 if i == date_row else 0)
            score -= 0.7 if has_word(tokens, *doc.lexicon.not_time) else 0
            if best is None or score > best_score:
                best, best_score = Candidate("time", value, raw, words_of(row, raw, "tesseract"), row.page, i,
                                             "tesseract", confidence=_time_confidence(score)), score
    return best
