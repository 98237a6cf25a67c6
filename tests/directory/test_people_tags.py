"""The tags a result row is made of: the avatar and the contact links."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.urls import reverse

from tests.factories import ProfessionalFactory, UserFactory

pytestmark = pytest.mark.django_db


def render(source: str, **context: object) -> str:
    return Template("{% load people %}" + source).render(Context(context))


def test_an_avatar_without_photo_is_the_first_letter_hidden_from_screen_readers():
    professional = ProfessionalFactory(user=UserFactory(display_name="éva <Smit>"))
    html = render('{% avatar p "large" %}', p=professional)
    assert html == (
        '<span class="wijk-avatar wijk-avatar--large wijk-avatar--initials" '
        'aria-hidden="true">É</span>'
    )
    evil = SimpleNamespace(photo="", pk=1, user=SimpleNamespace(display_name="<b>"))
    assert "&lt;" in render("{% avatar p %}", p=evil)


def test_an_avatar_with_photo_links_the_guarded_photo_at_its_size():
    professional = SimpleNamespace(photo="photos/x.jpg", pk=42, user=None)
    url = reverse("directory:professional_photo", args=[42])
    assert render("{% avatar p %}", p=professional) == (
        f'<img class="wijk-avatar wijk-avatar--small" src="{url}" alt="" width="48" height="48">'
    )
    assert 'width="128" height="128"' in render('{% avatar p "large" %}', p=professional)
    assert "wijk-avatar--small" in render('{% avatar p "huge" %}', p=professional)


def test_contact_links_show_what_may_be_seen_and_escape_it():
    assert render("{% contact_links c %}", c={}) == ""
    assert render("{% contact_links c %}", c={"phone": "045 555 0101"}) == (
        '<p class="utrecht-paragraph wijk-contact"><a class="utrecht-link utrecht-link--html-a" '
        'href="tel:045 555 0101">045 555 0101</a></p>'
    )
    both = render("{% contact_links c %}", c={"phone": "1", "email": 'a"b@example.org'})
    assert (
        ' · <a class="utrecht-link utrecht-link--html-a" href="mailto:a&quot;b@example.org">'
        in both
    )
