"""Create N verified professionals in one closed channel; print the room and session cookies.

Run in a subprocess against the fault test's own database:
``python -m tests.faults.prepare NAME N`` with DATABASE_URL set.
"""

from __future__ import annotations

import json
import os
import sys


def main(name: str, count: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.test import Client

    from channels_app import services
    from channels_app.models import Channel
    from tests.factories import ProfessionalFactory

    users = [
        ProfessionalFactory(user__email=f"{name}-{index}@faults.example").user
        for index in range(count)
    ]
    channel = services.create_channel(by=users[0], kind=Channel.Kind.CLOSED, name=name)
    for user in users[1:]:
        services._add_member(channel, user)
    cookies = []
    for user in users:
        client = Client()
        client.force_login(user)
        cookies.append(client.cookies["sessionid"].value)
    return {"room": channel.pk, "users": [user.pk for user in users], "cookies": cookies}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]))))
