from __future__ import annotations

import math
import secrets
import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import RandomName, StoredFile
from directory.models import Domain

WORDS_PER_MINUTE = 200
MAX_BODY_LENGTH = 60_000
MAX_COMMENT_LENGTH = 4000


class Theme(models.Model):
    """A theme of learning material, e.g. "Positieve Gezondheid"; seeded by a data migration."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(_("slug"), unique=True, max_length=60)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    """Learning material written by a trainer; visible once published."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class Audience(models.TextChoices):
        ALL = "all", _("All verified professionals")
        CHANNELS = "channels", _("Only members of chosen channels")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    summary = models.TextField(_("summary"), max_length=600)
    body = models.TextField(
        _("text"), max_length=MAX_BODY_LENGTH, help_text=_("You can use Markdown.")
    )
    themes = models.ManyToManyField(
        Theme, verbose_name=_("themes"), blank=True, related_name="articles"
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="articles")
    #: values of directory.models.Domain the article is written for
    domains = models.JSONField(_("target domains"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    audience = models.CharField(
        _("who may read it"), max_length=10, choices=Audience.choices, default=Audience.ALL
    )
    channels = models.ManyToManyField(
        "channels_app.Channel",
        verbose_name=_("channels"),
        blank=True,
        related_name="knowledge_articles",
    )
    authors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("authors"), related_name="knowledge_articles"
    )
    cover = models.ImageField(
        _("cover image"), upload_to=RandomName("knowledge/covers", suffix=".jpg"), blank=True
    )
    cover_alt = models.CharField(_("description of the cover image"), max_length=200, blank=True)
    reading_minutes = models.PositiveSmallIntegerField(_("reading time"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    # Denormalised by knowledge.services.refresh_search: title, summary, body, attachment text.
    search_vector = SearchVectorField(null=True, editable=False)
    search_text = models.TextField(editable=False, blank=True)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="article_status_published"),
            GinIndex(fields=["search_vector"], name="article_search_gin"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_restricted(self) -> bool:
        return self.audience == self.Audience.CHANNELS

    def domain_labels(self) -> list[str]:
        return [str(Domain(d).label) for d in self.domains if d in Domain.values]

    @staticmethod
    def minutes_to_read(text: str) -> int:
        return max(1, math.ceil(len((text or "").split()) / WORDS_PER_MINUTE))


class Revision(models.Model):
    """The article's text as it was saved while published; older ones can be restored."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"))
    body = models.TextField(_("text"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("saved"), default=timezone.now)
    restored_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="revision_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article} v{self.number}"


class FileBase(StoredFile):
    """A file of the knowledge base; kept when its uploader's account is deleted."""

    file = models.FileField(upload_to=RandomName("knowledge/files"), max_length=200)
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta(StoredFile.Meta):
        abstract = True

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class ArticleAttachment(FileBase):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    #: text of a PDF, for search
    text = models.TextField(blank=True, editable=False)

    class Meta(FileBase.Meta):
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")


class Comment(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="knowledge_comments"
    )
    body = models.TextField(_("comment"), max_length=MAX_COMMENT_LENGTH)
    body_html = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    useful_count = models.PositiveIntegerField(default=0)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["article", "parent", "created_at"])]

    def __str__(self) -> str:
        return f"{self.author} on {self.article}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class UsefulMark(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="useful_marks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="useful_mark_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} finds {self.comment} useful"


class ArticleRead(models.Model):
    """That someone opened a published article, once: the coalition's figures count readers."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("article read")
        verbose_name_plural = _("article reads")
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="article_read_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} read {self.article}"


class Bookmark(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="bookmarks")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="knowledge_bookmarks"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("bookmark")
        verbose_name_plural = _("bookmarks")
        constraints = [models.UniqueConstraint(fields=["article", "user"], name="bookmark_unique")]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user} bookmarked {self.article}"


class LearningSession(models.Model):
    """A leersessie: a meeting (in a room or online) that professionals register for."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(
        _("description"), max_length=10_000, help_text=_("You can use Markdown.")
    )
    trainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("trainers"), related_name="trained_sessions"
    )
    themes = models.ManyToManyField(
        Theme, verbose_name=_("themes"), blank=True, related_name="sessions"
    )
    article = models.ForeignKey(
        Article,
        verbose_name=_("related article"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    location = models.CharField(_("place"), max_length=200, blank=True)
    online_url = models.URLField(_("online link"), blank=True)
    capacity = models.PositiveIntegerField(_("number of places"))
    registration_deadline = models.DateTimeField(_("register before"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    #: the iCalendar UID: stable across edits so calendars update the event
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("learning session")
        verbose_name_plural = _("learning sessions")
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["starts_at"]), models.Index(fields=["ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="session_ends_after"
            ),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="session_capacity"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_past(self) -> bool:
        return self.ends_at <= timezone.now()

    @property
    def has_started(self) -> bool:
        return self.starts_at <= timezone.now()

    @property
    def registration_open(self) -> bool:
        return self.cancelled_at is None and timezone.now() < self.registration_deadline


class Registration(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Registered")
        WAITING = "waiting", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")

    session = models.ForeignKey(
        LearningSession, on_delete=models.CASCADE, related_name="registrations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_registrations"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    #: when the person joined the queue: the waiting list moves up in this order
    queued_at = models.DateTimeField(default=timezone.now)
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["queued_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="registration_unique")
        ]
        indexes = [models.Index(fields=["session", "status", "queued_at"])]

    def __str__(self) -> str:
        return f"{self.user} for {self.session}"


class SessionMaterial(FileBase):
    session = models.ForeignKey(LearningSession, on_delete=models.CASCADE, related_name="materials")

    class Meta(FileBase.Meta):
        verbose_name = _("material")
        verbose_name_plural = _("materials")


def _new_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """The secret address of someone's personal calendar of learning sessions."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="knowledge_calendar"
    )
    token = models.CharField(max_length=64, unique=True, default=_new_token)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"calendar of {self.user}"
