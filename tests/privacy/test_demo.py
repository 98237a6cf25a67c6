from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from demo.directory import demo_email
from demo.privacy import DEMO_PSEUDONYM
from privacy.models import CaseRoom
from tests.privacy.fixtures import strong_client

pytestmark = pytest.mark.django_db


def test_seed_demo_has_a_case_room_with_consent_plan_and_radar_chart(settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)
    room = CaseRoom.objects.get(pseudonym=DEMO_PSEUDONYM)
    assert room.consents.get().is_active
    assert room.goals.count() == 2 and room.agreements.count() == 3
    assert room.health_records.count() == 2
    assert room.members.filter(status="active").count() == 2
    coordinator = User.objects.get(email=demo_email("anouk.aerts"))
    assert Authenticator.objects.filter(user=coordinator, type="totp").exists()
    response = strong_client(coordinator).get(reverse("privacy:health", args=[room.pk]))
    assert response.status_code == 200
    assert b"<svg" in response.content
    call_command("verify_access_log", verbosity=0)
