"""The shape every chat room's messages and every stored upload share; channels, case rooms and
the knowledge base each add the room or article they belong to and what else is theirs.
Abstract: no tables here.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from core.chat import MAX_MESSAGE_LENGTH


class ChatMessage(models.Model):
    """A message: numbered in its room (``seq``), stored once per ``client_id`` of its author,
    its Markdown rendered and sanitised once into ``body_html``."""

    #: the name of the subclass's foreign key to its room
    room_field: ClassVar[str]
    #: the rendered content of the message's row, where a page or frame needs it
    #: (``core.engine.ChatEngine.with_contents``); not stored
    content: str
    content_of: tuple[str, str]

    seq = models.PositiveBigIntegerField(_("sequence number"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    client_id = models.UUIDField(default=uuid.uuid4)
    body = models.TextField(_("message"), max_length=MAX_MESSAGE_LENGTH)
    body_html = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{getattr(self, self.room_field)} #{self.seq}"


def message_constraints(room_field: str, prefix: str) -> list[models.UniqueConstraint]:
    """A chat message's rules in the database: one number per message in its room, and one
    message per ``client_id`` of its author (a retried send stores nothing new)."""
    return [
        models.UniqueConstraint(fields=[room_field, "seq"], name=f"{prefix}_seq_unique"),
        models.UniqueConstraint(
            fields=[room_field, "author", "client_id"], name=f"{prefix}_client_id_unique"
        ),
    ]


@deconstructible(path="core.models.RandomName")
class RandomName:
    """A file field's ``upload_to``: a random name in ``folder`` (inside a folder per room when
    ``room_field`` names the model's room id), ending in ``suffix``. The name the person
    uploaded is only shown, never used as a path; a random one says nothing about the file or
    whose it is, and cannot be guessed."""

    def __init__(self, folder: str, room_field: str = "", suffix: str = "") -> None:
        self.folder = folder
        self.room_field = room_field
        self.suffix = suffix

    def __call__(self, instance: models.Model, filename: str) -> str:
        room = [str(getattr(instance, self.room_field))] if self.room_field else []
        return "/".join([self.folder, *room, uuid.uuid4().hex + self.suffix])

    def __eq__(self, other: Any) -> bool:
        # the migration autodetector compares the field's old and new ``upload_to``
        return isinstance(other, RandomName) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((self.folder, self.room_field, self.suffix))


class StoredFile(models.Model):
    """An upload whose type was sniffed from its bytes (``core.files.stored_upload``); the
    subclass adds what it belongs to and the ``file`` field (with its place on disk). Served only
    through a view that checks the reader's rights (``core.files.serve``)."""

    #: the subclass's ``FileField``, which decides where on disk the bytes go
    file: FieldFile
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("file name"), max_length=150)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name
