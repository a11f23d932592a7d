"""Names and addresses as text: what a header line's words say (a legal form, an address word, a registration
number), and the value a span of header lines gives once OCR's stray marks are taken off."""

from __future__ import annotations

import functools
import re

from rapidfuzz.distance import Levenshtein

from ocr.fields.lexicon import Lexicon

_JUNK_CHARS = set("|~‘’`_—\\;'\"“”«»^=+*!")
# '(CO. REG. NO. 123456-X)', '(654321-K)', 'Co No: 1234-D': a company registration number, never part of a name
REGISTRATION = re.compile(r"\(?\s*(?:CO(?:MPANY)?\.?\s*(?:REG(?:ISTRATION)?\.?)?\s*(?:NO|NUM)?\.?\s*[:;.]?\s*)?"
                          r"(?<![A-Z0-9])[A-Z]{0,3}\d{4,}\s?-?\s?[A-Z]\b\s*\)?|\(?\s*CO\.?\s*REG[^)]*\)?|\(\s*\d{4,}[^)]*\)",
                          re.IGNORECASE)


def letters(text: str) -> int:
    return sum(map(str.isalpha, text))


def plain(text: str, keep_trailing: bool = False) -> str:
    """Text without the stray punctuation tokens OCR makes of borders and specks ('|', '~', '‘').
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


@functools.lru_cache(maxsize=8)
def legal_suffix(lexicon: Lexicon) -> re.Pattern[str]:
    """A legal form ('SDN BHD', 'Sdn. Bhd.', 'PTE LTD', 'S/B'), as OCR may space and dot it."""
    forms = sorted(lexicon.legal_suffixes, key=len, reverse=True)
    if not forms:
        return re.compile(r"(?!)")  # matches nothing: an empty alternation would match everywhere
    parts = [r"\.?\s*".join(re.escape(word) for word in form.split()) + r"\.?" for form in forms]
    return re.compile(r"(?<![A-Z0-9])(" + "|".join(parts) + r")(?![A-Z0-9])", re.IGNORECASE)


@functools.lru_cache(maxsize=8192)  # a line starts many spans
def clean_vendor(text: str, lexicon: Lexicon) -> str:
    """A name as printed: its legal form spelled right, no registration number, nothing after its last legal form, no
    stray marks at the ends."""
    text = " ".join(t for t in plain(text).split() if t == "&" or any(ch.isalnum() for ch in t))
    text = repaired_legal_form(text, lexicon)
    registration = REGISTRATION.search(text)
    if registration and letters(text[:registration.start()]) >= 3:
        text = text[:registration.start()]  # what follows a registration number is a branch, a date, a speck
    text = REGISTRATION.sub(" ", text)
    last = None
    for last in legal_suffix(lexicon).finditer(text):  # noqa: B007 - the last legal form is wanted
        pass
    if last is not None and last.end() < len(text) and last.group(0).upper() not in ("CO", "CO."):
        text = text[:last.end()]  # what follows the legal form is a registration number or a branch
    text = re.sub(r"^[^A-Za-z0-9(]+|[^A-Za-z0-9).]+$", "", text.strip())
    return " ".join(text.split())


_LOOKALIKE = str.maketrans("5801", "SBOI")


def repaired_legal_form(text: str, lexicon: Lexicon) -> str:
    """`text` with each legal form OCR misread ('SON BHD', 'Sdn Bhi', '5/8') spelled right, its dots and case kept.
    A form of two words is repaired when one word reads right and the other is a letter off; a form of one word only
    when it reads right but for look-alike digits, as a one-letter slip could be a word of the name."""
    tokens = text.split()
    cores = [_core(token) for token in tokens]
    seen = {core.translate(_LOOKALIKE) for core in cores}  # a form is repaired only if one of its words is here
    for words in _legal_forms(lexicon):
        if seen.isdisjoint(words):
            continue
        for start in range(len(tokens) - len(words) + 1):
            tail, span = tokens[start:start + len(words)], cores[start:start + len(words)]
            if span == list(words) or not all(span):
                continue
            pairs = list(zip(span, words, strict=True))
            slips = [Levenshtein.distance(core.translate(_LOOKALIKE), word) for core, word in pairs]
            one_letter = len(words) > 1 and max(slips) <= 1 and min(slips) == 0
            if one_letter or max(slips) == 0:
                tokens[start:start + len(words)] = [_respelled(t, c, w) for t, (c, w) in zip(tail, pairs, strict=True)]
                cores[start:start + len(words)] = [_core(token) for token in tokens[start:start + len(words)]]
                seen.update(core.translate(_LOOKALIKE) for core in cores[start:start + len(words)])
    return " ".join(tokens)


@functools.lru_cache(maxsize=8)
def _legal_forms(lexicon: Lexicon) -> tuple[tuple[str, ...], ...]:
    """The lexicon's legal forms as words, longest first."""
    return tuple(tuple(form.split()) for form in sorted(lexicon.legal_suffixes, key=len, reverse=True))


