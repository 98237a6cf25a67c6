"""The security log, requests to remove a lost second factor, and ``User.credentials_changed_at``.

The log is append-only in the database as well: a trigger refuses UPDATE and DELETE, except
clearing the link to a deleted account (its name stays in the row) and deleting entries older
than five years.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION accounts_security_log_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.occurred_at < now() - interval '5 years' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE'
        AND (NEW.user_id IS NULL OR NEW.user_id IS NOT DISTINCT FROM OLD.user_id)
        AND (NEW.actor_id IS NULL OR NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id)
        AND (NEW.occurred_at, NEW.kind, NEW.user_name, NEW.actor_name, NEW.address, NEW.detail)
            IS NOT DISTINCT FROM
            (OLD.occurred_at, OLD.kind, OLD.user_name, OLD.actor_name, OLD.address, OLD.detail)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'accounts_securityevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER accounts_security_log_append_only
    BEFORE UPDATE OR DELETE ON accounts_securityevent
    FOR EACH ROW EXECUTE FUNCTION accounts_security_log_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS accounts_security_log_append_only ON accounts_securityevent;
DROP FUNCTION IF EXISTS accounts_security_log_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_encrypt_mfa_secrets"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="credentials_changed_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="credentials last changed"
            ),
        ),
        migrations.CreateModel(
            name="SecondFactorRemoval",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "requested_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="requested"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting for confirmation"),
                            ("confirmed", "Confirmed by the user"),
                            ("approved", "Approved by a second administrator"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="pending",
                        max_length=20,
                        verbose_name="status",
                    ),
                ),
                (
                    "completed_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="completed"),
                ),
                (
                    "approved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="approved by",
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="requested by",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="second_factor_removals",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="account",
                    ),
                ),
            ],
            options={
                "verbose_name": "second-factor removal",
                "verbose_name_plural": "second-factor removals",
                "ordering": ["-requested_at"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("approved_by", models.F("requested_by")), _negated=True
                        ),
                        name="second_factor_removal_two_administrators",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("approved_by", models.F("user")), _negated=True),
                        name="second_factor_removal_not_approved_by_the_user",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="SecurityEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "occurred_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False, verbose_name="when"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("password_changed", "Password changed"),
                            ("password_set", "Password set"),
                            ("password_reset", "Password reset with an e-mailed link"),
                            ("email_changed", "Primary e-mail address changed"),
                            ("email_added", "E-mail address added"),
                            ("email_verified", "E-mail address verified"),
                            ("email_removed", "E-mail address removed"),
                            ("second_factor_added", "Second factor added"),
                            ("second_factor_removed", "Second factor removed"),
                            ("recovery_codes_regenerated", "Recovery codes regenerated"),
                            ("reset_link_sent", "Password reset link sent by an administrator"),
                            ("removal_requested", "Removal of the second factor requested"),
                            (
                                "removal_confirmed",
                                "Removal of the second factor confirmed by the user",
                            ),
                            (
                                "removal_approved",
                                "Removal of the second factor approved by a second administrator",
                            ),
                            ("removal_refused", "Removal of the second factor refused"),
                            (
                                "step_up_refused",
                                "Wrong second-factor code when confirming identity",
                            ),
                            ("sign_in_refused", "Wrong second-factor code at sign-in"),
                        ],
                        max_length=40,
                        verbose_name="what",
                    ),
                ),
                ("user_name", models.CharField(max_length=254, verbose_name="account name")),
                (
                    "actor_name",
                    models.CharField(blank=True, max_length=254, verbose_name="by (name)"),
                ),
                (
                    "address",
                    models.GenericIPAddressField(
                        blank=True, null=True, verbose_name="network address"
                    ),
                ),
                ("detail", models.CharField(blank=True, max_length=300, verbose_name="detail")),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="by",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="security_events",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="whose account",
                    ),
                ),
            ],
            options={
                "verbose_name": "security event",
                "verbose_name_plural": "security log",
                "ordering": ["-occurred_at", "-pk"],
                "indexes": [
                    models.Index(fields=["user", "-occurred_at"], name="security_event_user")
                ],
            },
        ),
        migrations.RunSQL(APPEND_ONLY, DROP),
    ]
