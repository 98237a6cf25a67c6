"""The access log's verification panel on the privacy officer's log page."""

from __future__ import annotations

from typing import Any

from django import template

from privacy import verification

register = template.Library()


@register.inclusion_tag("privacy/includes/log_verification.html", takes_context=True)
def log_verification(context: dict[str, Any]) -> dict[str, Any]:
    """The last verification's outcome and what it found, and the button to start one."""
    run = verification.latest()
    return {
        "run": run,
        "problems": [verification.describe(p) for p in run.problems] if run else [],
        "csrf_token": context.get("csrf_token"),
    }
