"""The quarterly report: the dashboard's figures for one quarter as an A4 PDF for the
programme's steering group.

Nothing is computed anew here: the tables, charts, reach, pulse and targets come from the code
that builds the dashboard, over the same quarters (the last ``QUARTERS_SHOWN`` computed up to
the report's quarter), so the report shows what the dashboard shows, small numbers suppressed
alike. The HTML is rendered to PDF by WeasyPrint, which may read nothing but the project's own
static files (the typeface): no network, no file outside static/.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from directory.models import Neighbourhood
from insights import pulse
from insights.models import ComputedQuarter, QuarterNote
from insights.quarters import Quarter
from insights.reach import Reach, reach_over
from insights.report import (
    TABLES_BY_SLUG,
    THRESHOLD,
    Table,
    TableSpec,
    build_tables,
    figures_for,
    shown_quarters,
)
from insights.targets import QuarterReport, quarter_reports

#: where the report's HTML pretends to live: relative URLs resolve under it, and the fetcher
#: below serves only the static files beneath it
BASE_URL = "https://report.wijkplatform.invalid/"

_CROSS_DOMAIN = TABLES_BY_SLUG["cross-domain"]

#: the report's sections of the dashboard's tables, each on its own page; the cross-domain
#: table's case-room rows get a page of their own
ACTIVITY = (
    TABLES_BY_SLUG["active-professionals"],
    TABLES_BY_SLUG["articles-read"],
    TABLES_BY_SLUG["learning-sessions"],
)
COLLABORATION = (
    TableSpec(
        "cross-domain-connections",
        _CROSS_DOMAIN.rows[0].label,
        _(
            "A new connection is a medical and a social professional in contact for the first "
            "time: a direct conversation, or a reply to each other in a shared channel."
        ),
        _CROSS_DOMAIN.rows[:1],
    ),
    TABLES_BY_SLUG["channel-messages"],
)
CASE_ROOMS = (
    TableSpec(
        "case-rooms",
        _("Cross-domain case rooms"),
        _(
            "Case rooms count when their members come from two or more domains; only the "
            "number of rooms is used, never their content."
        ),
        _CROSS_DOMAIN.rows[1:],
    ),
)


@dataclass
class Section:
    slug: str
    title: str | Promise
    tables: list[Table] = field(default_factory=list)


@dataclass
class QuarterlyReport:
    quarter: Quarter
    #: the quarter had not ended when its figures were computed
    provisional: bool
    made_at: datetime
    computed_at: datetime
    sections: list[Section]
    reach: Reach
    pulse: pulse.PulseReport
    targets: QuarterReport | None
    note: QuarterNote | None

    @property
    def pulse_results(self) -> pulse.QuarterResults | None:
        """The report's quarter's pulse answers, once that pulse has closed."""
        latest = self.pulse.latest
        return latest if latest is not None and latest.quarter == self.quarter else None

    @property
    def filename(self) -> str:
        return f"wijkplatform-kwartaalrapportage-{self.quarter}.pdf"


def report_quarters() -> list[Quarter]:
    """The quarters a report can be made of: those the dashboard shows, newest first."""
    _computed, quarters, _provisional = shown_quarters()
    return quarters[::-1]


def build_report(quarter: Quarter) -> QuarterlyReport:
    """The report of a computed ``quarter``; ``ComputedQuarter.DoesNotExist`` otherwise."""
    row = ComputedQuarter.objects.get(quarter=str(quarter))
    computed, quarters, provisional = shown_quarters(until=quarter)
    neighbourhoods = list(Neighbourhood.objects.values_list("pk", flat=True))
    sections = []
    for slug, title, specs in (
        ("activity", _("Activity per domain"), ACTIVITY),
        ("collaboration", _("Working together across domains"), COLLABORATION),
        ("case-rooms", _("Case rooms"), CASE_ROOMS),
    ):
        figures = figures_for(computed, specs)
        tables = build_tables(figures, quarters, specs, provisional, neighbourhoods=neighbourhoods)
        sections.append(Section(slug, title, tables))
    targets = next(iter(quarter_reports([row])), None)
    return QuarterlyReport(
        quarter=quarter,
        provisional=not row.final,
        made_at=timezone.now(),
        computed_at=row.computed_at,
        sections=sections,
        reach=reach_over(quarters, provisional),
        # the pulses closed by the report's quarter: the dashboard's, when it is the last one
        pulse=pulse.report(current=quarter.next()),
        targets=targets,
        note=targets.note if targets else None,
    )


def report_html(report: QuarterlyReport) -> str:
    context: dict[str, Any] = {
        "report": report,
        "site_name": settings.SITE_NAME,
        "threshold": THRESHOLD,
    }
    return render_to_string("insights/report/report.html", context)


def render_pdf(report: QuarterlyReport) -> bytes:
    # imported here: WeasyPrint loads Pango when imported, and only the report needs it
    from weasyprint import HTML

    pdf = HTML(string=report_html(report), base_url=BASE_URL, url_fetcher=static_fetcher())
    return pdf.write_pdf()


# --- what WeasyPrint may read ---------------------------------------------------------------


def static_file(url: str) -> Path | None:
    """The file of a static URL under ``BASE_URL`` (``/static/vendor/…``), or None for
    anything else: another host or scheme, a path outside static/, a file that is not there."""
    parts = urlsplit(url)
    base = urlsplit(BASE_URL)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return None
    if parts.query or not parts.path.startswith(settings.STATIC_URL):
        return None
    name = unquote(parts.path.removeprefix(settings.STATIC_URL))
    if not name or name.startswith("/") or ".." in Path(name).parts or "\\" in name:
        return None
    found = finders.find(name)
    if isinstance(found, str):
        return Path(found)
    # production: the collected files, under the hashed names {% static %} gives
    if staticfiles_storage.exists(name):
        return Path(staticfiles_storage.path(name))
    return None


def static_fetcher() -> Any:
    """A WeasyPrint URL fetcher that serves the project's static files and refuses the rest,
    so that rendering never reaches the network or the file system beyond static/."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFilesOnly(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols=())

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            path = static_file(url)
            if path is None:
                raise ValueError(f"the report reads only static files, not {url}")
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})

    return StaticFilesOnly()
