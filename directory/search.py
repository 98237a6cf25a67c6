"""Searching the directory: free text, filters with counts, sorting and pagination.

Free text matches the stored, weighted search vector (the Dutch configuration's stemming, with
prefix matching so that "schuld" finds "schuldhulpverlener"; a word with synonyms, such as
"jongerenwerker", matches any of them) or, by trigram word similarity, the name or a discipline,
so that a misspelt surname or profession still finds the person.
Everything a search needs is in one table: each profile's search row (``Professional.search_*``
and the id arrays, kept by directory.services.refresh_search) holds the document, the name and
the ids of its disciplines, neighbourhoods etc., as arrays to filter on (GIN-indexed
containment) and as one text of keys that the facet counts tally. One statement reads the hits
once, counts them, joins their facet keys and picks the page; one more fetches the page's people.
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
from django.contrib.auth import get_user_model
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, F, FloatField, OuterRef, Q, QuerySet, Value, When
from django.utils.text import get_text_list
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.forms import SearchForm
from core.search import prefix_tsquery, search_words
from directory.models import (
    SYNONYM_TERM_WORDS,
    Discipline,
    Domain,
    ExpertiseTag,
    Language,
    Membership,
    Neighbourhood,
    Organisation,
    Professional,
    SearchSynonym,
)

PAGE_SIZE = 20
# Each facet lists at most this many values, the most frequent first (the page shows fewer).
FACET_VALUES = 50
# The `%>` operator (the trigram_word_similar lookup) compares with
# pg_trgm.word_similarity_threshold, which the database connection sets to this value
# (config/settings.py).
NAME_SIMILARITY = 0.45
# Counts over the whole directory (the page without a query) are shared by everyone and cost the
# most to compute; they may lag this long behind a change.
UNFILTERED_COUNTS_KEY = "directory:search:unfiltered-counts"
UNFILTERED_COUNTS_SECONDS = 300
# The labels of facet values (names of disciplines, organisations, …), shared the same way.
FACET_LABELS_KEY = "directory:search:facet-labels"
_POSTCODE = re.compile(r"^\s*([1-9][0-9]{3})\s*(?:[A-Za-z]{2})?\s*$")
# How long a postcode may be as typed in the form, spaces and all.
POSTCODE_TYPED = 12


class PostcodeField(forms.CharField):
    """A postcode as typed, without its spaces ("6432  AB", "6432 A B" → "6432AB"), so that its
    length is checked on what counts."""

    def to_python(self, value: Any) -> str:
        return "".join((super().to_python(value) or "").split())

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs["maxlength"] = str(POSTCODE_TYPED)  # room for the spaces
        return attrs


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


class DirectorySearchForm(SearchForm):
    SORTS = [("relevance", _("Best match")), ("name", _("Name")), ("recent", _("Recently updated"))]

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("A name, profession, expertise or organisation."),
    )
    postcode = PostcodeField(
        label=_("Postcode of the resident"),
        required=False,
        max_length=6,
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

    def clean_postcode(self) -> list[Neighbourhood]:
        """The neighbourhoods the postcode lies in: a four-digit area may be split between
        neighbourhoods, and each of them serves part of it."""
        raw = self.cleaned_data["postcode"]
        if not raw:
            return []
        match = _POSTCODE.match(raw)
        if not match:
            raise forms.ValidationError(_("Enter a postcode such as 6432 or 6432 AB."))
        served = neighbourhoods_of(raw)
        if not served:
            raise forms.ValidationError(
                _("Postcode %(postcode)s is not in a neighbourhood on this platform."),
                params={"postcode": match.group(1)},
            )
        return served


def neighbourhoods_of(postcode: str) -> list[Neighbourhood]:
    """The neighbourhoods a postcode ("6432", "6432 AB") lies in; none for anything else."""
    match = _POSTCODE.match(postcode)
    if not match:
        return []
    number = int(match.group(1))
    return list(
        Neighbourhood.objects.filter(
            postcode_ranges__first__lte=number, postcode_ranges__last__gte=number
        )
        .distinct()
        .order_by("municipality", "name", "pk")
    )


def place_names(neighbourhoods: list[Neighbourhood]) -> str:
    """The neighbourhoods' names as a phrase: "Hoensbroek and Mariarade"."""
    return str(get_text_list([n.name for n in neighbourhoods], gettext("and")))


