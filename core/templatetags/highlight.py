import re

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


#: What Markdown adds to a text, for a snippet shown as text: a link's address, emphasis and code
#: marks, a quote's or heading's or list item's mark at the start of a line.
MARKDOWN = [
    (re.compile(r"!?\[([^\]\[]*)\]\([^)\s]*\)"), r"\1"),
    (re.compile(r"(\*\*|__|~~|`+)"), ""),
    (re.compile(r"(?<![\w\[\]])[*_](?=\S)|(?<=\S)[*_](?![\w\[\]])"), ""),
    (re.compile(r"(?m)^\s*(?:>+|#{1,6}|[-+*]|\d+[.)])\s+"), ""),
]


@register.filter
def without_markdown(snippet: str) -> str:
    """A search snippet of a Markdown text as the reader saw it: "**dringend**" as "dringend"."""
    text = snippet or ""
    for pattern, replacement in MARKDOWN:
        text = pattern.sub(replacement, text)
    return text
