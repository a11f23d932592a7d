"""Pure parsers for what receipts print: amounts, dates, times, currencies. No OCR types, no I/O.

Every parser takes noisy OCR text and returns a normalized value or None; none of them raises.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from dateutil import parser as date_parser

from ocr.catalogue import CURRENCIES

# --- amounts ------------------------------------------------------------------------------------

# Letters OCR puts where a digit was printed; only applied inside tokens that are otherwise numeric.
_DIGIT_CONFUSIONS = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "S": "5", "s": "5", "l": "1",
                                    "I": "1", "i": "1", "|": "1", "!": "1", "B": "8", "Z": "2", "z": "2",
                                    "G": "6", "g": "9", "§": "5"})
# OCR reads the ringgit sign RM as RN, RH, FM or PM; those stand for RM only right before digits.
_RM_MISREAD = r"R[NH](?=\d)|[FP]M(?=\d)"
# What marks an amount as money: a currency's code or sign (ocr.catalogue.CURRENCIES), or a bare '$'; longest first.
_MONEY_MARKS = sorted({c.code for c in CURRENCIES} | {sign for c in CURRENCIES for sign in c.signs} | {"$"},
                      key=lambda mark: (-len(mark), mark))
_MONEY = "|".join(re.escape(mark) for mark in _MONEY_MARKS)
_CURRENCY_AFFIX = re.compile(rf"^(?:{_MONEY}|{_RM_MISREAD})\s*|\s*(?:{_MONEY})$", re.IGNORECASE)
# A number with 2 decimals: optional thousands groups separated by , . or space (or none), then . or , and 2 digits.
_AMOUNT = re.compile(r"^(?P<sign>[-+])?(?P<int>\d{1,3}(?:[,. ']\d{3})+|\d+)(?:(?P<dec>[.,])(?P<frac>\d{2}))$")
_INTEGER = re.compile(r"^(?P<sign>[-+])?(?P<int>\d{1,3}(?:[,']\d{3})+|\d+)$")


def normalize_text(text: str | None) -> str:
    """Upper-cased, whitespace collapsed: how names and addresses are compared."""
    return " ".join((text or "").upper().split())


def letters_and_digits(text: str | None) -> str:
    """Upper-cased letters and digits only: two spellings of one name or address that differ in nothing else (spaces,
    dots, commas) give the same."""
    return "".join(ch for ch in normalize_text(text) if ch.isalnum())


def _clean_number_token(text: str) -> str | None:
    """Strip currency, brackets and trailing marks; undo letter-for-digit confusions; None if not numeric-ish."""
    token = text.strip().replace("\u2212", "-")
    negative = False
    if token.startswith("(") and token.endswith(")"):
        token, negative = token[1:-1], True
    if token.endswith("-") and len(token) > 1:  # "0.02-" as some tills print a discount
        token, negative = token[:-1], True
    if token.startswith("-"):
        token, negative = token[1:], True
    token = _CURRENCY_AFFIX.sub("", token)
    if token.startswith("-"):
        token, negative = token[1:], True
    token = token.rstrip(":;*#'\"").lstrip(":;*#'\"")
    token = re.sub(r"(?<=\d)[A-Za-z]{1,2}$", "", token) if re.search(r"\d[.,]\d\d[A-Za-z]{1,2}$", token) else token
    if not token:
        return None
    digits = sum(ch.isdigit() for ch in token)
    letters = sum(ch.isalpha() for ch in token)
    if digits == 0 or letters > digits:
        return None
    token = token.translate(_DIGIT_CONFUSIONS)
    return ("-" if negative else "") + token


def parse_amount(text: str, *, require_decimals: bool = True) -> Decimal | None:
    """'RM 1,234.50' -> Decimal('1234.50'); '1.234,50', '1O.5O', 'S5.00', '(0.02)' are understood.

    With require_decimals (the default) a bare integer is not an amount, since receipt amounts print cents.
    """
    try:
        token = _clean_number_token(text)
        if token is None:
            return None
        sign = ""
        if token.startswith("-"):
            sign, token = "-", token[1:]
        token = re.sub(r"(?<=[.,]) (?=\d\d$)", "", token)  # '62. 80': OCR split the cents off
        token = token.replace(" ", "")
        match = _AMOUNT.match(token)
        if match:
            integer = re.sub(r"[,. ']", "", match["int"])
            value = Decimal(f"{sign}{integer}.{match['frac']}")
        else:
            match = _INTEGER.match(token)
            if not match or require_decimals:
                return None
            value = Decimal(sign + re.sub(r"[,']", "", match["int"]))
        if abs(value) >= Decimal("10000000"):
            return None
        return value.quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        return None


def format_amount(value: Decimal) -> str:
    """Decimal -> plain '42.95' (two decimals, no thousands separator)."""
    return f"{value.quantize(Decimal('0.01')):f}"


_AMOUNT_IN_TEXT = re.compile(
    rf"(?:(?<![A-Za-z0-9.,])-?(?:(?:{_MONEY}|{_RM_MISREAD})\s?)?|(?<=[A-Za-z])RM(?=\d))[-(]?"
    r"(?:[0-9OoSlI|§]{1,3}(?:,[0-9OoSlI]{3})+|[0-9OoSlI|§]+)[.,] ?[0-9OoSlI]{2}\)?-?(?![0-9A-Za-z])")
# 'RM15 40': OCR lost the decimal point; only trusted right after the currency sign, which marks an amount.
_RM_SPACE_CENTS = re.compile(rf"(?:(?<![A-Za-z0-9.,])(?:RM|{_RM_MISREAD})|(?<=[A-Za-z])RM)(?=\d)"
                             r"(?P<int>\d{1,5}) (?P<cents>\d{2})(?![0-9A-Za-z.,])")


def amounts_in(text: str) -> list[tuple[Decimal, str]]:
    """Every amount-looking piece of a line, left to right, with the raw text it came from."""
    found = []
    for match in _AMOUNT_IN_TEXT.finditer(text):
        value = parse_amount(match.group(0))
        if value is not None:
            found.append((match.start(), value, match.group(0)))
    for match in _RM_SPACE_CENTS.finditer(text):
        if not any(start <= match.start() < start + len(raw) for start, _, raw in found):
            found.append((match.start(), Decimal(f"{match['int']}.{match['cents']}"), match.group(0)))
    return [(value, raw) for _, value, raw in sorted(found, key=lambda f: f[0])]



# A rounding adjustment as OCR mangles it: a sign or bracket ('-', '(', '~'), maybe the currency, a zero read as
# 'O' or '()', a point or comma (or a space), then the cents of an adjustment under ten cents: '-, 01', '(0.013'
# (its ')' read '3'), '~(),02', 'RHO.02', '-RMO 02'.
_ROUNDING = re.compile(r"(?P<sign>[-(~])?\s*(?:R[MH]\s*)?(?:[0Oo]|\(\))?\s*[.,\s]\s*(?P<cents>0\d)(?!\d\d)")


def rounding_in(text: str) -> list[tuple[Decimal, str]]:
    """The adjustment on a row labelled as rounding that `amounts_in` could not read: its last small amount in the
    forms OCR prints it, negative after a sign or bracket. Empty when nothing there reads as one."""
    matches = list(_ROUNDING.finditer(text))
    if not matches:
        return []
    last = matches[-1]
    value = Decimal(f"0.{last['cents']}")
    return [(-value if last["sign"] else value, last.group(0).strip())]

# --- dates --------------------------------------------------------------------------------------

EARLIEST_RECEIPT_DATE = date(2000, 1, 1)  # an earlier date on a receipt is a misreading
MONTHS = r"(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|SEPT|OCT|NOV|DEC)[A-Z]*\.?"
_DATE_PATTERNS = [
    # 2019-01-12, 2019/1/12
    re.compile(r"(?<!\d)(?P<d>(?:19|20)\d{2}(?P<s>[-/.])(?:[01]?\d)(?P=s)(?:[0-3]?\d))(?!\d)"),
    # 25/12/2018, 12-01-19, 4.02.2017
    re.compile(r"(?<![A-Za-z0-9])(?P<d>[0-3]?\d(?P<s>[-/.])[0-3]?\d(?P=s)(?:\d{4}|\d{2}))(?!\d)"),
    # 12 Jan 2019, 05/MAR/2018, 12-Jan-19
    re.compile(rf"(?<!\d)(?P<d>[0-3]?\d\s?[-/ .]?\s?{MONTHS}\s?[-/ .,]?\s?(?:\d{{4}}|\d{{2}}))(?!\d)", re.IGNORECASE),
    # Jan 12, 2019 / OCT 3, 2016 (a comma or space before the year: 'Jun 2018' is no 20th of June)
    re.compile(rf"(?<![A-Z])(?P<d>{MONTHS}\s?[0-3]?\d(?:st|nd|rd|th)?(?:,\s?|\s)(?:\d{{4}}|\d{{2}}))(?!\d)",
               re.IGNORECASE),
    # 20180304
    re.compile(r"(?<!\d)(?P<d>(?:19|20)\d{2}[01]\d[0-3]\d)(?!\d)"),
]
_DATE_DIGITS = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1", "@": "0"})


def _digits_fixed(text: str) -> str:
    """Fix O/0 and l/1 only where they sit between digits or separators (keeps month names intact)."""
    return re.sub(r"(?<=[\d/\-.])[OolI|@](?=[\d/\-.]|$)|(?<=^)[OolI|](?=\d)|(?<=\s)[OolI|](?=\d)",
                  lambda m: m.group(0).translate(_DATE_DIGITS), text)


def a_year_after(day: date) -> date:
    """The same day a year later; 29 February gives 28 February (replace(year=...) raises on it)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def _plausible(value: date, today: date | None) -> bool:
    """A receipt date from 2000 up to a year ahead (a misread year can land there; the checks flag it)."""
    return EARLIEST_RECEIPT_DATE <= value <= a_year_after(today or date.today())


