from __future__ import annotations

from django import template

from privacy import access

register = template.Library()


@register.filter
def object_label(object_type: str) -> str:
    from privacy.views import object_label as label

    return label(object_type)


@register.filter
def purpose_label(purpose: str) -> str:
    from privacy.views import purpose_label as label

    return label(purpose)


@register.filter
def role_label(role: str) -> str:
    return str(access.ROLE_LABELS.get(role, role))
