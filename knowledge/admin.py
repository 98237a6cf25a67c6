from django.contrib import admin

from knowledge.models import Article, LearningSession, Registration, Tag, Theme


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    # Articles are written in the knowledge base itself, where revisions and the search
    # document are kept up to date; the admin only lists them.
    list_display = ["title", "status", "audience", "published_at"]
    list_filter = ["status", "audience", "themes"]
    search_fields = ["title"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


class RegistrationInline(admin.TabularInline):
    model = Registration
    extra = 0
    can_delete = False
    readonly_fields = ["user", "status", "queued_at", "attended", "reminded_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LearningSession)
class LearningSessionAdmin(admin.ModelAdmin):
    list_display = ["title", "starts_at", "capacity", "cancelled_at"]
    date_hierarchy = "starts_at"
    inlines = [RegistrationInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
