"""Who may see and do what in channels; the same helpers serve views and the websocket.

Open channels can be read by every verified professional; closed channels show their name and
description to verified professionals (so they can ask to join) but their messages only to
members; direct conversations do not exist for anyone outside them (404).

Every right in a channel comes from the user's ``Membership`` row, its role mapped through
``ROLE_PERMISSIONS``, and from nothing else: superuser and staff status grant none (DESIGN.md,
"Revocation and administrators"). The role is the one place a right is stored. An object
permission library (django-guardian, planned first) would keep a second copy that has to be
kept in step with the membership by hand, and it answers "every permission" for a superuser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import User
from accounts.roles import Role
from channels_app.models import Channel, Membership, Message, Report
from directory.access import is_verified

#: the global permission of platform moderators, who handle reports in every channel (and are the
#: only ones who can in direct conversations): they see the reported message, nothing else
MODERATE_REPORTS = "channels_app.moderate_reports"

VIEW = "view_messages"
POST = "post_messages"
MODERATE = "moderate_channel"
ADMINISTER = "administer_channel"

ROLE_PERMISSIONS: dict[str, list[str]] = {
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


#: ``access_for``'s default: the membership is read from the database
LOOK_UP: Any = object()


def access_for(user: Any, channel: Channel, membership: Any = LOOK_UP) -> ChannelAccess:
    """The rights of ``user`` in ``channel``: their role's, as a member; reading only, in an
    open channel, as a verified professional; nothing otherwise.

    ``membership`` is the user's row in the channel (or None) where the caller has read it
    already for an active, signed-in user (``readable_channels``)."""
    if membership is LOOK_UP:
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
    if not _visible(access):
        raise Http404
    return access


def _visible(access: ChannelAccess) -> bool:
    """Direct conversations do not exist for anyone outside them."""
    return access.member or not access.channel.is_direct


def readable_channel(user: Any, channel_id: Any) -> ChannelAccess:
    """The channel if ``user`` may read its messages; 404 otherwise."""
    access = visible_channel(user, channel_id)
    if not access.can_read:
        raise Http404
    return access


def readable_channels(user: Any, channel_ids: list[int]) -> dict[int, ChannelAccess]:
    """``readable_channel`` for several channels at once, in two queries: the channels the user
    may read, by id; the others are left out."""
    if not is_verified(user):
        return {}
    channels = Channel.objects.in_bulk(channel_ids)
    memberships = {
        membership.channel_id: membership
        for membership in Membership.objects.filter(user=user, channel_id__in=list(channels))
    }
    readable = {}
    for pk, channel in channels.items():
        access = access_for(user, channel, memberships.get(pk))
        if access.can_read and _visible(access):
            readable[pk] = access
    return readable


def readable_message(user: Any, message_id: Any) -> tuple[Message, ChannelAccess]:
    try:
        message = Message.objects.select_related("channel", "author").get(pk=int(message_id))
    except (Message.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    return message, readable_channel(user, message.channel_id)


# ---- reported messages ---------------------------------------------------------------------

MODERATING_ROLES = [role for role, perms in ROLE_PERMISSIONS.items() if MODERATE in perms]


def moderates_platform(user: Any) -> bool:
    """Whether ``user`` handles reports in every channel: platform administrators, and whoever
    is given the permission. What a report shows them is the reported message alone, and each
    look is logged (``ModerationEntry``)."""
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return False
    return bool(user.is_platform_admin or user.has_perm(MODERATE_REPORTS))


def platform_moderator_ids() -> set[int]:
    """Who is told of a report in a conversation that has no moderators of its own."""
    holders = ModelBackend().with_perm(MODERATE_REPORTS)  # superusers included
    moderators = User.objects.filter(
        Q(pk__in=holders.values("pk")) | Q(groups__name=Role.PLATFORM_ADMIN), is_active=True
    )
    return set(moderators.values_list("pk", flat=True))


def reports_for(user: Any) -> QuerySet[Report]:
    """The reports ``user`` may handle: all for platform moderators, otherwise those in the
    channels where the user is a verified moderator."""
    if moderates_platform(user):
        return Report.objects.all()
    if not is_verified(user):
        return Report.objects.none()
    return Report.objects.filter(
        message__channel__memberships__user=user,
        message__channel__memberships__role__in=MODERATING_ROLES,
    )


def handled_report(user: Any, report_id: Any) -> Report:
    """A report ``user`` may handle, or 404 (never a hint that it exists)."""
    try:
        return (
            reports_for(user)
            .select_related("message__channel", "message__author", "reporter", "resolved_by")
            .get(pk=int(report_id))
        )
    except (Report.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
