"""Targets and the programme team's notes: who sets them, how a figure compares with its
target, and that a suppressed figure is never compared."""

from __future__ import annotations

import csv
import io
from http import HTTPStatus

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from directory.models import Domain
from insights.models import ComputedQuarter, Figure, Metric, QuarterNote, Target
from insights.quarters import Quarter
from insights.targets import INDICATORS, State, Status, quarter_reports, save_quarter
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("insights:dashboard")
TARGETS = reverse("insights:targets")


@pytest.fixture
def manager(db):
    return UserFactory(display_name="Mark Programmamanager", roles=["programme_manager"])


def store(quarter: str, metric: str, value: int, domain: str = "", *, final: bool = True):
    ComputedQuarter.objects.get_or_create(quarter=quarter, defaults={"final": final})
    Figure.objects.create(quarter=quarter, metric=metric, value=value, domain=domain)


@pytest.fixture
def figures():
    store("2025Q4", Metric.ACTIVE_PROFESSIONALS, 38)
    store("2025Q4", Metric.ACTIVE_PROFESSIONALS, 3, Domain.DEBT)
    store("2026Q1", Metric.ACTIVE_PROFESSIONALS, 45)
    store("2026Q1", Metric.ACTIVE_PROFESSIONALS, 4, Domain.DEBT)
    store("2026Q1", Metric.CROSS_DOMAIN_CONNECTIONS, 12)


# --- status ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "target", "provisional", "state", "text"),
    [
        (45, 40, False, State.REACHED, "doel 40, gehaald"),
        (40, 40, False, State.REACHED, "doel 40, gehaald"),
        (38, 40, False, State.NOT_REACHED, "doel 40, niet gehaald"),
        (38, 40, True, State.NOT_YET, "doel 40, nog niet gehaald (voorlopig)"),
        (45, 40, True, State.REACHED, "doel 40, gehaald"),
        (38, None, False, State.NO_TARGET, "geen doel"),
        (1234, 1000, False, State.REACHED, "doel 1.000, gehaald"),
    ],
)
def test_it_compares_a_figure_with_its_target_in_words(value, target, provisional, state, text):
    status = Status(value, target, provisional)
    assert status.state is state
    with translation.override("nl"):
        assert status.text == text


@pytest.mark.parametrize("value", [0, 1, 4])
@pytest.mark.parametrize("target", [5, 40, 3])
def test_a_suppressed_figure_is_never_compared(value, target):
    status = Status(value, target)
    assert status.state is State.SUPPRESSED
    assert status.shown_value == "<5"
    with translation.override("nl"):
        assert "gehaald" not in status.text
        assert str(value) not in status.text.replace(f"doel {target}", "")
    assert status.badge == Status(value, None).badge  # the colour tells nothing either


# --- models and saving ----------------------------------------------------------------------


def test_one_target_per_indicator_and_quarter(manager):
    Target.objects.create(indicator="active_professionals", quarter="2026Q1", value=40)
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(indicator="active_professionals", quarter="2026Q1", value=50)
    Target.objects.create(indicator="active_professionals", quarter="2026Q2", value=50)
    QuarterNote.objects.create(quarter="2026Q1", text="Eerste kwartaal")
    with pytest.raises(IntegrityError), transaction.atomic():
        QuarterNote.objects.create(quarter="2026Q1", text="Nog een")


def test_saving_sets_changes_and_clears_and_keeps_who_set_an_unchanged_target(manager):
    quarter, other = Quarter(2026, 1), UserFactory(roles=["programme_manager"])
    save_quarter(
        quarter, {"active_professionals": 40, "articles_read": 20}, "  Goed begin.  ", by=manager
    )
    assert dict(Target.objects.values_list("indicator", "value")) == {
        "active_professionals": 40,
        "articles_read": 20,
    }
    note = QuarterNote.objects.get()
    assert (note.quarter, note.text, note.written_by) == ("2026Q1", "Goed begin.", manager)

    save_quarter(quarter, {"active_professionals": 40, "articles_read": None}, "", by=other)
    target = Target.objects.get()
    assert (target.indicator, target.set_by) == ("active_professionals", manager)
    assert not QuarterNote.objects.exists()
    with pytest.raises(ValueError, match="not an indicator"):
        save_quarter(quarter, {"nonsense": 3}, "", by=manager)


