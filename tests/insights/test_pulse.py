"""The pulse: one anonymous answer per professional per quarter, unlinkable once closed."""

from __future__ import annotations

from collections import Counter
from http import HTTPStatus
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, models
from django.urls import reverse
from django.utils import translation

from directory.models import Domain
from insights import pulse
from insights.models import (
    PulseAnswer,
    PulseDismissal,
    PulseParticipation,
    PulseScale,
    PulseStatement,
)
from insights.quarters import Quarter
from tests.factories import (
    DisciplineFactory,
    ProfessionalFactory,
    SuperuserFactory,
    UserFactory,
)
from tests.privacy.fixtures import strong_client, with_mfa

pytestmark = pytest.mark.django_db

FORM = reverse("insights:pulse")
DISMISS = reverse("insights:pulse_dismiss")
DASHBOARD = reverse("insights:dashboard")


def ask(quarter: Quarter) -> tuple[PulseStatement, PulseStatement]:
    money = PulseStatement.objects.create(
        quarter=str(quarter),
        position=1,
        topic="geldzorgen",
        text="Ik weet wie ik in de wijk kan benaderen voor geldzorgen van een inwoner.",
    )
    joy = PulseStatement.objects.create(
        quarter=str(quarter), position=2, topic="werkplezier", text="Werkplezier", scale="score"
    )
    return money, joy


def post_data(quarter: Quarter, money: PulseStatement, joy: PulseStatement, agree="4", score="8"):
    return {
        "quarter": str(quarter),
        f"statement_{money.pk}": agree,
        f"statement_{joy.pk}": score,
    }


@pytest.fixture
def current():
    return Quarter.current()


@pytest.fixture
def statements(current):
    return ask(current)


def test_it_stores_the_answers_without_the_person(client, colleague, current, statements):
    money, joy = statements
    client.force_login(colleague)
    response = client.post(FORM, post_data(current, money, joy))
    assert response.status_code == HTTPStatus.FOUND
    assert sorted(PulseAnswer.objects.values_list("statement_id", "value")) == [
        (money.pk, 4),
        (joy.pk, 8),
    ]
    participation = PulseParticipation.objects.get()
    assert (participation.user, participation.quarter) == (colleague, str(current))
    page = client.get(reverse("home"))
    assert "anoniem opgeslagen" in page.content.decode()
    assert "data-pulse-prompt" not in page.content.decode()


def test_it_refuses_a_second_answer_in_the_same_quarter(client, colleague, current, statements):
    money, joy = statements
    client.force_login(colleague)
    client.post(FORM, post_data(current, money, joy))
    response = client.post(FORM, post_data(current, money, joy, agree="1", score="2"))
    assert response.status_code == HTTPStatus.CONFLICT
    assert "Je hebt de pulse van dit kwartaal al ingevuld" in response.content.decode()
    assert PulseAnswer.objects.count() == 2
    assert not PulseAnswer.objects.filter(value__in=[1, 2]).exists()
    # the form itself says so and offers no second form
    page = client.get(FORM)
    assert page.status_code == HTTPStatus.OK
    assert "Je hebt de pulse van dit kwartaal ingevuld" in page.content.decode()
    assert "<form" not in page.content.decode().split("<main", 1)[1]


def test_the_service_refuses_a_second_answer_even_when_the_view_is_bypassed(
    colleague, current, statements
):
    money, joy = statements
    pulse.answer(colleague, current, {money: 3, joy: 7})
    with pytest.raises(pulse.AlreadyAnswered):
        pulse.answer(colleague, current, {money: 5, joy: 9})
    assert PulseAnswer.objects.count() == 2


@pytest.mark.parametrize(
    "change, field_error",
    [
        ({"agree": ""}, "Kies een antwoord op deze stelling."),
        ({"score": ""}, "Kies een antwoord op deze stelling."),
        ({"agree": "6"}, "Selecteer een geldige keuze"),  # beyond the 1–5 scale
        ({"score": "0"}, "Selecteer een geldige keuze"),
        ({"score": "acht"}, "Selecteer een geldige keuze"),
    ],
)
def test_the_form_refuses_missing_and_invalid_answers(
    client, colleague, current, statements, change, field_error
):
    client.force_login(colleague)
    response = client.post(FORM, post_data(current, *statements, **change))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field_error in response.content.decode()
    assert not PulseAnswer.objects.exists() and not PulseParticipation.objects.exists()


