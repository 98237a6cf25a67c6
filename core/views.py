"""What the views of every app answer the same way."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def form_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """The page of a form: 400 when a POST comes back to it (with its field errors), else 200."""
    return render(request, template, context, status=400 if request.method == "POST" else 200)