@dataclass
class FacetValue:
    param: str
    value: str
    label: str
    count: int
    selected: bool
    # the parameter that selects it, whose removal unselects it
    selected_by: str = ""
    # the page's link that selects or unselects it (directory.views)
    url: str = ""


@dataclass
class SearchResult:
    page: Page
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    # the neighbourhoods of the postcode searched for
    postcode_neighbourhoods: list[Neighbourhood] = field(default_factory=list)
    text: str = ""

    @property
    def postcode_place(self) -> str:
        return place_names(self.postcode_neighbourhoods)


# The filters the page lists with counts beside the results (facets), and all filters.
FACETS = ["neighbourhood", "domain", "discipline", "organisation", "expertise", "language"]
FILTERS = ["postcode", *FACETS]


def listed() -> QuerySet[Professional]:
    """The professionals the directory lists: a verified membership and an active account. The
    few inactive accounts come from a partial index (migration 0004) instead of a join with every
    user."""
    inactive = get_user_model().objects.filter(is_active=False).values("pk")
    return Professional.objects.filter(verified=True).exclude(user__in=inactive)


# The filters on the search row's arrays (array containment, one GIN index), by form field.
FILTER_ARRAYS = {
    "discipline": "discipline_ids",
    "organisation": "organisation_ids",
    "expertise": "expertise_ids",
    "language": "language_ids",
}
# The letter of each facet in facet_keys (Professional.facet_keys), and for those counted by id
# the model of their labels and the field the search form knows their values by.
FACET_KEYS: dict[str, tuple[str, type | None, str]] = {
    "d": ("discipline", Discipline, "slug"),
    "m": ("domain", None, ""),
    "n": ("neighbourhood", Neighbourhood, "slug"),
    "o": ("organisation", Organisation, "slug"),
    "e": ("expertise", ExpertiseTag, "slug"),
    "l": ("language", Language, "code"),
}


def _filtered(data: dict[str, Any]) -> QuerySet[Professional]:
    """The listed professionals that pass the filters in ``data``."""
    hits = listed()
    if data.get("neighbourhood"):
        hits = hits.filter(neighbourhood_ids__contains=[data["neighbourhood"].pk])
    if data.get("postcode"):  # working in any of the postcode's neighbourhoods
        hits = hits.filter(neighbourhood_ids__overlap=sorted(n.pk for n in data["postcode"]))
    if data.get("domain"):
        hits = hits.filter(domains__contains=[str(data["domain"])])
    for name, array in FILTER_ARRAYS.items():
        if data.get(name):
            hits = hits.filter(**{f"{array}__contains": [data[name].pk]})
    return hits


Synonyms = dict[tuple[str, ...], list[list[str]]]


def synonyms_among(words: list[str]) -> Synonyms:
    """The synonyms (SearchSynonym) of what was typed: for every run of words that is a search
    term, the words of each alternative. One small query on the terms' unique index."""
    runs = {
        " ".join(words[start : start + n])
        for n in range(1, SYNONYM_TERM_WORDS + 1)
        for start in range(len(words) - n + 1)
    }
    found = SearchSynonym.objects.filter(term__in=runs).values_list("term", "alternatives")
    return {
        tuple(term.split()): [w for part in alternatives.split(",") if (w := search_words(part))]
        for term, alternatives in found
    }


def text_query(words: list[str], synonyms: Synonyms) -> SearchQuery:
    """Every word as the start of a word in the document, as core.search.prefix_query; a run of
    words that is a search term matches the term or any of its alternatives:
    "jongerenwerker hoensbroek" → (jongerenwerker:* | jeugdprofessional:*) & hoensbroek:*."""
    parts = []
    start = 0
    while start < len(words):
        for n in range(min(SYNONYM_TERM_WORDS, len(words) - start), 0, -1):
            run = tuple(words[start : start + n])
            if run in synonyms:
                either = [list(run), *synonyms[run]]
                parts.append("(" + " | ".join(f"({prefix_tsquery(w)})" for w in either) + ")")
                start += n
                break
        else:
            parts.append(prefix_tsquery([words[start]]))
            start += 1
    return SearchQuery(" & ".join(parts), search_type="raw", config=settings.SEARCH_CONFIG)


