"""``{% row_url %}`` gives exactly what ``{% url %}`` gives."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import reverse, set_script_prefix

from core.templatetags.rowurls import row_url


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("channels_app:permalink", [5, 12]),
        ("channels_app:permalink", [12, 5]),
        ("channels_app:permalink", [7, 7]),
        ("channels_app:thread", [1, 1234567890123]),
        ("channels_app:message_action", [3, 44, "react"]),
        ("channels_app:message_action", [3, 45, "unpin"]),
        ("channels_app:channel", [0]),
        ("home", []),
    ],
)
def test_it_reverses_as_url_does(name, args):
    assert row_url(name, *args) == reverse(name, args=args)


def test_each_route_is_reversed_once_per_shape_and_the_numbers_go_in_their_places():
    template = Template(
        "{% load rowurls %}{% for i in ids %}{% row_url 'channels_app:permalink' 9 i %}|"
        "{% row_url 'channels_app:message_action' i 9 'pin' %};{% endfor %}"
    )
    html = template.render(Context({"ids": [1, 9, 90, 19]}))
    expected = "".join(
        f"{reverse('channels_app:permalink', args=[9, i])}|"
        f"{reverse('channels_app:message_action', args=[i, 9, 'pin'])};"
        for i in [1, 9, 90, 19]
    )
    assert html == expected


def test_it_follows_the_script_prefix():
    try:
        set_script_prefix("/wijk/")
        under_prefix = row_url("channels_app:thread", 2, 3)
        assert under_prefix == reverse("channels_app:thread", args=[2, 3])
        assert under_prefix.startswith("/wijk/")
    finally:
        set_script_prefix("/")
    assert row_url("channels_app:thread", 2, 3) == reverse("channels_app:thread", args=[2, 3])
