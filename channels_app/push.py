"""Push notifications (Web Push) to the devices people turned them on for.

What reaches a device: a mention, a message in a direct conversation, a reply in a thread one
is in, activity in a case room (a new message, an invitation) and a learning session's
reminder. Never sent in the request or the socket: ``push`` records the event for after the
commit, and a background task (``channels_app.tasks``, run by ``manage.py db_worker``) decides
per person and device what may be sent and sends it, with retries.

What a push says (docs/PRIVACY.md): of a closed channel, a direct conversation or a case room
only that something happened there, never a name or a word of it; of an open channel the
sender and the first words only for people who asked for them (``PushPreferences``).
Nothing reaches a deactivated or unverified person, a muted channel (mentions only: only a
mention), a device turned off, or anyone during their quiet hours.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from accounts.models import User
from channels_app.models import (
    Channel,
    Membership,
    Message,
    PushLevel,
    PushPreferences,
    PushSubscription,
)
from core.rendering import markdown_to_text
from directory.access import is_verified

logger = logging.getLogger(__name__)

#: the events a push is sent for
MENTION = "mention"
REPLY = "reply"
DIRECT = "direct"
CASE_MESSAGE = "case_message"
CASE_INVITATION = "case_invitation"
SESSION_REMINDER = "session_reminder"
KINDS = {MENTION, REPLY, DIRECT, CASE_MESSAGE, CASE_INVITATION, SESSION_REMINDER}
#: what a push of an open channel shows of the message, at most, for those who allow it
PREVIEW_CHARACTERS = 80


@dataclass(frozen=True)
class Payload:
    """What the service worker shows: ``title``, ``body``, the local ``url`` a click opens,
    and the ``tag`` under which a newer push replaces an older one of the same room."""

    title: str
    body: str
    url: str
    tag: str

    def as_dict(self) -> dict[str, str]:
        return {"title": self.title, "body": self.body, "url": self.url, "tag": self.tag}


def enabled() -> bool:
    """Whether the platform has a VAPID key, without which no push can be sent."""
    return bool(settings.VAPID_PRIVATE_KEY)


def push(
    user_ids: set[int] | list[int],
    kind: str,
    *,
    channel: Channel | None = None,
    message: Message | None = None,
    link: str = "",
    title: str = "",
) -> None:
    """Push ``kind`` to the devices of ``user_ids`` once the transaction has committed.

    About a message in a channel (``channel`` and ``message``), or about something elsewhere
    (``link``, the local address it opens; ``title``: a learning session's title, the one
    name a push about elsewhere may carry).
    """
    if kind not in KINDS:
        raise ValueError(f"not a push kind: {kind!r}")
    if link and (not link.startswith("/") or link.startswith("//")):
        raise ValueError(f"not a local address: {link!r}")
    users = sorted(set(user_ids))
    if not users or not enabled():
        return
    event = {
        "kind": kind,
        "users": users,
        "channel": channel.pk if channel else None,
        "message": message.pk if message else None,
        "link": link,
        "title": title,
    }

    def enqueue() -> None:
        from channels_app.tasks import fan_out

        try:
            fan_out.enqueue(event)
        except Exception:  # the change is committed; a lost push must not fail the request
            logger.exception("Could not queue a push (%s)", kind)

    transaction.on_commit(enqueue)


# ---- who gets what (run by the background task) ---------------------------------------------


def is_quiet(preferences: PushPreferences, now: datetime.datetime | None = None) -> bool:
    """Whether ``now`` falls in the person's quiet hours (in the deployment's time zone)."""
    local = timezone.localtime(now or timezone.now())
    if preferences.quiet_weekends and local.weekday() >= 5:
        return True
    start, end, moment = preferences.quiet_from, preferences.quiet_until, local.time()
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end  # across midnight: 18:00–08:00


def preferences_of(user: User | int) -> PushPreferences:
    """The person's push settings; the defaults (not stored) if they never changed them."""
    user_id = user if isinstance(user, int) else user.pk
    found = PushPreferences.objects.filter(user_id=user_id).first()
    return found or PushPreferences(user_id=user_id)


def payloads(event: dict[str, Any], now: datetime.datetime | None = None) -> dict[int, Payload]:
    """What each recipient of ``event`` may be sent now: person -> payload. Leaves out whoever
    may not receive it (see the module's description)."""
    kind = event["kind"]
    channel = message = None
    if event["channel"] is not None:
        channel = Channel.objects.filter(pk=event["channel"]).first()
        message = Message.objects.filter(
            pk=event["message"], channel=channel, deleted_at__isnull=True
        ).first()
        if channel is None or message is None or channel.is_archived:
            return {}  # deleted (or archived) before the push went out
    users = User.objects.filter(pk__in=event["users"], is_active=True)
    preferences = {p.user_id: p for p in PushPreferences.objects.filter(user__in=users)}
    levels: dict[int, str] = {}
    if channel is not None:
        levels = dict(
            Membership.objects.filter(channel=channel, user__in=users).values_list(
                "user_id", "push"
            )
        )
    result = {}
    with translation.override(settings.LANGUAGE_CODE):
        for user in users:
            if not is_verified(user):
                continue
            prefs = preferences.get(user.pk) or PushPreferences(user=user)
            if is_quiet(prefs, now):
                continue
            if channel is not None:
                level = levels.get(user.pk)
                if level is None or level == PushLevel.NONE:
                    continue  # no longer a member, or muted
                if level == PushLevel.MENTIONS and kind != MENTION:
                    continue
            result[user.pk] = _payload(event, channel, message, prefs)
    return result


