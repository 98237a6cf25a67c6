"""Searching the directory: free text, filters with counts, sorting and pagination.

On PostgreSQL free text uses the stored, weighted tsvector (Dutch stemming, prefix matching so
"schuld" finds "schuldhulpverlener") together with trigram similarity on names, so a misspelt
surname still finds the person. On SQLite it falls back to substring matching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, Exists, F, FloatField, OuterRef, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from directory.models import (
    Discipline,
    Domain,
    ExpertiseTag,
    Language,
    Membership,
    Neighbourhood,
    Organisation,
    PostcodeRange,
    Professional,
)

PAGE_SIZE = 20
# On PostgreSQL the `%>` operator compares with pg_trgm.word_similarity_threshold, which the
# database connection sets to this value (config/settings.py).
NAME_SIMILARITY = 0.45
# Counts over the whole directory (the page without a query) are shared by everyone and cost the
# most to compute; they may lag this long behind a change.
UNFILTERED_COUNTS_KEY = "directory:search:unfiltered-counts"
UNFILTERED_COUNTS_SECONDS = 300
_WORD = re.compile(r"\w+", re.UNICODE)
_POSTCODE = re.compile(r"^\s*([1-9][0-9]{3})\s*(?:[A-Za-z]{2})?\s*$")


class SlugChoiceField(forms.ModelChoiceField):
    def __init__(self, queryset: QuerySet, label: str, to_field_name: str = "slug") -> None:
        super().__init__(
            queryset=queryset,
            to_field_name=to_field_name,
            required=False,
            label=label,
            empty_label=_("All"),
            error_messages={"invalid_choice": _("This choice does not exist (any more).")},
        )


class DirectorySearchForm(forms.Form):
    SORTS = [("relevance", _("Best match")), ("name", _("Name")), ("recent", _("Recently updated"))]

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("A name, profession, expertise or organisation."),
    )
    postcode = forms.CharField(
        label=_("Postcode of the resident"),
        required=False,
        max_length=7,
        help_text=_("For example 6432: shows who works in that neighbourhood."),
    )
    neighbourhood = SlugChoiceField(Neighbourhood.objects.all(), _("Neighbourhood"))
    domain = forms.ChoiceField(
        label=_("Domain"), required=False, choices=[("", _("All")), *Domain.choices]
    )
    discipline = SlugChoiceField(Discipline.objects.all(), _("Discipline"))
    organisation = SlugChoiceField(Organisation.objects.all(), _("Organisation"))
    expertise = SlugChoiceField(ExpertiseTag.objects.all(), _("Expertise"))
    language = SlugChoiceField(Language.objects.all(), _("Language"), to_field_name="code")
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORTS)

    def clean_postcode(self) -> Neighbourhood | None:
        raw = self.cleaned_data["postcode"]
        if not raw:
            return None
        match = _POSTCODE.match(raw)
        if not match:
            raise forms.ValidationError(_("Enter a postcode such as 6432 or 6432 AB."))
        number = int(match.group(1))
        served = (
            PostcodeRange.objects.filter(first__lte=number, last__gte=number)
            .select_related("neighbourhood")
            .first()
        )
        if served is None:
            raise forms.ValidationError(
                _("Postcode %(postcode)s is not in a neighbourhood on this platform."),
                params={"postcode": match.group(1)},
            )
        return served.neighbourhood


@dataclass
class FacetValue:
    param: str
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class SearchResult:
    page: Page
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    postcode_neighbourhood: Neighbourhood | None = None
    text: str = ""


FILTERS = ["neighbourhood", "postcode", "domain", "discipline", "organisation", "expertise",
           "language"]  # fmt: skip


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)][:8]


def listed() -> QuerySet[Professional]:
    return Professional.objects.filter(verified=True, user__is_active=True)


def _search_query(words: list[str]) -> SearchQuery:
    # Prefix matching on each stemmed word: "schulden" → 'schuld':* finds schuldhulpverlener.
    raw = " & ".join(f"{w}:*" for w in words)
    return SearchQuery(raw, search_type="raw", config=settings.SEARCH_CONFIG)


def _apply_text(queryset: QuerySet[Professional], text: str) -> QuerySet[Professional]:
    words = _words(text)
    if not words:
        return queryset
    if settings.IS_POSTGRES:
        # The document matches, or the name looks like what was typed. Written as one OR over
        # two tables no index can answer it and every search read every profile; as a union of
        # two subqueries each one uses its own GIN index.
        by_document = Professional.objects.filter(search_vector=_search_query(words))
        by_name = Professional.objects.filter(
            user__display_name__trigram_word_similar=" ".join(words)
        )
        return queryset.filter(pk__in=by_document.values("pk").union(by_name.values("pk")))
    condition = Q()
    for word in words:
        condition &= Q(search_text__contains=word)
    return queryset.filter(condition)


def _with_relevance(queryset: QuerySet[Professional], text: str) -> QuerySet[Professional]:
    words = _words(text)
    if settings.IS_POSTGRES:
        query = _search_query(words)
        # Name similarity only orders those found by name alone; computing it for every
        # document match (thousands for "huisarts") would cost more than the rest of the query.
        return queryset.annotate(
            rank=SearchRank(F("search_vector"), query),
            similarity=Case(
                When(search_vector=query, then=Value(0.0)),
                default=TrigramWordSimilarity(" ".join(words), "user__display_name"),
                output_field=FloatField(),
            ),
        )
    zero = Value(0.0, output_field=FloatField())
    return queryset.annotate(rank=zero, similarity=zero)


def _related(model: Any, **condition: Any) -> Exists:
    # EXISTS rather than a join: a filter never repeats a professional, so results need no
    # DISTINCT or pk__in wrapper and the name order can come straight from an index.
    return Exists(model.objects.filter(professional=OuterRef("pk"), **condition))


def _apply_filters(queryset: QuerySet[Professional], data: dict[str, Any]) -> QuerySet:
    neighbourhoods = {n for n in (data.get("neighbourhood"), data.get("postcode")) if n}
    for neighbourhood in neighbourhoods:
        queryset = queryset.filter(
            _related(Professional.neighbourhoods.through, neighbourhood=neighbourhood)
        )
    if data.get("domain"):
        queryset = queryset.filter(
            _related(Professional.disciplines.through, discipline__domain=data["domain"])
        )
    if data.get("discipline"):
        queryset = queryset.filter(
            _related(Professional.disciplines.through, discipline=data["discipline"])
        )
    if data.get("organisation"):
        queryset = queryset.filter(
            _related(Membership, organisation=data["organisation"], verified=True)
        )
    if data.get("expertise"):
        queryset = queryset.filter(
            _related(Professional.expertise.through, expertisetag=data["expertise"])
        )
    if data.get("language"):
        queryset = queryset.filter(
            _related(Professional.languages.through, language=data["language"])
        )
    return queryset


# The number of hits, then (facet, value, label, count) for every facet value, in one statement:
# the hits are computed once instead of once per facet. Link tables hold one row per
# (professional, value), so only the domain, which two disciplines can share, needs DISTINCT.
# Table names are Django's defaults for these models and many-to-many fields.
COUNTS_SQL = """
WITH hits (id) AS MATERIALIZED ({hits})
SELECT 'total', '', '', COUNT(*) FROM hits
UNION ALL
SELECT 'neighbourhood', x.slug, x.name, c.n FROM directory_neighbourhood x JOIN (
    SELECT t.neighbourhood_id AS id, COUNT(*) AS n FROM directory_professional_neighbourhoods t
    JOIN hits ON hits.id = t.professional_id GROUP BY t.neighbourhood_id) c ON c.id = x.id
