"""The search row of each profile (document, name, filter values, facet keys) stays in step with
what it is made of, however that changes; see directory.signals and services.refresh_search."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import Value
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from directory.models import Discipline, Domain, Language, Membership, Neighbourhood, Professional
from directory.search import DirectorySearchForm, search
from directory.services import refresh_search, search_refresh_batch
from tests.factories import (
    DisciplineFactory,
    OrganisationFactory,
    ProfessionalFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# What the search row should hold, computed from the relational tables: the same as migration
# 0004 and services.refresh_search, written independently.
EXPECTED_SQL = """
SELECT p.id, u.display_name,
    ARRAY(SELECT t.discipline_id FROM directory_professional_disciplines t
          WHERE t.professional_id = p.id ORDER BY 1),
    ARRAY(SELECT DISTINCT x.domain::text FROM directory_professional_disciplines t
          JOIN directory_discipline x ON x.id = t.discipline_id
          WHERE t.professional_id = p.id ORDER BY 1),
    ARRAY(SELECT t.neighbourhood_id FROM directory_professional_neighbourhoods t
          WHERE t.professional_id = p.id ORDER BY 1),
    ARRAY(SELECT t.organisation_id FROM directory_membership t
          WHERE t.professional_id = p.id AND t.verified ORDER BY 1),
    ARRAY(SELECT t.expertisetag_id FROM directory_professional_expertise t
          WHERE t.professional_id = p.id ORDER BY 1),
    ARRAY(SELECT t.language_id FROM directory_professional_languages t
          WHERE t.professional_id = p.id ORDER BY 1),
    EXISTS (SELECT 1 FROM directory_membership m WHERE m.professional_id = p.id AND m.verified)
