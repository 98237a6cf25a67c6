from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from directory.importer import COLUMNS, REQUIRED, import_professionals, template_csv
from directory.models import (
    Discipline,
    ExpertiseTag,
    Language,
    Membership,
    Neighbourhood,
    NeighbourhoodBoundary,
    Organisation,
    PostcodeRange,
    Professional,
    SearchSynonym,
    ServiceTheme,
)


class PostcodeRangeInline(admin.TabularInline):
    model = PostcodeRange
    extra = 1


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(admin.ModelAdmin):
    list_display = ["name", "municipality"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PostcodeRangeInline]


@admin.register(Discipline)
class DisciplineAdmin(admin.ModelAdmin):
    list_display = ["name", "domain"]
    list_filter = ["domain"]
    prepopulated_fields = {"slug": ["name"]}


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["professional", "organisation"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "city", "verified"]
    list_filter = ["verified", "neighbourhoods"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


IMPORT_MAX_BYTES = 5 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "Comma- or semicolon-separated, UTF-8 or Windows-1252; at most 5 MB."
        ),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run: check the file and report, but save nothing"),
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("The file may be at most 5 MB."))
        return upload


@admin.register(Professional)
class ProfessionalAdmin(admin.ModelAdmin):
    list_display = ["user", "job_title"]
    search_fields = ["user__display_name", "user__email", "job_title"]
    list_select_related = ["user"]
    inlines = [MembershipInline]

    def get_urls(self):
        # Before the default URLs, whose "<path:object_id>/" would swallow "import/".
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="directory_professional_import",
            ),
            path(
                "import/template.csv",
                self.admin_site.admin_view(self.import_template_view),
                name="directory_professional_import_template",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": request.user.is_platform_admin}
        return super().changelist_view(request, extra_context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a CSV file of professionals; see docs/IMPORT.md for the columns."""
        if not request.user.is_platform_admin:
            raise PermissionDenied
        report = None
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            report = import_professionals(
                form.cleaned_data["file"].read(),
                dry_run=form.cleaned_data["dry_run"],
                by=request.user,
            )
            if report.ok:
                messages.success(request, report.summary())
                if hint := report.password_hint():
                    messages.warning(request, hint)
                if report.dry_run:
                    return redirect("admin:directory_professional_import")
                return redirect("admin:directory_professional_changelist")
            messages.error(request, report.summary())
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import professionals"),
            "form": form,
            "report": report,
            "columns": [(c.name, c.aliases, c.name in REQUIRED) for c in COLUMNS],
        }
        return TemplateResponse(request, "admin/directory/professional/import.html", context)

    def import_template_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_platform_admin:
            raise PermissionDenied
        # A byte order mark and semicolons: Dutch Excel then opens it in columns, accents intact.
        response = HttpResponse(
            "\ufeff" + template_csv(delimiter=";"), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="import-template.csv"'
        return response


@admin.register(ServiceTheme)
class ServiceThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ExpertiseTag)
class ExpertiseTagAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(SearchSynonym)
class SearchSynonymAdmin(admin.ModelAdmin):
    list_display = ["term", "alternatives"]
    search_fields = ["term", "alternatives"]


@admin.register(NeighbourhoodBoundary)
class NeighbourhoodBoundaryAdmin(admin.ModelAdmin):
    """Boundaries come from a GeoJSON file (manage.py import_boundaries); here they are only
    looked up or removed."""

    list_display = ["neighbourhood", "code", "updated_at"]
    list_select_related = ["neighbourhood"]
    fields = ["neighbourhood", "code", "updated_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
