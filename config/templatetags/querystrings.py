from __future__ import annotations

from django import template
from django.http import QueryDict

register = template.Library()


@register.simple_tag(takes_context=True)
def with_param(context: template.Context, name: str, value: object = None) -> str:
    """The current query string with ``name`` set to ``value`` (or removed) and no page number.

    Unlike Django's ``querystring`` tag the parameter name can be a variable.
    """
    query: QueryDict = context["request"].GET.copy()
    query.pop("page", None)
    query.pop(name, None)
    if value not in (None, ""):
        query[name] = str(value)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"
