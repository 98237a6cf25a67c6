from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from insights.models import PulseAnswer, PulseStatement
from insights.quarters import Quarter
from tests.e2e import session_cookie
from tests.e2e.axe import axe_violations
from tests.factories import ProfessionalFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STATEMENTS = [
    ("geldzorgen", "Ik weet wie ik in de wijk kan benaderen voor geldzorgen van een inwoner."),
    ("samenwerken", "Samenwerken met het andere domein ging dit kwartaal makkelijker."),
    ("tijd", "Ik had genoeg tijd om inwoners goed door te verwijzen."),
]


def ask(quarter: Quarter) -> list[PulseStatement]:
    asked = [
        PulseStatement.objects.create(quarter=str(quarter), position=i, topic=topic, text=text)
        for i, (topic, text) in enumerate(STATEMENTS, 1)
    ]
    asked.append(
        PulseStatement.objects.create(
            quarter=str(quarter), position=9, topic="werkplezier", text="Werkplezier", scale="score"
        )
    )
    return asked


def test_a_professional_answers_the_pulse_in_under_a_minute(live_asgi_server, browser_page):
    server = f"http://{live_asgi_server}"
    ask(Quarter.current())
    professional = ProfessionalFactory().user
    page = browser_page
    page.context.add_cookies([session_cookie(professional, server)])
    started = time.monotonic()
    page.goto(f"{server}/")
    prompt = page.get_by_role("region", name="Hoe ging het samenwerken in")
    expect(prompt).to_be_visible()
    assert axe_violations(page) == []
    prompt.get_by_role("link", name="Pulse invullen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kwartaalpulse")

    # sending it half-filled says which statement still needs an answer
    page.get_by_role("group", name=STATEMENTS[0][1]).get_by_label("Mee eens", exact=True).check()
    page.get_by_role("button", name="Antwoorden versturen").click()
    expect(page.get_by_text("Kies een antwoord op deze stelling.")).to_have_count(3)
    assert axe_violations(page) == []

    page.get_by_role("group", name=STATEMENTS[1][1]).get_by_label("Helemaal mee eens").check()
    page.get_by_role("group", name=STATEMENTS[2][1]).get_by_label("Neutraal").check()
    page.get_by_role("group", name="Werkplezier").get_by_label("8", exact=True).check()
    expect(
        page.get_by_role("group", name=STATEMENTS[0][1]).get_by_label("Mee eens", exact=True)
    ).to_be_checked()
    page.get_by_role("button", name="Antwoorden versturen").click()

    expect(page.get_by_text("Je antwoorden zijn anoniem opgeslagen")).to_be_visible()
    assert time.monotonic() - started < 60
    expect(page.get_by_role("region", name="Hoe ging het samenwerken in")).to_have_count(0)
    assert sorted(PulseAnswer.objects.values_list("value", flat=True)) == [3, 4, 5, 8]


def test_the_dashboard_shows_the_pulse_per_closed_quarter(live_asgi_server, browser_page):
    server = f"http://{live_asgi_server}"
    current = Quarter.current()
    older, past = current.previous().previous(), current.previous()
    answers = []
    for quarter, values in ((older, (2, 3, 3, 4, 4, 2)), (past, (3, 4, 4, 5, 4, 4, 5))):
        money, together, _unanswered, joy = ask(quarter)
        answers += [PulseAnswer(statement=money, value=v) for v in values]
        answers += [PulseAnswer(statement=together, value=v) for v in values[:4]]  # too few
        answers += [PulseAnswer(statement=joy, value=v + 4) for v in values]
    PulseAnswer.objects.bulk_create(answers)
    page = browser_page
    page.context.add_cookies([session_cookie(UserFactory(roles=["programme_manager"]), server)])
    page.goto(f"{server}/insights/")
    section = page.get_by_role("region", name="Pulse: ervaren kwaliteit en werkplezier")
    expect(section).to_be_visible()

    trend = section.get_by_role("table", name="Pulse: het gemiddelde per stelling en kwartaal")
    money = trend.get_by_role("row", name=STATEMENTS[0][1])
    expect(money.get_by_role("cell")).to_have_text(["3,0", "4,1"])
    together = trend.get_by_role("row", name=STATEMENTS[1][1])
    expect(together.get_by_role("cell")).to_have_text(["<5 antwoorden", "<5 antwoorden"])
    expect(
        section.get_by_role("img", name="Gemiddeld werkplezier (1 tot 10) per kwartaal")
    ).to_be_visible()

    # the newest quarter in detail: the distribution per answer
    distribution = section.get_by_role(
        "table", name=f"{STATEMENTS[0][1]}: antwoorden per score, {past.label}"
    )
    expect(
        distribution.get_by_role("row", name="Aantal antwoorden").get_by_role("cell")
    ).to_have_text(["0", "0", "1", "4", "2"])
    expect(section.get_by_text("7 antwoorden, gemiddeld 4,1.").first).to_be_visible()
    expect(section.get_by_text("<5 antwoorden: niet getoond").first).to_be_visible()
    assert axe_violations(page) == []
