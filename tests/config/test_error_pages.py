"""The 403, 404 and 500 pages as DEBUG off shows them (the test client runs with DEBUG off)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from config import views

INTERNALS = ["URLconf", "urlpatterns", "Traceback", "CSRF", "DEBUG"]


def assert_no_internals(html: str) -> None:
    for internal in INTERNALS:
        assert internal not in html, internal


@pytest.mark.django_db
def test_an_unknown_address_shows_the_dutch_404_page(client):
    response = client.get("/bestaat-niet/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    html = response.content.decode()
    assert '<html lang="nl"' in html
    assert "Pagina niet gevonden" in html
    assert_no_internals(html)


@pytest.mark.django_db
def test_the_404_page_follows_the_chosen_language(client):
    client.cookies["django_language"] = "en"
    response = client.get("/bestaat-niet/")
    assert '<html lang="en"' in response.content.decode()
    assert "Page not found" in response.content.decode()


@pytest.mark.django_db
def test_a_form_that_fails_the_csrf_check_shows_the_dutch_403_page(colleague):
    client = Client(enforce_csrf_checks=True)
    client.force_login(colleague)
    response = client.post(reverse("account_logout"))
    assert response.status_code == HTTPStatus.FORBIDDEN
    html = response.content.decode()
    assert '<html lang="nl"' in html
    # an expired form, not a missing right: what to do about it
    assert "Het formulier is verlopen" in html
    assert "Ga terug, laad de pagina opnieuw en probeer het nog eens." in html
    assert "Geen toegang" not in html
    assert colleague.display_name in html  # the whole platform page, with its header
    assert_no_internals(html)


def test_the_500_page_needs_neither_the_request_nor_the_database():
    # no django_db mark: any query fails the test
    response = views.server_error(RequestFactory().get("/"))
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    html = response.content.decode()
    assert '<html lang="nl"' in html
    assert "Er ging iets mis" in html
    assert "Wijkplatform" in html
    assert "css/site.css" in html
    assert_no_internals(html)


def test_the_500_page_is_in_the_language_of_the_request():
    with translation.override("en"):
        html = views.server_error(RequestFactory().get("/")).content.decode()
    assert '<html lang="en"' in html
    assert "Something went wrong" in html


def test_the_500_page_still_answers_when_its_template_fails(monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("Missing staticfiles manifest entry for 'css/site.css'")

    monkeypatch.setattr(views.loader, "render_to_string", broken)
    response = views.server_error(RequestFactory().get("/"))
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert "Er ging iets mis" in response.content.decode()
    assert "manifest" not in response.content.decode()


@pytest.mark.django_db
def test_a_failing_view_shows_the_500_page(colleague, monkeypatch):
    def broken(user):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(views, "is_verified", broken)
    client = Client(raise_request_exception=False)
    client.force_login(colleague)
    response = client.get(reverse("home"))
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    html = response.content.decode()
    assert "Er ging iets mis" in html
    assert "the database went away" not in html
    assert colleague.display_name not in html  # rendered without the request's context


@pytest.mark.django_db
def test_the_favicon_is_served_as_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "image/x-icon"
    content = b"".join(response.streaming_content)
    assert content[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    page = client.get(reverse("account_login")).content.decode()
    assert '<link rel="icon" href="/static/img/favicon.ico"' in page
