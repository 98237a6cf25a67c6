"""The security log: every change to someone's credentials or e-mail addresses, by anyone.

``record`` writes one ``SecurityEvent``. For a change (``CHANGES``) it also

- sets ``User.credentials_changed_at``, after which case rooms want a new sign-in with the
  person's own second factor (``privacy.access.signed_in_recently``),
- tells every open socket of the person to check its rights again
  (``core.protocol.rights_changed``), and
- e-mails the person, once the change has committed; when the address itself changed, the old
  address hears of it too.

Who did it and from where come from the request allauth's middleware keeps for the current
thread, so a change made through allauth's pages, the admin or plain code
(``user.set_password(...); user.save()``, see ``accounts.signals``) is recorded the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from allauth.core import context
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import SecurityEvent, User
from core.links import absolute_url

logger = logging.getLogger(__name__)

Kind = SecurityEvent.Kind

#: changes that end case-room access until the next sign-in with the second factor. Adding a
#: second factor is not among them: without one there is no case-room access to end.
CHANGES = frozenset({
    Kind.PASSWORD_CHANGED, Kind.PASSWORD_SET, Kind.PASSWORD_RESET,
    Kind.EMAIL_CHANGED, Kind.EMAIL_ADDED, Kind.EMAIL_VERIFIED, Kind.EMAIL_REMOVED,
    Kind.SECOND_FACTOR_REMOVED, Kind.RECOVERY_CODES_REGENERATED,
})  # fmt: skip

#: what the person is told by e-mail; the other events are either told by their own e-mail (a
#: reset link, a removal request) or are refusals the person need not act on
NOTIFIED = CHANGES | {Kind.SECOND_FACTOR_ADDED}


def current_request() -> HttpRequest | None:
    """The request being handled in this thread, if any (set by allauth's middleware)."""
    return context.request


def client_address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _actor_of(request: HttpRequest | None) -> User | None:
    user = getattr(request, "user", None)
    if isinstance(user, User) and user.is_authenticated:
        return user
    return None


def record(
    kind: str,
    *,
    user: User,
    actor: User | None = None,
    request: HttpRequest | None = None,
    detail: str = "",
    also_notify: Iterable[str] = (),
) -> SecurityEvent:
    """Append one event about ``user``; for a change, also end case-room access, re-check
    open sockets and e-mail the person (and ``also_notify``, e.g. an old address).

    ``actor`` defaults to whoever is signed in on the current request; nobody (``None``) when
    a change comes through an e-mailed link or from code outside a request.
    """
    request = request if request is not None else current_request()
    if actor is None:
        actor = _actor_of(request)
    now = timezone.now()
    event = SecurityEvent.objects.create(
        occurred_at=now,
        kind=kind,
        user=user,
        user_name=f"{user.display_name} <{user.email}>"[:254],
        actor=actor,
        actor_name=(f"{actor.display_name} <{actor.email}>" if actor else "")[:254],
        address=client_address(request),
        detail=detail[:300],
    )
    if kind in CHANGES:
        _end_case_room_access(user, now)
    if kind in NOTIFIED:
        _notify(event, user, [user.email, *also_notify])
    return event


def _end_case_room_access(user: User, when: Any) -> None:
    from core.protocol import rights_changed

    # An update, not user.save(): this runs inside the user's own save signals.
    User.objects.filter(pk=user.pk).update(credentials_changed_at=when)
    user.credentials_changed_at = when
    rights_changed(user.pk)


def _notify(event: SecurityEvent, user: User, addresses: list[str]) -> None:
    recipients = list(dict.fromkeys(address for address in addresses if address))
    if not recipients:
        return
    context = {
        "event": event,
        "name": user.display_name or user.email,
        "by_someone_else": event.actor_id is not None and event.actor_id != user.pk,
        "ends_access": event.kind in CHANGES,
        "site_name": settings.SITE_NAME,
        "reset_url": absolute_url(reverse("account_reset_password")),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("accounts/email/security_notice_subject.txt", context).strip()
        body = render_to_string("accounts/email/security_notice_message.txt", context)

    def send() -> None:
        try:
            send_mail(subject, body, None, recipients)
        except Exception:
            # The change is stored and logged; a mail server that is down must not undo it.
            logger.exception("Security notice %s could not be mailed", event.pk)

    transaction.on_commit(send)