def test_a_form_opened_in_the_previous_quarter_is_shown_anew(
    client, colleague, current, statements
):
    client.force_login(colleague)
    response = client.post(FORM, post_data(current.previous(), *statements))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Er is een nieuw kwartaal begonnen" in response.content.decode()
    assert not PulseAnswer.objects.exists()


def test_the_form_is_a_fieldset_of_radio_buttons_per_statement(client, colleague, statements):
    client.force_login(colleague)
    html = client.get(FORM).content.decode()
    assert html.count("<fieldset") == 2
    assert html.count('type="radio"') == 5 + 10
    assert "Helemaal mee eens" in html and "Werkplezier" in html


def test_only_verified_professionals_answer(client, statements):
    response = client.get(FORM)
    assert response.status_code == HTTPStatus.FOUND and "login" in response["Location"]
    client.force_login(ProfessionalFactory(organisation__verified=False).user)
    assert client.get(FORM).status_code == HTTPStatus.FORBIDDEN
    client.force_login(UserFactory(roles=["platform_admin"]))
    assert client.get(FORM).status_code == HTTPStatus.NOT_FOUND
    assert client.post(DISMISS).status_code == HTTPStatus.NOT_FOUND


def test_the_home_page_invites_until_answered_or_dismissed(client, colleague, statements):
    client.force_login(colleague)
    home = client.get(reverse("home")).content.decode()
    assert "data-pulse-prompt" in home and f'href="{FORM}"' in home
    response = client.post(DISMISS)
    assert response.status_code == HTTPStatus.FOUND
    assert "data-pulse-prompt" not in client.get(reverse("home")).content.decode()
    assert PulseDismissal.objects.filter(user=colleague).exists()
    # no statements this quarter: no invitation for anyone
    other = ProfessionalFactory().user
    client.force_login(other)
    assert "data-pulse-prompt" in client.get(reverse("home")).content.decode()
    PulseStatement.objects.all().delete()
    assert "data-pulse-prompt" not in client.get(reverse("home")).content.decode()


def test_administrators_without_a_profile_are_not_invited(client, statements):
    client.force_login(UserFactory(roles=["platform_admin"]))
    assert "data-pulse-prompt" not in client.get(reverse("home")).content.decode()


# --- closing a quarter: nothing joins an answer to its person any more ---------------------


def _answer_past_quarter(count: int, current: Quarter) -> tuple[Quarter, list]:
    """``count`` people answer last quarter's pulse: alternately a nurse (medical) and a
    social worker (social)."""
    past = current.previous()
    money, joy = ask(past)
    nurse = DisciplineFactory(name="Wijkverpleging", domain=Domain.MEDICAL)
    social = DisciplineFactory(name="Maatschappelijk werk", domain=Domain.SOCIAL)
    people = [ProfessionalFactory(disciplines=[(nurse, social)[n % 2]]).user for n in range(count)]
    for index, person in enumerate(people):
        pulse.answer(person, past, {money: index % 5 + 1, joy: index + 1})
    return past, people


