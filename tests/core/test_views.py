"""What every app's views answer the same way."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import RequestFactory

from core.views import number_param


@pytest.mark.parametrize(("query", "number"), [("", None), ("?before=0", 0), ("?before=120", 120)])
def test_a_number_from_the_query_string(query, number):
    assert number_param(RequestFactory().get(f"/rooms/7/{query}"), "before") == number


@pytest.mark.parametrize("value", ["-1", "12a", "²", "١٢", " 12", "1_000", "", "1.5"])
def test_anything_but_a_whole_number_leads_nowhere(value):
    request = RequestFactory().get("/rooms/7/", {"before": value})
    with pytest.raises(Http404):
        number_param(request, "before")
