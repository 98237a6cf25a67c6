"""What the platform's full-text searches share: the words of what was typed, and the query
that finds every one of them as the start of a word (Dutch stemming, ``settings.SEARCH_CONFIG``)."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.postgres.search import SearchQuery

WORD = re.compile(r"\w+", re.UNICODE)
# More words than this narrow a search no further; the rest are left out.
MAX_WORDS = 8


def search_words(text: str | None) -> list[str]:
    """The first MAX_WORDS words of ``text``, lower case: letters and digits only, so they carry
    no tsquery syntax."""
    return [word.lower() for word in WORD.findall(text or "")][:MAX_WORDS]


def prefix_tsquery(words: list[str]) -> str:
    """Every word, each also as the start of a longer one ("schuld" finds "schuldhulp"), in
    PostgreSQL's tsquery syntax."""
    return " & ".join(f"{word}:*" for word in words)


def prefix_query(words: list[str]) -> SearchQuery:
    return SearchQuery(prefix_tsquery(words), search_type="raw", config=settings.SEARCH_CONFIG)
