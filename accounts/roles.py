"""Roles are Django groups with fixed names; the names are data, their labels translatable."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", _("Platform administrator")
    ORGANISATION_ADMIN = "organisation_admin", _("Organisation administrator")
    TRAINER = "trainer", _("Trainer")
    PRIVACY_OFFICER = "privacy_officer", _("Privacy officer")
    PROGRAMME_MANAGER = "programme_manager", _("Programme manager")
    PROFESSIONAL = "professional", _("Professional")
