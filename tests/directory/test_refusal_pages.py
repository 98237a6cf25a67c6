"""The 403 pages say what the person can do: wait for their organisation, choose one, go to
what their role opens, or ask whoever decides."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from tests.factories import SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db

#: the parts behind the verified gate, one page of each app
GATED = ["directory:index", "channels_app:index", "knowledge:index", "privacy:create"]


def refusal(client: Client, name: str) -> str:
    response = client.get(reverse(name))
    assert response.status_code == HTTPStatus.FORBIDDEN, name
    return response.content.decode()


def test_someone_waiting_is_told_which_organisation_confirms_them(client, town):
    client.force_login(town["unverified"].user)
    for name in GATED:
        html = refusal(client, name)
        assert '<h1 class="utrecht-heading-1">Wachten op bevestiging</h1>' in html
        assert "Je hebt gevraagd om toegevoegd te worden aan Schuldhulp Parkstad." in html
        assert "Een beheerder van die organisatie moet nog bevestigen dat je er werkt." in html
        assert "Vraag een collega wie jouw organisatie op het platform beheert" in html
        assert f'href="{reverse("directory:profile_edit")}"' in html
        assert "Voor jou staat open" not in html


def test_someone_without_an_organisation_is_asked_to_choose_one(client):
    client.force_login(UserFactory(roles=["professional"]))
    html = refusal(client, "directory:index")
    assert '<h1 class="utrecht-heading-1">Kies eerst je organisatie</h1>' in html
    assert "Je hebt nog geen organisatie gekozen." in html
    assert "Een beheerder van die organisatie bevestigt dan dat je er werkt" in html
    assert f'href="{reverse("directory:profile_edit")}#memberships"' in html


def test_a_programme_manager_is_pointed_to_the_insights(client):
    manager = UserFactory(display_name="Mark Programmamanager", roles=["programme_manager"])
    client.force_login(manager)
    for name in GATED:
        html = refusal(client, name)
        assert '<h1 class="utrecht-heading-1">Dit deel is voor professionals</h1>' in html
        assert "Je bent hier als programmamanager, niet namens een organisatie." in html
        assert "Voor jou staat open" in html
        assert f'href="{reverse("insights:dashboard")}"' in html
        assert reverse("privacy:all_logs") not in html
        # not told that an organisation has yet to confirm them: they chose none
        assert "nog niet bevestigd" not in html and "Wachten op bevestiging" not in html
    assert client.get(reverse("insights:dashboard")).status_code == HTTPStatus.OK
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("insights:dashboard")}"' in home
    assert "nog niet bevestigd" not in home


def test_a_privacy_officer_is_pointed_to_the_access_logs(client):
    client.force_login(UserFactory(roles=["privacy_officer"]))
    html = refusal(client, "directory:index")
    assert "Je bent hier als privacyfunctionaris" in html
    assert f'href="{reverse("privacy:all_logs")}"' in html
    assert reverse("insights:dashboard") not in html


def test_a_role_that_also_asked_for_an_organisation_hears_about_both(client, town):
    user = town["unverified"].user
    user.groups.add(*UserFactory(roles=["programme_manager"]).groups.all())
    client.force_login(user)
    html = refusal(client, "directory:index")
    assert "Dit deel is voor professionals" in html
    assert f'href="{reverse("insights:dashboard")}"' in html
    assert "Je hebt gevraagd om toegevoegd te worden aan Schuldhulp Parkstad." in html


def test_a_plain_refusal_says_whom_to_ask(client, user):
    client.force_login(SuperuserFactory())
    response = client.get(reverse("admin:auth_user_password_change", args=[user.pk]))
    assert response.status_code == HTTPStatus.FORBIDDEN
    html = response.content.decode()
    assert '<h1 class="utrecht-heading-1">Geen toegang</h1>' in html
    assert "Je hebt geen toestemming voor deze pagina of handeling." in html
    assert "de regisseur van de casusruimte of de beheerder van je organisatie" in html
    assert "Voor jou staat open" not in html  # to an administrator everything is open


def test_a_plain_refusal_points_a_programme_manager_to_the_insights(rf):
    from django.views.defaults import permission_denied

    request = rf.get("/")
    request.user = UserFactory(roles=["programme_manager"])
    html = permission_denied(request, PermissionDenied()).content.decode()
    assert "Geen toegang" in html
    assert f'href="{reverse("insights:dashboard")}"' in html
