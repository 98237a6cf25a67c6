"""The platform's notifications: stored for one person, pushed to their open sockets, and
e-mailed in a digest (``manage.py send_digests``) when not read in time.

The public way for other features to tell someone something (docs/architecture.md): case
rooms notify an invitee through ``notify_elsewhere``, with a link and no place or content.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from accounts.models import User
from channels_app import push
from channels_app.models import Channel, Message, Notification
from core.protocol import broadcast_after_commit, user_group

Kind = Notification.Kind
#: what a push notification alone may be about (``push_elsewhere``)
CASE_MESSAGE = push.CASE_MESSAGE
SESSION_REMINDER = push.SESSION_REMINDER


def notify(
    user_ids: Iterable[int],
    kind: str,
    channel: Channel | None = None,
    *,
    message: Message | None = None,
    actor: User | None = None,
    link: str = "",
) -> list[Notification]:
    """Store a notification for each person (never the actor) and push it to their sockets.

    About a channel (``channel``, perhaps a ``message`` in it) or about something elsewhere on
    the platform (``link``, the local address it opens); the database keeps one of the two.
    """
    recipients = sorted(set(user_ids) - ({actor.pk} if actor else set()))
    created = Notification.objects.bulk_create(
        Notification(user_id=u, kind=kind, channel=channel, message=message, actor=actor, link=link)
        for u in recipients
    )
    for notification in created:
        # What the notifications page shows of it; a direct conversation has no name, and
        # what lies elsewhere is named by its kind alone.
        broadcast_after_commit(user_group(notification.user_id), {
            "type": "notification", "id": notification.pk, "kind": kind,
            "room": channel.pk if channel else None, "message": message.pk if message else None,
            "actor": actor.display_name if actor else "",
            "channel": channel.name if channel else "",
            "created_at": notification.created_at.isoformat(timespec="milliseconds"),
        })  # fmt: skip
    return created


def notify_elsewhere(
    user_ids: Iterable[int], kind: str, *, link: str, actor: User | None = None
) -> list[Notification]:
    """A notification about something outside the channels, opening ``link`` (a local path).

    Its kind says what happened; it carries no place name and no content, so what a case room
    is about never reaches a notification, its frame or the digest.
    """
    if not link.startswith("/") or link.startswith("//"):
        raise ValueError(f"not a local address: {link!r}")
    user_ids = set(user_ids) - ({actor.pk} if actor else set())
    if kind == Kind.CASE_INVITATION:
        push.push(user_ids, push.CASE_INVITATION, link=link)
    return notify(user_ids, kind, actor=actor, link=link)


def push_elsewhere(user_ids: Iterable[int], kind: str, *, link: str, title: str = "") -> None:
    """A push notification alone (no stored notification) about something outside the
    channels, opening ``link``: a new message in a case room (``push.CASE_MESSAGE``, with no
    name or content), a learning session's reminder (``push.SESSION_REMINDER``, with the
    session's ``title``)."""
    if kind not in {CASE_MESSAGE, SESSION_REMINDER}:
        raise ValueError(f"not a push about elsewhere: {kind!r}")
    push.push(set(user_ids), kind, link=link, title=title)


def mark_read(user: User, ids: Iterable[int] | None = None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