UNION ALL
SELECT 'discipline', x.slug, x.name, c.n FROM directory_discipline x JOIN (
    SELECT t.discipline_id AS id, COUNT(*) AS n FROM directory_professional_disciplines t
    JOIN hits ON hits.id = t.professional_id GROUP BY t.discipline_id) c ON c.id = x.id
UNION ALL
SELECT 'domain', x.domain, '', COUNT(DISTINCT t.professional_id)
    FROM directory_professional_disciplines t JOIN hits ON hits.id = t.professional_id
    JOIN directory_discipline x ON x.id = t.discipline_id GROUP BY x.domain
UNION ALL
SELECT 'organisation', x.slug, x.name, c.n FROM directory_organisation x JOIN (
    SELECT t.organisation_id AS id, COUNT(*) AS n FROM directory_membership t
    JOIN hits ON hits.id = t.professional_id WHERE t.verified GROUP BY t.organisation_id
    ) c ON c.id = x.id
UNION ALL
SELECT 'expertise', x.slug, x.name, c.n FROM directory_expertisetag x JOIN (
    SELECT t.expertisetag_id AS id, COUNT(*) AS n FROM directory_professional_expertise t
    JOIN hits ON hits.id = t.professional_id GROUP BY t.expertisetag_id) c ON c.id = x.id
