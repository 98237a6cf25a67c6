"""Every state change in channels: check, write in a transaction, broadcast after commit.

Broadcasts go to explicit groups computed from membership (``channel.<id>`` for a channel's
subscribers, ``user.<id>`` for one person's sockets). The channel layer may drop events; clients
recover from the database with ``sync``, so nothing here depends on delivery.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from channels_app import access, notifications, push
from channels_app.models import (
    Attachment,
    Channel,
    Membership,
    MembershipRequest,
    Mention,
    Message,
    ModerationEntry,
    Notification,
    Reaction,
    Report,
)
from core import metrics
from core.chat import (
    clean_body,
)
from core.engine import ChatEngine, Extra
from core.files import MAX_FILES, delete_stored, stored_upload
from core.protocol import broadcast_after_commit as _broadcast
from core.protocol import is_number, user_group
from core.rendering import render_markdown
from directory.access import is_verified

CHANNEL_MENTIONS = ("@kanaal", "@channel", "@iedereen")


# ---- notifications (stored and sent by ``channels_app.notifications``) -----------------------


def unread_mentions(user: User, channel: Any, read_up_to: Any) -> QuerySet[Mention]:
    """Mentions of ``user`` in ``channel`` after their read marker, in messages not deleted: what
    a mention badge counts. ``channel`` and ``read_up_to`` may be ``OuterRef``s."""
    return Mention.objects.filter(
        user=user,
        message__channel=channel,
        message__seq__gt=read_up_to,
        message__deleted_at__isnull=True,
    )


def unread_mention_counts(user: User, read_up_to: dict[int, int]) -> dict[int, int]:
    """``unread_mentions`` counted for several channels in one query, given the read marker in
    each: {channel id: count}, channels without any left out."""
    if not read_up_to:
        return {}
    after = Q()
    for channel_id, seq in read_up_to.items():
        after |= Q(message__channel_id=channel_id, message__seq__gt=seq)
    counts = (
        Mention.objects.filter(after, user=user, message__deleted_at__isnull=True)
        .values_list("message__channel_id")
        .annotate(count=Count("pk"))
    )
    return dict(counts)


# ---- channels and membership ---------------------------------------------------------------


def _add_member(channel: Channel, user: User, role: str = Membership.Role.MEMBER) -> Membership:
    membership, created = Membership.objects.get_or_create(
        channel=channel, user=user, defaults={"role": role, "last_read_seq": channel.last_seq}
    )
    if not created and membership.role != role and role != Membership.Role.MEMBER:
        membership.role = role
        membership.save(update_fields=["role"])
    _broadcast(user_group(user.pk), {"type": "membership.added", "room": channel.pk})
    return membership


def _unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "kanaal"
    slug, n = base, 2
    while Channel.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def create_channel(
    *,
    by: User,
    kind: str,
    name: str,
    description: str = "",
    topic: str = "",
    neighbourhoods: Iterable[Any] = (),
) -> Channel:
    """Open or closed channel, with its creator as channel administrator."""
    if not is_verified(by):
        raise PermissionDenied
    if kind not in (Channel.Kind.OPEN, Channel.Kind.CLOSED):
        raise ValidationError({"kind": _("Choose open or closed.")})
    channel = Channel(
        kind=kind,
        name=name.strip(),
        slug=_unique_slug(name),
        description=description,
        topic=topic,
        created_by=by,
    )
    _save_named(channel)
    channel.neighbourhoods.set(neighbourhoods)
    _add_member(channel, by, Membership.Role.ADMIN)
    return channel


def _save_named(channel: Channel) -> None:
    """Save a channel whose name the database keeps unique (``unique_channel_name``); a name in
    use is a field error, also when two people take it at the same moment."""
    try:
        channel.validate_constraints()
        try:
            with transaction.atomic():
                channel.save()
        except IntegrityError:
            channel.validate_constraints()  # the other one is stored now: this names the clash
            raise
    except ValidationError as error:
        raise ValidationError({"name": error.messages}) from None


MAX_DIRECT_MEMBERS = 8


def _lock_direct(people: set[int]) -> None:
    """Serialise the start of a conversation between the same people (until commit): the
    second start waits, then finds the first one's conversation instead of making another."""
    ids = ",".join(str(pk) for pk in sorted(people))
    digest = hashlib.sha256(f"channels_app.direct:{ids}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


@transaction.atomic
def direct_channel(*, by: User, others: Iterable[User]) -> Channel:
    """The direct conversation between ``by`` and ``others``; created the first time."""
    people = {by.pk: by} | {u.pk: u for u in others}
    if len(people) < 2:
        raise ValidationError(_("Choose at least one other person."))
    if len(people) > MAX_DIRECT_MEMBERS:
        raise ValidationError(
            _("A direct conversation has at most %(n)d people; use a channel for more.")
            % {"n": MAX_DIRECT_MEMBERS}
        )
    if not all(is_verified(u) for u in people.values()):
        raise ValidationError(
            _("Direct messages are only possible between verified professionals.")
        )
    wanted = set(people)
    _lock_direct(wanted)
    candidates = Channel.objects.filter(kind=Channel.Kind.DIRECT, memberships__user=by)
    for channel in candidates.prefetch_related("memberships"):
        if {m.user_id for m in channel.memberships.all()} == wanted:
            return channel
    channel = Channel.objects.create(kind=Channel.Kind.DIRECT, created_by=by)
    for user in people.values():
        _add_member(channel, user)
    return channel


@transaction.atomic
def join(channel: Channel, user: User) -> Membership:
    if channel.kind != Channel.Kind.OPEN or channel.is_archived or not is_verified(user):
        raise PermissionDenied
    return _add_member(channel, user)


def set_favourite(channel: Channel, user: User, *, favourite: bool) -> None:
    """Lists the channel or conversation among the member's favourites, or no longer."""
    if not Membership.objects.filter(channel=channel, user=user).update(favourite=favourite):
        raise PermissionDenied


def _lock_members(channel: Channel) -> None:
    """Lock the channel's row: changes of who administers it wait for each other, so each
    sees the other's outcome before it checks that an administrator remains."""
    Channel.objects.select_for_update().filter(pk=channel.pk).values_list("pk").get()


def _keep_an_administrator(membership: Membership, *, stays: bool) -> None:
    """Refuse to take away the last channel administrator of a channel that has people in it:
    ``membership`` loses its administrator role, the person staying (``stays``) or going.
    The caller holds ``_lock_members``."""
    if membership.role != Membership.Role.ADMIN:
        return
    others = Membership.objects.filter(channel_id=membership.channel_id).exclude(pk=membership.pk)
    if others.filter(role=Membership.Role.ADMIN).exists():
        return
    if stays or others.exists():
        raise ValidationError(
            _("You are the only channel administrator; appoint another one first.")
        )


@transaction.atomic
def leave(channel: Channel, user: User) -> None:
    if channel.is_direct:
        if Membership.objects.filter(channel=channel, user=user).exists():
            raise ValidationError(_("You cannot leave a direct conversation."))
        return
    _lock_members(channel)
    membership = Membership.objects.filter(channel=channel, user=user).first()
    if membership is None:
        return
    _keep_an_administrator(membership, stays=False)
    _drop_member(membership)


def _drop_member(membership: Membership) -> None:
    channel, user = membership.channel, membership.user
    membership.delete()
    # Every socket of this user stops receiving the channel at once.
    _broadcast(
        user_group(user.pk),
        {"type": "membership.removed", "room": channel.pk},
        leave_room=channel.pk,
    )


def _require(check: bool) -> None:
    if not check:
        raise PermissionDenied


@transaction.atomic
def remove_member(channel: Channel, *, by: User, user: User) -> None:
    _require(not channel.is_direct)
    _lock_members(channel)
    _require(access.access_for(by, channel).can_moderate)
    membership = Membership.objects.filter(channel=channel, user=user).first()
    if membership is None:
        return
    if (
        membership.role == Membership.Role.ADMIN
        and not access.access_for(by, channel).can_administer
    ):
        raise PermissionDenied
    _keep_an_administrator(membership, stays=False)
    _drop_member(membership)


@transaction.atomic
def set_role(channel: Channel, *, by: User, user: User, role: str) -> None:
    _require(not channel.is_direct)
    _lock_members(channel)
    _require(access.access_for(by, channel).can_administer)
    if role not in Membership.Role.values:
        raise ValidationError(_("Unknown role."))
    membership = Membership.objects.get(channel=channel, user=user)
    if role != Membership.Role.ADMIN:
        _keep_an_administrator(membership, stays=True)
    membership.role = role
    membership.save(update_fields=["role"])


@transaction.atomic
def invite(channel: Channel, *, by: User, user: User) -> MembershipRequest:
    _require(access.access_for(by, channel).can_administer and not channel.is_direct)
    if not is_verified(user):
        raise ValidationError(_("Only verified professionals can be invited."))
    if Membership.objects.filter(channel=channel, user=user).exists():
        raise ValidationError(_("%(name)s is already a member.") % {"name": user.display_name})
    invitation, _created = MembershipRequest.objects.get_or_create(
        channel=channel,
        user=user,
        status=MembershipRequest.Status.PENDING,
        defaults={"kind": MembershipRequest.Kind.INVITATION, "created_by": by},
    )
    if invitation.kind == MembershipRequest.Kind.REQUEST:
        # they had already asked: inviting them is approving
        decide(invitation, by=by, accept=True)
    elif _created:
        notifications.notify([user.pk], Notification.Kind.INVITATION, channel, actor=by)
    return invitation


@transaction.atomic
def request_to_join(channel: Channel, user: User) -> MembershipRequest:
    if channel.kind != Channel.Kind.CLOSED or channel.is_archived or not is_verified(user):
        raise PermissionDenied
    if Membership.objects.filter(channel=channel, user=user).exists():
        raise ValidationError(_("You are already a member."))
    request, created = MembershipRequest.objects.get_or_create(
        channel=channel,
        user=user,
        status=MembershipRequest.Status.PENDING,
        defaults={"kind": MembershipRequest.Kind.REQUEST, "created_by": user},
    )
    if created:
        admins = channel.memberships.filter(role=Membership.Role.ADMIN)
        notifications.notify(
            admins.values_list("user_id", flat=True),
            Notification.Kind.JOIN_REQUEST,
            channel,
            actor=user,
        )
    return request


@transaction.atomic
def decide(request: MembershipRequest, *, by: User, accept: bool) -> None:
    """Accept or decline: the invitee decides on an invitation, an administrator on a request."""
    request = MembershipRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != MembershipRequest.Status.PENDING:
        raise ValidationError(_("This has already been decided."))
    if request.kind == MembershipRequest.Kind.INVITATION:
        _require(by.pk == request.user_id)
    else:
        _require(access.access_for(by, request.channel).can_administer)
    request.status = (
        MembershipRequest.Status.ACCEPTED if accept else MembershipRequest.Status.DECLINED
    )
    request.decided_by = by
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    if accept:
        _add_member(request.channel, request.user)


@transaction.atomic
def archive(channel: Channel, *, by: User, archived: bool = True) -> None:
    _require(access.access_for(by, channel).can_administer and not channel.is_direct)
    channel.archived_at = timezone.now() if archived else None
    channel.save(update_fields=["archived_at"])


@transaction.atomic
def update_channel(channel: Channel, *, by: User, **fields: Any) -> None:
    _require(access.access_for(by, channel).can_administer and not channel.is_direct)
    neighbourhoods = fields.pop("neighbourhoods", None)
    for name, value in fields.items():
        setattr(channel, name, value)
    _save_named(channel)
    if neighbourhoods is not None:
        channel.neighbourhoods.set(neighbourhoods)
    _broadcast(channel.group_name, {"type": "room.updated", "room": channel.pk,
                                    "name": channel.name, "topic": channel.topic})  # fmt: skip


# ---- messages ------------------------------------------------------------------------------


def _mentioned(channel: Channel, body: str) -> set[int]:
    if "@" not in body:
        return set()  # most messages: no need to look at every member
    lowered = body.lower()
    members = channel.memberships.values_list("user_id", "user__display_name")
    if any(token in lowered for token in CHANNEL_MENTIONS):
        return {user_id for user_id, _name in members}
    return {
        user_id
        for user_id, name in members
        if name and re.search(r"@" + re.escape(name.lower()) + r"\b", lowered)
    }


def _attachments_html(message: Message) -> str:
    attachments = list(message.attachments.all())
    if not attachments:
        return ""
    return render_to_string(
        "channels_app/includes/attachments.html", {"attachments": attachments}
    ).strip()


def message_frame(
    message: Message, kind: str = "message.created", language: str | None = None
) -> dict[str, Any]:
    """The frame for ``message``, with its row as every page shows it (``rows``: in every
    language, or in ``language`` only)."""
    deleted = message.is_deleted
    rows = CHANNELS.rows(message, [language] if language else None)
    attachments_html = "" if deleted else _attachments_html(message)
    return {
        "type": kind,
        "room": message.channel_id,
        "id": message.pk,
        "seq": message.seq,
        "client_id": str(message.client_id),
        "author": {"id": message.author_id, "name": message.author.display_name},
        "parent": message.parent_id,
        "html": "" if deleted else message.body_html + (attachments_html or ""),
        "body": "" if deleted else message.body,
        "reply_count": message.reply_count,
        "created_at": message.created_at.isoformat(),
        "edited": message.edited_at is not None,
        "deleted": deleted,
        "pinned": message.pinned_at is not None,
        "change": message.change_seq,
        "rows": rows,
    }


def _next_change(channel_id: int) -> int:
    """The room's next change number, in the caller's transaction.

    The update locks the room's row until the transaction ends, so changes commit in the order
    of their numbers and a client that saw number N has seen every change up to N.
    """
    Channel.objects.filter(pk=channel_id).update(last_change=F("last_change") + 1)
    return Channel.objects.filter(pk=channel_id).values_list("last_change", flat=True).get()


def _thread_start(room: Channel, message_id: int) -> Message | None:
    """The message of ``room`` a reply with ``parent=message_id`` goes under: one that is not a
    reply itself."""
    return Message.objects.filter(pk=message_id, channel=room, parent__isnull=True).first()


def _unsent(room: Channel, author: User, attachment_ids: set[int]) -> QuerySet[Attachment]:
    """Of ``attachment_ids``, the files ``author`` uploaded to ``room`` and has not sent yet."""
    return Attachment.objects.filter(
        pk__in=attachment_ids, channel=room, uploader=author, message__isnull=True
    )


class ChannelRooms(ChatEngine[Message]):
    """Channels and direct conversations on the chat engine: threads, mentions, files uploaded
    beforehand, change numbers for ``sync``."""

    room_model = Channel
    message_model = Message
    member_model = Membership
    prefetch = ("attachments", "reactions")
    related = ("author__professional",)  # the avatar
    row_template = "channels_app/includes/message.html"
    content_template = "channels_app/includes/message_content.html"

    def version(self, message: Message) -> str:
        return str(message.change_seq)

    def metric_kind(self, room: Channel) -> str:
        return metrics.DIRECT if room.is_direct else metrics.CHANNEL

    def post(
        self, room_id: int, *, parent_id: Any = None, attachment_ids: Any = (), **fields: Any
    ) -> tuple[Message, bool]:
        """Store a message and broadcast it; a retried ``client_id`` returns the stored one.

        ``parent_id`` is the thread's first message; ``attachment_ids`` are files the author
        uploaded to this channel with ``upload_attachment`` and not yet used. Returns
        (message, created). Raises PermissionDenied, ValidationError or RateLimited.
        """
        if not isinstance(attachment_ids, list | tuple) or not all(
            is_number(a, minimum=1) for a in attachment_ids
        ):
            raise ValidationError(_("Attachments must be a list of file ids."))
        if len(attachment_ids) > MAX_FILES:
            raise ValidationError(_("At most %(n)d files per message.") % {"n": MAX_FILES})
        if parent_id is not None and not is_number(parent_id, minimum=1):
            raise ValidationError(_("The message you reply to does not exist."))
        allow_empty = bool(attachment_ids)
        extra = {"parent_id": parent_id, "attachment_ids": attachment_ids}
        return super().post(room_id, allow_empty=allow_empty, **extra, **fields)

    def may_post(self, user: User, room: Channel) -> access.ChannelAccess:
        rights = access.access_for(user, room)
        _require(rights.can_post)
        return rights

    def check(self, room: Channel, author: User, extra: Extra) -> None:
        """The thread's first message and the files, as ``prepare`` and ``posted`` take them:
        refused here, before a token of the rate limit is spent."""
        if extra["parent_id"] is not None and not _thread_start(room, extra["parent_id"]):
            raise ValidationError(_("The message you reply to does not exist."))
        attachment_ids = set(extra["attachment_ids"])
        if attachment_ids and _unsent(room, author, attachment_ids).count() != len(attachment_ids):
            raise ValidationError(_("One of the files does not exist or is already used."))

    def prepare(
        self, message: Message, room: Channel, rights: access.ChannelAccess, extra: Extra
    ) -> list[str]:
        parent = None
        if extra["parent_id"] is not None:
            parent = _thread_start(room, extra["parent_id"])
            if parent is None:
                raise ValidationError(_("The message you reply to does not exist."))
            room.last_change += 1  # its reply count changes
            parent.change_seq = room.last_change
        room.last_change += 1
        message.parent = parent
        message.change_seq = room.last_change
        return ["last_change"]

    def posted(
        self, message: Message, room: Channel, rights: access.ChannelAccess, extra: Extra
    ) -> None:
        attachment_ids = set(extra["attachment_ids"])
        if attachment_ids:
            attached = _unsent(room, message.author, attachment_ids).update(message=message)
            if attached != len(attachment_ids):
                raise ValidationError(_("One of the files does not exist or is already used."))
        mentioned = _mentioned(room, message.body) - {message.author_id}
        Mention.objects.bulk_create(Mention(message=message, user_id=u) for u in mentioned)
        notifications.notify(
            mentioned, Notification.Kind.MENTION, room, message=message, actor=message.author
        )
        push.push(mentioned, push.MENTION, channel=room, message=message)
        pushed = set(mentioned)
        if room.is_direct:
            others = set(room.memberships.values_list("user_id", flat=True)) - mentioned
            others.discard(message.author_id)
            if message.seq == 1:
                # the first message of a new conversation: the others learn that it exists
                notifications.notify(
                    others, Notification.Kind.DIRECT, room, message=message, actor=message.author
                )
            # every message of a direct conversation reaches the others' devices
            push.push(others, push.DIRECT, channel=room, message=message)
            pushed |= others
        parent = message.parent
        if parent is None:
            return
        Message.objects.filter(pk=parent.pk).update(
            reply_count=F("reply_count") + 1, change_seq=parent.change_seq
        )
        parent.reply_count += 1
        _broadcast(room.group_name, message_frame(parent, "message.updated"))
        # everyone in the thread hears about a reply, unless the mention told them already
        in_thread = set(
            Message.objects.filter(parent=parent).values_list("author_id", flat=True)
        ) | {parent.author_id}
        members = set(room.memberships.values_list("user_id", flat=True))
        notifications.notify(
            (in_thread & members) - mentioned,
            Notification.Kind.REPLY,
            room,
            message=message,
            actor=message.author,
        )
        push.push(
            (in_thread & members) - pushed - {message.author_id},
            push.REPLY,
            channel=room,
            message=message,
        )

    def frame(self, message: Message, language: str | None = None) -> dict[str, Any]:
        return message_frame(message, language=language)

    def changed(
        self, channel: Channel, after: int, changes_after: int, language: str | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Every message that changed after ``changes_after``, in the order of the changes.

        New messages (sequence number above ``after``) come as ``message.created``; older ones
        as ``message.updated`` or ``message.deleted`` (a tombstone) followed by their current
        reactions. ``last_change`` in the answer is the number to sync from next time.
        """
        # Read before the messages: whatever committed after this is found the next time.
        last_change = channel.last_change
        messages = list(
            Message.objects.filter(channel=channel, change_seq__gt=changes_after)
            .select_related(*self.related)
            .prefetch_related(*self.prefetch)
            .order_by("change_seq")[: self.sync_batch]
        )
        more = len(messages) == self.sync_batch
        if language:
            self.with_contents(messages, language)  # one cache round trip for them all
        frames: list[dict[str, Any]] = []
        for message in messages:
            if message.seq > after:
                frames.append(message_frame(message, language=language))
            else:
                kind = "message.deleted" if message.is_deleted else "message.updated"
                frames.append(message_frame(message, kind, language))
            if message.seq <= after or message.reactions.all():
                summary: dict[str, list[int]] = {}
                for reaction in sorted(message.reactions.all(), key=lambda r: r.created_at):
                    summary.setdefault(reaction.emoji, []).append(reaction.user_id)
                frames.append(reaction_frame(message, summary))
        return frames, {
            "last_seq": channel.last_seq,
            "last_change": messages[-1].change_seq if more else max(last_change, changes_after),
            "more": more,
        }


CHANNELS = ChannelRooms()
post_message = CHANNELS.post


def _editable(message: Message, by: User) -> None:
    rights = access.access_for(by, message.channel)
    _require_not_deleted(message)
    _require(rights.can_read and (message.author_id == by.pk or rights.can_moderate))


def _require_not_deleted(message: Message) -> None:
    if message.is_deleted:
        raise ValidationError(_("This message has been deleted."))


def _change_of(message: Message) -> int:
    """The room's next change number for a change of ``message``, which is read again.

    The number locks the room's row (``_next_change``) and every change of a message takes that
    lock before it writes, so the message read now stays as it is until this transaction ends:
    a delete that committed while this waited for the lock shows here, and the caller's copy
    (read before, outside the transaction) is brought up to date with it. Raises
    ValidationError for a deleted message.
    """
    change = _next_change(message.channel_id)
    message.refresh_from_db(
        from_queryset=Message.objects.select_related("channel", *CHANNELS.related)
    )
    _require_not_deleted(message)
    return change


@transaction.atomic
def edit_message(message: Message, *, by: User, body: Any) -> Message:
    _require(message.author_id == by.pk)
    _editable(message, by)
    _require(access.access_for(by, message.channel).can_post)
    body = clean_body(body)
    message.change_seq = _change_of(message)
    message.body = body
    message.body_html = render_markdown(body, chat=True)
    message.edited_at = timezone.now()
    message.save(update_fields=["body", "body_html", "edited_at", "change_seq"])
    _broadcast(message.channel.group_name, message_frame(message, "message.updated"))
    return message


@transaction.atomic
def delete_message(message: Message, *, by: User) -> Message:
    """Authors delete their own messages, moderators anyone's; a tombstone stays in place."""
    _editable(message, by)
    return _tombstone(message, by)


def _tombstone(message: Message, by: User) -> Message:
    message.change_seq = _change_of(message)
    message.deleted_at = timezone.now()
    message.deleted_by = by
    message.body = ""
    message.body_html = ""
    message.save(update_fields=["deleted_at", "deleted_by", "body", "body_html", "change_seq"])
    message.reactions.all().delete()
    message.mentions.all().delete()
    _broadcast(message.channel.group_name, message_frame(message, "message.deleted"))
    return message


@transaction.atomic
def pin_message(message: Message, *, by: User, pinned: bool = True) -> Message:
    rights = access.access_for(by, message.channel)
    _require(rights.can_moderate or (rights.member and message.channel.is_direct))
    _require_not_deleted(message)
    message.change_seq = _change_of(message)
    message.pinned_at = timezone.now() if pinned else None
    message.pinned_by = by if pinned else None
    message.save(update_fields=["pinned_at", "pinned_by", "change_seq"])
    _broadcast(message.channel.group_name, message_frame(message, "message.updated"))
    return message


def reaction_summary(message: Message) -> dict[str, list[int]]:
    summary: dict[str, list[int]] = {}
    for emoji, user_id in message.reactions.order_by("created_at").values_list("emoji", "user_id"):
        summary.setdefault(emoji, []).append(user_id)
    return summary


@transaction.atomic
def toggle_reaction(message: Message, *, by: User, emoji: Any) -> dict[str, list[int]]:
    if emoji not in Reaction.EMOJI:
        raise ValidationError(_("This reaction is not available."))
    rights = access.access_for(by, message.channel)
    _require(rights.can_post)
    _require_not_deleted(message)
    message.change_seq = _change_of(message)
    removed, _n = Reaction.objects.filter(message=message, user=by, emoji=emoji).delete()
    if not removed:
        Reaction.objects.create(message=message, user=by, emoji=emoji)
    summary = reaction_summary(message)
    Message.objects.filter(pk=message.pk).update(change_seq=message.change_seq)
    getattr(message, "_prefetched_objects_cache", {}).pop("reactions", None)
    frame = reaction_frame(message, summary)
    frame["rows"] = CHANNELS.rows(message)
    _broadcast(message.channel.group_name, frame)
    return summary


def reaction_frame(message: Message, summary: dict[str, list[int]]) -> dict[str, Any]:
    """Who reacted with what; live (from ``toggle_reaction``) with the message's new ``rows``."""
    return {
        "type": "reaction", "room": message.channel_id, "id": message.pk, "reactions": summary,
        "change": message.change_seq,
    }  # fmt: skip


def mark_read(channel: Channel, *, user: User, seq: Any) -> int:
    """Move the user's read marker forward (never back); returns the marker."""
    marker = CHANNELS.mark_read(channel, user=user, seq=seq)
    with transaction.atomic():
        _broadcast(user_group(user.pk), {"type": "read", "room": channel.pk, "seq": marker})
    return marker


@transaction.atomic
def report_message(message: Message, *, by: User, reason: Any) -> Report:
    """Anyone who can read a message can report it. The channel's moderators are notified, or,
    where it has none (direct conversations) but the reporter and the message's author, the
    platform's moderators: nobody judges a report about their own message."""
    _require(access.access_for(by, message.channel).can_read)
    _require_not_deleted(message)
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError(_("Say briefly what is wrong with this message."))
    if len(reason) > 500:
        raise ValidationError(_("Keep the reason under 500 characters."))
    report, created = Report.objects.get_or_create(
        message=message, reporter=by, defaults={"reason": reason, "body": message.body}
    )
    if created:
        moderators = set(
            message.channel.memberships.filter(role__in=access.MODERATING_ROLES).values_list(
                "user_id", flat=True
            )
        ) - {by.pk, message.author_id}
        if not moderators:
            moderators = access.platform_moderator_ids() - {message.author_id}
        notifications.notify(
            moderators, Notification.Kind.REPORT, message.channel, message=message, actor=by
        )
    return report


def log_moderation(report: Report, *, by: User, action: str) -> ModerationEntry:
    return ModerationEntry.objects.create(
        report=report, actor=by, actor_name=by.display_name or by.email, action=action
    )


@transaction.atomic
def resolve_report(report: Report, *, by: User, outcome: str) -> None:
    """Close a report without action, or remove the message (which closes every open report on
    it); each decision is logged."""
    if outcome not in Report.Outcome.values:
        raise ValidationError(_("Choose what to do with the report."))
    try:
        report = access.reports_for(by).select_for_update(of=("self",)).get(pk=report.pk)
    except Report.DoesNotExist:
        raise PermissionDenied from None
    if Message.objects.filter(pk=report.message_id, author=by).exists():
        raise PermissionDenied  # nobody decides about a report on their own message
    if not report.is_open:
        raise ValidationError(_("This report has already been handled."))
    reports = [report]
    if outcome == Report.Outcome.REMOVED:
        # The room's row first: every change of a message locks it before the message's row
        # (``_change_of``), and locks taken in the other order could wait for each other.
        room = Message.objects.values_list("channel_id", flat=True).get(pk=report.message_id)
        Channel.objects.select_for_update().filter(pk=room).values_list("pk").get()
        message = Message.objects.select_for_update().get(pk=report.message_id)
        if not message.is_deleted:
            _tombstone(message, by)
        reports += list(
            message.reports.select_for_update()
            .filter(resolved_at__isnull=True)
            .exclude(pk=report.pk)
        )
    now = timezone.now()
    for each in reports:
        each.resolved_at, each.resolved_by, each.outcome = now, by, outcome
        each.save(update_fields=["resolved_at", "resolved_by", "outcome"])
        log_moderation(each, by=by, action=outcome)


@transaction.atomic
def discard_upload(attachment: Attachment, *, by: User) -> None:
    """Delete a file its uploader took back before sending it (rows and bytes); a file that
    went with a message stays with it."""
    if attachment.uploader_id != by.pk or attachment.message_id is not None:
        raise PermissionDenied
    _delete_unsent([attachment])


def purge_unsent_uploads(older_than: timedelta) -> int:
    """Delete files uploaded for a message that was never sent (the tab was closed); returns
    how many."""
    stale = list(
        Attachment.objects.filter(message__isnull=True, created_at__lt=timezone.now() - older_than)
    )
    _delete_unsent(stale)
    return len(stale)


def _delete_unsent(attachments: list[Attachment]) -> None:
    names = [str(item.file.name) for item in attachments]
    with transaction.atomic():
        Attachment.objects.filter(pk__in=[item.pk for item in attachments]).delete()
        transaction.on_commit(lambda: delete_stored(Attachment, names))


def upload_attachment(channel: Channel, *, by: User, upload: Any) -> Attachment:
    """Store a file for a message the uploader is about to send; its type is sniffed."""
    _require(access.access_for(by, channel).can_post)
    attachment = stored_upload(Attachment, by=by, upload=upload, channel=channel)
    attachment.save()
    return attachment
