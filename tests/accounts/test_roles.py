from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from accounts.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_every_role_exists_as_a_group():
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


def test_it_knows_a_users_roles():
    user = UserFactory(roles=[Role.TRAINER])
    assert user.has_role(Role.TRAINER)
    assert not user.has_role(Role.PRIVACY_OFFICER)
    assert not user.is_platform_admin
    assert UserFactory(roles=[Role.PLATFORM_ADMIN]).is_platform_admin


def test_email_is_the_login_and_is_case_insensitive():
    from accounts.models import User

    user = User.objects.create_user("Iemand@Wijk.Example", "x", display_name="Iemand")
    assert user.email == "iemand@wijk.example"
    assert User.objects.get_by_natural_key("IEMAND@wijk.example") == user


def test_seed_demo_is_idempotent_and_its_logins_work(client, settings):
    from django.core.management import call_command

    from accounts.models import User
    from demo.directory import DEMO_PASSWORD, demo_email
    from directory.models import Organisation, Professional

    settings.DEBUG = True  # as under make run
    call_command("seed_demo")
    counts = (User.objects.count(), Professional.objects.count(), Organisation.objects.count())
    call_command("seed_demo")
    assert (
        User.objects.count(),
        Professional.objects.count(),
        Organisation.objects.count(),
    ) == counts
    assert 55 <= counts[1] <= 70
    domains = set(Professional.objects.values_list("disciplines__domain", flat=True))
    assert {"medical", "social", "debt", "youth", "mental_health"} <= domains
    from allauth.mfa.models import Authenticator

    from demo.privacy import DEMO_TOTP_SECRET
    from tests.accounts.test_invitations import totp_now

    # the published demo secret is stored encrypted, like every other (accounts.mfa)
    stored = Authenticator.objects.filter(type=Authenticator.Type.TOTP).values_list(
        "data", flat=True
    )
    assert len(stored) == 3
    assert all(DEMO_TOTP_SECRET not in str(data) for data in stored)

    for local in ["beheer", "anouk.aerts", "mirjam.eurlings"]:
        response = client.post(
            "/accounts/login/", {"login": demo_email(local), "password": DEMO_PASSWORD}
        )
        if local != "beheer":
            # the case-room demo accounts have two-factor authentication with the demo secret
            assert response["Location"] == "/accounts/2fa/authenticate/", local
            response = client.post(response["Location"], {"code": totp_now(DEMO_TOTP_SECRET)})
        assert response.status_code == 302 and response["Location"] == "/", local
        client.logout()
        cache.clear()  # the same TOTP code may be used once


def test_seed_demo_refuses_production(settings):
    from django.core.management import CommandError, call_command

    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo")