def parse_date(text: str, *, date_order: str = "DMY", today: date | None = None) -> date | None:
    """The first date in the text: '25/12/2018', '12-01-19', '12 Jan 2019', 'OCT 3, 2016', '20180304'.

    Ambiguous numeric dates follow date_order ('DMY', 'MDY', 'YMD'); when that order gives an impossible
    date the other reading is used (13/02/2019 is always the 13th of February).
    """
    found = dates_in(text, date_order=date_order, today=today)
    return found[0][0] if found else None


def dates_in(text: str, *, date_order: str = "DMY", today: date | None = None) -> list[tuple[date, str]]:
    """Every date found in the text with the raw substring it came from, in order of appearance."""
    try:
        fixed = _digits_fixed(text)
    except Exception:  # noqa: BLE001 - never raise on odd input
        return []
    results: list[tuple[int, date, str]] = []
    taken: list[tuple[int, int]] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(fixed):
            start, end = match.span("d")
            if any(start < e and s < end for s, e in taken):
                continue
            value = _parse_date_string(match.group("d"), date_order, today)
            if value is None and re.search(r"20[7]\d(?!\d)", match.group("d")):
                # OCR reads the 1 of 201x as 7: retry with the year repaired
                value = _parse_date_string(re.sub(r"20[7](\d)(?!\d)", r"201\1", match.group("d")), date_order, today)
            if value is not None:
                taken.append((start, end))
                results.append((start, value, text[start:end]))
    return [(value, raw) for _, value, raw in sorted(results, key=lambda r: r[0])]


