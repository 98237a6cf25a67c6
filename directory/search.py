"""Searching the directory: free text, filters with counts, sorting and pagination.

On PostgreSQL free text uses the stored, weighted tsvector (Dutch stemming, prefix matching so
"schuld" finds "schuldhulpverlener") together with trigram similarity on names, so a misspelt
surname still finds the person. Everything a search needs is in one table: each profile's
search row (directory.services.refresh_search, migration 0004) holds the document, the name and
the ids of its disciplines, neighbourhoods etc., as arrays to filter on and as one text of keys
to count. One statement finds the hits, counts them and their facet values and picks the page.

On SQLite (the embedded default) it falls back to substring matching and joins.
"""

from __future__ import annotations

import heapq
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core.cache import cache
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
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
# Each facet lists at most this many values, the most frequent first (the page shows fewer).
FACET_VALUES = 50
# On PostgreSQL the `%>` operator compares with pg_trgm.word_similarity_threshold, which the
# database connection sets to this value (config/settings.py).
NAME_SIMILARITY = 0.45
# Counts over the whole directory (the page without a query) are shared by everyone and cost the
# most to compute; they may lag this long behind a change.
UNFILTERED_COUNTS_KEY = "directory:search:unfiltered-counts"
UNFILTERED_COUNTS_SECONDS = 300
# The labels of facet values (names of disciplines, organisations, …), shared the same way.
FACET_LABELS_KEY = "directory:search:facet-labels"
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


# The filters the page lists with counts beside the results (facets), and all filters.
FACETS = ["neighbourhood", "domain", "discipline", "organisation", "expertise", "language"]
FILTERS = ["postcode", *FACETS]


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)][:8]


def listed() -> QuerySet[Professional]:
    return Professional.objects.filter(verified=True, user__is_active=True)


# --- PostgreSQL ---------------------------------------------------------------------------------

# Listed: a verified membership, and an active account. The few inactive users come from a
# partial index (migration 0004) instead of a join with every user.
PG_LISTED = [
    "p.verified",
    "p.user_id NOT IN (SELECT u.id FROM accounts_user u WHERE NOT u.is_active)",
]
PG_ORDER = {
    "relevance": "rank DESC, similarity DESC, search_name, id",
    "name": "search_name, id",
    "recent": "updated_at DESC, search_name, id",
}
HIT_COLUMNS = "p.id, p.search_name, p.updated_at, p.facet_keys"
# The letter of each facet in facet_keys (migration 0004), and for those counted by id the table
# of their labels and the column the search form knows their values by.
FACET_KEYS = {
    "d": ("discipline", "directory_discipline", "slug"),
    "m": ("domain", "", ""),
    "n": ("neighbourhood", "directory_neighbourhood", "slug"),
    "o": ("organisation", "directory_organisation", "slug"),
    "e": ("expertise", "directory_expertisetag", "slug"),
    "l": ("language", "directory_language", "code"),
}


def _pg_filters(data: dict[str, Any]) -> tuple[list[str], list[Any]]:
    """Conditions on the search row (array containment, GIN-indexed) and their parameters."""
    conditions, params = list(PG_LISTED), []
    neighbourhoods = {n.pk for n in (data.get("neighbourhood"), data.get("postcode")) if n}
    for pk in sorted(neighbourhoods):
        conditions.append("p.neighbourhood_ids @> ARRAY[%s]::bigint[]")
        params.append(pk)
    if data.get("domain"):
        conditions.append("p.domains @> ARRAY[%s]::text[]")
        params.append(str(data["domain"]))
    for name, column in [
        ("discipline", "discipline_ids"),
        ("organisation", "organisation_ids"),
        ("expertise", "expertise_ids"),
        ("language", "language_ids"),
    ]:
        if data.get(name):
            conditions.append(f"p.{column} @> ARRAY[%s]::bigint[]")
            params.append(data[name].pk)
    return conditions, params


def _pg_hits(data: dict[str, Any], words: list[str], ranked: bool) -> tuple[str, list[Any]]:
    """SELECT of the hits: HIT_COLUMNS, rank and similarity (for the relevance order)."""
    conditions, params = _pg_filters(data)
    where = " AND ".join(conditions)
    if not words:
        sql = f"SELECT {HIT_COLUMNS}, 0.0 AS rank, 0.0 AS similarity FROM directory_professional p WHERE {where}"  # noqa: E501, S608
        return sql, params
    # The document matches (prefix matching on each stemmed word), or else the name looks like
    # what was typed: two arms, each answered by its own GIN index. Name similarity only orders
    # those found by name alone; the rank is computed only when the results are sorted by it.
    query = "to_tsquery(%s::regconfig, %s)"
    query_params = [settings.SEARCH_CONFIG, " & ".join(f"{w}:*" for w in words)]
    name = " ".join(words)
    rank = f"ts_rank(p.search_vector, {query})" if ranked else "0.0"
    rank_params = query_params if ranked else []
    sql = (
        f"SELECT {HIT_COLUMNS}, {rank} AS rank, 0.0 AS similarity FROM directory_professional p "  # noqa: S608
        f"WHERE {where} AND p.search_vector @@ {query} "
        "UNION ALL "
        f"SELECT {HIT_COLUMNS}, {rank}, word_similarity(%s, p.search_name) "
        f"FROM directory_professional p WHERE {where} AND p.search_name %%> %s "
        f"AND NOT p.search_vector @@ {query}"
    )
    return sql, [
        *rank_params, *params, *query_params,
        *rank_params, name, *params, name, *query_params,
    ]  # fmt: skip


