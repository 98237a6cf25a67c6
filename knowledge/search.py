"""Searching the articles a person may read: PostgreSQL full text (Dutch), best match first.

Only ``access.readable_articles`` are ever searched, so a restricted article cannot show up,
not even as a count, for someone outside its channels.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
)
from django.core.paginator import Page
from django.db import connection
from django.db.models import F, OuterRef, QuerySet
from django.db.models.functions import Left

from core.search import prefix_query, prefix_tsquery, search_words
from knowledge.access import readable_articles
from knowledge.models import Article

# Long columns a list of results does not show: not read from the database.
NOT_LISTED = ("body", "search_text", "search_vector")
# How many hits are ranked at most (the newest): ranking reads each whole document.
RANK_CANDIDATES = 300
# A word PostgreSQL expects in at least this share of the articles is frequent: within a theme or
# tag its newest hits are found by walking that theme's articles newest first (see _newest_hits).
FREQUENT_SHARE = 0.4
# Snippets come from the start of the text (summary, body, then attachments): a headline parses
# all the text it is given.
HEADLINE_CHARS = 2500


def _words(data: dict[str, Any]) -> list[str]:
    return search_words(data.get("q"))


def search_articles(user: Any, data: dict[str, Any]) -> QuerySet[Article]:
    articles = readable_articles(user).defer(*NOT_LISTED)
    if data.get("theme"):
        articles = articles.filter(themes=data["theme"])
    if data.get("tag"):
        articles = articles.filter(tags=data["tag"])
    words = _words(data)
    if not words:
        return articles.annotate(snippet=F("summary")).order_by("-published_at", "-pk")
    query = prefix_query(words)
    # The snippets are made afterwards for the page only (``add_snippets``): a headline parses
    # the whole text, and in this query it would be made for every skipped row too. Ranking
    # reads each hit's whole document, and a frequent word is in nearly every article: only the
    # newest RANK_CANDIDATES hits are ranked (the newest through the publication index, a rarer
    # word through the GIN index). A word with fewer hits is ranked in full.
    if (data.get("theme") or data.get("tag")) and _is_frequent(query):
        newest = _newest_hits(articles, words)
    else:
        newest = (
            articles.filter(search_vector=query)
            .order_by("-published_at", "-pk")
            .values("pk")[:RANK_CANDIDATES]
        )
    return (
        Article.objects.filter(pk__in=newest)
        .defer(*NOT_LISTED)
        .annotate(rank=SearchRank(F("search_vector"), query))
        .order_by("-rank", "-published_at", "-pk")
    )


def _estimated_rows(articles: QuerySet[Article]) -> float:
    plan = json.loads(articles.order_by().values("pk").explain(format="json"))
    return (plan[0] if isinstance(plan, list) else plan)["Plan"]["Plan Rows"]


def _is_frequent(query: SearchQuery) -> bool:
    """Whether PostgreSQL's statistics put ``query`` in at least FREQUENT_SHARE of the articles.

    Asks the planner (EXPLAIN, nothing is searched): its estimate comes from the lexeme
    frequencies ANALYZE keeps for the search vectors. Measured on the benchmark's 10,000
    articles (``bench.search_scale articles``), in a theme: both plans together take about
    1 ms; walking takes a frequent word from 13-15 ms to 6-7 ms, but a rare word, which the GIN
    index finds in 1 ms, from 1 ms to 11 ms. Hence the question.
    """
    articles = _estimated_rows(Article.objects.all())
    return articles > 0 and (
        _estimated_rows(Article.objects.filter(search_vector=query)) >= FREQUENT_SHARE * articles
    )


def _newest_hits(articles: QuerySet[Article], words: list[str]) -> list[int]:
    """The newest RANK_CANDIDATES of ``articles`` (already narrowed to a theme or tag) that
    match ``words``, found by walking them newest first.

    Checking an article against the words reads its whole search vector. Left to itself the
    planner checks every article of the theme before it sorts them, while for a frequent word
    the newest few hundred of them already hold the hits needed. The inner query lists the
    articles newest first without reading a vector (OFFSET 0 keeps PostgreSQL from merging it
    into the outer one), and the outer query stops at the last hit it needs: 6-7 ms instead of
    13-15 ms for a frequent word in a theme of 1,400 of 10,000 articles.

    Raw SQL around the ORM's own query because the ORM cannot say this: it has no query over a
    subquery in FROM and no way to fence one (OFFSET 0, or a MATERIALIZED CTE); the same
    conditions as one ORM query are merged and check every vector first.
    """
    inner = articles.order_by("-published_at", "-pk").values("pk", "search_vector")
    sql, params = inner.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT walk.pk FROM ({sql} OFFSET 0) walk "  # noqa: S608 (the ORM's own SQL)
            "WHERE walk.search_vector @@ to_tsquery(%s::regconfig, %s) LIMIT %s",
            [*params, settings.SEARCH_CONFIG, prefix_tsquery(words), RANK_CANDIDATES],
        )
        return [pk for (pk,) in cursor.fetchall()]


def listed(articles: QuerySet[Article]) -> QuerySet[Article]:
    """``articles`` with what a list shows of each besides its own columns: ``author_names``
    and ``theme_names``, as arrays in the page's one query."""
    authors = Article.authors.through.objects.filter(article=OuterRef("pk"))
    themes = Article.themes.through.objects.filter(article=OuterRef("pk"))
    return articles.annotate(
        author_names=ArraySubquery(
            authors.order_by("user__display_name", "user_id").values("user__display_name")
        ),
        theme_names=ArraySubquery(
            themes.order_by("theme__position", "theme__name").values("theme__name")
        ),
    )


def name_page(page: Page) -> None:
    """Fetch the articles of a page of ``listed`` articles, with their author and theme names."""
    page.object_list = list(page.object_list)


def add_snippets(page: Page, data: dict[str, Any]) -> None:
    """Give the articles on ``page`` their ``snippet``: the matching passages of the text with
    the words marked [[[like this]]], made in one query for these articles only."""
    page.object_list = list(page.object_list)
    words = _words(data)
    if not (words and page.object_list):
        return
    headlines = dict(
        Article.objects.filter(pk__in=[a.pk for a in page.object_list])
        .annotate(
            headline=SearchHeadline(
                Left("search_text", HEADLINE_CHARS),
                prefix_query(words),
                config=settings.SEARCH_CONFIG,
                start_sel="[[[",
                stop_sel="]]]",
                max_words=35,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
            )
        )
        .values_list("pk", "headline")
    )
    for article in page.object_list:
        article.snippet = headlines.get(article.pk, "")