def test_closing_a_quarter_leaves_no_link_from_an_answer_to_its_person(current, monkeypatch):
    past, people = _answer_past_quarter(6, current)
    PulseDismissal.objects.create(user=people[0], quarter=str(past))
    before = list(PulseAnswer.objects.values_list("id", "statement_id", "value", "domain"))
    # the domain is stored with the answer: the person's side, nothing of the person
    assert sorted(row[3] for row in before) == ["medical"] * 6 + ["social"] * 6
    participations = set(PulseParticipation.objects.values_list("id", flat=True))
    # the rewrite's order: reversed here, to see it applied (in production: at random)
    shuffled: list = []

    def reverse(rows: list) -> None:
        rows.reverse()
        shuffled.extend(rows)

    monkeypatch.setattr(pulse, "_shuffle", reverse)

    assert pulse.close_quarters(current) == [past]

    assert not PulseParticipation.objects.filter(quarter=str(past)).exists()
    assert not PulseDismissal.objects.filter(quarter=str(past)).exists()
    with connection.cursor() as cursor:  # the rows as stored, without any ORDER BY
        cursor.execute("SELECT id, statement_id, value, domain FROM insights_pulseanswer")
        after = cursor.fetchall()
        columns = {
            column.name
            for column in connection.introspection.get_table_description(
                cursor, "insights_pulseanswer"
            )
        }
    # nothing but these four is stored: no person, organisation, discipline or time
    assert columns == {"id", "statement_id", "value", "domain"}
    # the same answers, none with an id it had while its person's participation existed
    assert sorted(row[1:] for row in after) == sorted(row[1:] for row in before)
    assert not {row[0] for row in after} & ({row[0] for row in before} | participations)
    assert all(row[0].version == 4 for row in after)  # random, not ordered
    # stored in the order the shuffle gave them, not in the order they were given
    assert [row[1:] for row in after] == shuffled
    # the domains survive the rewrite: the side is all that is left of the people
    assert sorted(row[3] for row in after) == ["medical"] * 6 + ["social"] * 6


def test_an_answer_has_no_field_that_could_point_at_a_person_or_a_moment():
    fields = {field.name: field for field in PulseAnswer._meta.get_fields()}
    assert set(fields) == {"id", "statement", "value", "domain"}
    # the domain is one of two large groups, never a person's organisation or discipline
    assert [value for value, _label in fields["domain"].choices] == ["medical", "social"]
    assert fields["statement"].related_model is PulseStatement
    assert not any(
        isinstance(field, models.DateField | models.DateTimeField | models.TimeField)
        for field in fields.values()
    )
    assert isinstance(fields["id"], models.UUIDField)
    # the participation record holds no answer, no time and no statement
    participation = {field.name for field in PulseParticipation._meta.get_fields()}
    assert participation == {"id", "user", "quarter"}


def test_the_running_quarter_is_not_closed(colleague, current, statements):
    money, joy = statements
    pulse.answer(colleague, current, {money: 2, joy: 6})
    assert pulse.close_quarters(current) == []
    assert PulseParticipation.objects.filter(user=colleague).exists()


def test_compute_insights_closes_ended_quarters(current):
    past, _people = _answer_past_quarter(5, current)
    out = StringIO()
    call_command("compute_insights", stdout=out)
    assert f"{past}: pulse closed" in out.getvalue()
    assert not PulseParticipation.objects.exists()
    assert PulseAnswer.objects.count() == 10


# --- results: closed quarters only, and only from 5 answers -------------------------------


def test_results_show_only_closed_quarters_and_suppress_fewer_than_five(client, current):
    past, _people = _answer_past_quarter(5, current)
    older = past.previous()
    few_money, few_joy = ask(older)
    PulseAnswer.objects.bulk_create(
        [PulseAnswer(statement=few_money, value=v) for v in (1, 2, 3, 4)]
        + [PulseAnswer(statement=few_joy, value=v) for v in (6, 7, 8, 9, 10)]
    )
    client.force_login(UserFactory(roles=["programme_manager"]))

    # the ended quarter still holds participation records: not shown yet
    report = pulse.report(current)
    assert report.quarters == [older]
    pulse.close_quarters(current)
    report = pulse.report(current)
    assert report.quarters == [older, past]

    (money_row, joy_row) = report.trend
    assert money_row.cells == ["<5 antwoorden", "3,0"]  # 4 answers hidden; (1+2+3+4+5)/5
    assert joy_row.cells == ["8,0", "3,0"]
    latest = {result.statement.topic: result for result in report.latest.results}
    assert latest["geldzorgen"].distribution == [(v, 1, 20) for v in range(1, 6)]
    assert [count for _v, count, _share in latest["werkplezier"].distribution] == [1] * 5 + [0] * 5

    html = client.get(DASHBOARD).content.decode()
    assert "Pulse: ervaren kwaliteit en werkplezier" in html
    assert "&lt;5 antwoorden: niet getoond" in html  # the older quarter's money statement
    assert "5 antwoorden, gemiddeld 3,0." in html