def _pg_page_ids(hits: str, params: list[Any], order: str, offset: int) -> list[int]:
    sql = f"SELECT id FROM ({hits}) h ORDER BY {order} LIMIT %s OFFSET %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, PAGE_SIZE, offset])
        return [pk for (pk,) in cursor.fetchall()]


def _pg_search(
    data: dict[str, Any], words: list[str], sort: str, number: int, cached: Any
) -> tuple[int, list[Row] | None, list[int]]:
    """(number of hits, facet rows, ids on page ``number``); without facet rows if cached."""
    hits, params = _pg_hits(data, words, ranked=sort == "relevance")
    order = PG_ORDER[sort]
    offset = (number - 1) * PAGE_SIZE
    if cached is not None:
        total, _rows = cached
        return total, None, _pg_page_ids(hits, params, order, offset)
    # The hits once, then their number, all their facet keys as one text (tallying them in
    # Python is cheaper than a GROUP BY per facet over the unnested arrays) and the page.
    sql = (
        f"WITH hits AS MATERIALIZED ({hits}) "  # noqa: S608
        "SELECT count(*), coalesce(string_agg(facet_keys, ' '), ''), "
        f"ARRAY(SELECT id FROM hits ORDER BY {order} LIMIT %s OFFSET %s) FROM hits"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, PAGE_SIZE, offset])
        total, keys, ids = cursor.fetchone()
    return total, _pg_facet_rows(Counter(keys.split())), list(ids)


def _pg_facet_rows(counts: Counter[str]) -> list[Row]:
    """(facet, value, label, count) for the values a facet shows."""
    by_letter: dict[str, dict[str, int]] = {letter: {} for letter in FACET_KEYS}
    for key, n in counts.items():
        if key[0] in by_letter:
            by_letter[key[0]][key[1:]] = n
    shown = {letter: _most_frequent(values) for letter, values in by_letter.items()}
    labels = _facet_labels()
    wanted = {(letter, int(pk)) for letter in shown if letter != "m" for pk in shown[letter]}
    if any(pk not in labels[letter] for letter, pk in wanted):
        labels = _facet_labels(reload=True)  # something new, or removed since
    rows: list[Row] = []
    for letter, values in shown.items():
        facet = FACET_KEYS[letter][0]
        for key, n in values.items():
            if letter == "m":
                if key in Domain.values:
                    rows.append((facet, key, "", n))
            elif (label := labels[letter].get(int(key))) is not None:
                rows.append((facet, label[0], label[1], n))
    return rows


Labels = dict[str, dict[int, tuple[str, str]]]
# This process's copy of the labels, with the version it was loaded under (FACET_LABELS_KEY).
_labels_loaded: tuple[str, Labels] | None = None


