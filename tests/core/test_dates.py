"""Dates as Dutch writes them, in one set of formats for every page."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation
from django.utils.formats import date_format

TEMPLATES = Path(settings.BASE_DIR) / "templates"
NAMED = {
    "DATE_FORMAT",
    "DATETIME_FORMAT",
    "SHORT_DATE_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "MONTH_DAY_FORMAT",
}
# Besides the named formats: a time, a moment this year, a log entry to the second, and the
# start of a learning session with its weekday.
ALLOWED = NAMED | {"H:i", "j N, H:i", "j N Y, H:i:s", "l j F Y, H:i"}
MONTHS = [
    "jan.",
    "feb.",
    "mrt.",
    "apr.",
    "mei",
    "jun.",
    "jul.",
    "aug.",
    "sep.",
    "okt.",
    "nov.",
    "dec.",
]


def test_every_template_uses_one_of_the_platforms_date_formats():
    used = set()
    for path in TEMPLATES.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".txt", ".ics"):
            text = path.read_text(encoding="utf-8")
            used |= set(re.findall(r'\|date:"([^"]*)"', text))
            used |= set(re.findall(r'time_element [\w.]+ "([^"]*)"', text))
    assert used  # the templates were read
    assert used <= ALLOWED, sorted(used - ALLOWED)


@pytest.mark.parametrize("month, abbreviation", enumerate(MONTHS, start=1))
def test_dutch_months_are_lower_case_and_abbreviated_with_a_full_stop(month, abbreviation):
    moment = datetime(2026, month, 6, 14, 5, tzinfo=UTC)
    with translation.override("nl"):
        assert date_format(moment, "SHORT_DATE_FORMAT") == f"6 {abbreviation} 2026"
        assert date_format(moment, "MONTH_DAY_FORMAT") == f"6 {abbreviation}"
        long = date_format(moment, "DATE_FORMAT")
        assert long == long.lower()


def test_the_named_formats_in_dutch_and_english():
    moment = datetime(2026, 12, 6, 14, 5, tzinfo=UTC)
    with translation.override("nl"):
        assert date_format(moment, "DATE_FORMAT") == "6 december 2026"
        assert date_format(moment, "DATETIME_FORMAT") == "6 december 2026, 14:05"
        assert date_format(moment, "SHORT_DATETIME_FORMAT") == "6 dec. 2026, 14:05"
        assert date_format(datetime(2026, 5, 1, tzinfo=UTC), "MONTH_DAY_FORMAT") == "1 mei"
    with translation.override("en"):
        assert date_format(moment, "DATE_FORMAT") == "6 December 2026"
        assert date_format(moment, "SHORT_DATE_FORMAT") == "6 Dec. 2026"


def test_a_time_element_shows_the_dutch_date():
    template = Template('{% load times %}{% time_element moment "j N, H:i" %}')
    with translation.override("nl"):
        html = template.render(Context({"moment": datetime(2026, 3, 6, 8, 30, tzinfo=UTC)}))
    assert ">6 mrt., 09:30</time>" in html
