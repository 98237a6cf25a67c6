"""What the views of every app answer the same way."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render


def form_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """The page of a form: 400 when a POST comes back to it (with its field errors), else 200."""
    return render(request, template, context, status=400 if request.method == "POST" else 200)


def number_param(request: HttpRequest, name: str) -> int | None:
    """A whole number from the query string (``?before=120``); None without it. Anything else
    (``-1``, ``12a``, ``²``) is an address that leads nowhere: 404."""
    value = request.GET.get(name)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()):
        raise Http404
    return int(value)


def text_param(request: HttpRequest, name: str, longest: int = 100) -> str:
    """Words typed into a search box (``?q=``), trimmed to ``longest`` characters; without the
    NUL character, which no stored text holds and PostgreSQL refuses in a query."""
    return request.GET.get(name, "").replace("\x00", "").strip()[:longest]
