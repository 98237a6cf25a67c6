from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import ChatMessage, RandomName, StoredFile, message_constraints


class Channel(models.Model):
    """A room where professionals talk: open, closed, or a direct conversation."""

    class Kind(models.TextChoices):
        OPEN = "open", _("Open channel")
        CLOSED = "closed", _("Closed channel")
        DIRECT = "direct", _("Direct message")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OPEN)
    name = models.CharField(_("name"), max_length=80, blank=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True, null=True, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=1000)
    topic = models.CharField(_("topic"), max_length=250, blank=True)
    neighbourhoods = models.ManyToManyField(
        "directory.Neighbourhood", verbose_name=_("neighbourhoods"), blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    #: the sequence number of the newest message; every message gets the next one
    last_seq = models.PositiveBigIntegerField(default=0, editable=False)
    last_message_at = models.DateTimeField(null=True, blank=True, editable=False)
    #: counts every change to the room's messages (new, edited, deleted, pinned, reactions,
    #: replies); ``sync`` returns what changed after the number a client last saw
    last_change = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "archived_at"])]
        constraints = [
            # one channel per name, whatever its capitals; direct conversations have no name
            models.UniqueConstraint(
                Lower("name"),
                condition=~models.Q(kind="direct"),
                name="unique_channel_name",
                violation_error_message=_("A channel with this name already exists."),
            )
        ]

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"

    @property
    def is_direct(self) -> bool:
        return self.kind == self.Kind.DIRECT

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def group_name(self) -> str:
        return f"channel.{self.pk}"


class PushLevel(models.TextChoices):
    """What of a channel reaches a member's devices (the notifications page lists it all)."""

    ALL = "all", _("Everything for you")
    MENTIONS = "mentions", _("Mentions only")
    NONE = "none", _("Nothing (muted)")


