"""Case rooms: working together on one resident's situation, with consent and an access log.

The resident is named only by a pseudonym. Content (messages, files, plan, Positieve
Gezondheid records) lives in its own tables so that it can be purged after the retention period
while the room's outline and its access log survive.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import ChatMessage, RandomName, StoredFile, message_constraints
from privacy.validators import validate_no_identifier, validate_pseudonym


class LegalGround(models.TextChoices):
    """The grounds the platform supports; the organisation decides which one applies."""

    CONSENT = "consent", _("Explicit consent of the resident (GDPR art. 6(1)(a) and 9(2)(a))")
    CARE_AGREEMENT = (
        "care_agreement",
        _("Treatment agreement, with consent to share (WGBO; GDPR art. 6(1)(b) and 9(2)(h))"),
    )
    PUBLIC_TASK = (
        "public_task",
        _("Statutory task of the municipality (Wmo 2015 or Jeugdwet; GDPR art. 6(1)(e))"),
    )
    VITAL_INTEREST = "vital_interest", _("Vital interest of the resident (GDPR art. 6(1)(d))")


def default_retention_days() -> int:
    return settings.CASE_RETENTION_DAYS


class CaseRoom(models.Model):
    """One resident's or family's situation, worked on by invited professionals."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    pseudonym = models.CharField(
        _("pseudonym"),
        max_length=80,
        validators=[validate_pseudonym],
        help_text=_(
            "For example “Gezin K., Hoensbroek”. Never a citizen service number (BSN), full "
            "name, address or date of birth."
        ),
    )
    purpose = models.TextField(
        _("purpose"),
        max_length=1000,
        validators=[validate_no_identifier],
        help_text=_("Why the professionals work together here, in one or two sentences."),
    )
    legal_ground = models.CharField(
        _("legal ground"), max_length=20, choices=LegalGround.choices, default=LegalGround.CONSENT
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("coordinator"),
        on_delete=models.PROTECT,
        related_name="coordinated_case_rooms",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    #: when new content stopped (closing or withdrawn consent): the retention clock starts here
    content_stopped_at = models.DateTimeField(_("content stopped"), null=True, blank=True)
    retention_days = models.PositiveIntegerField(
        _("retention in days"), default=default_retention_days
    )
    purged_at = models.DateTimeField(_("content purged"), null=True, blank=True)
    last_seq = models.PositiveBigIntegerField(default=0, editable=False)
    last_message_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("case room")
        verbose_name_plural = _("case rooms")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "content_stopped_at"])]

    def __str__(self) -> str:
        # Deliberately not the pseudonym: this string ends up in logs and admin lists.
        return f"#{self.pk}"

    @property
    def group_name(self) -> str:
        return f"case.{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN and self.purged_at is None

    @property
    def retention_until(self):
        if self.content_stopped_at is None:
            return None
        return self.content_stopped_at + timedelta(days=self.retention_days)


class Consent(models.Model):
    """Consent to share information about the resident, as recorded by a professional."""

    class GivenBy(models.TextChoices):
        RESIDENT = "resident", _("The resident")
        PARENT = "parent", _("A parent or guardian (for a child)")
        REPRESENTATIVE = "representative", _("A legal representative")

    class Form(models.TextChoices):
        VERBAL = "verbal", _("Verbally, noted in the file")
        WRITTEN = "written", _("In writing")
        DIGITAL = "digital", _("Digitally signed")

    room = models.ForeignKey(CaseRoom, on_delete=models.CASCADE, related_name="consents")
    given_by = models.CharField(_("given by"), max_length=20, choices=GivenBy.choices)
    given_by_description = models.CharField(
        _("description of who gave it"),
        max_length=120,
        blank=True,
        validators=[validate_no_identifier],
        help_text=_("A role, not a name: for example “moeder” or “curator”."),
    )
    form = models.CharField(_("form"), max_length=10, choices=Form.choices, default=Form.VERBAL)
    given_on = models.DateField(_("given on"))
    valid_until = models.DateField(_("valid until"))
    organisations = models.ManyToManyField(
        "directory.Organisation",
        verbose_name=_("organisations covered"),
        related_name="case_consents",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawal_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-recorded_at", "-pk"]

    def __str__(self) -> str:
        return f"Consent #{self.pk} for case room #{self.room_id}"

    def clean(self) -> None:
        if self.given_on and self.valid_until and self.valid_until < self.given_on:
            raise ValidationError({"valid_until": _("The end date lies before the start date.")})

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None and timezone.localdate() <= self.valid_until


class CaseMember(models.Model):
    """Someone invited to a case room; only ``active`` members see content."""

    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("Coordinator")
        MEMBER = "member", _("Member")

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        ACTIVE = "active", _("Member")
        DECLINED = "declined", _("Declined")
        REMOVED = "removed", _("Removed")

    room = models.ForeignKey(CaseRoom, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_memberships"
    )
    organisation = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("on behalf of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.INVITED
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    invited_at = models.DateTimeField(default=timezone.now)
    joined_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    #: set while an active member's organisations fall outside the consent (no access then)
    suspended_at = models.DateTimeField(_("suspended"), null=True, blank=True)
    last_read_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("case room member")
        verbose_name_plural = _("case room members")
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="case_member_unique"),
        ]
        indexes = [models.Index(fields=["user", "status"])]

    def __str__(self) -> str:
        return f"{self.user_id} in case room #{self.room_id}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class CaseMessage(ChatMessage):
    room_field = "room"

    room = models.ForeignKey(CaseRoom, on_delete=models.CASCADE, related_name="messages")

    class Meta:
        verbose_name = _("case message")
        verbose_name_plural = _("case messages")
        ordering = ["room", "seq"]
        constraints = message_constraints("room", "case_message")


