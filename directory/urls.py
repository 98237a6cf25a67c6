from django.urls import path

from directory import views

app_name = "directory"

urlpatterns = [
    path("", views.index, name="index"),
    path("me/", views.profile_edit, name="profile_edit"),
    path("me/memberships/", views.membership_request, name="membership_request"),
    path("people/<int:pk>/", views.professional_detail, name="professional"),
    path("people/<int:pk>/vcard/", views.professional_vcard, name="professional_vcard"),
    path("people/<int:pk>/photo/", views.professional_photo, name="professional_photo"),
    path("social-map/", views.social_map, name="social_map"),
    path("organisations/<slug:slug>/", views.organisation_detail, name="organisation"),
    path("organisations/<slug:slug>/edit/", views.organisation_edit, name="organisation_edit"),
    path(
        "organisations/<slug:slug>/members/",
        views.organisation_members,
        name="organisation_members",
    ),
    path(
        "organisations/<slug:slug>/members/<int:pk>/<slug:action>/",
        views.membership_action,
        name="membership_action",
    ),
]
