from __future__ import annotations

import csv

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.views import form_page
from directory.models import Neighbourhood
from insights.access import insights_required, may_set_targets, targets_required
from insights.forms import QuarterTargetsForm
from insights.models import ComputedQuarter, Figure
from insights.quarters import Quarter
from insights.report import TABLES, TABLES_BY_SLUG, THRESHOLD, TableSpec, build_tables
from insights.targets import csv_rows, quarter_choices, quarter_reports, save_quarter

#: how many quarters the dashboard and the exports show, newest last
QUARTERS_SHOWN = 8


def _selection(
    request: HttpRequest, specs: tuple[TableSpec, ...]
) -> tuple[list[Neighbourhood], Neighbourhood | None, list[ComputedQuarter], list]:
    neighbourhoods = list(Neighbourhood.objects.all())
    selected = None
    slug = request.GET.get("neighbourhood")
    if slug:
        selected = next((n for n in neighbourhoods if n.slug == slug), None)
        if selected is None:
            raise Http404("No such neighbourhood.")
    computed = list(ComputedQuarter.objects.order_by("-quarter")[:QUARTERS_SHOWN])[::-1]
    quarters = [Quarter.parse(row.quarter) for row in computed]
    metrics = {row.metric for spec in specs for row in spec.rows}
    figures = Figure.objects.filter(
        quarter__in=[row.quarter for row in computed], neighbourhood=selected, metric__in=metrics
    ).only("quarter", "metric", "domain", "value")
    # a quarter computed before it ended is not complete yet (``ComputedQuarter.final``)
    provisional = [Quarter.parse(row.quarter) for row in computed if not row.final]
    return neighbourhoods, selected, computed, build_tables(figures, quarters, specs, provisional)


@insights_required
def dashboard(request: HttpRequest) -> HttpResponse:
    neighbourhoods, selected, computed, tables = _selection(request, TABLES)
    return render(
        request,
        "insights/dashboard.html",
        {
            "neighbourhoods": neighbourhoods,
            "selected": selected,
            "tables": tables if computed else [],
            "computed_at": max((row.computed_at for row in computed), default=None),
            "threshold": THRESHOLD,
            "targets": {
                "reports": quarter_reports(computed),
                "editable": may_set_targets(request.user),
            },
        },
    )


@insights_required
def export(request: HttpRequest, slug: str) -> HttpResponse:
    spec = TABLES_BY_SLUG.get(slug)
    if spec is None:
        raise Http404("No such table.")
    _neighbourhoods, selected, _computed, (table,) = _selection(request, (spec,))
    place = selected.slug if selected else "regio"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="wijkplatform-{slug}-{place}.csv"'
    # as Excel opens it in a Dutch setting (a comma is the decimal sign there, so ";" parts
    # the cells), and read as UTF-8 for its byte order mark; the same ";" in English
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerows(table.csv_rows())
    writer.writerows(csv_rows(table))
    return response


@targets_required
def targets(request: HttpRequest) -> HttpResponse:
    """A quarter's targets and note (``?quarter=2026Q3``; the running quarter by default)."""
    computed = list(ComputedQuarter.objects.order_by("-quarter")[:QUARTERS_SHOWN])
    choices = quarter_choices(computed)
    try:
        quarter = Quarter.parse(request.GET.get("quarter") or str(Quarter.current()))
    except ValueError:
        raise Http404("No such quarter.") from None
    if quarter not in choices:
        raise Http404("No such quarter.")
    form = QuarterTargetsForm(request.POST or None, quarter=quarter)
    if request.method == "POST" and form.is_valid():
        save_quarter(quarter, form.targets, form.cleaned_data["note"], by=request.user)
        messages.success(
            request,
            _("The targets and explanation for %(quarter)s have been saved.")
            % {"quarter": quarter.label},
        )
        return redirect(f"{reverse('insights:targets')}?quarter={quarter}")
    return form_page(
        request,
        "insights/targets.html",
        {"form": form, "quarter": quarter, "choices": choices, "threshold": THRESHOLD},
    )
