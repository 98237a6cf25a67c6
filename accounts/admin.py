"""The platform administrator's screens for accounts.

Administrators operate accounts; they never hold another person's credentials. The user admin
has no password field, no password-change page and no add form (accounts come from invitations);
it can deactivate an account, send a reset link to the person's own address, and ask for a lost
second factor to be removed (the person confirms by e-mail, or a second administrator approves).
Second-factor authenticators are listed without their secrets and cannot be changed here; e-mail
addresses are shown but cannot be added, verified, made primary or changed. The security log is
read-only. Every step about someone's credentials is in that log (``accounts.security_log``).
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import services
from accounts.models import Invitation, SecondFactorRemoval, SecurityEvent, User


class UserChangeForm(forms.ModelForm):
    # Not Django's UserChangeForm: that one carries the password hash and a link to set it.
    class Meta:
        model = User
        fields = ["display_name"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added, changed or deleted in the admin (actions may still act)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    ordering = ["display_name"]
    list_display = ["email", "display_name", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "groups"]
    search_fields = ["email", "display_name"]
    # The address is where reset links go: an administrator who could change it could take the
    # account over. People change it themselves, with verification, under account settings.
    readonly_fields = ["email", "last_login", "date_joined", "credentials_changed_at"]
    actions = ["send_password_reset", "request_second_factor_removal"]
    fieldsets = [
        (None, {"fields": ["email"]}),
        (_("Personal details"), {"fields": ["display_name"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined", "credentials_changed_at"]}),
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
            if services.send_password_reset(user, by=request.user, request=request):
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

    @admin.action(description=_("Request removal of the second factor (lost phone)"))
    def request_second_factor_removal(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """Mail each user a link to confirm the removal; a second administrator can approve it
        instead under "Second-factor removals". Nothing is removed yet."""
        requested = 0
        for user in queryset.filter(is_active=True):
            if services.request_second_factor_removal(user, by=request.user, request=request):
                requested += 1
        self.message_user(
            request,
            ngettext(
                "Asked %(count)d user to confirm the removal of their second factor by e-mail. "
                "A second administrator can approve it instead.",
                "Asked %(count)d users to confirm the removal of their second factor by e-mail. "
                "A second administrator can approve it instead.",
                requested,
            )
            % {"count": requested},
            messages.SUCCESS if requested else messages.WARNING,
        )


@admin.register(SecondFactorRemoval)
class SecondFactorRemovalAdmin(ReadOnlyAdmin):
    """Requests to remove a lost second factor. The only step here is a second administrator's
    approval; the one who asked cannot approve their own request."""

    list_display = ["user", "requested_by", "requested_at", "status", "approved_by"]
    list_filter = ["status"]
    list_select_related = ["user", "requested_by", "approved_by"]
    search_fields = ["user__email", "user__display_name"]
    fields = ["user", "requested_by", "requested_at", "status", "approved_by", "completed_at"]
    readonly_fields = fields
    actions = ["approve"]

    # read-only: requests are made from the user list, which mails the person

    @admin.action(description=_("Approve: remove the second factor (second administrator)"))
    def approve(self, request: HttpRequest, queryset: QuerySet[SecondFactorRemoval]) -> None:
        for removal in queryset.select_related("user", "requested_by"):
            try:
                services.approve_second_factor_removal(removal, by=request.user, request=request)
            except services.RemovalRefused as refusal:
                self.message_user(request, f"{removal.user}: {refusal.message}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("The second factor of %(user)s has been removed.") % {"user": removal.user},
                    messages.SUCCESS,
                )


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    """The security log, read-only for everyone."""

    list_display = ["occurred_at", "kind", "user_name", "actor_name", "address"]
    list_filter = ["kind", "occurred_at"]
    search_fields = ["user_name", "actor_name", "detail"]
    date_hierarchy = "occurred_at"
    fields = ["occurred_at", "kind", "user", "user_name", "actor", "actor_name", "address",
              "detail"]  # fmt: skip
    readonly_fields = fields


admin.site.unregister(EmailAddress)


@admin.register(EmailAddress)
class EmailAddressAdmin(ReadOnlyAdmin):
    """Read-only: an address an administrator could add, verify or make primary would receive
    the person's reset links. allauth's own admin has a "mark as verified" action; this one has
    no actions at all. People manage their addresses themselves, under account settings."""

    list_display = ["email", "user", "primary", "verified"]
    list_filter = ["primary", "verified"]
    list_select_related = ["user"]
    search_fields = ["email", "user__email", "user__display_name"]
    fields = ["user", "email", "primary", "verified"]
    readonly_fields = fields
    actions = None


admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(ReadOnlyAdmin):
    """Which second factors a user has, never their secrets: ``data`` holds the (encrypted) TOTP
    key or recovery seed and is neither shown nor editable, for any administrator."""

    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type", "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__display_name"]
    fields = ["user", "type", "created_at", "last_used_at"]
    exclude = ["data"]
    readonly_fields = fields

    # read-only: removing someone's second factor is theirs to do, after re-authenticating, or
    # goes through a SecondFactorRemoval


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