def test_the_running_quarters_answers_are_not_on_the_dashboard(client, current, statements):
    money, joy = statements
    for _ in range(6):
        pulse.answer(ProfessionalFactory().user, current, {money: 5, joy: 10})
    assert pulse.report(current).quarters == []
    client.force_login(UserFactory(roles=["programme_manager"]))
    html = client.get(DASHBOARD).content.decode()
    assert "Er is nog geen kwartaal met een pulse afgesloten." in html


@pytest.fixture
def admin_client(db):
    return strong_client(with_mfa(SuperuserFactory()))


def test_an_answered_statement_cannot_be_reworded_in_the_admin(admin_client, current):
    money, _joy = ask(current)
    url = reverse("admin:insights_pulsestatement_change", args=[money.pk])
    assert 'name="text"' in admin_client.get(url).content.decode()
    PulseAnswer.objects.create(statement=money, value=3)
    assert 'name="text"' not in admin_client.get(url).content.decode()


def test_the_admin_copies_statements_to_the_next_quarter(admin_client, current):
    ask(current)
    response = admin_client.post(
        reverse("admin:insights_pulsestatement_changelist"),
        {
            "action": "copy_to_next_quarter",
            "_selected_action": list(PulseStatement.objects.values_list("pk", flat=True)),
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    copied = PulseStatement.objects.filter(quarter=str(current.next()))
    assert sorted(copied.values_list("topic", "scale")) == [
        ("geldzorgen", PulseScale.AGREEMENT),
        ("werkplezier", PulseScale.SCORE),
    ]


def test_an_average_is_rounded_to_one_decimal():
    statement = PulseStatement(quarter="2026Q3", topic="tijd", text="Tijd")
    result = pulse.Result(statement, Counter({4: 3, 5: 1, 3: 1, 2: 1}))  # 22 / 6 = 3.67
    with translation.override("nl"):
        assert result.average_text == "3,7"


def test_an_answer_keeps_the_side_of_its_persons_disciplines(current, statements):
    money, joy = statements
    gp = DisciplineFactory(name="Huisarts", domain=Domain.MEDICAL)
    elderly = DisciplineFactory(name="Ouderenzorg", domain=Domain.ELDERLY_CARE)
    debt = DisciplineFactory(name="Schuldhulp", domain=Domain.DEBT)
    medical = ProfessionalFactory(disciplines=[gp, elderly]).user
    social = ProfessionalFactory(disciplines=[debt]).user
    both = ProfessionalFactory(disciplines=[gp, debt]).user
    neither = ProfessionalFactory().user
    assert [pulse.side_of(u) for u in (medical, social, both, neither)] == [
        "medical",
        "social",
        "",
        "",
    ]
    pulse.answer(both, current, {money: 3, joy: 7})
    assert set(PulseAnswer.objects.values_list("domain", flat=True)) == {""}


def _result(medical: int, social: int, rest: int = 0) -> pulse.Result:
    """A statement's result with ``medical``, ``social`` and ``rest`` answers of 4."""
    statement = PulseStatement(quarter="2026Q3", topic="t", text="Stelling")
    sides = {
        side: Counter({4: n}) for side, n in (("medical", medical), ("social", social), ("", rest))
    }
    return pulse.Result(statement, Counter({4: medical + social + rest}), sides)


@pytest.mark.parametrize(
    ("medical", "social", "rest", "shown"),
    [
        (6, 7, 0, [True, True]),
        (4, 9, 0, [False, False]),  # social's 9 is the total minus a hidden 4
        (7, 7, 1, [False, True]),  # the one on both sides: the smaller domain goes too
        (7, 7, 5, [True, True]),  # five on both sides hide nobody
        (5, 0, 0, [True, False]),  # a domain alone is the total, shown already; its partner empty
        (2, 2, 0, [False, False]),
    ],
)
def test_a_domains_result_needs_five_answers_and_a_complement_of_none_or_five(
    medical, social, rest, shown
):
    with translation.override("en"):
        cells = _result(medical, social, rest).side_results
    assert [label for label, _cell in cells] == ["Medical domain", "Social domain"]
    assert [cell != "<5 answers" for _label, cell in cells] == shown
    for (_label, cell), is_shown in zip(cells, shown, strict=True):
        assert cell == ("4.0" if is_shown else "<5 answers")
