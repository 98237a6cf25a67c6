from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("<slug:slug>.csv", views.export, name="export"),
    path("report/<str:quarter>.pdf", views.quarterly_report, name="report"),
    path("reach/expected/", views.expected_headcount, name="expected_headcount"),
    path(
        "reach/organisations/<slug:slug>/",
        views.organisation_expected,
        name="organisation_expected",
    ),
    path("reach/<slug:slug>.csv", views.reach_export, name="reach_export"),
    path("pulse/", views.pulse_form, name="pulse"),
    path("pulse/later/", views.pulse_dismiss, name="pulse_dismiss"),
    path("targets/", views.targets, name="targets"),
]
