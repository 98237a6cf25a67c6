"""Project-wide pages that belong to no single app: the home page, the health probe and the
error pages that are not plain templates."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.context_processors import site
from directory.access import is_verified
from insights import pulse

logger = logging.getLogger(__name__)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "verified": is_verified(request.user),
        "pulse_quarter": pulse.invitation(request.user),
    }
    return render(request, "home.html", context)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness and readiness for load balancers: 200 when the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def favicon(request: HttpRequest) -> FileResponse:
    """``/favicon.ico``, which browsers, feed readers and mail clients ask for whatever a page
    links: the brand's icon from static/."""
    found = finders.find("img/favicon.ico")
    if not isinstance(found, str):
        raise Http404
    response = FileResponse(open(found, "rb"), content_type="image/x-icon")  # noqa: SIM115
    response["Cache-Control"] = "public, max-age=86400"
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form that failed the CSRF check (``CSRF_FAILURE_VIEW``): the platform's 403 page, which
    says that the form had expired rather than that a right is missing."""
    return render(request, "403.html", {"form_expired": True}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page (``handler500``), rendered without the request's context: its context
    processors read the session and the database, which may be what failed."""
    try:
        html = loader.render_to_string("500.html", site(request))
    except Exception:
        # Even the template failed (a static file missing from the manifest, …): a bare page.
        logger.exception("The 500 page could not be rendered")
        html = format_html(
            "<!DOCTYPE html><title>{0}</title><h1>{0}</h1>", _("Something went wrong")
        )
    return HttpResponseServerError(html)