def _payload(
    event: dict[str, Any],
    channel: Channel | None,
    message: Message | None,
    prefs: PushPreferences,
) -> Payload:
    kind = event["kind"]
    site = settings.SITE_NAME
    if channel is None or message is None:
        tag = f"{kind}-{event['link']}"
        if kind == CASE_MESSAGE:
            return Payload(site, _("New message in a case room"), event["link"], tag)
        if kind == CASE_INVITATION:
            return Payload(site, _("You are invited to a case room"), event["link"], tag)
        body = _("Your learning session “%(title)s” starts soon.") % {"title": event["title"]}
        return Payload(site, body, event["link"], tag)
    url = reverse("channels_app:permalink", args=[channel.pk, message.seq])
    tag = f"channel-{channel.pk}"
    if channel.is_direct:
        return Payload(site, _("New direct message"), url, tag)
    if channel.kind != Channel.Kind.OPEN:
        if kind == MENTION:
            return Payload(site, _("You were mentioned in a closed channel"), url, tag)
        return Payload(site, _("New reply in your thread in a closed channel"), url, tag)
    names = {"channel": channel.name}
    if prefs.show_content:
        author = message.author.display_name if message.author else ""
        words = Truncator(markdown_to_text(message.body)).chars(PREVIEW_CHARACTERS)
        names["name"] = author or _("Someone")
        if kind == MENTION:
            title = _("%(name)s mentioned you in %(channel)s") % names
        else:
            title = _("%(name)s replied in your thread in %(channel)s") % names
        return Payload(title, words, url, tag)
    if kind == MENTION:
        return Payload(site, _("You were mentioned in %(channel)s") % names, url, tag)
    return Payload(site, _("New reply in your thread in %(channel)s") % names, url, tag)


# ---- devices ---------------------------------------------------------------------------------


def session_hash(session_key: str | None) -> str:
    """How a subscription remembers the browser session that made it (not the key itself)."""
    return hashlib.sha256(session_key.encode()).hexdigest() if session_key else ""


def allowed_endpoint(endpoint: str) -> bool:
    """Whether ``endpoint`` is at one of the push services of ``PUSH_SERVICES``: the server
    sends to nothing else."""
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme not in {"https", "http"} or not parts.hostname or parts.username:
        return False
    origin = f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else "")
    return any(fnmatchcase(origin, pattern) for pattern in settings.PUSH_SERVICES)


def device_label(user_agent: str) -> str:
    """A short name for a device from its browser's user agent: "Firefox op Android"."""
    agent = user_agent.lower()
    browser = next(
        (name for key, name in (("edg/", "Edge"), ("firefox/", "Firefox"), ("opr/", "Opera"),
                                ("chrome/", "Chrome"), ("chromium/", "Chromium"),
                                ("safari/", "Safari")) if key in agent),
        _("Browser"),
    )  # fmt: skip
    system = next(
        (name for key, name in (("android", "Android"), ("iphone", "iPhone"), ("ipad", "iPad"),
                                ("windows", "Windows"), ("mac os", "macOS"), ("cros", "ChromeOS"),
                                ("linux", "Linux")) if key in agent),
        "",
    )  # fmt: skip
    return (
        _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
        if system
        else browser
    )


def subscribe(
    user: User, *, endpoint: str, p256dh: str, auth: str, user_agent: str, session_key: str
) -> PushSubscription:
    """Store (or take over) the subscription of the browser the person is using now."""
    subscription, _created = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={
            "user": user,
            "p256dh": p256dh,
            "auth": auth,
            "user_agent": user_agent[:400],
            "label": device_label(user_agent),
            "session_hash": session_hash(session_key),
            "enabled": True,
        },
    )
    return subscription


def forget_session(session_key: str | None) -> int:
    """Signing out: the devices subscribed in that browser session get nothing more."""
    if not session_key:
        return 0
    return PushSubscription.objects.filter(session_hash=session_hash(session_key)).delete()[0]


def forget_unless_allowed(user_id: int) -> None:
    """After the commit: delete the person's devices if they are deactivated or no longer
    verified."""

    def check() -> None:
        user = User.objects.filter(pk=user_id).first()
        if user is None or not is_verified(user):
            PushSubscription.objects.filter(user_id=user_id).delete()

    transaction.on_commit(check)
