"""``{% time_element value "j M H:i" [class_name="…"] %}``: a ``<time>`` element for a moment,
in local time.

The same as ``<time datetime="{{ value|date:'c' }}">{{ value|date:"j M H:i" }}</time>``, but the
moment is converted to the current time zone once instead of once per filter; lists show one
for each row (fifty on a channel page), where the two filters were a quarter of the rendering.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from django import template
from django.utils import dateformat, timezone
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def time_element(value: datetime | None, display: str, class_name: str = "") -> SafeString | str:
    """``value`` as ``<time datetime="ISO 8601">display format</time>`` (with ``class_name`` as
    its class, if given); nothing without one."""
    if not isinstance(value, datetime):
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    shown = escape(dateformat.format(value, display))
    css = f' class="{escape(class_name)}"' if class_name else ""
    return mark_safe(f'<time{css} datetime="{value.isoformat()}">{shown}</time>')  # noqa: S308
