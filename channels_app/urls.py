from django.urls import path

from channels_app import push_views, views

app_name = "channels_app"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("search/", views.search, name="search"),
    path("switcher/", views.switcher, name="switcher"),
    path("notifications/", views.notifications, name="notifications"),
    path(
        "notifications/<int:notification_id>/open/",
        views.open_notification,
        name="open_notification",
    ),
    path("notifications/settings/", push_views.push_settings, name="push_settings"),
    path("notifications/devices/", push_views.push_devices, name="push_devices"),
    path(
        "notifications/devices/<int:device_id>/<slug:action>/",
        push_views.push_device,
        name="push_device",
    ),
    path("reports/", views.reports, name="reports"),
    path("reports/<int:report_id>/", views.report_detail, name="report_detail"),
    path("direct/", views.direct, name="direct"),
    path("direct/<int:user_id>/", views.direct_with, name="direct_with"),
    path("requests/<int:request_id>/<slug:decision>/", views.decide_request, name="decide"),
    path("<int:pk>/", views.channel_detail, name="channel"),
    path("<int:pk>/post/", views.post, name="post"),
    path("<int:pk>/upload/", views.upload, name="upload"),
    path("<int:pk>/files/<int:attachment_id>/", views.attachment, name="attachment"),
    path("<int:pk>/m/<int:seq>/", views.permalink, name="permalink"),
    path("<int:pk>/threads/<int:message_id>/", views.thread, name="thread"),
    path("<int:pk>/messages/<int:message_id>/report/", views.report, name="report"),
    path("<int:pk>/messages/<int:message_id>/edit/", views.edit, name="edit"),
    path(
        "<int:pk>/messages/<int:message_id>/<slug:action>/",
        views.message_action,
        name="message_action",
    ),
    path("<int:pk>/members/", views.members, name="members"),
    path("<int:pk>/people/", views.people, name="people"),
    path(
        "<int:pk>/members/<int:user_id>/<slug:action>/", views.member_action, name="member_action"
    ),
    path("<int:pk>/settings/", views.settings_view, name="settings"),
    path("<int:pk>/favourite/", views.favourite, name="favourite"),
    path("<int:pk>/info/", views.info, name="info"),
    path("<int:pk>/push/", push_views.push_level, name="push_level"),
    path("<int:pk>/<slug:action>/", views.membership_action, name="membership_action"),
]
