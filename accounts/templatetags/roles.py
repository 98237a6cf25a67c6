from django import template

from accounts.roles import Role

register = template.Library()


@register.filter
def role_label(name: str) -> str:
    """The translated label of a role group's name."""
    try:
        return str(Role(name).label)
    except ValueError:
        return name