def _facet_labels(reload: bool = False) -> Labels:
    """For each facet counted by id: id → (value in the search form, label).

    Each process keeps its own copy; the shared cache holds only the version of the labels, which
    directory.signals clears when one of these tables changes, so every process loads them afresh
    (and at least every UNFILTERED_COUNTS_SECONDS). The version is read before the labels: a
    change committed in between leaves this copy under the old version, which is gone."""
    global _labels_loaded
    version = cache.get(FACET_LABELS_KEY)
    if version is None:
        cache.add(FACET_LABELS_KEY, uuid.uuid4().hex, UNFILTERED_COUNTS_SECONDS)
        version = cache.get(FACET_LABELS_KEY)
    loaded = _labels_loaded
    if not reload and version is not None and loaded is not None and loaded[0] == version:
        return loaded[1]
    tables = {letter: v for letter, v in FACET_KEYS.items() if v[1]}
    labels: Labels = {letter: {} for letter in tables}
    sql = " UNION ALL ".join(
        f"SELECT '{letter}', id, {column}, name FROM {table}"  # noqa: S608
        for letter, (_facet, table, column) in tables.items()
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        for letter, pk, value, label in cursor.fetchall():
            labels[letter][pk] = (str(value), label)
    _labels_loaded = (version, labels) if version is not None else None
    return labels


def _most_frequent(counts: dict[str, int]) -> dict[str, int]:
    """The FACET_VALUES most frequent, with all that tie with the last (the order among equal
    counts is by label, which is not known yet)."""
    if len(counts) <= FACET_VALUES:
        return counts
    least = heapq.nlargest(FACET_VALUES, counts.values())[-1]
    return {value: n for value, n in counts.items() if n >= least}


# --- elsewhere (SQLite) -------------------------------------------------------------------------


def _apply_text(queryset: QuerySet[Professional], text: str) -> QuerySet[Professional]:
    condition = Q()
    for word in _words(text):
        condition &= Q(search_text__contains=word)
    return queryset.filter(condition)


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


def _portable_search(
    data: dict[str, Any], words: list[str], sort: str, number: int, cached: Any
) -> tuple[int, list[Row] | None, list[int]]:
    results = _apply_filters(_apply_text(listed(), " ".join(words)), data)
    total, rows = cached if cached is not None else _counts(results)
    order = {"recent": ["-updated_at", "user__display_name", "pk"]}.get(
        sort, ["user__display_name", "pk"]
    )
    offset = (number - 1) * PAGE_SIZE
    ids = results.order_by(*order).values_list("pk", flat=True)[offset : offset + PAGE_SIZE]
    return total, rows, list(ids)


# --- both -----------------------------------------------------------------------------------


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
        # the selected value stays, so that it can be unselected
        values[FACET_VALUES:] = [v for v in values[FACET_VALUES:] if v.selected]
    return facets


def _page_number(paginator: Paginator, page_number: Any) -> int:
    """The page to show, as ``Paginator.get_page`` picks it: the first if not a number, the last
    if past the end."""
    try:
        return paginator.validate_number(page_number)
    except PageNotAnInteger:
        return 1
    except EmptyPage:
        return paginator.num_pages


# What a result row shows, besides the profile: the names of the verified organisations and of
# the neighbourhoods, and (for access.may_see) the ids of those organisations.
ROW_FIELDS = ["id", "user_id", "job_title", "photo", "phone", "phone_visibility",
              "email_visibility", "user__display_name", "user__email"]  # fmt: skip


def people_on_page(ids: list[int]) -> list[Professional]:
    """The professionals ``ids``, in that order, each with ``organisation_names``,
    ``verified_organisation_ids`` and ``neighbourhood_names``: one query on PostgreSQL."""
    if not ids:
        return []
    found = Professional.objects.filter(pk__in=ids).select_related("user").only(*ROW_FIELDS)
    if settings.IS_POSTGRES:
        verified = Membership.objects.filter(professional=OuterRef("pk"), verified=True)
        found = found.annotate(
            organisation_names=ArraySubquery(
                verified.order_by("organisation__name").values("organisation__name")
            ),
            verified_organisation_ids=ArraySubquery(verified.values("organisation_id")),
            neighbourhood_names=ArraySubquery(
                Neighbourhood.objects.filter(professional=OuterRef("pk"))
                .order_by("municipality", "name")
                .values("name")
            ),
        )
        people = found.in_bulk()
    else:
        people = found.prefetch_related(
            "neighbourhoods",
            Prefetch(
                "memberships",
                Membership.objects.filter(verified=True)
                .select_related("organisation")
                .order_by("organisation__name"),
                to_attr="verified_memberships",
            ),
        ).in_bulk()
        for professional in people.values():
            memberships = professional.verified_memberships
            professional.organisation_names = [m.organisation.name for m in memberships]
            professional.verified_organisation_ids = [m.organisation_id for m in memberships]
            professional.neighbourhood_names = [n.name for n in professional.neighbourhoods.all()]
    return [people[pk] for pk in ids if pk in people]


def search(data: dict[str, Any], page_number: Any) -> SearchResult:
    """Run a validated ``DirectorySearchForm``'s cleaned data."""
    text = data.get("q") or ""
    words = _words(text)
    sort = data.get("sort") or "relevance"
    if sort == "relevance" and not words:
        sort = "name"
    unfiltered = not words and not any(data.get(name) for name in FILTERS)
    cached = cache.get(UNFILTERED_COUNTS_KEY) if unfiltered else None
    run = _pg_search if settings.IS_POSTGRES else _portable_search
    # The page asked for, as far as it can be known before counting.
    number = _page_number(Paginator(range(2**62), PAGE_SIZE), page_number)
    total, rows, ids = run(data, words, sort, number, cached)
    if rows is None:
        total, rows = cached
    elif unfiltered:
        cache.set(UNFILTERED_COUNTS_KEY, (total, rows), UNFILTERED_COUNTS_SECONDS)
    paginator = Paginator([], PAGE_SIZE)
    paginator.count = total  # known already: saves a COUNT query
    shown = _page_number(paginator, number)
    if shown != number:  # past the last page: the last one, as Paginator.get_page does
        _total, _rows, ids = run(data, words, sort, shown, (total, rows))
    return SearchResult(
        page=Page(people_on_page(ids), shown, paginator),
        facets=_facets(rows, data),
        postcode_neighbourhood=data.get("postcode"),
        text=text,
    )
