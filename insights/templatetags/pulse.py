"""The pulse's results on the coalition dashboard, as one tag the dashboard includes."""

from __future__ import annotations

from typing import Any

from django import template

from insights import pulse
from insights.models import PulseScale
from insights.report import THRESHOLD

register = template.Library()


@register.inclusion_tag("insights/includes/pulse.html")
def pulse_results() -> dict[str, Any]:
    return {
        "report": pulse.report(),
        "threshold": THRESHOLD,
        "agreement": PulseScale.AGREEMENT.value,
    }
