from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("log/", views.all_logs, name="all_logs"),
    path("log/verify/", views.verify_log, name="verify_log"),
    path("<int:pk>/", views.room_detail, name="room"),
    path("<int:pk>/post/", views.post, name="post"),
    path("<int:pk>/files/<int:file_id>/", views.file_download, name="file"),
    path("<int:pk>/search/", views.search, name="search"),
    path("<int:pk>/members/", views.members, name="members"),
    path("<int:pk>/members/<int:user_id>/remove/", views.remove_member, name="remove_member"),
    path("<int:pk>/join/", views.join, name="join"),
    path("<int:pk>/consent/", views.consent, name="consent"),
    path("<int:pk>/consent/withdraw/", views.withdraw_consent, name="withdraw_consent"),
    path("<int:pk>/settings/", views.settings_view, name="settings"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/plan/", views.plan, name="plan"),
    path("<int:pk>/plan/<slug:kind>/<int:item_id>/status/", views.plan_status, name="plan_status"),
    path("<int:pk>/plan/<slug:kind>/<int:item_id>/edit/", views.plan_edit, name="plan_edit"),
    path("<int:pk>/plan/<slug:kind>/<int:item_id>/remove/", views.plan_remove, name="plan_remove"),
    path("<int:pk>/health/", views.health, name="health"),
    path("<int:pk>/log/", views.room_log, name="log"),
    path("<int:pk>/report/", views.access_report, name="report"),
    path("<int:pk>/report.csv", views.access_report_csv, name="report_csv"),
]
