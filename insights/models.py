"""Aggregate figures per quarter: counts only, never a person or any case content."""

from __future__ import annotations

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
