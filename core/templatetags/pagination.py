from __future__ import annotations

from typing import Any

from django import template
from django.core.paginator import Page

register = template.Library()


@register.simple_tag
def page_numbers(page: Page[Any]) -> list[int | str]:
    """The pages to link to from ``page``: the first and the last, the current one and its
    neighbours, and ``Paginator.ELLIPSIS`` for each gap, so that the row fits on a phone."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1))
