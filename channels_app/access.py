"""Who may see and do what in channels; the same helpers serve views and the websocket.

Open channels can be read by every verified professional; closed channels show their name and
description to verified professionals (so they can ask to join) but their messages only to
members; direct conversations do not exist for anyone outside them (404).

Every right in a channel comes from the user's ``Membership`` row, its role mapped through
``ROLE_PERMISSIONS``, and from nothing else: superuser and staff status grant none (DESIGN.md,
"Revocation and administrators"). django-guardian's object permissions are not read here,
because guardian answers "every permission" for a superuser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404

from channels_app.models import Channel, Membership, Message
from directory.access import is_verified

VIEW = "view_messages"
POST = "post_messages"
MODERATE = "moderate_channel"
ADMINISTER = "administer_channel"

ROLE_PERMISSIONS = {
    Membership.Role.MEMBER: [VIEW, POST],
    Membership.Role.MODERATOR: [VIEW, POST, MODERATE],
    Membership.Role.ADMIN: [VIEW, POST, MODERATE, ADMINISTER],
}


@dataclass(frozen=True)
class ChannelAccess:
    """What one user may do in one channel, worked out once."""

    channel: Channel
    member: bool
    can_read: bool
    can_post: bool
    can_moderate: bool
    can_administer: bool
    #: the user's membership row (their role and read marker), if they are a member
    membership: Membership | None = None


def membership_of(user: Any, channel: Channel) -> Membership | None:
    """The membership of an active, signed-in ``user`` in ``channel``, or None."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return Membership.objects.filter(channel=channel, user=user).first()


def access_for(user: Any, channel: Channel) -> ChannelAccess:
    """The rights of ``user`` in ``channel``: their role's, as a member; reading only, in an
    open channel, as a verified professional; nothing otherwise."""
    membership = membership_of(user, channel)
    perms = set(ROLE_PERMISSIONS.get(membership.role, ())) if membership else set()
    member = VIEW in perms
    can_read = member or (channel.kind == Channel.Kind.OPEN and is_verified(user))
    archived = channel.is_archived
    return ChannelAccess(
        channel=channel,
        member=member,
        can_read=can_read,
        can_post=POST in perms and not archived,
        can_moderate=MODERATE in perms,
        can_administer=ADMINISTER in perms,
        membership=membership if member else None,
    )


def visible_channel(user: Any, channel_id: Any) -> ChannelAccess:
    """The channel as ``user`` may see it, or 404 (also for unverified users)."""
    if not is_verified(user):
        raise Http404
    try:
        channel = Channel.objects.get(pk=int(channel_id))
    except (Channel.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    access = access_for(user, channel)
    if channel.is_direct and not access.member:
        raise Http404
    return access


def readable_channel(user: Any, channel_id: Any) -> ChannelAccess:
    """The channel if ``user`` may read its messages; 404 otherwise."""
    access = visible_channel(user, channel_id)
    if not access.can_read:
        raise Http404
    return access


def readable_message(user: Any, message_id: Any) -> tuple[Message, ChannelAccess]:
    try:
        message = Message.objects.select_related("channel", "author").get(pk=int(message_id))
    except (Message.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    return message, readable_channel(user, message.channel_id)
