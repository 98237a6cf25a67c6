"""The demo seed adds realistic articles and upcoming sessions, and can run twice."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from knowledge.models import Article, LearningSession

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_articles_and_upcoming_sessions(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    titles = set(Article.objects.filter(status="published").values_list("title", flat=True))
    assert {
        "Positieve Gezondheid in de wijk",
        "Schulden en gezondheid: signalen herkennen en doorverwijzen",
        "Privacy bij samenwerken: wat mag je delen?",
    } <= titles
    trainer_sessions = LearningSession.objects.filter(
        trainers__email="trainer@demo.wijkplatform.example", starts_at__gt=timezone.now()
    )
    assert trainer_sessions.count() >= 3
    assert Article.objects.filter(
        audience="channels", channels__name="Samen Heerlen Gezond"
    ).exists()
    counts = (Article.objects.count(), LearningSession.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (Article.objects.count(), LearningSession.objects.count()) == counts