def _hits(data: dict[str, Any], words: list[str], query: SearchQuery) -> QuerySet[Professional]:
    """The listed professionals that pass the filters and match the words (``query``): the
    document matches, or else the name looks like what was typed, or one of their disciplines
    does (a misspelt profession: "schuldhulpverlner"). All three conditions are on the one table,
    so PostgreSQL answers them with its GIN indexes at once (a BitmapOr); the few disciplines
    that look like the text are found first, in their own small table."""
    hits = _filtered(data)
    if words:
        typed = " ".join(words)
        professions = Discipline.objects.filter(name__trigram_word_similar=typed).values("pk")
        hits = hits.filter(
            Q(search_vector=query)
            | Q(search_name__trigram_word_similar=typed)
            | Q(discipline_ids__overlap=ArraySubquery(professions))
        )
    return hits


# The orders the page offers, ties broken by name and id. By relevance: the rank of the
# document, then, among those found by their name alone, how much it looks like what was typed
# (both annotated by _ranked).
ORDER = {
    "relevance": ["-rank", "-similarity", "search_name", "id"],
    "name": ["search_name", "id"],
    "recent": ["-updated_at", "search_name", "id"],
}


def _ranked(
    hits: QuerySet[Professional], words: list[str], query: SearchQuery, sort: str
) -> QuerySet:
    """``hits`` with what the order of ``sort`` needs besides their own columns."""
    if sort != "relevance":
        return hits
    return hits.annotate(
        rank=SearchRank(F("search_vector"), query),
        similarity=Case(
            When(search_vector=query, then=Value(0.0)),
            default=TrigramWordSimilarity(" ".join(words), "search_name"),
            output_field=FloatField(),
        ),
    )


# The one piece of SQL the ORM cannot say: Django has no common table expressions, and its ways
# of putting count, facet keys and page in one statement read or sort every hit once more. An
# ordered ArrayAgg sorts all of them ("huisarts": 8,560 hits, about 18 ms for the statement
# against 14 for this one; the benchmark's overall p95 13–26 % above this version's in three
# runs), and a second statement for the page reads them all again (slower still). So the hits,
# built by the ORM with the columns named in ORDER and facet_keys, are read once here, counted,
# their facet keys joined, and one page of them picked by a top-N sort.
HITS_ONCE = """
WITH hits AS MATERIALIZED ({hits})
SELECT count(*), coalesce(string_agg(facet_keys, ' '), ''),
    ARRAY(SELECT id FROM hits ORDER BY {order} LIMIT %s OFFSET %s)
FROM hits
"""


def _hits_once(hits: QuerySet, sort: str, number: int) -> tuple[int, str, list[int]]:
    """The number of ``hits``, their facet keys as one text, and the ids on page ``number``."""
    columns = {field.lstrip("-") for field in ORDER[sort]} | {"facet_keys"}
    sql, params = hits.order_by().values(*sorted(columns)).query.sql_with_params()
    order = ", ".join(f"{f[1:]} DESC" if f.startswith("-") else f for f in ORDER[sort])
    with connection.cursor() as cursor:
        cursor.execute(
            HITS_ONCE.format(hits=sql, order=order),
            [*params, PAGE_SIZE, (number - 1) * PAGE_SIZE],
        )
        total, keys, ids = cursor.fetchone()
    return total, keys, list(ids)


class Hits:
    """The hits of a search in order, as Django's Paginator takes them: their number, counted
    already, and slices that are pages of people (people_on_page). The ids of the page asked for
    usually come with the count (``known``, by offset); any other page's from ``in_order``."""

    def __init__(self, total: int, in_order: QuerySet, known: dict[int, list[int]]) -> None:
        # (no attribute "ordered": Paginator would take it for QuerySet.ordered and evaluate it)
        self.total, self.in_order, self.known = total, in_order, known

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, page: slice) -> list[Professional]:
        ids = self.known.get(page.start)
        if ids is None:
            ids = list(self.in_order.values_list("pk", flat=True)[page])
        return people_on_page(ids)


def _requested(page_number: Any) -> int:
    """The page to fetch with the count, a guess: the one asked for if it is a plausible page
    number, else the first. Paginator.get_page then picks the page shown (the first for anything
    but a number, the last for one past the end), and Hits fetches it if the guess was wrong."""
    try:
        number = int(page_number)
    except (TypeError, ValueError):
        return 1
    return number if 1 <= number <= 2**31 else 1


