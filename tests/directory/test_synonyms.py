"""Synonyms in the directory search: what people type finds the profession or expertise the
deployment's administrators say it means (SearchSynonym)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from directory.models import Domain, ExpertiseTag, SearchSynonym
from directory.search import synonyms_among, text_query
from directory.services import refresh_search
from tests.factories import (
    DisciplineFactory,
    ProfessionalFactory,
    SuperuserFactory,
    UserFactory,
)
from tests.privacy.fixtures import strong_client, with_mfa

pytestmark = pytest.mark.django_db


@pytest.fixture
def youth(hoensbroek, heerlen_noord):
    """Two youth workers, as their profiles name them, and a debt counsellor."""
    discipline = DisciplineFactory(
        name="Jeugdprofessional", slug="jeugdprofessional", domain=Domain.YOUTH
    )
    debt = DisciplineFactory(name="Schuldhulpverlener", slug="schuldhulpverlener")
    people = {
        "lotte": ProfessionalFactory(
            user=UserFactory(display_name="Lotte Kessels"),
            job_title="Jeugd- en gezinsprofessional",
            disciplines=[discipline],
            neighbourhoods=[hoensbroek],
        ),
        "mo": ProfessionalFactory(
            user=UserFactory(display_name="Mo Bemelmans"),
            job_title="Jeugd- en gezinsprofessional",
            disciplines=[discipline],
            neighbourhoods=[heerlen_noord],
        ),
        "sanne": ProfessionalFactory(
            user=UserFactory(display_name="Sanne Claessens"),
            job_title="Schuldhulpverlener",
            disciplines=[debt],
            neighbourhoods=[hoensbroek],
        ),
    }
    budget = ExpertiseTag.objects.create(name="budgetcoaching", slug="budgetcoaching")
    people["sanne"].expertise.add(budget)
    refresh_search(p.pk for p in people.values())
    return people


@pytest.fixture
def searcher(client, youth):
    client.force_login(youth["sanne"].user)
    return client


def found(client, text: str) -> list[str]:
    response = client.get(reverse("directory:index"), {"q": text, "sort": "name"})
    assert response.status_code == HTTPStatus.OK
    return [p.user.display_name for p in response.context["page"].object_list]


def synonym(term: str, alternatives: str) -> SearchSynonym:
    made = SearchSynonym(term=term, alternatives=alternatives)
    made.full_clean()
    made.save()
    return made


def test_it_finds_the_youth_workers_by_a_word_their_profiles_do_not_use(searcher):
    assert found(searcher, "jongerenwerker") == []
    synonym("jongerenwerker", "jeugdprofessional, jongerenwerk")
    assert found(searcher, "jongerenwerker") == ["Lotte Kessels", "Mo Bemelmans"]
    assert found(searcher, "Jongerenwerker") == ["Lotte Kessels", "Mo Bemelmans"]


def test_a_synonym_for_an_expertise_finds_who_has_it(searcher):
    synonym("geldcoach", "budgetcoaching")
    assert found(searcher, "geldcoach") == ["Sanne Claessens"]


def test_the_other_words_still_narrow_the_search(searcher):
    synonym("jongerenwerker", "jeugdprofessional")
    assert found(searcher, "jongerenwerker hoensbroek") == ["Lotte Kessels"]
    assert found(searcher, "hoensbroek jongerenwerker") == ["Lotte Kessels"]


def test_a_term_of_several_words_and_an_alternative_of_several_words(searcher):
    synonym("hulp bij geld", "schuldhulpverlener budgetcoaching, geldzaken")
    synonym("hulp", "jeugdprofessional")
    # the longest term typed wins: "hulp bij geld" means debt help, not youth work
    assert found(searcher, "hulp bij geld") == ["Sanne Claessens"]


def test_an_alternative_must_match_in_every_word(searcher):
    synonym("jongerenwerker", "jeugd astronaut")
    assert found(searcher, "jongerenwerker") == []


def test_the_query_holds_the_term_or_any_alternative():
    synonyms = {("poh", "ggz"): [["praktijkondersteuner", "ggz"]], ("poh",): [["praktijk"]]}
    query = text_query(["poh", "ggz", "heerlen"], synonyms)
    assert (
        query.source_expressions[-1].value
        == "((poh:* & ggz:*) | (praktijkondersteuner:* & ggz:*)) & heerlen:*"
    )
    assert text_query(["poh"], synonyms).source_expressions[-1].value == (
        "((poh:*) | (praktijk:*))"
    )
    assert text_query(["wijk", "team"], {}).source_expressions[-1].value == "wijk:* & team:*"


def test_only_the_synonyms_of_what_was_typed_are_read(db):
    synonym("jongerenwerker", "jeugdprofessional")
    synonym("poh ggz", "praktijkondersteuner ggz")
    synonym("dokter", "huisarts")
    assert synonyms_among(["de", "poh", "ggz", "jongerenwerker"]) == {
        ("jongerenwerker",): [["jeugdprofessional"]],
        ("poh", "ggz"): [["praktijkondersteuner", "ggz"]],
    }


def test_a_term_is_stored_as_the_search_reads_it(db):
    assert synonym("  POH  GGZ ", "praktijkondersteuner ggz").term == "poh ggz"
    with pytest.raises(ValidationError) as error:
        synonym("een heel lange zoekterm", "x")
    assert "term" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        synonym("dokter", " , ,")
    assert "alternatives" in error.value.message_dict
    with pytest.raises(ValidationError):
        synonym("POH ggz", "iets anders")  # the same term once more


def test_an_administrator_edits_the_synonyms_in_the_admin(db):
    admin = strong_client(with_mfa(SuperuserFactory()))
    response = admin.post(
        reverse("admin:directory_searchsynonym_add"),
        {"term": "Wijkzuster", "alternatives": "wijkverpleegkundige"},
    )
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:3000]
    assert SearchSynonym.objects.get().term == "wijkzuster"
    listing = admin.get(reverse("admin:directory_searchsynonym_changelist"))
    assert "wijkverpleegkundige" in listing.content.decode()
