from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from directory.access import verified_required


@verified_required
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/index.html")
