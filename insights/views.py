from __future__ import annotations

import csv
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.roles import Role
from core.views import form_page
from directory.access import administered_organisation, verified_required
from directory.models import Neighbourhood
from insights import pulse
from insights.access import insights_required, may_set_targets, targets_required
from insights.forms import ExpectedHeadcountForm, PulseForm, QuarterTargetsForm
from insights.models import ComputedQuarter
from insights.pdf import build_report, render_pdf, report_quarters
from insights.quarters import Quarter
from insights.reach import (
    REACH_TABLES,
    Reach,
    expected_numbers,
    reach_organisations,
    reach_over,
    set_expected,
)
from insights.report import (
    QUARTERS_SHOWN,
    TABLES,
    TABLES_BY_SLUG,
    THRESHOLD,
    TableSpec,
    build_tables,
    figures_for,
    shown_quarters,
)
from insights.targets import csv_rows, quarter_choices, quarter_reports, save_quarter


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
    computed, quarters, provisional = shown_quarters()
    tables = build_tables(
        figures_for(computed, specs),
        quarters,
        specs,
        provisional,
        neighbourhood=selected.pk if selected else None,
        neighbourhoods=[n.pk for n in neighbourhoods],
    )
    return neighbourhoods, selected, computed, tables


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
            "report_quarters": [(Quarter.parse(row.quarter), not row.final) for row in computed][
                ::-1
            ],
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
    if table:
        writer.writerows(table.csv_rows())
        writer.writerows(csv_rows(table))
    return response


@insights_required
def quarterly_report(request: HttpRequest, quarter: str) -> HttpResponse:
    """The quarter's report as PDF, for a quarter the dashboard shows."""
    try:
        wanted = Quarter.parse(quarter)
    except ValueError:
        raise Http404("No such quarter.") from None
    if wanted not in report_quarters():
        raise Http404("No such quarter.")
    report = build_report(wanted)
    response = HttpResponse(render_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
    return response


# --- reach: how many of the area's professionals are on the platform --------------------------


def reach_for(request: HttpRequest) -> Reach:
    """The reach tables over the quarters the dashboard shows."""
    _computed, quarters, provisional = shown_quarters()
    return reach_over(quarters, provisional)


def expected_form(request: HttpRequest) -> ExpectedHeadcountForm | None:
    """The form for the expected numbers, for programme managers only."""
    if not request.user.has_role(Role.PROGRAMME_MANAGER):
        return None
    bound = getattr(request, "expected_form", None)
    if bound is not None:
        return bound
    organisations = reach_organisations()
    current = Quarter.current()
    applying = {
        pk: number for (pk, _quarter), number in expected_numbers([current]).items() if number
    }
    return ExpectedHeadcountForm(organisations=organisations, current=applying)


@login_required
@require_POST
def expected_headcount(request: HttpRequest) -> HttpResponse:
    if not request.user.has_role(Role.PROGRAMME_MANAGER):
        raise Http404
    current = Quarter.current()
    applying = {pk: number for (pk, _q), number in expected_numbers([current]).items()}
    form = ExpectedHeadcountForm(
        request.POST, organisations=reach_organisations(), current=applying
    )
    if not form.is_valid():
        request.expected_form = form  # type: ignore[attr-defined]
        response = dashboard(request)
        response.status_code = 400
        return response
    changes = form.changes()
    for organisation, number in changes:
        set_expected(organisation, number, request.user, current)
    messages.success(
        request,
        ngettext(
            "Saved the expected number of %(count)d organisation from %(quarter)s on.",
            "Saved the expected numbers of %(count)d organisations from %(quarter)s on.",
            len(changes),
        )
        % {"count": len(changes), "quarter": current.label},
    )
    return redirect(reverse("insights:dashboard") + "#reach-heading")


@login_required
def organisation_expected(request: HttpRequest, slug: str) -> HttpResponse:
    """An organisation's administrator enters the organisation's own expected number."""
    organisation = administered_organisation(request.user, slug)
    current = Quarter.current()
    applying = {
        pk: number
        for (pk, _quarter), number in expected_numbers([current]).items()
        if pk == organisation.pk
    }
    form = ExpectedHeadcountForm(
        request.POST or None, organisations=[organisation], current=applying
    )
    if request.method == "POST" and form.is_valid():
        for changed, number in form.changes():
            set_expected(changed, number, request.user, current)
        messages.success(
            request,
            _("Saved the expected number of %(name)s from %(quarter)s on.")
            % {"name": organisation.name, "quarter": current.label},
        )
        return redirect("insights:organisation_expected", slug=organisation.slug)
    return form_page(
        request,
        "insights/organisation_expected.html",
        {"form": form, "organisation": organisation, "quarter": current},
    )


@insights_required
def reach_export(request: HttpRequest, slug: str) -> HttpResponse:
    if slug not in REACH_TABLES:
        raise Http404("No such table.")
    table = reach_for(request).table(slug)  # None before any quarter was computed
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="wijkplatform-{slug}.csv"'
    response.write("\ufeff")  # as the other exports: UTF-8 for Excel, ";" between cells
    writer = csv.writer(response, delimiter=";")
    writer.writerows(table.csv_rows() if table else [])
    return response


# --- the pulse questionnaire ------------------------------------------------------------------


def _pulse_professional(view):
    """Verified professionals only; anyone else verified (an administrator) gets 404."""

    @verified_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not pulse.may_answer(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@_pulse_professional
def pulse_form(request: HttpRequest) -> HttpResponse:
    quarter = Quarter.current()
    statements = pulse.statements(quarter)
    context = {"quarter": quarter, "statements": statements}
    if not statements:
        return render(request, "insights/pulse.html", context)
    if pulse.has_answered(request.user, quarter):
        refused = request.method == "POST"
        context |= {"answered": True, "refused": refused}
        return render(request, "insights/pulse.html", context, status=409 if refused else 200)
    if request.method != "POST":
        form = PulseForm(statements, initial={"quarter": str(quarter)})
        return render(request, "insights/pulse.html", context | {"form": form})
    form = PulseForm(statements, request.POST)
    if form.is_valid():
        if form.cleaned_data["quarter"] != str(quarter):
            # the form was opened in the previous quarter: its statements may differ
            form = PulseForm(statements, initial={"quarter": str(quarter)})
            notice = _("A new quarter has begun. Please answer its statements.")
            return form_page(
                request, "insights/pulse.html", context | {"form": form, "notice": notice}
            )
        try:
            pulse.answer(request.user, quarter, form.values())
        except pulse.AlreadyAnswered:
            context |= {"answered": True, "refused": True}
            return render(request, "insights/pulse.html", context, status=409)
        messages.success(request, _("Thank you! Your answers have been stored anonymously."))
        return redirect("home")
    return form_page(request, "insights/pulse.html", context | {"form": form})


@require_POST
@_pulse_professional
def pulse_dismiss(request: HttpRequest) -> HttpResponse:
    pulse.dismiss(request.user, Quarter.current())
    messages.info(request, _("You will not be reminded of this quarter's pulse again."))
    return redirect("home")


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
