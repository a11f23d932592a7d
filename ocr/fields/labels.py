"""Reading labels the way OCR prints them: fuzzy words ('T0TAL', 'TOTAI', 'Tota1' are TOTAL), phrases run together
('SUBTOTAL' for 'SUB TOTAL'), and what a row's label says its amount is. The words come from the lexicon."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Sequence

from rapidfuzz import fuzz

from ocr.fields.lexicon import Lexicon

_TO_LETTERS = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "|": "I", "$": "S", "€": "E"})
# A trunk 0 then an area or mobile code that never starts with 0 ('03-', '012-', '607-'): '000936...' is a tax number.
PHONE = re.compile(r"(?<!\d)(?:\+\d{1,3}[\s-]?|[1-9]\d{0,2}[\s-]?)?\(?0[1-9]\d?\)?[\s-]?\d{3,4}[\s-]?\d{3,5}(?!\d)")
_NUMBER = re.compile(r"-?(?:RM|\$)?\s?\d[\d,.]*")


@functools.lru_cache(maxsize=8192)  # every family tokenizes the same rows again
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


def _like(token: str, word: str) -> bool:
    """Fuzzy equality scaled to length: exact for short words, one slip for 5-7 letters, two beyond."""
    if token == word:
        return True
    size = len(word)
    return size > 3 and -2 <= len(token) - size <= 2 and fuzz.ratio(token, word) >= (80 if size <= 7 else 75)


def has_phrase(tokens: Sequence[str], phrase: str) -> bool:
    """Phrase match over consecutive tokens, also when OCR ran words together ('SUBTOTAL' for 'SUB TOTAL')."""
    return _has_any(tuple(tokens), (phrase,))


def has_word(tokens: Sequence[str], *phrases: str) -> bool:
    """Whether any of `phrases` (words or several words) is among the tokens."""
    return _has_any(tuple(tokens), phrases)


@functools.lru_cache(maxsize=65536)  # every family asks the same rows about the same word lists
def _has_any(tokens: tuple[str, ...], phrases: tuple[str, ...]) -> bool:
    wanted = _Phrases.of(phrases)
    for token in tokens:
        if token in wanted.joined or any(_like(token, word) for word in wanted.near.get(len(token), ())):
            return True
    return any(_in_order(tokens, parts) for parts in wanted.several)


def _in_order(tokens: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    n = len(parts)
    return any(all(_like(t, p) for t, p in zip(tokens[i:i + n], parts, strict=True))
               for i in range(len(tokens) - n + 1))


@dataclass(frozen=True)
class _Phrases:
    """A word list laid out for matching: each phrase's words run together, and those a token of each length may be
    a slip of (`_like` decides), so a token is compared only with words of about its length."""

    joined: frozenset[str]
    near: dict[int, tuple[str, ...]]  # token length -> joined phrases longer than 3 within 2 letters of it
    several: tuple[tuple[str, ...], ...]  # the phrases of more than one word, word by word

    @staticmethod
    @functools.lru_cache(maxsize=1024)
    def of(phrases: tuple[str, ...]) -> _Phrases:
        joined = ["".join(phrase.split()) for phrase in phrases]
        longest = max(map(len, joined), default=0)
        near = {size: tuple(word for word in joined if len(word) > 3 and abs(size - len(word)) <= 2)
                for size in range(longest + 3)}
        several = tuple(tuple(phrase.split()) for phrase in phrases if len(phrase.split()) > 1)
        return _Phrases(frozenset(joined), near, several)


def label_of(text: str) -> tuple[str, ...]:
    """The label tokens of a row with its amounts taken out."""
    return label_tokens(_NUMBER.sub(" ", text))


_UNDECIDED = ("", 0.0)


def _settled(tokens: tuple[str, ...], lex: Lexicon) -> tuple[str, float] | None:
    """The kinds a label names outright (change, rounding, subtotal, a tax summary's row), None for a count or a
    weight, _UNDECIDED when the words leave it to `_totals_and_taxes`."""
    if has_word(tokens, *lex.change):
        return ("change", 1.0)
    if has_word(tokens, *lex.after_rounding):
        return ("total", 1.0)  # '(Total) after rounding', even when OCR lost the word 'Total'
    if has_word(tokens, *lex.rounding) and not has_phrase(tokens, "TOTAL ROUNDED"):
        if not has_word(tokens, *lex.total) or has_word(tokens, *lex.adjustment):
            return ("rounding", 1.0)
    if has_word(tokens, *lex.subtotal):
        return ("subtotal", 1.0)
    if has_word(tokens, *lex.not_money):
        return None
    if has_word(tokens, *lex.summary):
        return ("summary", 1.0)  # a tax summary table: 'Total 6% supplies', its amounts parts of the total
    return _UNDECIDED


def _totals_and_taxes(tokens: tuple[str, ...], lex: Lexicon) -> tuple[str, float] | None:
    joined = " ".join(tokens)
    excluding = bool(re.search(r"\b(" + "|".join(lex.excluding) + ")", joined))
    including = bool(re.search(r"\b(" + "|".join(lex.including) + ")", joined))
    taxword = has_word(tokens, *lex.tax)
    if including and re.search(r"\bIN ?TOTAL\b", joined):
        return ("tax", 0.9)  # 'GST 6% included in total 0.28': a part of the total, not the total
    if has_word(tokens, *lex.paid):
        return ("paid", 1.0)  # 'Total paid', 'Accepted total': what the customer handed over
    if has_word(tokens, *lex.total):
        if excluding:
            return ("subtotal", 0.8)
        if taxword and not including:
            return ("tax", 0.8)
        return ("total", 1.0 if has_word(tokens, *lex.total_strong) or including else 0.8)
    if including and taxword and has_word(tokens, *lex.amount):
        return ("total", 0.8)  # 'Amount incl. GST 5.00'
    if taxword and not has_word(tokens, *lex.tax_not):
        return ("tax", 0.9 if has_word(tokens, *lex.tax_strong) else 0.6)
    if has_word(tokens, *lex.payment_words):
        return ("paid", 1.0)
    if has_word(tokens, *lex.amount) and len(tokens) <= 2:
        return ("total", 0.5)
    return None


@functools.lru_cache(maxsize=8192)  # asked of the same rows by several families, and of both readings
def amount_kind(text: str, lexicon: Lexicon) -> tuple[str, float] | None:
    """What an amount on this row means, from its label: ('total', strength), ('subtotal', ...), ('tax', ...),
    ('rounding', ...), ('paid', ...), ('change', ...), ('summary', ...) for a tax summary's rows; None for an
    unlabelled amount or a count."""
    tokens = tuple(token for token in label_of(text) if token not in lexicon.false_friends)
    if not tokens:
        return None
    settled = _settled(tokens, lexicon)
    return _totals_and_taxes(tokens, lexicon) if settled is _UNDECIDED else settled


def is_heading(text: str, lexicon: Lexicon) -> bool:
    joined = " ".join(label_tokens(text))
    return any(fuzz.ratio(joined, heading) >= 85 for heading in lexicon.headings)


def count_words(tokens: Sequence[str], words: Sequence[str]) -> int:
    """How many tokens are one of `words` (exactly: used for address and business words, which are short)."""
    wanted = set(words)
    return sum(1 for token in tokens if token in wanted)