_NOT_CORE = re.compile(r"[^A-Za-z0-9/]")


def _core(token: str) -> str:
    return _NOT_CORE.sub("", token).upper()


def _respelled(token: str, core: str, word: str) -> str:
    """`token` with its letters `core` (upper-cased) replaced by `word`, in the token's case, its punctuation kept."""
    alpha = [ch for ch in token if ch.isalpha()]
    spelled = word if all(ch.isupper() for ch in alpha) else word.capitalize() if alpha[0].isupper() else word.lower()
    start = token.upper().find(core)
    return token[:start] + spelled + token[start + len(core):] if start >= 0 else token


def clean_address(text: str) -> str:
    """An address as printed: the lines joined, OCR's spaces before a comma and specks after it taken off."""
    text = plain(text, keep_trailing=True)
    text = re.sub(r",\s*[,.](?!\w)", ",", text)  # ', ,' and ', .': a speck after the comma
    text = re.sub(r"(?<![\w.])\$+(?=[A-Za-z0-9$]*[A-Za-z/])", lambda m: "S" * len(m.group(0)), text)  # '$S12' is SS12
    text = re.sub(r"\s+([,.])(?!\w)", r"\1", text)  # "JAYA ," is OCR spacing; "X ,U13" is printed so
    text = re.sub(r"^[^A-Za-z0-9(]+|[^A-Za-z0-9).,]+$", "", text.strip())
    return " ".join(text.split())


_ODD = re.compile(r"[^A-Za-z0-9 &().,'/@#:-]")
_MIXED = re.compile(r"(?=\S*[A-Za-z])(?=\S*\d)(?!(?:\d+[A-Za-z]?|[A-Za-z]{1,3}\d+[A-Za-z]?|\d+-[A-Za-z0-9]+)(?:\s|$))"
                    r"(?<!\S)\S+")


def text_quality(value: str) -> dict[str, float]:
    """Signs of a misreading in a name or an address: characters receipts rarely print, letters and digits mixed
    in one word ('HAI-0', 'RESTAUR4NT'; not a house number like '12A' or 'U13'), letters outside ASCII."""
    return {
        "odd_chars": float(len(_ODD.findall(value))),
        "non_ascii": float(len(value) - len(value.encode("ascii", "ignore"))),
        "mixed_tokens": float(len(_MIXED.findall(value))),
        "lower_share": sum(map(str.islower, value)) / max(1, letters(value)),
        "inner_colons": float(value.count(":") + value.count(";")),
    }


def without_phone(text: str) -> str:
    """An address row's text up to a phone label printed on the same row ('47100 PUCHONG. TEL: 03-555 2468')."""
    cut = re.search(r"(?<=\S)\s+(TEL|FAX|PHONE|H/?P)\b", text, re.IGNORECASE)
    return text[:cut.start()] if cut else text
