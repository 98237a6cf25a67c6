"""The controls under each message of a channel or thread page.

A page lists up to fifty messages, each with up to five controls (reply, react, delete, pin,
report),
the forms among them with their own CSRF field so that they work without JavaScript. As
template markup (or through ``format_html``) they were the larger part of the page's rendering
time; this tag joins plain strings, escaped with the standard library's ``html.escape`` (what
Django's ``escape`` calls), into the same markup ``static/js/chat.js`` writes for a message that
arrives live (``renderActions``).
"""

from __future__ import annotations

from functools import lru_cache
from html import escape
from typing import Any

from django import template
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from core.templatetags.rowurls import row_url

register = template.Library()


@lru_cache(maxsize=8)
def _labels(language: str) -> dict[str, str]:
    """The controls' texts in ``language``, escaped."""
    with translation.override(language):
        texts = {
            "reply": translation.gettext("Reply"),
            "react": translation.gettext("React with thumbs up"),
            "delete": translation.gettext("Delete"),
            "pin": translation.gettext("Pin"),
            "unpin": translation.gettext("Unpin"),
            "report": translation.gettext("Report"),
        }
    return {key: escape(text) for key, text in texts.items()}


def _form(message: Any, action: str, token: str, controls: str) -> str:
    url = row_url("channels_app:message_action", message.channel_id, message.pk, action)
    # without a token (no request) nothing, as {% csrf_token %} writes then
    field = f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">' if token else ""
    return (
        f'<form method="post" action="{escape(url)}" class="wijk-inline-form">'
        f"{field}{controls}</form>"
    )


def _button(label: str, aria_label: str = "") -> str:
    aria = f' aria-label="{aria_label}"' if aria_label else ""
    button = '<button type="submit" class="utrecht-button utrecht-button--subtle"'
    return f"{button}{aria}>{label}</button>"


@register.simple_tag(takes_context=True)
def message_actions(context: template.Context, message: Any, in_thread: bool = False) -> SafeString:
    """Reply (outside a thread), react (who may post), delete (the author and moderators), pin
    or unpin (moderators) and report (others' messages) for ``message``; the page's ``rights``
    and ``user`` decide."""
    rights = context.get("rights")
    can_moderate = bool(getattr(rights, "can_moderate", False))
    user = context.get("user")
    token = str(context.get("csrf_token") or "")
    # Django's context processor says "NOTPROVIDED" when there is no token
    token = "" if token == "NOTPROVIDED" else escape(token)  # noqa: S105
    labels = _labels(translation.get_language() or "nl")
    parts: list[str] = []
    if not in_thread and not message.parent_id:
        url = row_url("channels_app:thread", message.channel_id, message.pk)
        link = f'<a class="utrecht-link utrecht-link--html-a" href="{escape(url)}">'
        parts.append(f"{link}{labels['reply']}</a>")
    if getattr(rights, "can_post", False):
        react = '<input type="hidden" name="emoji" value="👍">' + _button("👍", labels["react"])
        parts.append(_form(message, "react", token, react))
    if can_moderate or (user is not None and message.author_id == user.pk):
        parts.append(_form(message, "delete", token, _button(labels["delete"])))
    if can_moderate:
        action = "unpin" if message.pinned_at else "pin"
        parts.append(_form(message, action, token, _button(labels[action])))
    if user is not None and message.author_id != user.pk:
        url = row_url("channels_app:report", message.channel_id, message.pk)
        link = f'<a class="utrecht-link utrecht-link--html-a" href="{escape(url)}">'
        parts.append(f"{link}{labels['report']}</a>")
    return mark_safe(  # noqa: S308 (every value above is escaped)
        '<div class="wijk-message__actions">' + "\n".join(parts) + "</div>"
    )
