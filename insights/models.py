"""Aggregate figures per quarter: counts only, never a person or any case content."""

from __future__ import annotations

from django.conf import settings
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
