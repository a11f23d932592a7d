"""Words with boxes -> receipt fields with a normalized value, the raw text, a confidence, a page and a box.

Works from geometry: words are grouped into rows by vertical position (ocr.layout), labels are matched
fuzzily (OCR writes T0TAL, TOTAI, Tota1), a label's value is taken from the same row or the row just
below, and candidates are ranked by where they sit on the page and by agreement with other fields
(subtotal + tax + rounding = total, cash - change = total). Cross-field checks become Flags.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from itertools import pairwise, product
from typing import Iterable, Sequence

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from ocr import catalogue
from ocr.config import ExtractionConfig
from ocr.layout import Row, group_rows, min_mean_confidence
from ocr.parse import EARLIEST_RECEIPT_DATE, MONTHS, amounts_in, currency_of, dates_in, format_amount, times_in
from ocr.types import CONFIRMED, LINE_ITEMS, BoundingBox, Extraction, Field, Flag, LineItem, PageResult, Word

STRAY_BELOW = 0.6  # a one-character word at a row's end read less surely than this is a speck
JUNK_BELOW = 0.45  # mean word confidence under which a header row is taken for logo or speckle


@dataclass(frozen=True)
class Candidate:
    name: str
    value: str
    raw: str
    words: tuple[Word, ...]
    page: int
    certainty: float  # how sure the rule is, 0..1
    score: float  # ranking among candidates for the same field (higher is better)
    row: int = -1  # global row index
    support: tuple[Candidate, ...] = ()  # other amounts it adds up with (subtotal + tax, cash - change)

    @property
    def confidence(self) -> float:
        ocr = min_mean_confidence(self.words) if self.words else 1.0  # a default has no OCR behind it
        own = max(0.0, min(1.0, ocr * self.certainty))
        if self.support:  # for the sum to hold, both readings would have had to be misread alike
            own = 1 - (1 - own) * (1 - min_mean_confidence([w for other in self.support for w in other.words]))
        return round(own, 3)

    def to_field(self) -> Field:
        box = BoundingBox.enclosing([w.box for w in self.words]) if self.words else None
        return Field(self.name, self.value, self.raw, self.confidence, self.page, box)

    @property
    def amount(self) -> Decimal:
        return Decimal(self.value)


# --- label matching -----------------------------------------------------------------------------

_TO_LETTERS = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "|": "I", "$": "S", "€": "E"})


@functools.lru_cache(maxsize=4096)  # every label rule tokenizes the same rows again
def label_tokens(text: str) -> tuple[str, ...]:
    """Upper-cased alphabetic tokens of a label, with digits OCR put in words turned back into letters."""
    tokens = []
    for raw in re.split(r"[\s:;,.()\[\]/*=~_'\"+-]+", text.upper()):
        if not raw:
            continue
        letters = sum(ch.isalpha() for ch in raw)
        if letters and letters >= len(raw) / 2:
            raw = raw.translate(_TO_LETTERS)
        token = re.sub(r"[^A-Z0-9%&#@]", "", raw)
        if token:
            tokens.append(token)
    return tuple(tokens)


def has_word(tokens: Sequence[str], *words: str) -> bool:
    """Whether a token is like one of the words: fuzzy equality scaled to length, exact for short words, one slip
    for 5-7 letters, two beyond. Written as plain loops: this runs ~10,000 times a receipt."""
    for token in tokens:
        length = len(token)
        for word in words:
            if token == word:
                return True
            size = len(word)
            if size > 3 and -2 <= length - size <= 2 and fuzz.ratio(token, word) >= (80 if size <= 7 else 75):
                return True
    return False


def _like(token: str, word: str) -> bool:
    return has_word((token,), word)


def has_phrase(tokens: Sequence[str], phrase: str) -> bool:
    """Phrase match over consecutive tokens, also when OCR ran words together ('SUBTOTAL' for 'SUB TOTAL')."""
    parts = phrase.split()
    if len(parts) == 1:
        return has_word(tokens, phrase)
    joined, n = "".join(parts), len(parts)
    for i in range(len(tokens)):
        if _like(tokens[i], joined):
            return True
        if i + n <= len(tokens) and all(_like(t, p) for t, p in zip(tokens[i:i + n], parts, strict=True)):
            return True
    return False


_PAYMENT_VERBS = ("PAID", "TENDERED", "TENDER", "ACCEPTED", "RECEIVED")


def _after_rounding(tokens: Sequence[str]) -> bool:
    return has_phrase(tokens, "AFTER ROUNDING") or has_phrase(tokens, "AFTER ROUND")


@functools.lru_cache(maxsize=4096)  # asked of the same rows by several rules
def amount_kind(text: str) -> tuple[str, float] | None:
    """What an amount on this row means, from its label: ('total', strength), ('subtotal', ...), ..."""
    tokens = label_tokens(re.sub(r"-?(?:RM|\$)?\s?\d[\d,.]*", " ", text))
    if not tokens:
        return None
    if has_word(tokens, "CHANGE", "BAKI", "CHG"):
        return ("change", 1.0)
    if _after_rounding(tokens):
        return ("total", 1.0)  # '(Total) after rounding', even when OCR lost the word 'Total'
    if has_word(tokens, "ROUNDING", "ROUND", "RND", "ROUNDED") and not has_phrase(tokens, "TOTAL ROUNDED"):
        if not has_word(tokens, "TOTAL") or has_word(tokens, "ADJ", "ADJUSTMENT", "ADJUSTMENTS"):
            return ("rounding", 1.0)
    if has_phrase(tokens, "SUB TOTAL") or has_word(tokens, "SUBTOTAL", "SUBTTL"):
        return ("subtotal", 1.0)
    joined = " ".join(tokens)
    excluding = bool(re.search(r"\b(EXC|EXCL|BEFORE|WITHOUT)", joined))
    including = bool(re.search(r"\b(INC|INCL|INCLUDING|INCLUSIVE|AFTER)", joined))
    taxword = has_word(tokens, "GST", "SST", "TAX", "VAT", "CUKAI", "SERVICE", "SVC")
    if has_word(tokens, "QTY", "QUANTITY", "ITEM", "ITEMS", "PCS", "UNITS", "ITEMCS", "SAVING", "SAVINGS",
                "DISCOUNT", "DISC", "POINTS", "POINT", "WEIGHT"):
        return None
    if including and re.search(r"\bIN ?TOTAL\b", joined):
        return ("tax", 0.9)  # 'GST 6% included in total 0.28': a part of the total, not the total
    if has_word(tokens, *_PAYMENT_VERBS):
        return ("paid", 1.0)  # 'Total paid', 'Accepted total': what the customer handed over
    totalish = has_word(tokens, "TOTAL", "TOTAI", "TTL", "TOTEL", "TOTA", "IOTAL", "TATAL", "FOTAL", "JUMLAH", "NETT",
                        "NET", "GRAND", "PAYABLE") or \
        has_phrase(tokens, "AMOUNT DUE") or has_phrase(tokens, "BALANCE DUE") or has_phrase(tokens, "AMT DUE")
    if totalish and excluding:
        return ("subtotal", 0.8)
    if totalish and taxword and not including:
        return ("tax", 0.8)
    if totalish:
        strength = 0.8
        if has_word(tokens, "GRAND", "NETT", "PAYABLE", "ROUNDED") or has_phrase(tokens, "AMOUNT DUE") or including:
            strength = 1.0
        return ("total", strength)
    if including and taxword and has_word(tokens, "AMOUNT", "AMT"):
        return ("total", 0.8)  # 'Amount incl. GST 5.00'
    if taxword and not has_word(tokens, "INVOICE", "ID", "REG", "NO", "SUMMARY", "CODE"):
        return ("tax", 0.9 if has_word(tokens, "GST", "SST", "TAX", "VAT") else 0.6)
    if has_word(tokens, "CASH", "TUNAI", "PAYMENT", "VISA", "MASTER", "MASTERCARD", "CARD", "DEBIT",
                "CREDIT", "AMEX"):
        return ("paid", 1.0)
    if has_word(tokens, "AMOUNT", "AMT") and len(tokens) <= 2:
        return ("total", 0.5)
    return None


# --- the extraction -----------------------------------------------------------------------------

@dataclass
class _Doc:
    rows: list[Row]
    positions: list[float]  # 0 (top of first page) .. 1 (bottom of last page)
    heights: list[float]


def _rows(pages: Sequence[PageResult]) -> _Doc:
    rows: list[Row] = []
    positions: list[float] = []
    heights: list[float] = []
    n = max(1, len(pages))
    for order, page in enumerate(pages):
        for row in group_rows(page.words, page=page.index):
            rows.append(row)
            positions.append((order + row.box.center_y / max(1, page.height)) / n)
            heights.append(max(w.box.height for w in row.words))
    return _Doc(rows, positions, heights)


def _words_for(row: Row, raw: str, start_hint: int = 0) -> tuple[Word, ...]:
    start = row.text.find(raw, start_hint)
    if start < 0:
        return row.words
    return row.span(start, start + len(raw)) or row.words


def _amount_candidates(doc: _Doc) -> dict[str, list[Candidate]]:
    """Labelled amounts: each label row takes the rightmost amount on its row, or on the row just below."""
    found: dict[str, list[Candidate]] = {}
    rows = doc.rows
    for i, row in enumerate(rows):
        kind = amount_kind(row.text)
        if kind is None:
            continue
        name, strength = kind
        amounts = amounts_in(row.text)
        source, certainty = row, 1.0
        if not amounts and i + 1 < len(rows) and rows[i + 1].page == row.page:
            below = rows[i + 1]
            gap = below.box.top - row.box.bottom
            if gap < 2 * doc.heights[i] and amount_kind(below.text) is None:
                amounts, source, certainty = amounts_in(below.text), below, 0.85
        if not amounts:
            continue
        value, raw = amounts[-1]
        if name in ("paid", "change"):
            value = abs(value)
        words = _words_for(source, raw)
        label_words = tuple(w for w in row.words if w not in words)
        if name in ("total", "subtotal") and value < 0:
            continue
        candidate = Candidate(name, format_amount(value), f"{row.text}" if source is row else f"{row.text} / {raw}",
                              words + label_words[:3], row.page, certainty * (0.7 + 0.3 * strength),
                              strength + doc.positions[i] * 0.5 + i * 1e-4 - _summary_penalty(row.text, amounts), i)
        found.setdefault(name, []).append(candidate)
    for name in found:
        found[name].sort(key=lambda c: -c.score)
    return found


def _summary_penalty(text: str, amounts: list) -> float:
    """Tax summary tables repeat 'Total' with several columns of amounts: not the amount due."""
    penalty = 0.8 if len(amounts) >= 2 else 0.0
    if re.search(r"%|@", text):
        penalty += 0.4
    if re.search(r"SUPPLIES|SUMMARY|SUPPLY", text, re.IGNORECASE):
        penalty += 1.0
    return penalty


def _close(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) < Decimal("0.005")


def _choose_amounts(found: dict[str, list[Candidate]], doc: _Doc) -> dict[str, Candidate]:
    """Pick the total by its label and position plus agreement with the other amounts (subtotal + tax +
    rounding, cash - change); then the subtotal / tax / rounding that agree with it, else the best labelled."""
    chosen: dict[str, Candidate] = {}
    totals = found.get("total", [])[:5]
    subtotals = found.get("subtotal", [])[:3]
    taxes = found.get("tax", [])[:3]
    roundings = found.get("rounding", [])[:2]
    paid = found.get("paid", [])[:2]
    change = found.get("change", [])[:2]
    derived = [c for c in [_total_fallback(found, doc, labelled_only=True)] if c is not None]
    largest = max((t.amount for t in totals), default=None)
    before_rounding = _totals_before_rounding(totals, doc)

    def agreeing_parts(total: Candidate):
        for subtotal, tax, rounding in product(subtotals, [None, *taxes], [None, *roundings]):
            parts = subtotal.amount + (tax.amount if tax else 0) + (rounding.amount if rounding else 0)
            if _close(parts, total.amount):
                return subtotal, tax, rounding
        return None

    best, best_score, best_parts, best_support = None, None, None, ()
    for total in totals + derived:
        score = total.score
        parts = agreeing_parts(total)
        support = tuple(part for part in parts or () if part is not None)
        if parts:
            score += 1.2
        if total in before_rounding:
            score -= 1.5
        if total not in derived:
            others = [p for p in paid if p.row != total.row]  # 'Total paid 9.90' is one reading, not two
            given_back = [(p, c) for p in others for c in change if _close(p.amount - c.amount, total.amount)]
            paid_exactly = [p for p in others if _close(p.amount, total.amount)]
            if given_back:
                score += 1.0
                support = support or given_back[0]
            elif paid_exactly:
                score += 0.6
                support = support or (paid_exactly[0],)
            if total.amount == largest:
                score += 0.3
        if best_score is None or score > best_score:
            best, best_score, best_parts, best_support = total, score, parts, support
    if best is not None and not best_support and best not in derived:
        if paid and best.amount > max(p.amount for p in paid):
            best = _repair_inserted_digit(best, found)  # more than the customer paid
        best = _repair_misread_digit(best, found, _tax_rates(doc))
    if best is not None:
        chosen["total"] = replace(best, support=best_support)
    if best_parts:
        for candidate in best_parts:
            if candidate is not None:
                chosen[candidate.name] = replace(candidate, support=(best,))
    for name, candidates in (("subtotal", subtotals), ("tax", taxes), ("rounding", roundings)):
        if name not in chosen and candidates:
            chosen[name] = candidates[0]
    if "total" not in chosen:
        fallback = _total_fallback(found, doc)
        if fallback:
            chosen["total"] = fallback
    return chosen


def _totals_before_rounding(totals: list[Candidate], doc: _Doc) -> list[Candidate]:
    """Totals with a rounding row and then another total below them: the amount before rounding, while
    the payable one follows the rounding ('Total incl. GST 15.39 / Rounding 0.01 / Grand total 15.40').
    A rounding of 0.00 changes nothing, so it says nothing about which total to take; a total below labelled
    'after rounding' says it was rounded, even when OCR misread the rounding as 0.00."""
    rounding_rows = [i for i, row in enumerate(doc.rows) if _rounds_by_nonzero(row.text)]
    rounded_rows = [t.row for t in totals if _after_rounding(label_tokens(doc.rows[t.row].text))]
    return [total for total in totals
            if any(total.row < r < other.row for r in rounding_rows for other in totals)
            or any(total.row < r for r in rounded_rows)]


def _rounds_by_nonzero(text: str) -> bool:
    """A rounding row whose amount is not 0.00 (an unreadable amount counts as non-zero)."""
    if (amount_kind(text) or ("",))[0] != "rounding":
        return False
    amounts = amounts_in(text)
    return not amounts or any(value != 0 for value, _ in amounts)


def _repair_inserted_digit(total: Candidate, found: dict[str, list[Candidate]]) -> Candidate:
    """A total above what was paid that is cash - change with one character more (573.30 for 57.30): OCR
    added a digit to the total. A misread digit (46.00 vs 16.00) is left alone: the cash may be the slip."""
    repairs = {}
    for amount, raw in _cash_minus_change(found):
        value = format_amount(amount)
        if len(total.value) == len(value) + 1 and Levenshtein.distance(total.value, value) == 1:
            repairs[value] = raw
    return _only_repair(total, repairs)


def _repair_misread_digit(total: Candidate, found: dict[str, list[Candidate]], rates: set[Decimal]
                          ) -> Candidate:
    """A labelled total that nothing adds up to, one digit off what cash - change or the subtotal give
    (8.40 vs 20.00 - 11.40): the printed tax decides, since tax = total * rate / (100 + rate) when prices
    include it. Without a tax that fits exactly one of them the labelled total stays."""
    taxes = [t.amount for t in found.get("tax", [])[:3] if t.amount > 0]
    if not taxes or not rates or _fits_tax(total.amount, taxes, rates):
        return total
    repairs = {}
    for value, raw in _arithmetic_totals(found):
        text = format_amount(value)
        if len(text) == len(total.value) and Levenshtein.distance(text, total.value) == 1 and \
                _fits_tax(value, taxes, rates):
            repairs[text] = raw
    return _only_repair(total, repairs)


def _only_repair(total: Candidate, repairs: dict[str, str]) -> Candidate:
    """The total replaced by the one repair found ({value: raw it comes from}); with none, or several
    that disagree, the total stays as read."""
    if len(repairs) != 1:
        return total
    ((value, raw),) = repairs.items()
    return replace(total, value=value, raw=f"{total.raw} ~ {raw}", certainty=0.6)


def _cash_minus_change(found: dict[str, list[Candidate]]) -> list[tuple[Decimal, str]]:
    return [(p.amount - c.amount, f"{p.raw} - {c.raw}")
            for p, c in product(found.get("paid", [])[:2], found.get("change", [])[:2])]


def _arithmetic_totals(found: dict[str, list[Candidate]]) -> list[tuple[Decimal, str]]:
    """What cash - change and the subtotal (taken to include tax) say the total is."""
    sums = _cash_minus_change(found) + [(s.amount, s.raw) for s in found.get("subtotal", [])[:2]]
    return [(value, raw) for value, raw in sums if value > 0]


def _fits_tax(total: Decimal, taxes: list[Decimal], rates: set[Decimal]) -> bool:
    """Tax is printed to the cent (off by up to 0.005) and the total may carry a rounding of a few cents."""
    return any(abs(total * rate / (100 + rate) - tax) <= Decimal("0.006") for tax in taxes for rate in rates)


def _tax_rates(doc: _Doc) -> set[Decimal]:
    """Tax rates the receipt prints ('GST @6%', 'SR 6%'), other than 0%."""
    rates = {Decimal(m) for row in doc.rows for m in re.findall(r"(?<![\d.])(\d{1,2}(?:\.\d{1,2})?) ?%", row.text)}
    return {rate for rate in rates if 0 < rate < 30}


def _total_fallback(found: dict[str, list[Candidate]], doc: _Doc, labelled_only: bool = False
                    ) -> Candidate | None:
    """No total label: cash paid minus change, else the amount paid, else the largest amount in the lower part."""
    paid, change = found.get("paid", []), found.get("change", [])
    if paid and change and paid[0].amount - change[0].amount > 0:
        value = paid[0].amount - change[0].amount
        return Candidate("total", format_amount(value), f"{paid[0].raw} - {change[0].raw}",
                         paid[0].words + change[0].words, paid[0].page, 0.6, 0.9)
    if paid:
        return replace(paid[0], name="total", certainty=0.5, score=0.5)
    if labelled_only:
        return None
    best = None
    for i, row in enumerate(doc.rows):
        if doc.positions[i] < 0.3:
            continue
        for value, raw in amounts_in(row.text):
            if value > 0 and (best is None or value > best[0]):
                best = (value, raw, row)
    if best:
        value, raw, row = best
        return Candidate("total", format_amount(value), row.text, _words_for(row, raw), row.page, 0.35, 0)
    return None


_DATE_LABEL = ("DATE", "TARIKH", "DATED", "DT")


def _date_candidates(doc: _Doc, date_order: str, today: date) -> list[tuple[Candidate, date]]:
    found = []
    for i, row in enumerate(doc.rows):
        tokens = label_tokens(row.text)
        for value, raw in dates_in(row.text, date_order=date_order, today=today):
            score = 1.0
            if has_word(tokens, *_DATE_LABEL):
                score += 0.6
            if has_word(tokens, "EXPIRY", "EXPIRE", "EXP", "VALID", "DUE", "BEST", "BEFORE", "USE"):
                score -= 0.8
            score -= 0.1 * doc.positions[i]
            certainty = 0.95 if re.search(r"\d{4}|[A-Za-z]{3}", raw) else 0.85
            found.append((Candidate("date", value.isoformat(), raw, _words_for(row, raw), row.page,
                                    certainty, score, i), value))
    counts: dict[date, int] = {}
    for _, value in found:
        counts[value] = counts.get(value, 0) + 1
    found = [(replace(c, score=c.score + 0.2 * (counts[v] - 1)), v) for c, v in found]
    found.sort(key=lambda cv: -cv[0].score)
    return found


_DATE_SHAPE = re.compile(r"(?<![\w/.-])[0-9A-Za-z]{1,2}[/.-][0-9A-Za-z]{2,3}[/.-][0-9A-Za-z]{2,4}(?![\w/.-])")
_DAY_MONTH_YEAR = re.compile(rf"(?<!\w)\d{{1,3}}\s?{MONTHS}\s?\d{{2,4}}(?!\w)", re.IGNORECASE)


def date_lookalikes(pages: Sequence[PageResult], limit: int = 2) -> list[tuple[int, BoundingBox]]:
    """Where a date seems printed but none parsed ('17/84/2016', '39 Mar 2016', 'Date: 1580362016'): the page
    and box of each such text, top first, for a second reading."""
    found = []
    for row in _rows(pages).rows:
        spans = [m.span() for pattern in (_DATE_SHAPE, _DAY_MONTH_YEAR) for m in pattern.finditer(row.text)
                 if sum(ch.isdigit() for ch in m.group()) >= 3 or re.search(MONTHS, m.group(), re.IGNORECASE)]
        words = [row.span(start, end) for start, end in spans]
        for label, value in pairwise(row.words):  # 'Date: 1580362016': the slashes read as digits
            if has_word(label_tokens(label.text), *_DATE_LABEL) and sum(ch.isdigit() for ch in value.text) >= 6 \
                    and not any(value in span for span in words):
                words.append((value,))
        found += [(row.page, BoundingBox.enclosing([w.box for w in span])) for span in words if span]
    return found[:limit]


def _time_candidate(doc: _Doc, date_row: int | None) -> Candidate | None:
    best = None
    for i, row in enumerate(doc.rows):
        tokens = label_tokens(row.text)
        for value, raw in times_in(row.text):
            score = 1.0 + (0.5 if has_word(tokens, "TIME", "MASA") else 0) + (0.5 if i == date_row else 0)
            if has_word(tokens, "PARKING", "DURATION", "VALID"):
                score -= 0.7
            candidate = Candidate("time", value, raw, _words_for(row, raw), row.page, 0.9, score, i)
            if best is None or candidate.score > best.score:
                best = candidate
    return best


# --- vendor and address ---------------------------------------------------------------------------

_STRONG_SUFFIX = re.compile(
    r"\b(SDN\.?\s*BHD\.?|BHD\.?|BERHAD|S/B|SDN|PTE\.?\s*LTD\.?|LTD\.?|LIMITED|LLC|INC\.?|GMBH|PLC|CORP\.?|"
    r"ENTERPRISES?|TRADING|TRADERS?|HOLDINGS|INDUSTRIES|CO\.)(?![A-Z])", re.IGNORECASE)
_LEGAL_END = re.compile(r"\b(SDN\.?\s*BHD\.?|BHD\.?|BERHAD|S/B|PTE\.?\s*LTD\.?|LTD\.?|LIMITED|LLC|INC\.|GMBH|PLC|"
                        r"CO\.(?=\s*$|\s+[A-Z]{3,}))(?![A-Z])", re.IGNORECASE)
_SUFFIX_FIRST = re.compile(r"(ENTERPRISES?|TRADING|TRADERS?|HOLDINGS|INDUSTRIES)\b", re.IGNORECASE)  # a name's 2nd row
_BUSINESS_WORD = re.compile(
    r"\b(RESTAURANT|RESTORAN|CAFE|KOPITIAM|BAKERY|BAKERIES|HARDWARE|STATIONERY|BOOKS?|MART|PHARMACY|FARMASI|"
    r"KEDAI|PERNIAGAAN|SYARIKAT|COMPANY|STORE|SHOP|SUPERMARKET|MINIMARKET|PASARAYA|PASAR|HOUSE|KITCHEN|"
    r"MARKETING|SERVICES|RETAIL|HOTEL|CLINIC|KLINIK|BISTRO|BAR|GRILL|FOOD|MARKET|OUTLET|CENTRE|CENTER)\b",
    re.IGNORECASE)
_HEADING = ("TAX INVOICE", "INVOICE", "RECEIPT", "OFFICIAL RECEIPT", "SIMPLIFIED TAX INVOICE", "CASH BILL",
            "CASH SALE", "CASH SALES", "BILL", "WELCOME", "COPY", "CUSTOMER COPY", "MERCHANT COPY", "ORDER",
            "TAX INVOICE RECEIPT", "SALES RECEIPT", "CHECK", "GUEST CHECK", "DUPLICATE", "REPRINT")
_REG_NO = re.compile(r"\(?\s*(?:CO(?:MPANY)?\.?\s*(?:REG(?:ISTRATION)?\.?)?\s*(?:NO|NUM)?\.?\s*[:;.]?\s*)?"
                     r"(?<![A-Z0-9])[A-Z]{0,3}"
                     r"\d{4,}\s?-?\s?[A-Z]\b\s*\)?|\(?\s*CO\.?\s*REG[^)]*\)?|\(\s*\d{4,}[^)]*\)", re.IGNORECASE)
_ADDRESS_START = re.compile(r"\W*(NO\b|LOT\b|UNIT\b|LEVEL\b|BLK\b|\d)", re.IGNORECASE)  # where an address begins
# A note on who is behind the shop: no name for the vendor, no line of the address.
_OWNER = re.compile(r"\b(OWNED BY|OPERATED BY|MANAGED BY|DIMILIKI OLEH|A MEMBER OF|FORMERLY|LICENSEE|FRANCHISEE?)\b",
                    re.IGNORECASE)
# A trunk 0 then an area or mobile code that never starts with 0 ('03-', '012-', '607-'): '000936...' is a tax number.
_PHONE = re.compile(r"(?<!\d)(?:\+\d{1,3}[\s-]?|[1-9]\d{0,2}[\s-]?)?\(?0[1-9]\d?\)?[\s-]?\d{3,4}[\s-]?\d{3,5}(?!\d)")
_STOP_LABEL = ("TEL", "TELEPHONE", "PHONE", "FAX", "HP", "MOBILE", "EMAIL", "WEBSITE", "GST", "SST", "TAX",
               "INVOICE", "RECEIPT", "CASHIER", "DATE", "TABLE", "BILL", "REG", "VAT", "TIN", "ABN")


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _is_junk(row: Row, strict: bool = True) -> bool:
    """Logo fragments and specks: few letters, or (strict) words Tesseract itself was unsure of."""
    text = _plain(row.text)
    letters = _letters(text)
    if letters < 3 or letters < 0.3 * len(text.replace(" ", "")):
        return True
    if not strict:
        return False
    words = [w for w in row.words if any(ch.isalnum() for ch in w.text)]
    return not words or sum(w.confidence for w in words) / len(words) < JUNK_BELOW


def _plain(text: str, keep_trailing: bool = False) -> str:
    """Row text without the stray punctuation tokens Tesseract makes of borders and specks ('|', '~', '‘').
    keep_trailing keeps a final ',' or '.' (an address line's own punctuation, split off by OCR)."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    tokens = text.split()
    kept = []
    for i, token in enumerate(tokens):
        if all(ch in _JUNK_CHARS for ch in token):
            continue
        if token in (".", ",", "-", ":", "&") and (i == 0 or i == len(tokens) - 1):
            if not (keep_trailing and i and token in ",."):
                continue
        kept.append(token)
    return " ".join(kept)


_JUNK_CHARS = set("|~‘’`_—\\;'\"“”«»^=+*!")


def _clean_vendor(text: str) -> str:
    text = " ".join(t for t in _plain(text).split() if t == "&" or any(ch.isalnum() for ch in t))
    text = _REG_NO.sub(" ", text)
    # OCR slips inside the legal suffix: SON BHD, SDN BHI, SDN BILD, SON. GHD, SUN' BHO, SLI BHD.
    text = re.sub(r"\bS(?:[DOU0]N|\w{1,2}(?=[.'\"’”]*\s*BHD\b))(\.?)[.'\"’”]*\s*[A-Z0-9]{1,4}\b(\.?)(?=\s*(?:\(|$))",
                  lambda m: f"SDN{m[1]} BHD{m[2]}" if m[0].isupper() else f"Sdn{m[1]} Bhd{m[2]}", text,
                  flags=re.IGNORECASE)
    # A name ends at its last legal suffix; what follows is a registration number or a branch.
    suffixes = list(_LEGAL_END.finditer(text))
    last = suffixes[-1] if suffixes else None
    if last is not None and last.end() < len(text):
        text = text[:last.end()]
    text = re.sub(r"^[^A-Za-z0-9(]+|[^A-Za-z0-9).]+$", "", text.strip())
    # 'MR, TOY (M) SDN BHD': the title's dot read as a comma
    text = re.sub(r"^(MR|MRS|MS|DR)\s?,(?=\s)", r"\1.", text, flags=re.IGNORECASE)
    return " ".join(text.split())


def _clean_address(text: str) -> str:
    text = re.sub(r",\s*[,.](?!\w)", ",", text)  # ', ,' and ', .': a speck after the comma
    # no prices in an address: '$S12/7' and '$$14/2' are 'SS12/7' and 'SS14/2'
    text = re.sub(r"(?<![\w.])\$+(?=[A-Za-z0-9$]*[A-Za-z/])",
                  lambda m: "S" * len(m.group(0)), text)
    text = re.sub(r"\s+([,.])(?!\w)", r"\1", text)  # "JAYA ," is OCR spacing; "X ,U13" is printed so
    text = re.sub(r"^[^A-Za-z0-9(]+|[^A-Za-z0-9).,]+$", "", text.strip())
    text = re.sub(r"\s+[A-Za-z]$", "", text)  # a stray letter after the last line
    return " ".join(text.split())


def _is_heading(row: Row) -> bool:
    tokens = label_tokens(row.text)
    joined = " ".join(tokens)
    return any(fuzz.ratio(joined, heading) >= 85 for heading in _HEADING)


def _stops_address(row: Row) -> bool:
    tokens = label_tokens(row.text)
    if tokens and has_word(tokens[:3], *_STOP_LABEL):
        return True
    if _PHONE.search(row.text) and not re.search(r"\b\d{5}\b", row.text):
        return True
    if dates_in(row.text) or amounts_in(row.text) and not re.search(r"\b(NO|LOT|JALAN|JLN)\b", row.text, re.I):
        return True
    return _is_heading(row)


def _vendor(doc: _Doc) -> tuple[Candidate | None, int]:
    """The business name: a row near the top with a legal suffix, else the first capitalised text row."""
    first_page = doc.rows[0].page if doc.rows else 0
    top = [(i, row) for i, row in enumerate(doc.rows[:14]) if row.page == first_page and doc.positions[i] < 0.45]
    best: tuple[float, int, list[int]] | None = None
    for rank, (i, row) in enumerate(top):
        if _is_junk(row) or _is_heading(row):
            continue
        text = _clean_vendor(row.text)  # scored without its registration number: '(CO. NO. 1234-D)' is no name
        if _letters(text) < 3:
            continue
        score = 0.0
        if _STRONG_SUFFIX.search(text):
            score = 3.0
        elif _BUSINESS_WORD.search(text):
            score = 2.0
        elif _letters(text) >= 4 and not re.match(r"^\W*(NO|LOT|JALAN|JLN|\d)", text, re.I) and \
                not re.search(r"[:;]|\d{3,}", text) and doc.positions[i] < 0.3:
            upper = sum(ch.isupper() for ch in text) / max(1, _letters(text))
            score = 1.0 + 0.5 * upper
        else:
            continue
        if _stops_address(row) and score < 3:
            continue
        if score < 3 and any(_looks_like_address(r.text) for _, r in top[:rank + 1]):
            continue  # the name is printed above the address, and is no street itself
        if _OWNER.search(row.text) or rank and _OWNER.search(top[rank - 1][1].text):
            score -= 2  # 'Owned by: X Sdn Bhd' names the company behind the shop named above it
        score -= 0.12 * rank
        rows = [i]
        # A suffix row that starts with '(' or is only the suffix continues the name on the row above.
        short = re.fullmatch(r"\S+\s+(SDN\.?\s*BHD\.?|BHD\.?|S/B|BERHAD|SDN)", text, re.I)
        if rank > 0 and score >= 2.5 and (text.startswith("(") or short or _SUFFIX_FIRST.match(text) or re.fullmatch(
                r"(\([A-Z .]*\)\s*)?(SDN\.?\s*BHD\.?|BHD\.?|S/B|BERHAD)", text, re.I)) and len(text.split()) <= 4:
            j, above = top[rank - 1]
            if not _is_junk(above) and not _is_heading(above) and not _stops_address(above):
                rows = [j, i]
        if rows == [i] and rank + 1 < len(top):
            j, below = top[rank + 1]
            continued = _REG_NO.sub("", _plain(below.text)).strip()
            if _continues_name(continued) and not _stops_address(below):
                rows = [i, j]
        name = " ".join(doc.rows[r].text for r in rows)
        opened, closed = _brackets(name)
        if closed > opened:
            continue  # 'JAYA) SDN BHD' ends a name whose start was not read
        if opened > closed and max(rows) + 1 < len(doc.rows):
            below = doc.rows[max(rows) + 1]  # '... (TAMAN' continues with 'JAYA) SDN BHD'
            if ")" in below.text and not _stops_address(below):
                rows = [*rows, max(rows) + 1]
        if best is None or score > best[0]:
            best = (score, i, rows)
    if best is None:
        return None, -1
    score, i, rows = best
    kept = [w for r in rows for w in doc.rows[r].words]
    while len(kept) > 1 and kept[0].confidence < 0.5 and (len(kept[0].text) <= 3 or not kept[0].text.isupper()):
        kept.pop(0)
    words = tuple(kept)
    raw = " ".join(w.text for w in words)
    value = _clean_vendor(raw)
    if not value:
        return None, -1
    while len(words) > 1 and _clean_vendor(" ".join(w.text for w in words[:-1])) == value:
        words = words[:-1]  # the box covers the name, not the registration number or specks after it
    certainty = 0.9 if score >= 2.5 else 0.75 if score >= 1.8 else 0.55
    return Candidate("vendor", value, raw, words, doc.rows[i].page, certainty, score, i), max(rows)


def _brackets(text: str) -> tuple[int, int]:
    """Opening and closing brackets; OCR often reads a round bracket as a curly or square one."""
    return sum(text.count(ch) for ch in "({["), sum(text.count(ch) for ch in ")}]")


def _looks_like_address(text: str) -> bool:
    return bool(re.search(r"\b(JALAN|JLN|LORONG|PERSIARAN)\b|(?<![\d-])\d{5}(?![\d-])", text, re.IGNORECASE))


def _continues_name(text: str) -> bool:
    """'(TAMAN JAYA) SDN BHD' or a bare 'SDN BHD' under a name row is the rest of that name."""
    return bool(re.fullmatch(r"(\([A-Z .&'-]+\)\s*)?(SDN\.?\s*BHD\.?|BHD\.?|S/B|BERHAD|PTE\.?\s*LTD\.?|LTD\.?)",
                             text, re.IGNORECASE))


def _address(doc: _Doc, vendor_row: int) -> Candidate | None:
    """The rows under the vendor name, skipping registration numbers, up to the phone / tax-id / heading row."""
    if vendor_row < 0:
        return None
    rows: list[Row] = []
    for i in range(vendor_row + 1, min(len(doc.rows), vendor_row + 9)):
        row = doc.rows[i]
        if row.page != doc.rows[vendor_row].page:
            break
        head = _before_phone(row.text)
        if rows and head != row.text and re.search(r"\b\d{5}\b", head):
            rows.append(row)
            break  # the postcode row, with the phone number printed after it
        if rows and _stops_address(row):
            break  # a phone or tax row ends the address even when it reads as mostly digits
        stripped = _REG_NO.sub("", row.text).strip(" ()-:.")
        starts_number = bool(re.match(r"\W*(NO|LOT|UNIT|BLK)\.?\s*\d", row.text, re.I))  # 'No.1,' on its own row
        if not rows and not starts_number and (_letters(stripped) < 3
                                               or re.search(r"\b(CO|COMPANY|REG)\b", row.text, re.I)
                                               or re.search(r"\b\d{6,}\s?-\s?[A-Z]\b", row.text)):
            continue  # the company registration number
        if not rows and has_word(label_tokens(row.text)[:3], "GST", "SST", "VAT", "TIN", "REG", "COMPANY"):
            continue  # tax or registration number printed above the address
        if not rows and not re.search(r"\d", stripped) and i + 1 < len(doc.rows) and \
                _ADDRESS_START.match(doc.rows[i + 1].text):
            continue  # a branch or brand name between the company and where the address starts
        if not starts_number and _is_junk(row, strict=False) or _OWNER.match(re.sub(r"^\W+", "", row.text)):
            continue
        if _stops_address(row) or re.search(r"\b(HOURS|HRS|OPENING|WELCOME)\b", row.text, re.I):
            break
        if rows and re.search(r"\b(CO|COMPANY|REG)\b\.?\s*(NO|REG)\b", row.text, re.I):
            break  # the company number printed under the address
        if _STRONG_SUFFIX.search(_clean_vendor(row.text)) and not re.search(r"\d", row.text):
            continue  # another company name (formerly known as ..., a member of ...)
        follows = _plain(row.text)
        if rows and re.search(r"\b\d{5}\b", rows[-1].text) and not follows.startswith("(") \
                and not _plain(rows[-1].text).endswith(",") \
                and not (len(follows.split()) <= 3
                         and all(re.fullmatch(r"[A-Za-z]{3,}[.,]?", t) for t in follows.split())):
            break  # the postcode row ends an address, unless a state name or a bracketed branch follows
        rows.append(row)
        if len(rows) >= 6:
            break
    starts = [k for k, row in enumerate(rows)
              if _ADDRESS_START.match(row.text) and not re.match(r"\W*\d{5}\b", row.text)]  # a postcode ends one
    if starts and all(row.confidence < JUNK_BELOW + 0.2 and not re.search(r"\d", _REG_NO.sub("", row.text))
                      for row in rows[:starts[0]]):
        rows = rows[starts[0]:]  # misread logo or name rows before the house number
    if not rows:
        return None
    raw = " ".join(r.text for r in rows)
    value = _clean_address(" ".join(_plain(_before_phone(_without_stray_ends(r)), keep_trailing=True) for r in rows))
    has_postcode = bool(re.search(r"\b\d{5}\b", value))
    certainty = 0.85 if has_postcode else 0.6
    words = tuple(w for r in rows for w in r.words)
    return Candidate("vendor_address", value, raw, words, rows[0].page, certainty, 1.0)


def _before_phone(text: str) -> str:
    """An address row's text up to a phone label printed on the same row ('47100 PUCHONG. TEL NO.: 03-555 2468')."""
    cut = re.search(r"(?<=\S)\s+(TEL|FAX|PHONE|H/?P)\b", text, re.IGNORECASE)
    return text[:cut.start()] if cut else text


def _without_stray_ends(row: Row) -> str:
    """Row text without a doubtful one-letter or one-digit word at either end: a speck Tesseract read as '7'."""
    words = list(row.words)

    def stray(word: Word) -> bool:
        return len(word.text) == 1 and word.text.isalnum() and word.confidence < STRAY_BELOW

    while len(words) > 1 and stray(words[-1]):
        words.pop()
    while len(words) > 1 and stray(words[0]):
        words.pop(0)
    return " ".join(w.text for w in words)


@functools.lru_cache(maxsize=8192)  # every row is asked for each label set, and again after a second reading
def _has_label(tokens: tuple[str, ...], labels: tuple[str, ...]) -> bool:
    return any(has_phrase(tokens, label) for label in labels)


def _labelled_value(doc: _Doc, labels: Iterable[str], pattern: re.Pattern, name: str, certainty: float,
                    search_rows: Iterable[int] | None = None, need_label: bool = True) -> Candidate | None:
    labels = tuple(labels)
    for i in search_rows if search_rows is not None else range(len(doc.rows)):
        row = doc.rows[i]
        labelled = _has_label(label_tokens(row.text), labels)
        if need_label and not labelled:
            continue
        text = row.text
        start = 0
        for label_match in re.finditer(r"[:#]", text):
            start = label_match.end()
            break
        match = pattern.search(text, start) or pattern.search(text)
        if not match:
            continue
        raw = match.group(0).strip()
        return Candidate(name, raw, row.text, _words_for(row, raw), row.page,
                         certainty if labelled else certainty * 0.7, 1.0, i)
    return None


_TAX_ID_LABELS = ("GST ID", "GST REG", "GST NO", "GST", "SST ID", "SST REG", "SST NO", "SST", "TAX ID", "VAT", "TIN",
                  "ABN")
_TAX_ID = re.compile(r"(?<![A-Z0-9])[A-Z]{0,3}\s?\d[\d\s-]{5,18}\d(?![0-9])", re.IGNORECASE)
# A receipt number is never a date, nor a piece of one.
_RECEIPT_NO = re.compile(r"(?<![A-Za-z0-9/.-])(?!\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?![\w/]))"
                         r"(?=[A-Z0-9/#-]*\d)[A-Z0-9][A-Z0-9/#-]{2,24}(?![A-Za-z0-9])", re.IGNORECASE)
_PAYMENT = [("MASTERCARD", ("MASTERCARD", "MASTER")), ("VISA", ("VISA",)), ("AMEX", ("AMEX", "AMERICAN")),
            ("DEBIT", ("DEBIT",)), ("E-WALLET", ("EWALLET", "GRABPAY", "BOOST", "TNG", "ALIPAY", "WECHAT")),
            ("CARD", ("CARD", "CREDIT")), ("CASH", ("CASH", "TUNAI"))]


@functools.lru_cache(maxsize=8192)  # every row is asked, and again after a second reading
def _payment_method(tokens: tuple[str, ...]) -> tuple[str, tuple[str, ...]] | None:
    """The payment method a row names, and the words that named it; None for refunds, bills and 'cash sales'."""
    if has_word(tokens, "REFUND", "REFUNDABLE", "BILL") or has_phrase(tokens, "CASH SALES"):
        return None
    for method, words in _PAYMENT:
        if has_word(tokens, *words) or (method == "E-WALLET" and has_phrase(tokens, "TOUCH N GO")):
            return method, words
    return None


def _payment(doc: _Doc, total_row: int) -> Candidate | None:
    best = None
    for i, row in enumerate(doc.rows):
        found = _payment_method(label_tokens(row.text))
        if found is None:
            continue
        method, words = found
        score = 1.0 + (1.0 if amounts_in(row.text) else 0) + (0.5 if i > total_row >= 0 else 0)
        score += 0.2 if method != "CASH" else 0
        hit = next((w for w in row.words if has_word(label_tokens(w.text), *words)), row.words[0])
        candidate = Candidate("payment_method", method, row.text, (hit,), row.page,
                              0.9 if score >= 2 else 0.6, score, i)
        if best is None or candidate.score > best.score:
            best = candidate
    return best


def _currency(doc: _Doc, default_currency: str) -> Candidate:
    counts: dict[str, list[Word]] = {}
    for row in doc.rows:
        for word in row.words:
            code = currency_of(word.text, default_currency=default_currency)
            if code:
                counts.setdefault(code, []).append(word)
    if counts:
        code, words = max(counts.items(), key=lambda kv: (len(kv[1]), kv[0] == default_currency))
        if code == default_currency or len(words) > 1:  # one stray sign does not make a foreign receipt
            return Candidate("currency", code, words[0].text, (words[0],), 0, 0.9 if len(words) > 1 else 0.75, 1.0)
    return Candidate("currency", default_currency, "", (), 0, 0.6, 0.0)


# --- line items ---------------------------------------------------------------------------------

_QTY = re.compile(r"(?<![\d.])(\d{1,3})\s?[xX*@]\s?(?=\s|\d|$)|(?<![\d.])[xX]\s?(\d{1,3})(?![\d.])")


def _line_items(doc: _Doc, start: int, end: int) -> list[LineItem]:
    items: list[LineItem] = []
    pending: list[Row] = []  # description rows waiting for their amount row
    for i in range(max(0, start), min(end, len(doc.rows))):
        row = doc.rows[i]
        amounts = amounts_in(row.text)
        if amount_kind(row.text) is not None or _is_heading(row) or dates_in(row.text):
            pending = []
            continue
        if not amounts:
            if _letters(row.text) >= 3 and not _is_junk(row):
                pending = (pending + [row])[-2:]
            continue
        amount, raw_amount = amounts[-1]
        if amount <= 0:
            continue
        text = row.text
        quantity = None
        match = _QTY.search(text)
        if match:
            quantity = Decimal(match.group(1) or match.group(2))
        unit_price = amounts[-2][0] if len(amounts) >= 2 else None
        if quantity is None and unit_price is not None and unit_price != 0:
            ratio = amount / unit_price
            if ratio == ratio.to_integral_value() and 0 < ratio < 1000:
                quantity = ratio.quantize(Decimal(1))
        description = text
        for _, raw in amounts:
            description = description.replace(raw, " ")
        if match:
            description = description.replace(match.group(0), " ")
        description = re.sub(r"\b\d{6,}\b", " ", description)  # barcodes
        description = " ".join(description.split()).strip(" -:*")
        if _letters(description) < 3 and pending:
            description = " ".join(r.text for r in pending)
        if quantity is None:
            lead = re.match(r"^\s*(\d{1,2})\s+(?=[A-Za-z])", description)
            if lead:
                quantity = Decimal(lead.group(1))
                description = description[lead.end():]
        if _letters(description) < 2:
            pending = []
            continue
        if unit_price is None and quantity:
            unit_price = (amount / quantity).quantize(Decimal("0.01"))
        words = tuple(w for r in pending for w in r.words) + row.words if _letters(row.text) < 3 else row.words
        items.append(LineItem(description, quantity, unit_price, amount,
                              round(min_mean_confidence(row.words) * 0.8, 3), row.page,
                              BoundingBox.enclosing([w.box for w in words])))
        pending = []
    return items


# --- checks -------------------------------------------------------------------------------------

def check_fields(fields: dict[str, Field], line_items: Sequence[LineItem] = (),
                 config: ExtractionConfig = ExtractionConfig(), *, notes: Sequence[Flag] = ()) -> list[Flag]:
    """Cross-field checks a reviewer should see: totals that do not add up, odd dates, missing or weak fields;
    followed by the `notes` (NOTE_CODES) on where values came from. A total a note confirms is left out of the
    fields a failed sum names: the subtotal, tax or rounding read is what is off."""
    flags: list[Flag] = []
    confirmed = {name for note in notes if note.code == CONFIRMED for name in note.fields}
    today = config.today or date.today()

    def amount(name: str) -> Decimal | None:
        field = fields.get(name)
        try:
            return Decimal(field.value) if field and field.value else None
        except ArithmeticError:
            return None

    total, subtotal, tax, rounding = (amount(n) for n in ("total", "subtotal", "tax", "rounding"))
    if total is not None and subtotal is not None:
        expected = subtotal + (tax or 0) + (rounding or 0)
        inclusive = subtotal + (rounding or 0)
        if not _close(expected, total) and not _close(inclusive, total):
            named = [n for n in ("subtotal", "tax", "rounding", "total") if n in fields]
            flags.append(Flag("total_mismatch", f"subtotal {subtotal} + tax {tax or 0} + rounding {rounding or 0} "
                                                f"= {expected}, but the total reads {total}.",
                              tuple(n for n in named if n not in confirmed) or tuple(named)))
    if line_items and (subtotal is not None or total is not None):
        amounts = [item.amount for item in line_items if item.amount is not None]
        items_sum = sum(amounts, Decimal(0))
        targets = [v for v in (subtotal, total) if v is not None]
        if total is not None:  # items are priced before the rounding, and before a tax added at the end
            targets += [total - (rounding or 0), total - (rounding or 0) - (tax or 0)]
        if amounts and not any(_close(items_sum, t) for t in targets):
            target = subtotal if subtotal is not None else total
            # the line items are named, not the amount: a total that is itself unsure is flagged on its own
            flags.append(Flag("items_mismatch", f"line items add up to {items_sum}, not {target}.", (LINE_ITEMS,)))
    if "date" in fields:
        try:
            value = date.fromisoformat(fields["date"].value)
        except ValueError:
            value = None
        if value is None or value > today or value < EARLIEST_RECEIPT_DATE:
            flags.append(Flag("implausible_date", f"date {fields['date'].value} is in the future or before 2000.",
                              ("date",)))
    for name in catalogue.FIELDS.required:
        if name not in fields:
            flags.append(Flag(f"missing_{name}", f"no {name.replace('_', ' ')} found on the receipt.", (name,)))
    unreadable = tuple(name for name, field in fields.items() if not field.value and field.raw)
    for name in unreadable:
        reading = _shortened(fields[name].raw)
        flags.append(Flag("unreadable", f"{name.replace('_', ' ')} not filled in: it read as \"{reading}\", too unsure "
                                        "to correct; type it from the image.", (name,)))
    weak = tuple(name for name, field in fields.items()
                 if field.confidence < config.low_confidence and name not in unreadable)
    if weak:
        flags.append(Flag("low_confidence", "check these fields, the reading is uncertain: " + ", ".join(weak), weak))
    return flags + [note for note in notes if note.is_note]


def _shortened(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _filled_if_readable(field: Field, unreadable_below: float) -> Field:
    """The address, its value left empty when it was read too unsurely to be worth correcting; other fields as read."""
    return replace(field, value="") if field.name == "vendor_address" and field.confidence < unreadable_below else field


# --- public entry point -------------------------------------------------------------------------

def extract_fields(pages: Sequence[PageResult], config: ExtractionConfig = ExtractionConfig()) -> Extraction:
    """Receipt fields from OCR'd pages: each with value, raw text, confidence, page and box; plus line items
    and flags from cross-field checks (total_mismatch, items_mismatch, implausible_date, missing_*, unreadable,
    low_confidence)."""
    today = config.today or date.today()
    default_currency = config.default_currency
    doc = _rows(pages)
    chosen: dict[str, Candidate] = {}
    if doc.rows:
        vendor, vendor_end = _vendor(doc)
        if vendor:
            chosen["vendor"] = vendor
            address = _address(doc, vendor_end)
            if address:
                chosen["vendor_address"] = address
        header = range(0, min(len(doc.rows), max(vendor_end, 0) + 12))
        phone = _labelled_value(doc, ("TEL", "PHONE", "TELEPHONE", "HP", "MOBILE", "T"), _PHONE, "vendor_phone", 0.9,
                                header)
        if phone is None:  # an unlabelled number, but not the tax or registration number printed there
            unlabelled = [i for i in header if _PHONE.search(doc.rows[i].text)
                          and not _has_label(label_tokens(doc.rows[i].text), _TAX_ID_LABELS + ("REG",))]
            phone = _labelled_value(doc, (), _PHONE, "vendor_phone", 0.8, unlabelled, need_label=False)
        if phone:
            chosen["vendor_phone"] = phone
        tax_id = _labelled_value(doc, _TAX_ID_LABELS, _TAX_ID, "vendor_tax_id", 0.85)
        if tax_id:
            chosen["vendor_tax_id"] = replace(tax_id, value=re.sub(r"\s", "", tax_id.value))
        number = _labelled_value(doc, ("INVOICE NO", "INV NO", "RECEIPT NO", "RECEIPT", "BILL NO", "DOC NO",
                                       "DOCUMENT NO", "TRANS NO", "TRANSACTION NO", "CHECK NO", "CHK", "SLIP NO",
                                       "REF NO", "ORDER NO", "INVOICE", "RCPT", "TXN"),
                                 _RECEIPT_NO, "receipt_number", 0.8)
        if number:
            chosen["receipt_number"] = number

        dates = _date_candidates(doc, config.date_order, today)
        plausible = [c for c, v in dates if EARLIEST_RECEIPT_DATE <= v <= today]
        if plausible:
            chosen["date"] = plausible[0]
        elif dates:
            chosen["date"] = replace(dates[0][0], certainty=0.4)
        time = _time_candidate(doc, chosen["date"].row if "date" in chosen else None)
        if time:
            chosen["time"] = time

        amounts = _amount_candidates(doc)
        chosen.update(_choose_amounts(amounts, doc))
        total_row = chosen["total"].row if "total" in chosen else -1
        payment = _payment(doc, total_row)
        if payment:
            chosen["payment_method"] = payment
        chosen["currency"] = _currency(doc, default_currency)

        first_amount_row = next((c.row for name in ("subtotal", "total") if (c := chosen.get(name)) and c.row >= 0),
                                len(doc.rows))
        start = max(vendor_end + 1, chosen["date"].row + 1 if "date" in chosen and
                    chosen["date"].row < first_amount_row else 0)
        line_items = _line_items(doc, start, first_amount_row)
    else:
        chosen["currency"] = Candidate("currency", default_currency, "", (), 0, 0.6, 0.0)
        line_items = []
    fields = {name: _filled_if_readable(candidate.to_field(), config.unreadable_address_below)
              for name, candidate in chosen.items()}
    total = chosen.get("total")
    notes = [Flag(CONFIRMED, f"the total {total.value} agrees with " + "; ".join(other.raw for other in total.support),
                  ("total",))] if total is not None and total.support else []
    flags = check_fields(fields, line_items, replace(config, today=today), notes=notes)
    return Extraction(fields=fields, line_items=tuple(line_items), flags=tuple(flags))