class CaseFile(StoredFile):
    """A file shared in a case room, sent with its message; every download is logged."""

    room = models.ForeignKey(CaseRoom, on_delete=models.CASCADE, related_name="files")
    message = models.ForeignKey(
        CaseMessage, on_delete=models.CASCADE, null=True, blank=True, related_name="files"
    )
    file = models.FileField(upload_to=RandomName("cases", "room_id"), max_length=200)

    class Meta(StoredFile.Meta):
        verbose_name = _("case file")
        verbose_name_plural = _("case files")


class PlanStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class PlanItem(models.Model):
    """A goal or an agreement in a case room's shared plan: its status and who made it when."""

    status = models.CharField(
        _("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    #: the subclass's foreign key to its case room
    room_id: int

    class Meta:
        abstract = True

    def __str__(self) -> str:
        # Not its title or description: this string ends up in logs and admin lists.
        return f"{self._meta.model_name} {self.pk} in case room #{self.room_id}"


class Goal(PlanItem):
    """A goal in the shared plan, in the resident's own words where possible."""

    room = models.ForeignKey(CaseRoom, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(_("goal"), max_length=200)
    description = models.TextField(_("explanation"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["created_at", "pk"]


class Agreement(PlanItem):
    """Who does what by when; without an owner it is the resident's or their network's part."""

    room = models.ForeignKey(CaseRoom, on_delete=models.CASCADE, related_name="agreements")
    goal = models.ForeignKey(
        Goal,
        verbose_name=_("goal"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="agreements",
    )
    description = models.CharField(_("agreement"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    due_date = models.DateField(_("due date"))

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["due_date", "pk"]


#: The six dimensions of Positieve Gezondheid (Machteld Huber), as field-name prefix and label.
DIMENSIONS = [
    ("body", _("Bodily functions")),
    ("mental", _("Mental well-being")),
    ("meaning", _("Meaningfulness")),
    ("quality", _("Quality of life")),
    ("participation", _("Participation")),
    ("daily", _("Daily functioning")),
]


def _score(label):
    return models.PositiveSmallIntegerField(
        label, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )


def _talk():
    return models.BooleanField(_("wants to talk about this"), default=False)


class HealthRecord(models.Model):
    """One Positieve Gezondheid conversation: the resident's own scores (0–10) per dimension."""

    room = models.ForeignKey(CaseRoom, on_delete=models.CASCADE, related_name="health_records")
    conversation_on = models.DateField(_("conversation date"))
    body = _score(_("Bodily functions"))
    body_talk = _talk()
    mental = _score(_("Mental well-being"))
    mental_talk = _talk()
    meaning = _score(_("Meaningfulness"))
    meaning_talk = _talk()
    quality = _score(_("Quality of life"))
    quality_talk = _talk()
    participation = _score(_("Participation"))
    participation_talk = _talk()
    daily = _score(_("Daily functioning"))
    daily_talk = _talk()
    note = models.TextField(_("note"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("Positieve Gezondheid record")
        verbose_name_plural = _("Positieve Gezondheid records")
        ordering = ["conversation_on", "pk"]

    def __str__(self) -> str:
        return f"health record {self.pk} in case room #{self.room_id}"

    def dimensions(self) -> list[dict]:
        return [
            {
                "key": key,
                "label": label,
                "score": getattr(self, key),
                "talk": getattr(self, f"{key}_talk"),
            }
            for key, label in DIMENSIONS
        ]


class AccessLogEntry(models.Model):
    """One access to case content, with the fields NEN 7513 asks for.

    Append-only: a database trigger refuses UPDATE and DELETE (except deleting entries past
    the retention period). ``entry_hash`` is an HMAC of the entry's fields under the key
    ``key_id`` names (``settings.ACCESS_LOG_KEYS``, kept outside the database); an
    ``AccessLogSeal`` then puts the entry in the chain, so that an edit made around the
    trigger is found by ``manage.py verify_access_log`` (``privacy.audit``). Entries written
    before the keyed chain have an empty ``key_id``: a plain SHA-256 hash, chained through
    ``previous_hash``. Deliberately no foreign keys: the log outlives users, rooms and content.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        READ = "read", _("Read")
        UPDATE = "update", _("Update")
        DELETE = "delete", _("Delete")
        EXPORT = "export", _("Export")
        SEARCH = "search", _("Search")

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Allowed")
        DENIED = "denied", _("Refused")

    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    occurred_at = models.DateTimeField(_("date and time"), default=timezone.now, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    user_id_ref = models.BigIntegerField(_("user id"), null=True, blank=True, db_index=True)
    user_name = models.CharField(_("user"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=40, blank=True)
    acted_for_id_ref = models.BigIntegerField(null=True, blank=True)
    acted_for_name = models.CharField(_("acted for"), max_length=150, blank=True)
    purpose = models.CharField(_("purpose of use"), max_length=40)
    ip_address = models.GenericIPAddressField(_("network address"), null=True, blank=True)
    room_id_ref = models.BigIntegerField(_("case room"), null=True, blank=True, db_index=True)
    object_type = models.CharField(_("object type"), max_length=40)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    previous_hash = models.CharField(max_length=64, editable=False)
    entry_hash = models.CharField(max_length=64, editable=False)
    #: the ACCESS_LOG_KEYS id of the key that signed ``entry_hash``; empty: plain SHA-256
    key_id = models.CharField(max_length=20, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log entries")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["room_id_ref", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id} at {self.occurred_at}"


class AccessLogSeal(models.Model):
    """An entry's place in the access log's chain: position ``seq`` (1, 2, 3, … without gaps).

    Written after the entry's own transaction commits, by whoever holds the sealing lock
    (``privacy.audit.seal_pending``), so that no reader's transaction waits for the chain.
    ``chain_hash`` is an HMAC over the position, the entry's id, hash and time, and the
    previous seal's ``chain_hash``. Append-only like the log (the same trigger).
    """

    seq = models.BigIntegerField(primary_key=True)
    entry_ref = models.BigIntegerField(unique=True)
    #: the entry's time, so that the retention purge (and its trigger) need not join the log
    occurred_at = models.DateTimeField()
    previous_hash = models.CharField(max_length=64)
    chain_hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=20)
    sealed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("access log seal")
        verbose_name_plural = _("access log seals")
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"seal {self.seq} of entry {self.entry_ref}"


class PendingSeal(models.Model):
    """An access-log entry waiting for its seal: written in the entry's own transaction.

    A work queue, not evidence: the sealer deletes the row when it seals the entry, and an
    entry whose row went missing is still found (and sealed) by the sweep of
    ``privacy.audit.seal_pending``.
    """

    entry_ref = models.BigIntegerField(primary_key=True)

    def __str__(self) -> str:
        return f"entry {self.entry_ref} waiting for its seal"


class AccessLogVerification(models.Model):
    """One run of the access log's verification, for the privacy officer's log page."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        INTACT = "intact", _("Intact")
        BROKEN = "broken", _("Broken")
        FAILED = "failed", _("Could not finish")

    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.RUNNING
    )
    started_by_ref = models.BigIntegerField(null=True, blank=True)
    started_by_name = models.CharField(_("started by"), max_length=150, blank=True)
    entries_checked = models.PositiveBigIntegerField(default=0)
    checkpoints_checked = models.PositiveIntegerField(default=0)
    #: what was found, as ``privacy.audit.Problem`` dicts (shown translated)
    problems = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("access log verification")
        verbose_name_plural = _("access log verifications")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"verification {self.pk}: {self.outcome}"
