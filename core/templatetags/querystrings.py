from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.http import HttpRequest

register = template.Library()


def _pairs_without_page(request: HttpRequest) -> list[tuple[str, str]]:
    """The query string's parameters except the page number, worked out once per request."""
    pairs = getattr(request, "_query_pairs_without_page", None)
    if pairs is None:
        pairs = [(k, v) for k, values in request.GET.lists() if k != "page" for v in values]
        request._query_pairs_without_page = pairs  # type: ignore[attr-defined]
    return pairs


def query_with(request: HttpRequest, name: str, value: object = None) -> str:
    """The request's query string with ``name`` set to ``value`` (or removed) and no page
    number, for views that build many such links."""
    pairs = [(k, v) for k, v in _pairs_without_page(request) if k != name]
    if value not in (None, ""):
        pairs.append((name, str(value)))
    encoded = urlencode(pairs)
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def with_param(context: template.Context, name: str, value: object = None) -> str:
    """The current query string with ``name`` set to ``value`` (or removed) and no page number.

    Unlike Django's ``querystring`` tag the parameter name can be a variable. A search page has
    dozens of these links (filters, chips), so the request's parameters are read only once.
    """
    return query_with(context["request"], name, value)
