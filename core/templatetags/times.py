"""``{% time_element value "j N, H:i" [class_name="…"] %}``: a ``<time>`` element for a moment in
local time, machine-readable in ``datetime`` (``templates/core/time.html``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dates import MONTHS_AP

register = template.Library()


@register.inclusion_tag("core/time.html")
def time_element(value: datetime | None, display: str, class_name: str = "") -> dict[str, Any]:
    """``value`` shown in ``display`` format (with ``class_name`` as its class, if given);
    nothing without one."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return {
        "value": value if isinstance(value, datetime) else None,
        "display": display,
        "class_name": class_name,
    }


@register.simple_tag
def month_abbreviations() -> str:
    """The months as the date formats abbreviate them ("jan.", …, "mei", …), comma-separated,
    so the browser writes a moment as the server does (``shortMoment`` in static/js/dom.js)."""
    return ",".join(str(MONTHS_AP[month]) for month in range(1, 13))
