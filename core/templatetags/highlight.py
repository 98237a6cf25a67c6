from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

START, STOP = "[[[", "]]]"


@register.filter
def highlight(snippet: str) -> SafeString:
    """Escape a search snippet, then turn the database's [[[…]]] markers into <mark>."""
    text = escape(snippet or "")
    return mark_safe(text.replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S308
