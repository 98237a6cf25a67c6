"""``{% with_param %}``: the current search with one parameter set or removed, never the page."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory


def _render(query: str, tag: str) -> str:
    request = RequestFactory().get(f"/directory/{query}")
    template = Template("{% load querystrings %}" + tag)
    return template.render(Context({"request": request, "name": "domain", "value": "social"}))


@pytest.mark.parametrize(
    ("query", "tag", "expected"),
    [
        ("", "{% with_param 'q' 'schuld' %}", "?q=schuld"),
        ("?q=schuld&page=3", "{% with_param 'domain' 'social' %}", "?q=schuld&amp;domain=social"),
        ("?q=schuld&domain=medical", "{% with_param name value %}", "?q=schuld&amp;domain=social"),
        ("?q=schuld&domain=medical&page=2", "{% with_param 'domain' %}", "?q=schuld"),
        ("?page=2", "{% with_param 'domain' %}", "?"),
        (
            "?expertise=1&expertise=2",
            "{% with_param 'q' 'a b' %}",
            "?expertise=1&amp;expertise=2&amp;q=a+b",
        ),
        ("?q=%C3%A9%26x", "{% with_param 'page' '2' %}", "?q=%C3%A9%26x&amp;page=2"),
    ],
)
def test_it_keeps_the_other_parameters_and_drops_the_page(query, tag, expected):
    assert _render(query, tag) == expected


def test_the_request_parameters_are_read_once_per_request():
    request = RequestFactory().get("/directory/?q=schuld&page=2")
    template = Template(
        "{% load querystrings %}"
        "{% with_param 'domain' 'social' %} {% with_param 'domain' 'medical' %}"
    )
    assert template.render(Context({"request": request})) == (
        "?q=schuld&amp;domain=social ?q=schuld&amp;domain=medical"
    )
    assert request._query_pairs_without_page == [("q", "schuld")]
