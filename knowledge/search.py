"""Searching the articles a person may read: PostgreSQL full text (Dutch), substring on SQLite.

Only ``access.readable_articles`` are ever searched, so a restricted article cannot show up,
not even as a count, for someone outside its channels.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db.models import F, Q, QuerySet

from knowledge.access import readable_articles
from knowledge.models import Article

_WORD = re.compile(r"\w+", re.UNICODE)


def search_articles(user: Any, data: dict[str, Any]) -> QuerySet[Article]:
    articles = readable_articles(user)
    if data.get("theme"):
        articles = articles.filter(themes=data["theme"])
    if data.get("tag"):
        articles = articles.filter(tags=data["tag"])
    words = [w.lower() for w in _WORD.findall(data.get("q") or "")][:8]
    if not words:
        return articles.annotate(snippet=F("summary")).order_by("-published_at", "-pk")
    if settings.IS_POSTGRES:
        query = SearchQuery(
            " & ".join(f"{w}:*" for w in words), search_type="raw", config=settings.SEARCH_CONFIG
        )
        return (
            articles.filter(search_vector=query)
            .annotate(
                rank=SearchRank(F("search_vector"), query),
                snippet=SearchHeadline(
                    F("search_text"),
                    query,
                    config=settings.SEARCH_CONFIG,
                    start_sel="[[[",
                    stop_sel="]]]",
                    max_words=35,
                    min_words=15,
                    max_fragments=2,
                    fragment_delimiter=" … ",
                ),
            )
            .order_by("-rank", "-published_at", "-pk")
        )
    for word in words:
        articles = articles.filter(Q(title__icontains=word) | Q(search_text__icontains=word))
    return articles.annotate(snippet=F("summary")).order_by("-published_at", "-pk")
