from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from insights.models import ComputedQuarter, PulseAnswer, PulseStatement
from insights.quarters import Quarter


@admin.register(ComputedQuarter)
class ComputedQuarterAdmin(admin.ModelAdmin):
    list_display = ["quarter", "computed_at", "final"]
    readonly_fields = ["quarter", "computed_at", "final"]

    def has_add_permission(self, request):
        return False


@admin.action(description=_("Copy the selected statements to the next quarter"))
def copy_to_next_quarter(modeladmin, request, queryset):
    copied = 0
    for statement in queryset:
        quarter = str(Quarter.parse(statement.quarter).next())
        _copy, created = PulseStatement.objects.get_or_create(
            quarter=quarter,
            topic=statement.topic,
            defaults={
                "position": statement.position,
                "text": statement.text,
                "scale": statement.scale,
            },
        )
        copied += created
    modeladmin.message_user(
        request, ngettext("%d statement copied.", "%d statements copied.", copied) % copied
    )


@admin.register(PulseStatement)
class PulseStatementAdmin(admin.ModelAdmin):
    """The programme manager words each quarter's statements here. Answers are not in the
    admin: they are only shown, aggregated, on the dashboard."""

    list_display = ["quarter", "position", "text", "scale", "topic"]
    list_filter = ["quarter"]
    ordering = ["-quarter", "position"]
    actions = [copy_to_next_quarter]

    def get_readonly_fields(self, request, obj=None):
        # answered statements keep their meaning: the answers were given to these words
        if obj is not None and PulseAnswer.objects.filter(statement=obj).exists():
            return ["quarter", "topic", "text", "scale"]
        return []

    def has_delete_permission(self, request, obj=None):
        if obj is not None and PulseAnswer.objects.filter(statement=obj).exists():
            return False
        return super().has_delete_permission(request, obj)
