"""Add to the demo what a backup must carry besides it: a file in a channel and one in the case
room, an access-log entry of a read, and a checkpoint of the log.

Run in a subprocess against the drill's source database:
``python -m tests.backup.prepare`` with DATABASE_URL, MEDIA_ROOT and the checkpoint file set.
"""

from __future__ import annotations

import io
import os
import secrets


def png(size: int) -> bytes:
    from PIL import Image

    image = Image.frombytes("RGB", (size, size), secrets.token_bytes(size * size * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from accounts.models import User
    from channels_app import services as channels
    from channels_app.models import Membership
    from demo.directory import demo_email
    from demo.privacy import DEMO_PSEUDONYM
    from privacy import audit
    from privacy import services as case_rooms
    from privacy.models import CaseRoom

    membership = Membership.objects.select_related("channel", "user").order_by("pk").first()
    assert membership is not None, "the demo has no channel members"
    upload = SimpleUploadedFile("wijkkaart.png", png(64), content_type="image/png")
    attachment = channels.upload_attachment(membership.channel, by=membership.user, upload=upload)
    channels.post_message(
        membership.channel.pk,
        author=membership.user,
        body="De wijkkaart voor het overleg van donderdag.",
        attachment_ids=[attachment.pk],
    )

    room = CaseRoom.objects.get(pseudonym=DEMO_PSEUDONYM)
    coordinator = User.objects.get(email=demo_email("anouk.aerts"))
    pdf = b"%PDF-1.4\n" + secrets.token_bytes(2048) + b"\n%%EOF\n"
    case_rooms.post_message(
        room.pk,
        author=coordinator,
        body="Het plan van aanpak, zoals besproken.",
        uploads=[SimpleUploadedFile("plan.pdf", pdf, content_type="application/pdf")],
    )
    audit.record(action="read", user=coordinator, object_type="case_room", object_id=room.pk,
                 room_id=room.pk)  # fmt: skip
    call_command("checkpoint_access_log")


if __name__ == "__main__":
    main()
