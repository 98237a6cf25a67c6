from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def pages(town) -> list[str]:
    gp = town["gp"]
    return [
        reverse("directory:index"),
        reverse("directory:index") + "?q=huisarts",
        reverse("directory:professional", args=[gp.pk]),
        reverse("directory:professional_vcard", args=[gp.pk]),
        reverse("directory:organisation", args=["hp-kasteelpark"]),
        reverse("directory:social_map"),
        reverse("channels_app:index"),
        reverse("privacy:index"),
        reverse("knowledge:index"),
    ]


def test_anonymous_users_see_nothing(client, town):
    for url in [*pages(town), reverse("directory:profile_edit")]:
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND, url
        assert response["Location"].startswith(reverse("account_login")), url


def test_unverified_users_see_nothing_but_their_own_profile(client, town):
    client.force_login(town["unverified"].user)
    for url in pages(town):
        response = client.get(url)
        assert response.status_code == HTTPStatus.FORBIDDEN, url
        assert "Sanne" not in response.content.decode()
        assert "Wachten op bevestiging" in response.content.decode()
    assert client.get(reverse("directory:profile_edit")).status_code == HTTPStatus.OK
    own = reverse("directory:professional", args=[town["unverified"].pk])
    assert client.get(own).status_code == HTTPStatus.FORBIDDEN


def test_verified_colleagues_see_the_directory(client, town):
    client.force_login(town["gp"].user)
    for url in pages(town):
        assert client.get(url).status_code == HTTPStatus.OK, url


def test_unverified_profiles_are_absent_everywhere(client, town):
    client.force_login(town["gp"].user)
    hidden = town["unverified"]
    response = client.get(reverse("directory:index"), {"q": "schuldhulpverlener"})
    assert "Sanne Claessens" in response.content.decode()
    assert "Noor" not in response.content.decode()
    assert client.get(reverse("directory:professional", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("directory:professional_vcard", args=[hidden.pk])).status_code == 404
    organisation = client.get(reverse("directory:organisation", args=["schuldhulp-parkstad"]))
    assert "Noor" not in organisation.content.decode()


def test_unknown_objects_are_404(client, town):
    client.force_login(town["gp"].user)
    assert client.get(reverse("directory:professional", args=[99999])).status_code == 404
    assert client.get(reverse("directory:organisation", args=["nope"])).status_code == 404
    assert client.get(reverse("directory:social_map") + "?neighbourhood=nope").status_code == 404
