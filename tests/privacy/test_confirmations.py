"""Withdrawing consent, closing and removing a member ask first, naming what will happen.

The pages link to a confirmation page (a GET, no JavaScript needed); its form posts to the same
address, which acts. Dutch first, addressing the coordinator with "je".
"""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.urls import reverse

from privacy import services
from privacy.models import AccessLogEntry, CaseMember, CaseRoom
from tests.privacy.fixtures import strong_client

pytestmark = pytest.mark.django_db


def _urls(world) -> dict[str, str]:
    pk = world.room.pk
    return {
        "withdraw": reverse("privacy:withdraw_consent", args=[pk]),
        "close": reverse("privacy:close", args=[pk]),
        "remove": reverse("privacy:remove_member", args=[pk, world.member.pk]),
    }


def _unchanged(world) -> None:
    room = CaseRoom.objects.get(pk=world.room.pk)
    assert room.status == CaseRoom.Status.OPEN and room.content_stopped_at is None
    assert room.consents.get().withdrawn_at is None
    assert CaseMember.objects.get(room=room, user=world.member).status == "active"


def _confirm_form(html: str) -> None:
    """In the confirmation: one form that posts to the page's own address, and a way back."""
    section = html.split("data-confirmation", 1)[1].split("</section>", 1)[0]
    forms = re.findall(r"<form ([^>]*)>(.*?)</form>", section, re.S)
    assert len(forms) == 1
    attributes, body = forms[0]
    assert 'method="post"' in attributes and "action=" not in attributes
    assert 'name="csrfmiddlewaretoken"' in body and "Annuleren" in body


def test_the_pages_link_to_a_confirmation_instead_of_acting(world):
    client = strong_client(world.coordinator)
    pk = world.room.pk
    urls = _urls(world)
    pages = {
        "withdraw": reverse("privacy:consent", args=[pk]),
        "close": reverse("privacy:settings", args=[pk]),
        "remove": reverse("privacy:members", args=[pk]),
    }
    for name, page in pages.items():
        html = client.get(page).content.decode()
        assert f'<form method="get" action="{urls[name]}"' in html, name
        assert not re.search(rf'<form method="post" action="{re.escape(urls[name])}"', html), name


def test_withdrawing_asks_first_and_names_who_loses_what(world):
    services.invite(world.room, by=world.coordinator, user=world.outsider)
    url = _urls(world)["withdraw"]
    response = strong_client(world.coordinator).get(url)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "De intrekking van de toestemming vastleggen?" in html
    assert "Je kunt dit niet ongedaan maken." in html
    assert "Deze leden verliezen meteen hun toegang" in html
    assert world.member.display_name in html and world.member_without_mfa.display_name in html
    assert "Deze openstaande uitnodigingen worden ingetrokken" in html
    assert world.outsider.display_name in html
    assert "Jij houdt als regisseur leestoegang" in html
    assert re.search(r"De inhoud wordt op \d{1,2} \w+ \d{4} verwijderd", html)
    assert "nodigt de leden opnieuw uit" in html
    assert "Ja, leg de intrekking vast" in html
    _confirm_form(html)
    _unchanged(world)
    CaseMember.objects.filter(room=world.room, user=world.outsider).get(status="invited")


def test_closing_asks_first_and_names_who_loses_what(world):
    response = strong_client(world.coordinator).get(_urls(world)["close"])
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "De casusruimte sluiten?" in html
    assert "Je kunt dit niet ongedaan maken" in html and "ook niet met nieuwe toestemming" in html
    assert "Deze leden verliezen meteen hun toegang" in html
    assert world.member.display_name in html
    assert "eigen dossier" in html
    assert "Ja, sluit de casusruimte" in html
    _confirm_form(html)
    _unchanged(world)


def test_removing_a_member_asks_first_and_names_them(world):
    response = strong_client(world.coordinator).get(_urls(world)["remove"])
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    name = world.member.display_name
    assert f"{name} uit de casusruimte verwijderen?" in html
    assert f"{name} verliest meteen de toegang" in html
    assert f"Je kunt {name} later opnieuw uitnodigen" in html
    assert f"Ja, verwijder {name}" in html
    _confirm_form(html)
    _unchanged(world)


def test_the_confirmation_in_english_too(world):
    client = strong_client(world.coordinator)
    client.cookies["django_language"] = "en"
    html = client.get(_urls(world)["withdraw"]).content.decode()
    assert "Record the withdrawal of consent?" in html and "You cannot undo it." in html


def test_confirming_acts(world):
    client = strong_client(world.coordinator)
    urls = _urls(world)
    assert client.post(urls["remove"]).status_code == HTTPStatus.FOUND
    assert CaseMember.objects.get(room=world.room, user=world.member).status == "removed"
    assert client.post(urls["withdraw"]).status_code == HTTPStatus.FOUND
    assert CaseRoom.objects.get(pk=world.room.pk).consents.get().withdrawn_at is not None
    assert client.post(urls["close"]).status_code == HTTPStatus.FOUND
    assert CaseRoom.objects.get(pk=world.room.pk).status == CaseRoom.Status.CLOSED


def test_a_confirmation_that_no_longer_applies_sends_back(world):
    client = strong_client(world.coordinator)
    urls = _urls(world)
    services.remove_member(world.room, by=world.coordinator, user=world.member)
    assert client.get(urls["remove"])["Location"] == reverse(
        "privacy:members", args=[world.room.pk]
    )
    services.withdraw_consent(world.room, by=world.coordinator)
    response = client.get(urls["withdraw"])
    assert response["Location"] == reverse("privacy:consent", args=[world.room.pk])
    services.close_room(world.room, by=world.coordinator)
    response = client.get(urls["close"])
    assert response["Location"] == reverse("privacy:room", args=[world.room.pk])


@pytest.mark.parametrize("persona", ["member", "outsider", "privacy_officer", "platform_admin"])
def test_only_the_coordinator_sees_a_confirmation(world, persona):
    client = strong_client(getattr(world, persona))
    for url in _urls(world).values():
        response = client.get(url)
        assert response.status_code == HTTPStatus.NOT_FOUND, url
        assert world.room.pseudonym.encode() not in response.content
    _unchanged(world)


def test_a_confirmation_page_is_logged_as_a_read(world):
    client = strong_client(world.coordinator)
    for url, detail in zip(
        _urls(world).values(),
        ["withdrawal confirmation", "closing confirmation", "removal confirmation"],
        strict=True,
    ):
        client.get(url)
        entry = AccessLogEntry.objects.order_by("-pk").first()
        assert (entry.action, entry.outcome, entry.detail) == ("read", "success", detail)
        assert entry.user_id_ref == world.coordinator.pk


def test_confirmation_pages_have_no_inline_script_or_style(world):
    client = strong_client(world.coordinator)
    for url in _urls(world).values():
        html = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
        assert " style=" not in html
        assert not re.search(r"\son[a-z]+=", html)
