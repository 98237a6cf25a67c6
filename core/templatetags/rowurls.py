"""``{% row_url %}``: ``{% url %}`` for the rows of a long list, such as a page of messages.

Reversing a route walks the URLconf every time; a channel page reverses several routes for each
of its messages. This tag reverses a route once per shape of its arguments (which are numbers,
and the other values as they are) and fills the numbers in afterwards. The result is the same
URL ``{% url %}`` gives.
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()

#: Stand-ins for the numbers while reversing; no id or sequence number gets this large.
_MARK = 9_000_000_000_000_000_000


@lru_cache(maxsize=512)
def _parts(
    name: str, shape: tuple[object, ...], prefix: str, urlconf: str | None
) -> tuple[str | int, ...]:
    """The URL as text pieces and argument positions, e.g. ``("/channels/", 0, "/m/", 1, "/")``."""
    marks = {str(_MARK + i): i for i, value in enumerate(shape) if value is None}
    args = [_MARK + i if value is None else value for i, value in enumerate(shape)]
    url = reverse(name, args=args, urlconf=urlconf)
    parts: list[str | int] = []
    rest = url
    while marks:
        found = [(rest.find(text), text) for text in marks if text in rest]
        if not found:
            break
        at, text = min(found)
        parts += [rest[:at], marks.pop(text)]
        rest = rest[at + len(text) :]
    if marks:  # a number the route does not show as it is: reverse every time
        return ()
    return (*parts, rest)


@register.simple_tag
def row_url(name: str, *args: object) -> str:
    numbers = [isinstance(a, int) and not isinstance(a, bool) and a >= 0 for a in args]
    shape = tuple(None if number else a for a, number in zip(args, numbers, strict=True))
    parts = _parts(name, shape, get_script_prefix(), get_urlconf())
    if not parts:
        return reverse(name, args=list(args))
    return "".join(part if isinstance(part, str) else str(args[part]) for part in parts)
