"""Tags for the parts of a professional that lists repeat on every row: the avatar and the
contact links, each from its own template in ``templates/directory/includes/``."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

AVATAR_PIXELS = {"message": 36, "small": 48, "large": 128}


@register.inclusion_tag("directory/includes/avatar.html")
def avatar(professional: Any, size: str = "small", name: str | None = None) -> dict[str, Any]:
    """The profile photo, or the first letter of the name on a coloured disc. ``name`` is for
    people who may have no profile (a message's author): their initial, without a photo."""
    size = size if size in AVATAR_PIXELS else "small"
    return {
        "professional": professional,
        "name": name,
        "size": size,
        "pixels": AVATAR_PIXELS[size],
    }


@register.inclusion_tag("directory/includes/contact_links.html")
def contact_links(contact: dict[str, str]) -> dict[str, Any]:
    """The phone number and e-mail address one may see, as links, in one paragraph."""
    links = [
        (f"{scheme}:{contact[key]}", contact[key])
        for key, scheme in (("phone", "tel"), ("email", "mailto"))
        if contact.get(key)
    ]
    return {"links": links}
