"""Lists of many pages link to the first and last page, the current one and its neighbours, as
the NL Design System pagination component (includes/pagination.html)."""

from __future__ import annotations

import re

from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.utils import translation

from core.templatetags.pagination import page_numbers

ELLIPSIS = Paginator.ELLIPSIS


def _page(number: int, pages: int = 20):
    return Paginator(range(pages * 10), 10).page(number)


def test_it_links_the_ends_and_the_neighbours_of_the_current_page():
    assert page_numbers(_page(1)) == [1, 2, ELLIPSIS, 20]
    assert page_numbers(_page(10)) == [1, ELLIPSIS, 9, 10, 11, ELLIPSIS, 20]
    assert page_numbers(_page(3, pages=4)) == [1, 2, 3, 4]


def _render(number: int, pages: int = 20) -> str:
    with translation.override("nl"):
        return render_to_string(
            "includes/pagination.html", {"page": _page(number, pages), "query": "q=huisarts"}
        )


def test_it_renders_the_utrecht_pagination_with_the_current_page_marked():
    html = _render(10)
    assert '<nav class="utrecht-pagination" aria-label="Pagina’s">' in html
    links = re.findall(r'<a class="([^"]+)"([^>]*)href="\?q=huisarts&amp;page=(\d+)"', html)
    assert [int(number) for _, _, number in links] == [9, 1, 9, 10, 11, 20, 11]
    current = [number for classes, attributes, number in links if "aria-current" in attributes]
    assert current == ["10"]
    assert 'utrecht-pagination__page-link utrecht-pagination__page-link--current"' in html
    assert 'utrecht-pagination__relative-link--prev" href="?q=huisarts&amp;page=9" rel="prev"' in (
        html
    )
    assert 'rel="next"' in html
    # a page link reads "Pagina 11" to a screen reader; the gaps are not read
    assert '<span class="wijk-visually-hidden">Pagina </span>11</a>' in html
    assert html.count('aria-hidden="true">…</span>') == 2


def test_the_first_page_has_no_previous_link_and_one_page_no_pagination():
    html = _render(1)
    assert 'rel="prev"' not in html
    assert 'rel="next"' in html
    assert _render(1, pages=1).strip() == ""