UNION ALL
SELECT 'language', x.code, x.name, c.n FROM directory_language x JOIN (
    SELECT t.language_id AS id, COUNT(*) AS n FROM directory_professional_languages t
    JOIN hits ON hits.id = t.professional_id GROUP BY t.language_id) c ON c.id = x.id
"""


Row = tuple[str, str, str, int]


def _counts(hits: QuerySet) -> tuple[int, list[Row]]:
    sql, params = hits.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(COUNTS_SQL.replace("{hits}", sql), params)
        rows = [(facet, str(value), label, n) for facet, value, label, n in cursor.fetchall()]
    total = next(n for facet, _value, _label, n in rows if facet == "total")
    return total, [row for row in rows if row[0] != "total"]


def _facets(rows: list[Row], data: dict[str, Any]) -> dict[str, list[FacetValue]]:
    """Counts per filter value within the current results, most frequent first."""

    def key(name: str, attribute: str = "slug") -> str:
        value = data.get(name)
        return getattr(value, attribute, "") if value else ""

    selected = {
        "neighbourhood": key("neighbourhood") or key("postcode"),
        "domain": data.get("domain") or "",
        "discipline": key("discipline"),
        "organisation": key("organisation"),
        "expertise": key("expertise"),
        "language": key("language", "code"),
    }
    facets: dict[str, list[FacetValue]] = {name: [] for name in selected}
    for facet, value, label, n in rows:
        if facet == "domain":
            label = str(Domain(value).label)
        facets[facet].append(FacetValue(facet, value, label, n, value == selected[facet]))
    for values in facets.values():
        values.sort(key=lambda v: (-v.count, v.label))
    return facets


def search(data: dict[str, Any], page_number: Any) -> SearchResult:
    """Run a validated ``DirectorySearchForm``'s cleaned data."""
    text = data.get("q") or ""
    words = _words(text)
    results = _apply_filters(_apply_text(listed(), text), data)
    unfiltered = not words and not any(data.get(name) for name in FILTERS)
    if unfiltered:
        total, rows = cache.get_or_set(
            UNFILTERED_COUNTS_KEY, lambda: _counts(results), UNFILTERED_COUNTS_SECONDS
        )
    else:
        total, rows = _counts(results)
    sort = data.get("sort") or ("relevance" if words else "name")
    if sort == "relevance" and words:
        results = _with_relevance(results, text)
        order = ["-rank", "-similarity", "user__display_name", "pk"]
    elif sort == "recent":
        order = ["-updated_at", "user__display_name", "pk"]
    else:
        order = ["user__display_name", "pk"]
    results = (
        results.select_related("user")
        .prefetch_related("disciplines", "neighbourhoods", "memberships__organisation")
        .order_by(*order)
    )
    paginator = Paginator(results, PAGE_SIZE)
    paginator.count = total  # known already: saves a COUNT query
    return SearchResult(
        page=paginator.get_page(page_number),
        facets=_facets(rows, data),
        postcode_neighbourhood=data.get("postcode"),
        text=text,
    )