def _parse_date_string(raw: str, date_order: str, today: date | None) -> date | None:
    cleaned = re.sub(r"\s*([-/.])\s*", r"\1", raw.strip())
    cleaned = re.sub(r",(?=\d)", ", ", cleaned)  # dateutil reads 'JAN 12,2019' as the 12th of January 2000
    if re.fullmatch(r"(?:19|20)\d{6}", cleaned):  # compact yyyymmdd
        cleaned = f"{cleaned[:4]}-{cleaned[4:6]}-{cleaned[6:]}"
    year_first = bool(re.match(r"(?:19|20)\d{2}[-/.]", cleaned))
    orders = [date_order.upper()]
    orders += [o for o in ("DMY", "MDY", "YMD") if o not in orders]
    for order in orders:
        if year_first and order != "YMD":
            continue
        try:
            value = date_parser.parse(cleaned, dayfirst=order == "DMY", yearfirst=order == "YMD",
                                      default=datetime(2000, 1, 1)).date()
        except (ValueError, OverflowError, TypeError, date_parser.ParserError):
            continue
        if not _check_order(cleaned, value, order):
            continue
        if _plausible(value, today):
            return value
    return None


def _check_order(cleaned: str, value: date, order: str) -> bool:
    """dateutil silently swaps day and month when one reading is impossible: accept only the asked-for order."""
    parts = re.split(r"[-/.]", cleaned)
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return True
    numbers = [int(p) for p in parts]
    expected = {"DMY": (numbers[0], numbers[1]), "MDY": (numbers[1], numbers[0]), "YMD": (numbers[2], numbers[1])}
    return expected[order] == (value.day, value.month)