FROM directory_professional p JOIN accounts_user u ON u.id = p.user_id ORDER BY p.id
"""
STORED = ["id", "search_name", "discipline_ids", "domains", "neighbourhood_ids",
          "organisation_ids", "expertise_ids", "language_ids", "verified"]  # fmt: skip


def stale_rows() -> list[tuple]:
    """Search rows that differ from the relational data, or [] when all agree."""
    with connection.cursor() as cursor:
        cursor.execute(EXPECTED_SQL)
        expected = cursor.fetchall()
    stored = Professional.objects.order_by("id").values_list(*STORED)
    return [(e, s) for e, s in zip(expected, stored, strict=True) if tuple(e) != tuple(s)]


def facet_keys(professional: Professional) -> set[str]:
    return set(
        Professional.objects.values_list("facet_keys", flat=True).get(pk=professional.pk).split()
    )


def document_parts(professional: Professional) -> dict[str, str]:
    """The weighted parts of the search document, put together in Python."""
    disciplines = list(professional.disciplines.order_by("name"))
    with translation.override(settings.LANGUAGE_CODE):
        domains = sorted({str(Domain(d.domain).label) for d in disciplines})
    memberships = professional.memberships.filter(verified=True).order_by("pk")
    return {
        "A": " ".join([professional.user.display_name, professional.job_title]
                      + [d.name for d in disciplines]),
        "B": " ".join([t.name for t in professional.expertise.order_by("name")]
                      + [m.organisation.name for m in memberships] + domains),
        "C": " ".join([n.name for n in professional.neighbourhoods.order_by("municipality",
                                                                             "name")]
                      + [lang.name for lang in professional.languages.order_by("name")]
                      + [professional.availability]),
        "D": professional.bio,
    }  # fmt: skip


def found(**params) -> list[str]:
    form = DirectorySearchForm(params)
    assert form.is_valid(), form.errors
    return sorted(p.user.display_name for p in search(form.cleaned_data, None).page.object_list)


def counts(facet: str, **params) -> dict[str, int]:
    form = DirectorySearchForm(params)
    assert form.is_valid(), form.errors
    return {v.value: v.count for v in search(form.cleaned_data, None).facets[facet]}


def test_the_search_rows_follow_every_kind_of_change(town, hoensbroek, heerlen_noord):
    """Changes through the ORM, without calling refresh_search, keep every row exact."""
    assert stale_rows() == []
    counsellor, gp, nurse = town["counsellor"], town["gp"], town["nurse"]
    limburgs = Language.objects.get(code="li")
    youth = DisciplineFactory(name="Jongerenwerker", slug="jongerenwerker", domain=Domain.YOUTH)

    counsellor.disciplines.add(youth)  # forward
    youth.professional_set.add(gp)  # reverse
    nurse.neighbourhoods.add(hoensbroek)
    heerlen_noord.professional_set.remove(nurse)
    counsellor.languages.add(limburgs)
    limburgs.professional_set.clear()
    assert stale_rows() == []

    new_practice = OrganisationFactory(name="Gezondheidscentrum Maria", slug="gc-maria")
    Membership.objects.create(professional=nurse, organisation=new_practice, verified=True)
    unconfirmed = Membership.objects.create(professional=gp, organisation=new_practice)
    assert stale_rows() == []
    unconfirmed.verified = True
    unconfirmed.save()
    assert stale_rows() == []
    Membership.objects.filter(professional=counsellor).delete()  # no longer listed
    assert stale_rows() == []

    youth.domain = Domain.SOCIAL
    youth.save()
    Neighbourhood.objects.filter(slug="heerlen-noord").delete()
    Discipline.objects.get(slug="huisarts").delete()
    new_practice.delete()
    assert stale_rows() == []

    gp.user.display_name = "Bram Hermans-Kessels"
    gp.user.save()
    assert stale_rows() == []


def test_a_stale_row_would_be_noticed(town):
    # the check above is not vacuous: a change that bypasses the signals shows up
    Professional.disciplines.through.objects.filter(professional=town["gp"]).delete()
    assert [e[0] for e, _s in stale_rows()] == [town["gp"].pk]
    refresh_search([town["gp"].pk])
    assert stale_rows() == []


def test_filters_and_counts_see_membership_changes(town):
    practice = town["gp"].memberships.get().organisation
    assert found(organisation="hp-kasteelpark") == ["Bram Hermans", "Roos Wetzels"]
    Membership.objects.filter(professional=town["nurse"]).delete()
    assert found(organisation="hp-kasteelpark") == ["Bram Hermans"]
    assert "Roos Wetzels" not in found()  # no verified membership left: not listed
    Membership.objects.create(professional=town["nurse"], organisation=practice, verified=True)
    assert found(organisation="hp-kasteelpark") == ["Bram Hermans", "Roos Wetzels"]
    assert counts("organisation")["hp-kasteelpark"] == 2


def test_filters_and_counts_see_relation_changes(town, hoensbroek):
    assert found(neighbourhood="hoensbroek") == ["Bram Hermans", "Sanne Claessens"]
    hoensbroek.professional_set.add(town["nurse"])
    assert found(neighbourhood="hoensbroek") == ["Bram Hermans", "Roos Wetzels", "Sanne Claessens"]
    assert counts("neighbourhood")["hoensbroek"] == 3
    town["gp"].neighbourhoods.clear()
    assert counts("neighbourhood")["hoensbroek"] == 2
    assert counts("domain", domain=Domain.MEDICAL) == {"medical": 2}
    nurse_discipline = Discipline.objects.get(slug="wijkverpleegkundige")
    nurse_discipline.domain = Domain.ELDERLY_CARE
    nurse_discipline.save()
    assert found(domain=Domain.ELDERLY_CARE) == ["Roos Wetzels"]
    assert counts("domain")["elderly_care"] == 1


def test_renaming_an_organisation_renames_it_in_the_search(town):
    organisation = town["counsellor"].memberships.get().organisation
    organisation.name = "Budgetwijzer Parkstad"
    organisation.save()
    assert found(q="budgetwijzer") == ["Sanne Claessens"]


def test_a_new_name_is_found_and_an_inactive_account_is_not(town):
    user = town["nurse"].user
    user.display_name = "Roos Gorissen"
    user.save(update_fields=["display_name"])
    assert found(q="gorissen") == ["Roos Gorissen"]
    user.is_active = False
    user.save()
    assert found(q="gorissen") == []
    assert "Roos Gorissen" not in found()


def test_the_document_holds_each_part_with_its_weight(town):
    nurse = town["nurse"]
    nurse.expertise.create(name="Wondzorg", slug="wondzorg")
    nurse.availability = "Maandag tot en met donderdag"
    nurse.bio = "Ik bezoek ouderen thuis."
    nurse.save()
    document = None
    for weight, text in document_parts(nurse).items():
        part = SearchVector(Value(text), weight=weight, config=settings.SEARCH_CONFIG)
        document = part if document is None else document + part
    stored, expected = (
        Professional.objects.filter(pk=nurse.pk)
        .annotate(expected=document)
        .values_list("search_vector", "expected")
        .get()
    )
    assert stored == expected
    assert "'wondzorg':5B" in stored  # the parts in this order, each with its weight
    membership = nurse.memberships.get()
    assert facet_keys(nurse) == {
        f"d{nurse.disciplines.get().pk}",
        "mmedical",
        f"n{nurse.neighbourhoods.get().pk}",
        f"o{membership.organisation_id}",
        f"e{nurse.expertise.get().pk}",
        f"l{nurse.languages.get().pk}",
    }


def test_refreshing_many_profiles_takes_one_statement(hoensbroek):
    people = [ProfessionalFactory(neighbourhoods=[hoensbroek]) for _ in range(12)]
    Professional.objects.update(job_title="Opbouwwerker")  # no signals: refresh by hand
    with CaptureQueriesContext(connection) as queries:
        refresh_search(p.pk for p in people)
    assert len(queries) == 1
    assert len(found(q="opbouwwerker")) == 12
    assert stale_rows() == []


def test_a_batch_refreshes_once_at_its_end(town):
    gp = town["gp"]
    extra = DisciplineFactory(name="Praktijkondersteuner", slug="poh", domain=Domain.MEDICAL)
    with search_refresh_batch():
        gp.disciplines.add(extra)
        gp.job_title = "Huisarts en praktijkondersteuner"
        gp.save()
        assert found(q="praktijkondersteuner") == []  # not yet
    assert found(q="praktijkondersteuner") == ["Bram Hermans"]
    assert found(discipline="poh") == ["Bram Hermans"]


def test_the_unfiltered_counts_are_recomputed_after_a_change(town):
    before = counts("neighbourhood")
    newcomer = ProfessionalFactory(
        user=UserFactory(display_name="Lotte Nijssen"),
        neighbourhoods=[town["gp"].neighbourhoods.get()],
    )
    assert newcomer.verified
    assert counts("neighbourhood")["hoensbroek"] == before["hoensbroek"] + 1


def test_facet_labels_follow_a_rename(town, django_capture_on_commit_callbacks):
    def labels() -> dict[str, str]:
        form = DirectorySearchForm({"q": "huisarts"})
        assert form.is_valid()
        return {v.value: v.label for v in search(form.cleaned_data, None).facets["organisation"]}

    assert labels()["hp-kasteelpark"] == "Huisartsenpraktijk Kasteelpark"
    practice = town["gp"].memberships.get().organisation
    practice.name = "Huisartsen Kasteelpark"
    with django_capture_on_commit_callbacks(execute=True):
        practice.save()
        # each process keeps the labels it loaded until the commit clears their version
        assert labels()["hp-kasteelpark"] == "Huisartsenpraktijk Kasteelpark"
    assert labels()["hp-kasteelpark"] == "Huisartsen Kasteelpark"


def test_each_process_loads_the_facet_labels_once_per_version(town, monkeypatch):
    from django.core.cache import cache

    from directory import search as module

    def label_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            labels = module._facet_labels()
        assert labels["o"][town["gp"].memberships.get().organisation_id][0] == "hp-kasteelpark"
        return sum("UNION ALL" in query["sql"] for query in captured)

    monkeypatch.setattr(module, "_labels_loaded", None)  # a process that has not loaded them
    assert label_queries() == 1
    assert label_queries() == 0  # the version in the shared cache is the one this process has
    cache.delete(module.FACET_LABELS_KEY)  # what directory.signals does when a label changes
    assert label_queries() == 1
    assert label_queries() == 0


def test_a_facet_lists_its_most_frequent_values_and_ties():
    from directory.search import FACET_VALUES, _most_frequent

    counts = {str(n): 100 - n for n in range(FACET_VALUES + 10)}
    assert set(_most_frequent(counts)) == {str(n) for n in range(FACET_VALUES)}
    counts |= {"tie": counts[str(FACET_VALUES - 1)]}
    assert "tie" in _most_frequent(counts)
