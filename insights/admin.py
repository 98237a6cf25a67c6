from django.contrib import admin

from insights.models import ComputedQuarter


@admin.register(ComputedQuarter)
class ComputedQuarterAdmin(admin.ModelAdmin):
    list_display = ["quarter", "computed_at", "final"]
    readonly_fields = ["quarter", "computed_at", "final"]

    def has_add_permission(self, request):
        return False
