"""E-mail each person a digest of the notifications they have not seen yet.

Meant for cron, e.g. every hour: ``python manage.py send_digests``. For closed channels and
direct messages the e-mail says only where something happened, never what was written.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import BaseCommand
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from channels_app.models import Channel, Notification
from core.links import absolute_url


class Command(BaseCommand):
    help = "E-mail digests of unread notifications (mentions, replies, invitations, requests)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--min-age",
            type=int,
            default=15,
            help="Only notifications at least this many minutes old (seen live meanwhile?).",
        )

    def handle(self, *args, **options):
        cutoff = timezone.now() - timedelta(minutes=options["min_age"])
        pending = (
            Notification.objects.filter(
                read_at__isnull=True, emailed_at__isnull=True, created_at__lte=cutoff
            )
            .select_related("user", "channel", "message", "actor")
            .order_by("user_id", "created_at")
        )
        per_user: dict[int, list[Notification]] = defaultdict(list)
        for notification in pending:
            if notification.user.is_active:
                per_user[notification.user_id].append(notification)
        sent = 0
        for items in per_user.values():
            user = items[0].user
            lines = [
                {
                    "notification": n,
                    # message content only from open channels
                    "excerpt": n.message.body[:200]
                    if n.message
                    and n.channel.kind == Channel.Kind.OPEN
                    and not n.message.deleted_at
                    else "",
                    # a case room's notification names no place (docs/PRIVACY.md)
                    "place": n.channel.name
                    if n.channel and n.channel.kind != Channel.Kind.DIRECT
                    else "",
                }
                for n in items
            ]
            with translation.override(settings.LANGUAGE_CODE):
                context = {
                    "user": user,
                    "lines": lines,
                    "site_name": settings.SITE_NAME,
                    "url": absolute_url(reverse("channels_app:notifications")),
                }
                subject = render_to_string("channels_app/email/digest_subject.txt", context).strip()
                body = render_to_string("channels_app/email/digest_message.txt", context)
            with transaction.atomic():
                send_mail(subject, body, None, [user.email])
                Notification.objects.filter(pk__in=[n.pk for n in items]).update(
                    emailed_at=timezone.now()
                )
            sent += 1
        self.stdout.write(f"Sent {sent} digest(s).")
