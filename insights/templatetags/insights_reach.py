"""The reach section of the dashboard, loaded by its own include so that the dashboard's
view stays as it is."""

from __future__ import annotations

from typing import Any

from django import template

from insights.views import expected_form, reach_for

register = template.Library()


@register.simple_tag(takes_context=True)
def reach_section(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    return {"reach": reach_for(request), "form": expected_form(request)}
