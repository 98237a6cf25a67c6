"""Searching the articles a person may read: PostgreSQL full text (Dutch), best match first.

Only ``access.readable_articles`` are ever searched, so a restricted article cannot show up,
not even as a count, for someone outside its channels.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchRank,
)
from django.core.paginator import Page
from django.db.models import F, OuterRef, QuerySet
from django.db.models.functions import Left

from core.search import prefix_query, search_words
from knowledge.access import readable_articles
from knowledge.models import Article

# Long columns a list of results does not show: not read from the database.
NOT_LISTED = ("body", "search_text", "search_vector")
# How many hits are ranked at most (the newest): ranking reads each whole document.
RANK_CANDIDATES = 300
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
    # newest RANK_CANDIDATES hits are ranked. A word with fewer hits is ranked in full.
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