class Membership(models.Model):
    """Someone in a channel, with their role and how far they have read."""

    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        MODERATOR = "moderator", _("Moderator")
        ADMIN = "admin", _("Channel administrator")

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)
    last_read_seq = models.PositiveBigIntegerField(default=0)
    #: listed first in the person's sidebar, under "Favourites"
    favourite = models.BooleanField(_("favourite"), default=False)
    #: which of the room's messages reach the member's devices as push notifications
    push = models.CharField(
        _("push notifications"),
        max_length=10,
        choices=PushLevel.choices,
        default=PushLevel.ALL,
        # the previous release inserts memberships without it during a rolling upgrade
        db_default=PushLevel.ALL,
    )

    class Meta:
        verbose_name = _("channel membership")
        verbose_name_plural = _("channel memberships")
        constraints = [
            models.UniqueConstraint(fields=["channel", "user"], name="channel_membership_unique")
        ]
        indexes = [models.Index(fields=["user", "channel"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.channel}"


class MembershipRequest(models.Model):
    """An invitation by a channel admin, or a request to join a closed channel."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        REQUEST = "request", _("Request to join")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="requests")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_requests"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("membership request")
        verbose_name_plural = _("membership requests")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "user"],
                condition=models.Q(status="pending"),
                name="one_pending_request_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.user} → {self.channel}"


class Message(ChatMessage):
    room_field = "channel"

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="messages")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    reply_count = models.PositiveIntegerField(default=0)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    pinned_at = models.DateTimeField(null=True, blank=True)
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept by PostgreSQL itself from the body, on insert and on every edit (a deleted message's
    # body is empty, so it matches nothing). The text-search configuration is SEARCH_CONFIG as
    # it was when migration 0008 made the column; changing it later means making it again.
    search_vector = models.GeneratedField(
        expression=SearchVector("body", config=settings.SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    #: the channel's ``last_change`` when this message last changed
    change_seq = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["channel", "seq"]
        constraints = message_constraints("channel", "message")
        indexes = [
            models.Index(fields=["parent", "seq"]),
            models.Index(fields=["channel", "change_seq"]),
            # search results, newest first: everywhere, and within one channel
            models.Index(fields=["-created_at", "-id"], name="message_newest"),
            models.Index(fields=["channel", "-created_at", "-id"], name="message_channel_newest"),
            GinIndex(fields=["search_vector"], name="message_search_gin"),
        ]

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Reaction(models.Model):
    #: The reactions on offer: a small set that reads well in a professional conversation, each
    #: with its name and the words the picker finds it by.
    CHOICES = [
        ("👍", _("thumbs up"), _("agree, yes, good, fine")),
        ("❤️", _("heart"), _("love, thanks, warm")),
        ("😊", _("smile"), _("happy, friendly, glad")),
        ("🙏", _("folded hands"), _("thank you, please, hope")),
        ("👏", _("applause"), _("well done, clap, bravo")),
        ("🎉", _("party popper"), _("celebrate, congratulations, hooray")),
        ("✅", _("check mark"), _("done, finished, arranged, ok")),
        ("👀", _("eyes"), _("looking, will look, seen")),
        ("💡", _("light bulb"), _("idea, tip, insight")),
        ("🤝", _("handshake"), _("agreement, deal, together")),
        ("💪", _("flexed biceps"), _("strength, go for it, strong")),
        ("😂", _("tears of joy"), _("laugh, funny")),
        ("😮", _("surprised"), _("wow, astonished")),
        ("😢", _("sad"), _("sorry, crying")),
        ("❓", _("question mark"), _("question, unclear")),
        ("📌", _("pushpin"), _("noted, remember, important")),
    ]
    EMOJI = [emoji for emoji, _name, _words in CHOICES]

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user", "emoji"], name="reaction_unique")
        ]

    def __str__(self) -> str:
        return f"{self.emoji} on {self.message}"


class Mention(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="mention_unique")]
        indexes = [models.Index(fields=["user", "message"])]

    def __str__(self) -> str:
        return f"@{self.user} in {self.message}"


class Report(models.Model):
    """A message someone thinks breaks the rules. The channel's moderators handle it, or, where a
    conversation has none (direct conversations), the platform's moderators; those see the
    reported message only, as it was when it was reported, and every look is logged."""

    class Outcome(models.TextChoices):
        DISMISSED = "dismissed", _("Closed without action")
        REMOVED = "removed", _("Message removed")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500)
    #: the message's text when it was reported: what moderators judge, even if it is edited since
    body = models.TextField(_("reported text"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        permissions = [("moderate_reports", _("Can handle reported messages in any channel"))]
        constraints = [
            models.UniqueConstraint(fields=["message", "reporter"], name="one_report_per_person")
        ]

    def __str__(self) -> str:
        return f"Report on {self.message}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class ModerationEntry(models.Model):
    """One look at or decision on a reported message, by whom and when (append-only)."""

    class Action(models.TextChoices):
        VIEWED = "viewed", _("Viewed the reported message")
        DISMISSED = "dismissed", _("Closed the report without action")
        REMOVED = "removed", _("Removed the message")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="log")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    #: the actor's name at the time, kept if the account is deleted later
    actor_name = models.CharField(max_length=200)
    action = models.CharField(max_length=10, choices=Action.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("moderation log entry")
        verbose_name_plural = _("moderation log")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} report {self.report_id}"


class Notification(models.Model):
    """Something that happened for one person: shown live, and e-mailed in a digest."""

    class Kind(models.TextChoices):
        MENTION = "mention", _("Mention")
        REPLY = "reply", _("Reply in your thread")
        INVITATION = "invitation", _("Invitation to a channel")
        JOIN_REQUEST = "join_request", _("Request to join your channel")
        REPORT = "report", _("Reported message")
        DIRECT = "direct", _("New direct conversation")
        CASE_INVITATION = "case_invitation", _("Invitation to a case room")
        CASE_MEMBER_SUSPENDED = "case_suspended", _("Member of your case room suspended")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    #: what it is about: a channel, or (case rooms) the local address it opens, never both
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    link = models.CharField(max_length=200, blank=True, default="")
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(channel__isnull=False) & Q(link=""))
                | (Q(channel__isnull=True) & ~Q(link="")),
                name="notification_channel_or_link",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.user}"


class Attachment(StoredFile):
    """A file shared in a channel, uploaded before the message that carries it is sent."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    file = models.FileField(upload_to=RandomName("attachments", "channel_id"), max_length=200)

    class Meta(StoredFile.Meta):
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")


class PushSubscription(models.Model):
    """One device (a browser) that receives the person's push notifications (Web Push).

    What the browser's push service gave it: the address to send to (``endpoint``) and the keys
    to encrypt for (``p256dh``, ``auth``). Bound to the browser session that made it: signing
    out there deletes it (``channels_app.push``).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.CharField(_("address"), max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    #: what the person sees in their list of devices (browser and system, from the user agent)
    label = models.CharField(_("device"), max_length=100, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    #: a hash of the session key that subscribed (``core.protocol.session_group``'s hash)
    session_hash = models.CharField(max_length=64, blank=True, db_index=True)
    enabled = models.BooleanField(_("on"), default=True)
    created_at = models.DateTimeField(_("added"), default=timezone.now)
    last_success_at = models.DateTimeField(_("last delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("device for push notifications")
        verbose_name_plural = _("devices for push notifications")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.label or self.pk} of {self.user}"


class PushPreferences(models.Model):
    """One person's rules for push notifications; without a row the defaults hold."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_preferences"
    )
    #: no pushes from ``quiet_from`` to ``quiet_until`` (the deployment's time zone); equal
    #: times: no quiet hours
    quiet_from = models.TimeField(_("quiet from"), default=datetime.time(18, 0))
    quiet_until = models.TimeField(_("quiet until"), default=datetime.time(8, 0))
    quiet_weekends = models.BooleanField(_("quiet at weekends"), default=True)
    #: open channels only: the sender and the first words of the message
    show_content = models.BooleanField(
        _("show sender and first words for open channels"), default=False
    )

    class Meta:
        verbose_name = _("push notification settings")
        verbose_name_plural = _("push notification settings")

    def __str__(self) -> str:
        return f"Push settings of {self.user}"
