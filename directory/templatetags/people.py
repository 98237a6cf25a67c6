"""Tags for the parts of a professional that lists repeat on every row.

The directory shows twenty people a page; each of these is a few lines of ``format_html``
instead of an included template, which costs less per row than an ``{% include %}`` with its
own context. The markup is the same either way.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from core.templatetags.rowurls import row_url

register = template.Library()

AVATAR_PIXELS = {"small": 48, "large": 128}


@register.simple_tag
def avatar(professional: Any, size: str = "small") -> SafeString:
    """The profile photo, or the first letter of the name on a coloured disc."""
    size = size if size in AVATAR_PIXELS else "small"
    if professional.photo:
        pixels = AVATAR_PIXELS[size]
        return format_html(
            '<img class="wijk-avatar wijk-avatar--{}" src="{}" alt="" width="{}" height="{}">',
            size,
            row_url("directory:professional_photo", professional.pk),
            pixels,
            pixels,
        )
    return format_html(
        '<span class="wijk-avatar wijk-avatar--{} wijk-avatar--initials" aria-hidden="true">'
        "{}</span>",
        size,
        professional.user.display_name[:1].upper(),
    )


@register.simple_tag
def contact_links(contact: dict[str, str]) -> SafeString:
    """The phone number and e-mail address one may see, as links, in one paragraph."""
    links = [
        (f"{scheme}:{contact[key]}", contact[key])
        for key, scheme in (("phone", "tel"), ("email", "mailto"))
        if contact.get(key)
    ]
    if not links:
        return SafeString("")
    return format_html(
        '<p class="utrecht-paragraph wijk-contact">{}</p>',
        format_html_join(
            " · ", '<a class="utrecht-link utrecht-link--html-a" href="{}">{}</a>', links
        ),
    )
