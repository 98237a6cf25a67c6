from django.urls import path, register_converter

from knowledge import views


class FeedTokenConverter:
    """A calendar feed's secret: ``secrets.token_urlsafe`` letters, as long as the column
    allows. Anything else (a NUL byte, an endless string) is not an address at all: 404."""

    regex = "[A-Za-z0-9_-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FeedTokenConverter, "feed_token")

app_name = "knowledge"

urlpatterns = [
    path("", views.index, name="index"),
    path("reading-list/", views.reading_list, name="reading_list"),
    path("articles/new/", views.article_new, name="article_new"),
    path("articles/<int:pk>/", views.article_detail, name="article"),
    path("articles/<int:pk>/edit/", views.article_edit, name="article_edit"),
    path("articles/<int:pk>/cover/", views.cover, name="cover"),
    path("articles/<int:pk>/files/", views.attachment_upload, name="attachment_upload"),
    path("articles/<int:pk>/files/<int:attachment_id>/", views.attachment, name="attachment"),
    path(
        "articles/<int:pk>/files/<int:attachment_id>/delete/",
        views.attachment_delete,
        name="attachment_delete",
    ),
    path("articles/<int:pk>/history/", views.history, name="history"),
    path("articles/<int:pk>/history/<int:number>/", views.revision_detail, name="revision"),
    path(
        "articles/<int:pk>/history/<int:number>/restore/",
        views.revision_restore,
        name="revision_restore",
    ),
    path("articles/<int:pk>/comments/", views.comment_post, name="comment_post"),
    path(
        "articles/<int:pk>/comments/<int:comment_id>/<slug:action>/",
        views.comment_action,
        name="comment_action",
    ),
    path("articles/<int:pk>/bookmark/", views.bookmark, name="bookmark"),
    path("articles/<int:pk>/share/", views.share, name="share"),
    path("articles/<int:pk>/<slug:action>/", views.article_status, name="article_status"),
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/archive/", views.archive, name="archive"),
    path("sessions/new/", views.session_new, name="session_new"),
    path("sessions/calendar/", views.calendar, name="calendar"),
    path("sessions/calendar/<feed_token:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:pk>/session.ics", views.session_ics, name="session_ics"),
    path("sessions/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("sessions/<int:pk>/materials/", views.material_upload, name="material_upload"),
    path("sessions/<int:pk>/materials/<int:material_id>/", views.material, name="material"),
    path("sessions/<int:pk>/<slug:action>/", views.session_registration, name="registration"),
]
