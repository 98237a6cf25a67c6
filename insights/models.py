"""Aggregate figures per quarter: counts only, never a person or any case content."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.models import Domain


class Metric(models.TextChoices):
    ACTIVE_PROFESSIONALS = "active_professionals", _("Active professionals")
    CROSS_DOMAIN_CONNECTIONS = "cross_domain_connections", _("New cross-domain connections")
    CROSS_DOMAIN_CHANNEL_MESSAGES = (
        "cross_domain_channel_messages",
        _("Messages in channels spanning both domains"),
    )
    CASE_ROOMS_OPENED = "case_rooms_opened", _("Cross-domain case rooms opened")
    CASE_ROOMS_CLOSED = "case_rooms_closed", _("Cross-domain case rooms closed")
    ARTICLES_READ = "articles_read", _("Knowledge articles read")
    SESSION_REGISTRATIONS = "session_registrations", _("Learning-session registrations")
    SESSION_ATTENDANCE = "session_attendance", _("Learning-session attendance")


class Figure(models.Model):
    """One count: a metric in a quarter, for a neighbourhood (or all) and a domain (or all)."""

    quarter = models.CharField(_("quarter"), max_length=6)
    metric = models.CharField(_("metric"), max_length=40, choices=Metric.choices)
    #: empty for the whole region
    neighbourhood = models.ForeignKey(
        "directory.Neighbourhood",
        verbose_name=_("neighbourhood"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    #: empty for all domains together (people in several domains are counted once)
    domain = models.CharField(_("domain"), max_length=20, choices=Domain.choices, blank=True)
    value = models.PositiveIntegerField(_("value"))

    class Meta:
        verbose_name = _("figure")
        verbose_name_plural = _("figures")
        constraints = [
            models.UniqueConstraint(
                fields=["quarter", "metric", "neighbourhood", "domain"],
                condition=Q(neighbourhood__isnull=False),
                name="insights_figure_unique",
            ),
            models.UniqueConstraint(
                fields=["quarter", "metric", "domain"],
                condition=Q(neighbourhood__isnull=True),
                name="insights_figure_unique_region",
            ),
        ]
        indexes = [models.Index(fields=["neighbourhood", "quarter"])]

    def __str__(self) -> str:
        return f"{self.quarter} {self.metric} = {self.value}"


class ComputedQuarter(models.Model):
    """When a quarter's figures were computed; a quarter computed after it ended is final."""

    quarter = models.CharField(_("quarter"), max_length=6, unique=True)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)
    final = models.BooleanField(_("final"), default=False)

    class Meta:
        verbose_name = _("computed quarter")
        verbose_name_plural = _("computed quarters")
        ordering = ["quarter"]

    def __str__(self) -> str:
        return self.quarter


class ExpectedHeadcount(models.Model):
    """How many of an organisation's professionals work in the area, as the programme manager
    expects it: the denominator of adoption. Entered for a quarter, it holds from that quarter
    on until a later entry replaces it, so every quarter keeps the number it was measured by."""

    organisation = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    quarter = models.CharField(_("from quarter"), max_length=6)
    number = models.PositiveIntegerField(_("expected professionals"))
    updated_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("expected headcount")
        verbose_name_plural = _("expected headcounts")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "quarter"], name="insights_expected_headcount_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.quarter} = {self.number}"