def _facet_rows(counts: Counter[str]) -> list[Row]:
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
    # All the tables in one statement (UNION ALL).
    tables = [
        model._default_manager.order_by()
        .annotate(letter=Value(letter), value=F(field))
        .values_list("letter", "pk", "value", "name")
        for letter, (_facet, model, field) in FACET_KEYS.items()
        if model is not None
    ]
    labels: Labels = {letter: {} for letter, (_f, model, _v) in FACET_KEYS.items() if model}
    for letter, pk, value, label in tables[0].union(*tables[1:], all=True):
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


Row = tuple[str, str, str, int]


def _facets(rows: list[Row], data: dict[str, Any]) -> dict[str, list[FacetValue]]:
    """Counts per filter value within the current results, most frequent first."""

    def key(name: str, attribute: str = "slug") -> dict[str, str]:
        value = data.get(name)
        return {getattr(value, attribute): name} if value else {}

    # For each facet, its selected values and the parameter that selects each: a neighbourhood
    # is chosen as such or comes from the postcode (all of the postcode's, if it has several).
    selected = {
        "neighbourhood": {n.slug: "postcode" for n in data.get("postcode") or []}
        | key("neighbourhood"),
        "domain": {data["domain"]: "domain"} if data.get("domain") else {},
        "discipline": key("discipline"),
        "organisation": key("organisation"),
        "expertise": key("expertise"),
        "language": key("language", "code"),
    }
    facets: dict[str, list[FacetValue]] = {name: [] for name in selected}
    for facet, value, label, n in rows:
        if facet == "domain":
            label = str(Domain(value).label)
        by = selected[facet].get(value, "")
        facets[facet].append(FacetValue(facet, value, label, n, bool(by), by))
    for values in facets.values():
        values.sort(key=lambda v: (-v.count, v.label))
        # the selected value stays, so that it can be unselected
        values[FACET_VALUES:] = [v for v in values[FACET_VALUES:] if v.selected]
    return facets


# What a result row shows, besides the profile: the names of the verified organisations and of
# the neighbourhoods, and (for access.may_see) the ids of those organisations.
ROW_FIELDS = ["id", "user_id", "job_title", "photo", "phone", "phone_visibility",
              "email_visibility", "user__display_name", "user__email"]  # fmt: skip


def people_on_page(ids: list[int]) -> list[Professional]:
    """The professionals ``ids``, in that order, each with ``organisation_names``,
    ``verified_organisation_ids`` and ``neighbourhood_names``: one query."""
    if not ids:
        return []
    verified = Membership.objects.filter(professional=OuterRef("pk"), verified=True)
    found = (
        Professional.objects.filter(pk__in=ids)
        .select_related("user")
        .only(*ROW_FIELDS)
        .annotate(
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
        .in_bulk()
    )
    return [found[pk] for pk in ids if pk in found]


def search(data: dict[str, Any], page_number: Any) -> SearchResult:
    """Run a validated ``DirectorySearchForm``'s cleaned data."""
    text = data.get("q") or ""
    words = search_words(text)
    sort = data.get("sort") or "relevance"
    if sort == "relevance" and not words:
        sort = "name"
    query = text_query(words, synonyms_among(words) if words else {})
    hits = _ranked(_hits(data, words, query), words, query, sort)
    unfiltered = not words and not any(data.get(name) for name in FILTERS)
    counted = cache.get(UNFILTERED_COUNTS_KEY) if unfiltered else None
    known: dict[int, list[int]] = {}
    if counted is None:
        number = _requested(page_number)
        total, keys, known[(number - 1) * PAGE_SIZE] = _hits_once(hits, sort, number)
        # Python tallies the keys: cheaper than a GROUP BY per facet over the unnested arrays.
        counted = total, _facet_rows(Counter(keys.split()))
        if unfiltered:
            cache.set(UNFILTERED_COUNTS_KEY, counted, UNFILTERED_COUNTS_SECONDS)
    total, rows = counted
    paginator = Paginator(Hits(total, hits.order_by(*ORDER[sort]), known), PAGE_SIZE)
    return SearchResult(
        page=paginator.get_page(page_number),
        facets=_facets(rows, data),
        postcode_neighbourhoods=data.get("postcode") or [],
        text=text,
    )
