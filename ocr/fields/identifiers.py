"""The fields no labelled folder gives truth for, so nothing can be trained on them yet: the shop's phone and tax id,
the receipt number, how it was paid and in which currency. Each is the value after its label (words from the
lexicon), its confidence the OCR's times how sure the label makes it."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterable

from ocr.fields.candidates import Candidate
from ocr.fields.document import TESSERACT, Document, words_of
from ocr.fields.labels import PHONE, has_word, label_tokens
from ocr.layout import min_mean_confidence
from ocr.parse import amounts_in, bare_dollar, currency_of

# A tax id's letters are capitals printed against its digits ('W10-1808-32000011', 'DE123456789'): a lower-case
# letter or one spaced off is a speck or its label ('NO s 000181747712').
TAX_ID = re.compile(r"(?<![A-Z0-9])[A-Z]{0,3}\d[\d\s-]{5,18}\d(?![0-9])")
# A receipt number is never a date, nor a piece of one.
RECEIPT_NO = re.compile(r"(?<![A-Za-z0-9/.-])(?!\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?![\w/]))"
                        r"(?=[A-Z0-9/#-]*\d)[A-Z0-9][A-Z0-9/#-]{2,24}(?![A-Za-z0-9])", re.IGNORECASE)
HEADER_ROWS = 20  # the phone is printed with the name and address
ASSUMED_CURRENCY = 0.8
UNSAID_DOLLAR = 0.6  # under the review threshold: a '$' in an installation whose currency is no dollar


def _sure(candidate: Candidate, certainty: float) -> Candidate:
    ocr = min_mean_confidence(candidate.words) if candidate.words else 1.0
    return replace(candidate, confidence=round(max(0.0, min(1.0, ocr * certainty)), 3))


def labelled_value(doc: Document, labels: tuple[str, ...], pattern: re.Pattern[str], name: str, certainty: float,
                   rows: Iterable[int] | None = None, need_label: bool = True) -> Candidate | None:
    """The first value matching `pattern` after one of `labels` (or anywhere on the row without `need_label`)."""
    for i in rows if rows is not None else range(len(doc.rows)):
        row = doc.rows[i]
        labelled = has_word(doc.tokens(i), *labels)
        if need_label and not labelled:
            continue
        colon = re.search(r"[:#]", row.text)
        match = pattern.search(row.text, colon.end() if colon else 0) or pattern.search(row.text)
        if match:
            raw = match.group(0).strip()
            candidate = Candidate(name, raw, row.text, words_of(row, raw, TESSERACT), row.page, i, TESSERACT)
            return _sure(candidate, certainty if labelled else certainty * 0.7)
    return None


def phone(doc: Document) -> Candidate | None:
    header = range(min(len(doc.rows), HEADER_ROWS))
    lexicon = doc.lexicon
    found = labelled_value(doc, lexicon.phone, PHONE, "vendor_phone", 0.9, header)
    if found is None:  # an unlabelled number, but not the tax, registration or receipt number printed there
        unlabelled = [i for i in header if _spaced_phone(doc.rows[i].text)
                      and not has_word(doc.tokens(i), *lexicon.tax_id, *lexicon.registration, *lexicon.receipt_number)]
        found = labelled_value(doc, (), PHONE, "vendor_phone", 0.8, unlabelled, need_label=False)
    return found


def _spaced_phone(text: str) -> bool:
    """A phone number printed as one: with its code set off ('03-5566 7788', '+60 3 5566'). An unlabelled run of
    bare digits is an invoice, tax or registration number."""
    return any(re.search(r"[\s+()-]", match.group(0)) for match in PHONE.finditer(text))


def tax_id(doc: Document) -> Candidate | None:
    """The number after a tax label; a label word OCR glued to it ('GST ID001806213696') is not part of it."""
    lexicon = doc.lexicon
    found = labelled_value(doc, lexicon.tax_id, TAX_ID, "vendor_tax_id", 0.85)
    if found is None:
        return None
    value = re.sub(r"\s", "", found.value)
    labels = {token for phrase in (*lexicon.tax_id, *lexicon.registration, *lexicon.receipt_number)
              for token in label_tokens(phrase)}
    letters = value[:len(value) - len(value.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))]
    if letters in labels:
        value = value[len(letters):]
    return replace(found, value=value)


def receipt_number(doc: Document) -> Candidate | None:
    return labelled_value(doc, doc.lexicon.receipt_number, RECEIPT_NO, "receipt_number", 0.8)


def _payment_method(doc: Document, tokens: tuple[str, ...]) -> tuple[str, tuple[str, ...]] | None:
    """The payment method a row names and the words that named it; None for refunds, bills and 'cash sales'."""
    if has_word(tokens, *doc.lexicon.not_payment):
        return None
    return next(((method, words) for method, words in doc.lexicon.payment if has_word(tokens, *words)), None)


def payment(doc: Document, total_row: int) -> Candidate | None:
    """The method named on a row with an amount, after the total, rather than one named in passing."""
    best, best_score = None, 0.0
    for i, row in enumerate(doc.rows):
        found = _payment_method(doc, doc.tokens(i))
        if found is None:
            continue
        method, words = found
        score = 1.0 + (1.0 if amounts_in(row.text) else 0) + (0.5 if i > total_row >= 0 else 0)
        score += 0.2 if method != "CASH" else 0
        hit = next((w for w in row.words if has_word(label_tokens(w.text), *words)), row.words[0])
        if best is None or score > best_score:
            best = _sure(Candidate("payment_method", method, row.text, (hit,), row.page, i, TESSERACT),
                         0.9 if score >= 2 else 0.6)
            best_score = score
    return best


def currency(doc: Document, default_currency: str) -> Candidate:
    """The currency most signs on the receipt name; one stray sign does not make a foreign receipt. Its box, page and
    confidence are the most clearly read sign's (a receipt of a stack starts on a later page of its file)."""
    counts: dict[str, list] = {}  # code -> [(word, its page)]
    for row in doc.rows:
        for word in row.words:
            code = currency_of(word.text, default_currency=default_currency)
            if code:
                counts.setdefault(code, []).append((word, row.page))
    if counts:
        code, found = max(counts.items(), key=lambda kv: (len(kv[1]), kv[0] == default_currency))
        if code == default_currency or len(found) > 1:
            word, page = max(found, key=lambda sign: sign[0].confidence)  # the clearest: the others say the same
            if code != default_currency and all(bare_dollar(w.text) for w, _ in found):
                # A foreign dollar, or this installation's currency printed as '$': the reviewer says which
                return _sure(Candidate("currency", default_currency, word.text, (word,), page, -1, TESSERACT),
                             UNSAID_DOLLAR)
            return _sure(Candidate("currency", code, word.text, (word,), page, -1, TESSERACT),
                         0.9 if len(found) > 1 else 0.75)
    # no sign at all: the installation's own currency, which the receipts it is given are nearly always in
    first_page = doc.rows[0].page if doc.rows else 0
    return Candidate("currency", default_currency, "", (), first_page, -1, TESSERACT, confidence=ASSUMED_CURRENCY)
