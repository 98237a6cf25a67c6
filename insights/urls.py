from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("<slug:slug>.csv", views.export, name="export"),
]

urlpatterns += [path("targets/", views.targets, name="targets")]