class ReachFigure(models.Model):
    """Registered, verified and active professionals in a quarter, counts only: for one
    organisation, one neighbourhood or one domain, or (all three empty) the whole region."""

    quarter = models.CharField(_("quarter"), max_length=6)
    organisation = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    neighbourhood = models.ForeignKey(
        "directory.Neighbourhood",
        verbose_name=_("neighbourhood"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    domain = models.CharField(_("domain"), max_length=20, choices=Domain.choices, blank=True)
    registered = models.PositiveIntegerField(_("registered"), default=0)
    verified = models.PositiveIntegerField(_("verified"), default=0)
    active = models.PositiveIntegerField(_("active"), default=0)
    #: active in this quarter or the three before it
    active_four_quarters = models.PositiveIntegerField(
        _("active in the last four quarters"), default=0
    )

    class Meta:
        verbose_name = _("reach figure")
        verbose_name_plural = _("reach figures")
        indexes = [models.Index(fields=["quarter"])]
        constraints = [
            models.CheckConstraint(
                # at most one of the three
                condition=Q(organisation__isnull=True, neighbourhood__isnull=True)
                | Q(organisation__isnull=True, domain="")
                | Q(neighbourhood__isnull=True, domain=""),
                name="insights_reach_one_dimension",
            )
        ]

    def __str__(self) -> str:
        return f"{self.quarter} reach"


# --- the pulse: a short quarterly questionnaire, answered anonymously --------------------------


class PulseScale(models.TextChoices):
    AGREEMENT = "agreement", _("Agreement, 1 (strongly disagree) to 5 (strongly agree)")
    SCORE = "score", _("Score, 1 to 10")

    @property
    def values_offered(self) -> range:
        return range(1, 6) if self is PulseScale.AGREEMENT else range(1, 11)


class PulseStatement(models.Model):
    """One statement of a quarter's pulse, as the programme manager words it."""

    quarter = models.CharField(
        _("quarter"),
        max_length=6,
        validators=[RegexValidator(r"^\d{4}Q[1-4]$", _("Write the quarter as 2026Q3."))],
        help_text=_("For example 2026Q3."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    topic = models.SlugField(
        _("topic"),
        max_length=40,
        help_text=_(
            "The same topic in several quarters makes one trend line, also when the wording "
            "changes a little. For example: geldzorgen, samenwerken, werkplezier."
        ),
    )
    text = models.CharField(_("text"), max_length=200)
    scale = models.CharField(
        _("scale"), max_length=10, choices=PulseScale.choices, default=PulseScale.AGREEMENT
    )

    class Meta:
        verbose_name = _("pulse statement")
        verbose_name_plural = _("pulse statements")
        ordering = ["quarter", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["quarter", "topic"], name="insights_pulse_topic_once")
        ]

    def __str__(self) -> str:
        return f"{self.quarter} {self.text}"

    @property
    def values_offered(self) -> range:
        return PulseScale(self.scale).values_offered


class PulseSide(models.TextChoices):
    """The side of the coalition an answer comes from: all that is kept of its person."""

    MEDICAL = "medical", _("Medical domain")
    SOCIAL = "social", _("Social domain")


class PulseAnswer(models.Model):
    """One answer to one statement, and nothing else: no person, no time, no order; only the
    side (medical or social) of the person's disciplines, empty for someone on both sides or
    on neither.

    A random primary key and no timestamp, so that neither id order nor time links an answer
    to the participation stored beside it; answers of one person are not linked to each
    other either. Closing the quarter rewrites them (``insights.pulse.close_quarter``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    statement = models.ForeignKey(
        PulseStatement, verbose_name=_("statement"), on_delete=models.PROTECT, related_name="+"
    )
    value = models.PositiveSmallIntegerField(_("value"))
    domain = models.CharField(
        _("domain"), max_length=10, choices=PulseSide.choices, blank=True, default="", db_default=""
    )

    class Meta:
        verbose_name = _("pulse answer")
        verbose_name_plural = _("pulse answers")
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gte=1, value__lte=10), name="insights_pulse_value_range"
            )
        ]

    def __str__(self) -> str:
        return str(self.value)


class PersonQuarter(models.Model):
    """A person and a quarter of the pulse, once each; deleted when the quarter closes."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    quarter = models.CharField(_("quarter"), max_length=6)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.quarter


class PulseParticipation(PersonQuarter):
    """That a person answered the pulse of a quarter, and nothing of what they answered.

    Only there to refuse a second answer; deleted when the quarter closes.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = _("pulse participation")
        verbose_name_plural = _("pulse participations")
        constraints = [
            models.UniqueConstraint(fields=["user", "quarter"], name="insights_pulse_once")
        ]


class PulseDismissal(PersonQuarter):
    """A person asked not to be reminded of a quarter's pulse; deleted when it closes."""

    class Meta:
        verbose_name = _("pulse reminder dismissed")
        verbose_name_plural = _("pulse reminders dismissed")
        constraints = [
            models.UniqueConstraint(fields=["user", "quarter"], name="insights_pulse_dismissed")
        ]


class Target(models.Model):
    """What the programme managers aim for: an indicator's value for the whole region in a
    quarter. The indicator is a key of ``insights.targets.INDICATORS``."""

    indicator = models.CharField(_("indicator"), max_length=64)
    quarter = models.CharField(_("quarter"), max_length=6)
    value = models.PositiveIntegerField(_("target"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    set_at = models.DateTimeField(_("set at"), default=timezone.now)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "quarter"], name="insights_target_unique")
        ]

    def __str__(self) -> str:
        return f"{self.quarter} {self.indicator} ≥ {self.value}"


class QuarterNote(models.Model):
    """The programme team's explanation of a quarter, in the platform's Markdown."""

    quarter = models.CharField(_("quarter"), max_length=6, unique=True)
    text = models.TextField(_("explanation"))
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("quarter note")
        verbose_name_plural = _("quarter notes")
        ordering = ["quarter"]

    def __str__(self) -> str:
        return self.quarter