# --- who may set them -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "roles", [[], ["trainer"], ["privacy_officer"], ["organisation_admin"], ["platform_admin"]]
)
def test_only_programme_managers_set_targets(client, roles, figures):
    client.force_login(UserFactory(roles=roles))
    assert client.get(TARGETS).status_code == HTTPStatus.NOT_FOUND
    response = client.post(f"{TARGETS}?quarter=2026Q1", {"active_professionals": "40"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Target.objects.exists()


def test_a_platform_admin_sees_targets_on_the_dashboard_but_no_link_to_set_them(
    client, figures, manager
):
    save_quarter(Quarter(2026, 1), {"active_professionals": 40}, "Toelichting", by=manager)
    client.force_login(UserFactory(roles=["platform_admin"]))
    page = client.get(DASHBOARD).content.decode()
    assert "doel 40, gehaald" in page and "Toelichting" in page
    assert TARGETS not in page
    client.force_login(manager)
    assert TARGETS in client.get(DASHBOARD).content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(TARGETS)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_login"))


# --- the form -------------------------------------------------------------------------------


def test_a_programme_manager_sets_targets_and_a_note(client, manager, figures):
    client.force_login(manager)
    page = client.get(f"{TARGETS}?quarter=2026Q1")
    assert page.status_code == HTTPStatus.OK
    assert len([f for f in page.context["form"] if f.name != "note"]) == len(INDICATORS)
    response = client.post(
        f"{TARGETS}?quarter=2026Q1",
        {"active_professionals": "40", "cross_domain_connections": "15", "note": "**Groei**"},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"{TARGETS}?quarter=2026Q1"
    assert dict(Target.objects.values_list("indicator", "value")) == {
        "active_professionals": 40,
        "cross_domain_connections": 15,
    }
    assert Target.objects.filter(set_by=manager, quarter="2026Q1").count() == 2
    assert QuarterNote.objects.get(quarter="2026Q1").written_by == manager
    # the form shows what was saved
    form = client.get(f"{TARGETS}?quarter=2026Q1").context["form"]
    assert form["active_professionals"].value() == 40
    assert form["note"].value() == "**Groei**"


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("veertig", "Schrijf het doel als een heel getal, zoals 40."),
        ("4", "Een doel is minstens 5: kleinere cijfers worden niet getoond"),
        ("-3", "Een doel is minstens 5"),
        ("12.5", "Schrijf het doel als een heel getal"),
    ],
)
def test_field_errors_are_in_dutch_and_nothing_is_saved(client, manager, figures, value, error):
    client.force_login(manager)
    response = client.post(
        f"{TARGETS}?quarter=2026Q1",
        {"active_professionals": value, "articles_read": "20", "note": "x"},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = response.content.decode()
    assert error in page and "Niet opgeslagen" in page
    assert 'id="id_active_professionals_error"' in page
    assert not Target.objects.exists() and not QuarterNote.objects.exists()


def test_a_long_note_is_refused_in_dutch(client, manager, figures):
    client.force_login(manager)
    response = client.post(f"{TARGETS}?quarter=2026Q1", {"note": "a" * 2001})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Houd de toelichting op hoogstens 2000 tekens" in response.content.decode()


def test_only_shown_quarters_the_running_and_the_next_can_be_chosen(client, manager, figures):
    client.force_login(manager)
    current = Quarter.current()
    for quarter in ("2025Q4", "2026Q1", str(current), str(current.next())):
        assert client.get(f"{TARGETS}?quarter={quarter}").status_code == HTTPStatus.OK
    for quarter in ("2019Q1", str(current.next().next()), "nonsense"):
        assert client.get(f"{TARGETS}?quarter={quarter}").status_code == HTTPStatus.NOT_FOUND
    assert client.get(TARGETS).context["quarter"] == current


# --- the dashboard and the export -----------------------------------------------------------


def test_the_dashboard_shows_figure_target_and_status_per_quarter(client, manager, figures):
    save_quarter(
        Quarter(2026, 1),
        {"active_professionals": 40, "active_professionals__debt": 10},
        "Het **wijkoverleg** in Hoensbroek trok nieuwe mensen.",
        by=manager,
    )
    save_quarter(Quarter(2025, 4), {"active_professionals": 40}, "", by=manager)
    client.force_login(manager)
    page = client.get(DASHBOARD).content.decode()
    section = page[page.index('id="targets"') :]
    section = section[: section.index("</section>\n\n")] if "</section>\n\n" in section else section
    newest = section[
        section.index('data-quarter="2026Q1"') : section.index('data-quarter="2025Q4"')
    ]
    assert "<strong>wijkoverleg</strong>" in newest and "Mark Programmamanager" in newest
    assert "45</td>" in newest and "doel 40, gehaald" in newest
    # the debt domain's 4 is suppressed: said so, not compared, and the 4 is nowhere
    assert "doel 10; het cijfer is lager dan 5 en wordt niet vergeleken" in newest
    assert "4</td>" not in newest and "&lt;5</td>" in newest
    older = section[section.index('data-quarter="2025Q4"') :]
    assert "38</td>" in older and "doel 40, niet gehaald" in older
    # an indicator targeted in one quarter reads "geen doel" in the other
    assert "geen doel" in older and "3</td>" not in older


def test_quarters_without_target_or_note_are_left_out(manager, figures):
    computed = ComputedQuarter.objects.all()
    assert quarter_reports(computed) == []
    save_quarter(Quarter(2025, 4), {}, "Alleen een toelichting.", by=manager)
    (report,) = quarter_reports(computed)
    assert (str(report.quarter), report.lines) == ("2025Q4", [])
    assert "Alleen een toelichting." in report.note_html


def test_the_running_quarter_is_not_yet_reached_rather_than_missed(manager):
    store("2026Q2", Metric.ACTIVE_PROFESSIONALS, 20, final=False)
    save_quarter(Quarter(2026, 2), {"active_professionals": 40}, "", by=manager)
    (report,) = quarter_reports(ComputedQuarter.objects.all())
    assert report.provisional
    assert report.lines[0][1].state is State.NOT_YET


def test_the_csv_has_the_targets_and_the_notes_under_the_figures(client, manager, figures):
    save_quarter(
        Quarter(2026, 1),
        {"active_professionals": 40, "active_professionals__debt": 10},
        "Het **wijkoverleg** trok [nieuwe mensen](https://example.org).",
        by=manager,
    )
    client.force_login(manager)
    response = client.get(reverse("insights:export", args=["active-professionals"]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["", "K4 2025", "K1 2026"]
    assert ["Alle domeinen: doel", "", "40"] in rows
    assert ["Schulden en armoede: doel", "", "10"] in rows
    assert rows[-1] == [
        "Toelichting programmateam",
        "",
        "Het wijkoverleg trok nieuwe mensen (https://example.org).",
    ]
    # a table without targets gets only the note
    response = client.get(reverse("insights:export", args=["articles-read"]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert not any(row[0].endswith(": doel") for row in rows)
    assert rows[-1][0] == "Toelichting programmateam"
