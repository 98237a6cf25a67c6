"""The platform administrator's screens for accounts.

Administrators operate accounts; they never hold another person's credentials. The user admin
has no password field, no password-change page and no add form (accounts come from invitations);
it can deactivate an account or send a reset link to the person's own address. Second-factor
authenticators are listed without their secrets and cannot be changed here.
"""

from __future__ import annotations

from allauth.account.forms import ResetPasswordForm
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import Invitation, User


class UserChangeForm(forms.ModelForm):
    # Not Django's UserChangeForm: that one carries the password hash and a link to set it.
    class Meta:
        model = User
        fields = ["display_name"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    ordering = ["display_name"]
    list_display = ["email", "display_name", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "groups"]
    search_fields = ["email", "display_name"]
    # The address is where reset links go: an administrator who could change it could take the
    # account over. People change it themselves, with verification, under account settings.
    readonly_fields = ["email", "last_login", "date_joined"]
    actions = ["send_password_reset"]
    fieldsets = [
        (None, {"fields": ["email"]}),
        (_("Personal details"), {"fields": ["display_name"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # accounts exist only through invitations (accounts.services)

    def user_change_password(self, request, id, form_url=""):
        # Django's "<id>/password/" page would set another user's password. The URL stays so
        # that it answers 403 rather than falling through to the change page's catch-all.
        raise PermissionDenied

    @admin.action(description=_("Send a password reset link"))
    def send_password_reset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """Mail allauth's reset link to each active user's own address; the administrator
        never sees the link."""
        sent = 0
        for user in queryset.filter(is_active=True):
            form = ResetPasswordForm(data={"email": user.email})
            if form.is_valid() and any(found.pk == user.pk for found in form.users):
                form.save(request)
                sent += 1
        self.message_user(
            request,
            ngettext(
                "Sent a password reset link to %(count)d user.",
                "Sent a password reset link to %(count)d users.",
                sent,
            )
            % {"count": sent},
            messages.SUCCESS,
        )


admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    """Which second factors a user has, never their secrets: ``data`` holds the (encrypted) TOTP
    key or recovery seed and is neither shown nor editable, for any administrator."""

    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type", "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__display_name"]
    fields = ["user", "type", "created_at", "last_used_at"]
    exclude = ["data"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Removing someone's second factor is theirs to do, after re-authenticating.
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "display_name",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
    ]
    search_fields = ["email", "display_name"]
    readonly_fields = ["token_hash", "invited_by", "created_at", "accepted_at", "user"]
    list_select_related = ["invited_by"]

    def has_add_permission(self, request):  # invitations are made in the app, which e-mails them
        return False
