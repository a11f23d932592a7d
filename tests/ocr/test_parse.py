"""Pure parsers: amounts, dates, times, currencies, on clean and OCR-noisy text."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocr.catalogue import CURRENCIES
from ocr.parse import (
    a_year_after,
    amounts_in,
    bare_dollar,
    currency_of,
    dates_in,
    format_amount,
    letters_and_digits,
    parse_amount,
    parse_date,
    parse_time,
    rounding_in,
)
from tests.dates import todays


@pytest.mark.parametrize("text, expected", [
    ("12.50", "12.50"), ("RM 1,234.50", "1234.50"), ("RM12.50", "12.50"), ("$7.80", "7.80"),
    ("1.234,50", "1234.50"), ("12,50", "12.50"), ("1O.5O", "10.50"), ("S5.00", "55.00"), ("l2.00", "12.00"),
    ("-0.02", "-0.02"), ("(0.02)", "-0.02"), ("0.02-", "-0.02"), ("-RM 0.02", "-0.02"), ("47. 30", "47.30"),
    ("€ 3.10", "3.10"),
])
def test_parse_amount(text, expected):
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "TOTAL", "12", "2018", "18-00", "12/05/2018", "ABC", "1.5L", "..", "-"])
def test_parse_amount_rejects(text):
    assert parse_amount(text) is None


def test_integer_amounts_when_allowed():
    assert parse_amount("1,234", require_decimals=False) == Decimal("1234.00")


@pytest.mark.parametrize("text, expected", [
    ("Rounding Adjustment RM = -, 01", ("-0.01", "-, 01")), ("Rounding Adjustment : (0.013", ("-0.01", "(0.01")),
    ("Rounding Adj ~(),02 z", ("-0.02", "~(),02")), ("ROUNDING RHO.02", ("0.02", "RHO.02")),
    ("Rounding -RMO 02", ("-0.02", "-RMO 02")), ("Rounding Adjustment RM 0 02", ("0.02", "RM 0 02")),
])
def test_a_rounding_adjustment_is_read_as_ocr_mangles_it(text, expected):
    assert rounding_in(text) == [(Decimal(expected[0]), expected[1])]


@pytest.mark.parametrize("text", ["ROUNDING G00", "Rounding Adjustment RM 2", "Rounding Adj : ~0. 0%", "ROUNDING"])
def test_a_rounding_row_without_cents_gives_no_adjustment(text):
    assert rounding_in(text) == []


def test_amounts_in_a_row_left_to_right_with_raw():
    assert amounts_in("9551234500017 1X 3,88 3.88") == [(Decimal("3.88"), "3,88"), (Decimal("3.88"), "3.88")]
    assert amounts_in("ROUNDING ADJ -RM 0.02") == [(Decimal("-0.02"), "-RM 0.02")]
    assert amounts_in("KX-212-4 1.5L 12.345") == []


@pytest.mark.parametrize("text, expected", [
    ("Grand TotalRM15 40", [(Decimal("15.40"), "RM15 40")]), ("Change RM34 60", [(Decimal("34.60"), "RM34 60")]),
    ("4x 38.00 RH152. 00", [(Decimal("38.00"), "38.00"), (Decimal("152.00"), "RH152. 00")]),
    ("1 RN3,20 ST", [(Decimal("3.20"), "RN3,20")]), ("Paid PM3.00", [(Decimal("3.00"), "PM3.00")]),
    ("TOTALRM9.40", [(Decimal("9.40"), "RM9.40")]),
])
def test_amounts_after_an_ocr_slip_in_the_ringgit_sign(text, expected):
    assert amounts_in(text) == expected


@pytest.mark.parametrize("text", ["RM 15 40", "FORM 12 34", "ITEM3.00", "RM1 234", "NO 15 40", "10:00 PM"])
def test_no_amount_without_a_decimal_point_or_glued_to_a_word(text):
    assert amounts_in(text) == []


@pytest.mark.parametrize("text, expected", [
    ("25/12/2018", date(2018, 12, 25)), ("12-01-19", date(2019, 1, 12)), ("2019-01-12", date(2019, 1, 12)),
    ("12 Jan 2019", date(2019, 1, 12)), ("Jan 12, 2019", date(2019, 1, 12)), ("20180304", date(2018, 3, 4)),
    ("OCT 3, 2016", date(2016, 10, 3)), ("05/MAR/2018", date(2018, 3, 5)), ("7/03/2018", date(2018, 3, 7)),
    ("DATE: 15/06/2017 TIME: 15:28", date(2017, 6, 15)), ("1O/O3/2018", date(2018, 3, 10)),
    ("13/02/2019", date(2019, 2, 13)), ("02/13/2019", date(2019, 2, 13)), ("10 MAR 2018", date(2018, 3, 10)),
    ("JAN 12,2019", date(2019, 1, 12)), ("12 Jan,2019", date(2019, 1, 12)),
])
def test_parse_date_day_first(text, expected):
    assert parse_date(text, date_order="DMY", today=date(2024, 1, 1)) == expected


def test_date_order_month_first_and_plausibility():
    assert parse_date("03/04/2019", date_order="MDY", today=date(2024, 1, 1)) == date(2019, 3, 4)
    assert parse_date("03/04/2019", date_order="DMY", today=date(2024, 1, 1)) == date(2019, 4, 3)
    assert parse_date("25/12/1985") is None  # before 2000: not a receipt date
    assert parse_date("19- 10/03") is None  # mixed separators are not a date
    assert parse_date("39 Mar 2016") is None  # no day: not the 20th of March ('Mar 20 16') nor the 1st
    assert parse_date("17/84/2016") is None


def test_dates_in_returns_raw_text():
    assert dates_in("Receipt 12-01-19 21:13", today=date(2024, 1, 1)) == [(date(2019, 1, 12), "12-01-19")]


@pytest.mark.parametrize("text, expected", [
    ("14:32", "14:32"), ("2:32 PM", "14:32"), ("12:05 am", "00:05"), ("TIME 21:13:05", "21:13"),
    ("12.50", None), ("25:61", None), ("", None),
    ("1:12:43 PH", "13:12"), ("9:05 PN", "21:05"),  # the M read as H or N
])
def test_parse_time(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("token, expected", [
    ("RM", "MYR"), ("RM12.50", "MYR"), ("MYR", "MYR"), ("S$", "SGD"), ("€", "EUR"), ("£4.00", "GBP"),
    ("USD", "USD"), ("$", "USD"), ("RMD", None), ("TOTAL", None), ("€12,50", "EUR"), ("$1,234.50", "USD"),
    ("Rp5.000", "IDR"),
    ("$821/39,47100", None), ("¥K", None), ("£42120.", None), ("€801076695x", None),  # signs OCR made of other marks
])
def test_currency_of(token, expected):
    assert currency_of(token, default_currency="MYR") == expected


def test_bare_dollar_follows_a_dollar_default():
    assert currency_of("$5.00", default_currency="SGD") == "SGD"
    assert bare_dollar("$5.00") and bare_dollar("$") and bare_dollar("12.50$")
    assert not bare_dollar("S$5.00") and not bare_dollar("US$5") and not bare_dollar("$821/39")


@pytest.mark.parametrize("currency", CURRENCIES, ids=lambda c: c.code)
def test_every_known_currency_is_recognised_by_its_code_and_signs_and_marks_an_amount(currency):
    """One list (ocr.catalogue.CURRENCIES): what the review form offers is what the parsers know."""
    for mark in (currency.code, *currency.signs):
        assert currency_of(f"{mark}12.50") == currency.code, mark
        assert parse_amount(f"{mark} 12.50") == parse_amount(f"12.50 {mark}") == Decimal("12.50"), mark
        assert amounts_in(f"PAID {mark}12.50") == [(Decimal("12.50"), f"{mark}12.50")], mark


amounts = st.decimals(min_value=Decimal("-99999.99"), max_value=Decimal("999999.99"), places=2,
                      allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(amounts)
def test_amount_round_trip(value):
    assert parse_amount(format_amount(value)) == value
    assert parse_amount(f"RM {value:,.2f}") == value


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_parsers_never_raise(text):
    parse_amount(text)
    amounts_in(text)
    parse_date(text)
    dates_in(text, date_order="MDY")
    parse_time(text)
    currency_of(text)


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
       st.sampled_from(["%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d %b %Y", "%b %d, %Y", "%Y%m%d", "%d/%m/%y"]))
def test_date_round_trip_day_first(value, fmt):
    assert parse_date(value.strftime(fmt), date_order="DMY", today=date(2030, 12, 31)) == value


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)))
def test_date_round_trip_month_first(value):
    assert parse_date(value.strftime("%m/%d/%Y"), date_order="MDY", today=date(2030, 12, 31)) == value


@settings(max_examples=150, deadline=None)
@given(todays(), st.integers(min_value=0, max_value=365))
def test_a_date_up_to_a_year_back_parses_whatever_today_is(today, days_back):
    """29 February: the plausibility check raised "day is out of range for month" and every receipt failed."""
    value = today - timedelta(days=days_back)
    assert parse_date(value.strftime("%d/%m/%Y"), today=today) == value
    assert a_year_after(today) > today and (a_year_after(today) - today).days in (365, 366)


def test_a_year_after_29_february_is_28_february():
    assert a_year_after(date(2028, 2, 29)) == date(2029, 2, 28)
    assert parse_date("29/02/2028", today=date(2028, 2, 29)) == date(2028, 2, 29)


def test_letters_and_digits_are_what_two_spellings_of_one_name_share():
    assert letters_and_digits("No. 2, Jalan  Besar,") == letters_and_digits("NO.2,JALAN BESAR") == "NO2JALANBESAR"
    assert letters_and_digits("NO 2") != letters_and_digits("NO 3")
    assert letters_and_digits(None) == ""
