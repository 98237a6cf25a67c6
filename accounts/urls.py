from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("invitations/", views.invitation_list, name="invitation_list"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invitation/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path(
        "second-factor/remove/<str:token>/",
        views.confirm_second_factor_removal,
        name="confirm_second_factor_removal",
    ),
]