# --- times --------------------------------------------------------------------------------------

_TIME = re.compile(r"(?<![\d:])(?P<h>[0-2]?\d)\s?[:.]\s?(?P<m>[0-5]\d)(?:\s?[:.]\s?(?P<s>[0-5]\d))?"
                   r"(?:\s?(?P<ampm>[AaPp])\.?\s?[MmHhNn]\.?)?(?![\d:])")  # OCR reads PM as PH or PN


def parse_time(text: str) -> str | None:
    """'14:32', '2:32 PM', '21:13:05' -> 'HH:MM' (24-hour); None when there is no valid time."""
    found = times_in(text)
    return found[0][0] if found else None


def times_in(text: str) -> list[tuple[str, str]]:
    results = []
    for match in _TIME.finditer(text or ""):
        hour, minute = int(match["h"]), int(match["m"])
        ampm = (match["ampm"] or "").upper()
        if match["s"] is None and not ampm and "." in match.group(0):
            continue  # '12.50' is an amount, not a time
        if ampm:
            if not 1 <= hour <= 12:
                continue
            hour = hour % 12 + (12 if ampm == "P" else 0)
        if hour > 23:
            continue
        results.append((f"{hour:02d}:{minute:02d}", match.group(0)))
    return results


# --- currencies ---------------------------------------------------------------------------------

_CURRENCY_CODES = frozenset(c.code for c in CURRENCIES)
_CURRENCY_SIGNS = sorted(((sign, c.code) for c in CURRENCIES for sign in c.signs), key=lambda s: -len(s[0]))
_DOLLAR_CURRENCIES = frozenset(c.code for c in CURRENCIES if c.dollar)
# What may follow a currency sign: nothing, or an amount ('5.00', '1,234.50', '12,50', 'Rp5.000').
_SIGN_REST = re.compile(r"\s?-?(\d{1,3}(?:[.,]\d{3})+|\d+)?(?:[.,]\d{1,2})?")


def currency_of(token: str, *, default_currency: str = "MYR") -> str | None:
    """ISO 4217 code a printed token stands for ('RM5.00' -> 'MYR', 'S$' -> 'SGD', '€' -> 'EUR'), else None.

    A bare '$' is the default currency when that is a dollar, otherwise USD.
    """
    text = (token or "").strip().upper()
    if not text:
        return None
    letters = re.sub(r"[^A-Z$€£¥]", "", text.split()[0]) if text.split() else ""
    if letters in _CURRENCY_CODES:
        return letters
    # A sign stands alone or before an amount: '$821/39' is an address, '¥K' a smudge.
    for symbol, code in _CURRENCY_SIGNS:
        if text.startswith(symbol) and _SIGN_REST.fullmatch(text[len(symbol):]):
            if symbol == "RP" and len(text) == len(symbol):
                continue
            return code
    if bare_dollar(text):
        return default_currency if default_currency in _DOLLAR_CURRENCIES else "USD"
    return None


def bare_dollar(token: str) -> bool:
    """A '$' alone or against an amount ('$7.60', '12.50$'): a dollar, but the sign does not say which (some
    Malaysian tills print it for ringgit)."""
    text = (token or "").strip()
    amount = text[1:] if text.startswith("$") else text[:-1] if text.endswith("$") else None
    return amount is not None and _SIGN_REST.fullmatch(amount) is not None
