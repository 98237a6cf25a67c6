import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core.rendering import render_markdown

register = template.Library()

START, STOP = "[[[", "]]]"


@register.filter
def highlight(snippet: str) -> SafeString:
    """Escape a search snippet, then turn the database's [[[…]]] markers into <mark>."""
    text = escape(snippet or "")
    return mark_safe(text.replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S308


#: a tag of rendered HTML, whose attributes the markers must not reach
TAG = re.compile(r"(<[^>]*>)")


@register.filter
def rendered_snippet(snippet: str) -> SafeString:
    """A search snippet of a message rendered as the message shows it (its Markdown, sanitised),
    with the database's [[[…]]] markers as <mark> in its text, never inside a tag."""
    parts = TAG.split(render_markdown(snippet or "", chat=True))
    for index in range(0, len(parts), 2):  # the text between the tags
        parts[index] = parts[index].replace(START, "<mark>").replace(STOP, "</mark>")
    return mark_safe("".join(parts))  # noqa: S308 (sanitised above; only <mark> is added)


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
