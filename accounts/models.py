from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, Group, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Their professional profile lives in the directory."""

    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("name"), max_length=150)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Whether the user can sign in to the administration site."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    #: the last change to the password, the e-mail addresses or the second factor (accounts.
    #: security_log); case rooms then need a second-factor sign-in made after it
    credentials_changed_at = models.DateTimeField(
        _("credentials last changed"), null=True, blank=True, editable=False
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["display_name"]
        indexes = [models.Index(fields=["display_name"], name="user_display_name")]

    def __str__(self) -> str:
        return self.display_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.display_name

    # Checking a password may save a fresh hash of the same password (a stronger hasher or more
    # iterations); that is no change of credentials, and accounts.signals must not log it.
    def check_password(self, raw_password: str) -> bool:
        self._rehashing_password = True
        try:
            return super().check_password(raw_password)
        finally:
            self._rehashing_password = False

    async def acheck_password(self, raw_password: str) -> bool:
        self._rehashing_password = True
        try:
            return await super().acheck_password(raw_password)
        finally:
            self._rehashing_password = False

    def get_short_name(self) -> str:
        return self.display_name.split(" ")[0] if self.display_name else self.email

    @cached_property
    def role_names(self) -> frozenset[str]:
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, role: Role | str) -> bool:
        return str(role) in self.role_names

    @property
    def is_platform_admin(self) -> bool:
        return self.is_superuser or self.has_role(Role.PLATFORM_ADMIN)

    @property
    def can_see_insights(self) -> bool:
        return self.is_platform_admin or self.has_role(Role.PROGRAMME_MANAGER)

    @property
    def is_privacy_officer(self) -> bool:
        return self.has_role(Role.PRIVACY_OFFICER)

    @property
    def has_role_pages(self) -> bool:
        """Whether a role opens pages that need no organisation: the coalition's figures, the
        access logs. The pages that say what is closed to someone point to these; to a platform
        administrator everything is open."""
        if self.is_platform_admin:
            return False
        return self.can_see_insights or self.is_privacy_officer

    @property
    def role_labels(self) -> list[str]:
        """The person's roles besides professional, in the interface's language."""
        return [
            str(Role(name).label)
            for name in sorted(self.role_names)
            if name in Role.values and name != Role.PROFESSIONAL
        ]

    @property
    def can_invite(self) -> bool:
        return self.is_platform_admin


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _default_expiry() -> timezone.datetime:
    return timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> InvitationQuerySet:
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)


class Invitation(models.Model):
    """An e-mailed, expiring, single-use link through which someone gets an account.

    Only a hash of the token is stored: a leaked database does not yield working links.
    """

    email = models.EmailField(_("e-mail address"))
    display_name = models.CharField(_("name"), max_length=150)
    roles = models.ManyToManyField(Group, verbose_name=_("roles"), blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="invitations_sent",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), default=_default_expiry)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitation",
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["email"])]

    def __str__(self) -> str:
        return self.email

    @staticmethod
    def new_token() -> tuple[str, str]:
        """Return a fresh (token, hash) pair."""
        token = secrets.token_urlsafe(32)
        return token, _hash_token(token)

    @classmethod
    def hash_token(cls, token: str) -> str:
        return _hash_token(token)

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.is_expired:
            return "expired"
        return "pending"

    @property
    def status_label(self) -> str:
        return str(
            {
                "accepted": _("Accepted"),
                "revoked": _("Revoked"),
                "expired": _("Expired"),
                "pending": _("Waiting for acceptance"),
            }[self.status]
        )


class SecurityEvent(models.Model):
    """One line of the security log: a change to someone's credentials or e-mail addresses, an
    administrator's step about them, or a refused step-up. Written by ``accounts.security_log``
    and never changed afterwards; names are kept as they were at the time."""

    class Kind(models.TextChoices):
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_SET = "password_set", _("Password set")
        PASSWORD_RESET = "password_reset", _("Password reset with an e-mailed link")
        EMAIL_CHANGED = "email_changed", _("Primary e-mail address changed")
        EMAIL_ADDED = "email_added", _("E-mail address added")
        EMAIL_VERIFIED = "email_verified", _("E-mail address verified")
        EMAIL_REMOVED = "email_removed", _("E-mail address removed")
        SECOND_FACTOR_ADDED = "second_factor_added", _("Second factor added")
        SECOND_FACTOR_REMOVED = "second_factor_removed", _("Second factor removed")
        RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated", _("Recovery codes regenerated")
        RESET_LINK_SENT = "reset_link_sent", _("Password reset link sent by an administrator")
        REMOVAL_REQUESTED = "removal_requested", _("Removal of the second factor requested")
        REMOVAL_CONFIRMED = (
            "removal_confirmed",
            _("Removal of the second factor confirmed by the user"),
        )
        REMOVAL_APPROVED = (
            "removal_approved",
            _("Removal of the second factor approved by a second administrator"),
        )
        REMOVAL_REFUSED = "removal_refused", _("Removal of the second factor refused")
        STEP_UP_REFUSED = "step_up_refused", _("Wrong second-factor code when confirming identity")
        SIGN_IN_REFUSED = "sign_in_refused", _("Wrong second-factor code at sign-in")

    occurred_at = models.DateTimeField(_("when"), default=timezone.now, editable=False)
    kind = models.CharField(_("what"), max_length=40, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("whose account"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="security_events",
    )
    user_name = models.CharField(_("account name"), max_length=254)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(_("by (name)"), max_length=254, blank=True)
    address = models.GenericIPAddressField(_("network address"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security log")
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["user", "-occurred_at"], name="security_event_user")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.user_name}"


class SecondFactorRemovalQuerySet(models.QuerySet["SecondFactorRemoval"]):
    def pending(self) -> SecondFactorRemovalQuerySet:
        """Open requests whose link has not expired."""
        return self.filter(
            status=SecondFactorRemoval.Status.PENDING,
            requested_at__gt=timezone.now() - SecondFactorRemoval.VALID_FOR,
        )


class SecondFactorRemoval(models.Model):
    """An administrator's request to remove someone's second factor (a lost phone).

    Nothing is removed until the person confirms it through the link mailed to their own
    address, with their password, or a second, different administrator approves it.
    """

    VALID_FOR = timedelta(hours=24)

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed by the user")
        APPROVED = "approved", _("Approved by a second administrator")
        CANCELLED = "cancelled", _("Cancelled")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="second_factor_removals",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    objects = SecondFactorRemovalQuerySet.as_manager()

    class Meta:
        verbose_name = _("second-factor removal")
        verbose_name_plural = _("second-factor removals")
        ordering = ["-requested_at"]
        constraints = [
            # The four-eyes rule, also where the code is bypassed.
            models.CheckConstraint(
                condition=~models.Q(approved_by=models.F("requested_by")),
                name="second_factor_removal_two_administrators",
            ),
            models.CheckConstraint(
                condition=~models.Q(approved_by=models.F("user")),
                name="second_factor_removal_not_approved_by_the_user",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.requested_at + self.VALID_FOR

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING and not self.is_expired
