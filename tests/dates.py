"""Hypothesis strategy for "today": any day, with 29 February and the other month ends drawn often, because
date arithmetic breaks on them (`day.replace(year=day.year + 1)` raises on 29 February)."""

import calendar
from datetime import date

from hypothesis import strategies as st

LEAP_DAYS = [date(year, 2, 29) for year in range(2004, 2100, 4)]
MONTH_ENDS = [date(year, month, calendar.monthrange(year, month)[1]) for year in (2027, 2028) for month in range(1, 13)]


def todays() -> st.SearchStrategy[date]:
    return st.one_of(st.sampled_from(LEAP_DAYS), st.sampled_from(MONTH_ENDS),
                     st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 12, 31)))
