"""What a new user finds on the demo data after ``make run``: the searches work in full, on
the same PostgreSQL search as production (Dutch stemming, typo-tolerant names)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from demo.directory import demo_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def gp(client, settings):
    settings.DEBUG = True  # seed_demo refuses to run with DEBUG off, as in production
    call_command("seed_demo", stdout=StringIO())
    client.force_login(User.objects.get(email=demo_email("anouk.aerts")))
    return client


def _names(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_a_misspelt_profession_finds_the_debt_counsellors(gp):
    html = _names(gp.get(reverse("directory:index"), {"q": "schuldhulpverlner"}))
    assert "Schuldhulpverlener" in html
    assert "Geen resultaten" not in html and "No results" not in html


def test_a_misspelt_name_finds_the_person(gp):
    html = _names(gp.get(reverse("directory:index"), {"q": "Mirjam Eurlngs"}))
    assert "Mirjam Eurlings" in html


def test_a_verb_finds_the_article_about_the_noun(gp):
    html = _names(gp.get(reverse("knowledge:index"), {"q": "vroegsignaleren"}))
    assert "Schulden en gezondheid: signalen herkennen en doorverwijzen" in html


def test_a_synonym_finds_the_youth_workers(gp):
    html = _names(gp.get(reverse("directory:index"), {"q": "jongerenwerker"}))
    assert "Jeugd- en gezinsprofessional" in html
    assert "0 professionals gevonden" not in html
