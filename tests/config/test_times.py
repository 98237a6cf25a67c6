"""``{% time_element %}`` writes what the two ``date`` filters it replaces wrote."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.template import Context, Template
from django.utils import translation


def render(source: str, **context: object) -> str:
    return Template("{% load times %}" + source).render(Context(context))


@pytest.mark.parametrize("display", ["j N, H:i", "j F Y", "l j F Y, H:i", "j N Y, H:i:s"])
@pytest.mark.parametrize("language", ["nl", "en"])
def test_it_matches_the_date_filters_in_local_time(display, language):
    moment = datetime(2026, 3, 29, 0, 30, 15, tzinfo=UTC)  # 01:30 in Amsterdam, then DST
    context = {"moment": moment, "display": display}
    filters = Template("<time datetime=\"{{ moment|date:'c' }}\">{{ moment|date:display }}</time>")
    with translation.override(language):
        expected = filters.render(Context(context))
        assert render("{% time_element moment display %}", **context) == expected
    assert 'datetime="2026-03-29T01:30:15+01:00"' in expected


def test_it_writes_a_class_when_given_one():
    moment = datetime(2026, 3, 29, 0, 30, 15, tzinfo=UTC)
    filters = Template(
        '<time class="wijk-muted" datetime="{{ moment|date:\'c\' }}">'
        "{{ moment|date:'j N, H:i' }}</time>"
    )
    with translation.override("nl"):
        expected = filters.render(Context({"moment": moment}))
        shown = render(
            '{% time_element moment "j N, H:i" class_name="wijk-muted" %}', moment=moment
        )
        assert shown == expected
    assert render('{% time_element moment "j" class_name="a&b" %}', moment=moment).startswith(
        '<time class="a&amp;b" '
    )


def test_it_writes_nothing_without_a_moment():
    assert render('{% time_element nothing "MONTH_DAY_FORMAT" %}') == ""
    assert render('{% time_element day "MONTH_DAY_FORMAT" %}', day=date(2026, 1, 1)) == ""
