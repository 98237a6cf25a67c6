"""The pseudonym refuses addresses, titles with a surname and names with an age, and says what
it found; initials, places and descriptions still pass."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from demo.privacy import DEMO_PSEUDONYM
from privacy.models import CaseRoom
from privacy.validators import validate_pseudonym
from tests.privacy.fixtures import strong_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def neighbourhoods(hoensbroek, heerlen_noord):
    """The validator skips neighbourhood names; with them present it must still refuse."""


@pytest.mark.parametrize(
    ("pseudonym", "found", "kind"),
    [
        ("Kerkstraat 12", "Kerkstraat 12", "address"),
        ("Akerstraat 5a", "Akerstraat 5a", "address"),
        ("Op de Kamp 3", "Op de Kamp 3", "address"),
        ("Gezin K., kerkstraat 7, Hoensbroek", "kerkstraat 7", "address"),
        ("Mevr. Jansen", "Mevr. Jansen", "surname"),
        ("dhr. de Vries", "dhr. de Vries", "surname"),
        ("Mw Bakker", "Mw Bakker", "surname"),
        ("Mevrouw B. Jansen, Hoensbroek", "Mevrouw B. Jansen", "surname"),
        ("Gezin Jansen", "Gezin Jansen", "surname"),
        ("Piet (82)", "Piet (82)", "age"),
        ("Anna, 34 jaar", "Anna, 34 jaar", "age"),
        ("Moeder Fatima, 41 jaar, Heerlen Noord", "Fatima, 41 jaar", "age"),
    ],
)
def test_it_refuses_what_identifies_and_names_what_it_found(pseudonym, found, kind):
    with translation.override("en"), pytest.raises(ValidationError) as refusal:
        validate_pseudonym(pseudonym)
    message = refusal.value.messages[0]
    assert f"“{found}”" in message
    assert {
        "address": "looks like an address",
        "surname": "names someone by their surname",
        "age": "gives a name with an age",
    }[kind] in message


@pytest.mark.parametrize(
    "pseudonym",
    [
        DEMO_PSEUDONYM,
        "Gezin K., Hoensbroek",
        "Mevrouw B., Heerlen Noord",
        "Jongere T. (16)",
        "Jongere T., 16 jaar",
        "Fam. R.",
        "Gezin K.",
        "Mevrouw B. (82)",
        "Meisje (12), Hoensbroek",
        "Oudere heer, 80 jaar",
        "Gezin met 3 kinderen",
        "Kind 2, Hoensbroek",
        "Gezin Hoensbroek",
        "Gezin K., Hoensbroek 2024",
        "Echtpaar V. en W., Heerlen Noord",
    ],
)
def test_it_keeps_accepting_pseudonyms_that_do_not_identify(pseudonym):
    validate_pseudonym(pseudonym)


def test_the_form_shows_the_refusal_in_dutch(world):
    client = strong_client(world.coordinator)
    response = client.post(
        reverse("privacy:create"),
        {"pseudonym": "Mevr. Jansen", "purpose": "Samenwerken", "legal_ground": "consent"},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "“Mevr. Jansen” noemt iemand bij de achternaam" in response.content.decode()
    assert not CaseRoom.objects.filter(pseudonym="Mevr. Jansen").exists()
