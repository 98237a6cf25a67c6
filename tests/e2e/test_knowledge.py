"""A trainer writes, previews and publishes an article with an attachment; a professional finds
it through search and registers for a learning session. Real browser, one daphne process."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from playwright.sync_api import expect

from accounts.models import User
from knowledge.models import Article, LearningSession, Registration
from tests.e2e.axe import axe_violations
from tests.knowledge.fixtures import make_session, pdf_bytes, verified

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@dataclass
class People:
    trainer: User
    professional: User
    session: LearningSession


@pytest.fixture
def people(transactional_db) -> People:
    trainer = verified("Tessa Trainer", ["trainer", "professional"])
    professional = verified("Petra Praktijkondersteuner", ["professional"])
    session = make_session(trainer, title="Geldzorgen bespreekbaar maken", capacity=12)
    return People(trainer, professional, session)


def _cookie(user: User, server: str) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server}


def test_a_trainer_publishes_and_a_professional_finds_it_and_registers(
    people, live_asgi_server, browser_page
):
    server = f"http://{live_asgi_server}"
    page = browser_page
    page.context.add_cookies([_cookie(people.trainer, server)])

    # the trainer writes and previews
    page.goto(f"{server}/knowledge/")
    page.get_by_role("link", name="Artikel schrijven").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Artikel schrijven")
    page.get_by_label("Titel", exact=True).fill("Schulden en gezondheid in de spreekkamer")
    page.get_by_label("Samenvatting", exact=True).fill("Signalen herkennen en doorverwijzen.")
    page.get_by_label("Tekst", exact=True).fill(
        "## Signalen\n\n- slecht slapen\n- afspraken missen\n\n<script>alert(1)</script>"
    )
    page.get_by_label("Tags").fill("vroegsignalering")
    page.get_by_role("button", name="Voorbeeld").click()
    preview = page.locator("#preview")
    expect(preview.get_by_role("heading", name="Signalen")).to_be_visible()
    expect(preview.locator("li", has_text="slecht slapen")).to_be_visible()
    expect(preview.locator("script")).to_have_count(0)
    assert axe_violations(page) == []
    assert not Article.objects.exists()  # a preview saves nothing

    page.get_by_role("button", name="Opslaan als concept").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Schulden en gezondheid in de spreekkamer"
    )
    expect(page.get_by_text("Alleen de auteurs zien dit concept.")).to_be_visible()

    # attaches a PDF and publishes
    page.get_by_label("Bestand", exact=True).set_input_files(
        files=[
            {
                "name": "handreiking.pdf",
                "mimeType": "application/pdf",
                "buffer": pdf_bytes("Budgetcoaching in Hoensbroek"),
            }
        ]
    )
    page.get_by_role("button", name="Bestand toevoegen").click()
    expect(page.get_by_role("link", name="handreiking.pdf")).to_be_visible()
    page.get_by_role("button", name="Publiceren").click()
    expect(page.get_by_text("Het artikel is gepubliceerd.")).to_be_visible()
    assert axe_violations(page) == []
    article = Article.objects.get()
    assert article.is_published
    assert article.attachments.get().content_type == "application/pdf"

    # the professional finds it by a word that only the PDF contains
    page.context.clear_cookies()
    page.context.add_cookies([_cookie(people.professional, server)])
    page.goto(f"{server}/knowledge/")
    page.get_by_role("textbox", name="Artikelen zoeken").fill("budgetcoaching")
    page.get_by_role("button", name="Zoeken", exact=True).click()
    expect(page.locator("#results-heading")).to_have_text("1 artikel gevonden")
    expect(page.locator("mark").first).to_have_text("Budgetcoaching")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Schulden en gezondheid in de spreekkamer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Schulden en gezondheid in de spreekkamer"
    )
    expect(page.get_by_role("link", name="Bewerken")).to_have_count(0)

    # and registers for a learning session
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Kennisbank").click()
    page.get_by_role("navigation", name="Kennisbank").get_by_role(
        "link", name="Leersessies"
    ).click()
    page.get_by_role("link", name="Geldzorgen bespreekbaar maken").click()
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_text("Je bent aangemeld. Tot dan!")).to_be_visible()
    expect(page.get_by_text("Je bent aangemeld voor deze sessie.")).to_be_visible()
    assert axe_violations(page) == []
    registration = Registration.objects.get(session=people.session)
    assert (registration.user, registration.status) == (people.professional, "confirmed")
