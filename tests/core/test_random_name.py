"""Where an upload's bytes go on disk: a random name, never the one the person gave."""

from django.db.migrations.writer import MigrationWriter

from channels_app.models import Attachment
from core.models import RandomName
from directory.models import Professional
from knowledge.models import Article
from privacy.models import CaseFile


def test_a_rooms_files_go_to_its_own_folder_under_a_random_name():
    upload_to = Attachment._meta.get_field("file").upload_to
    first = upload_to(Attachment(channel_id=7), "Verslag huisbezoek mevrouw Janssen.pdf")
    second = upload_to(Attachment(channel_id=7), "Verslag huisbezoek mevrouw Janssen.pdf")

    assert first.startswith("attachments/7/") and second.startswith("attachments/7/")
    assert first != second
    assert "Janssen" not in first and "pdf" not in first
    assert len(first.rsplit("/", 1)[1]) == 32


def test_each_kind_of_upload_has_its_folder():
    def name(model, field, instance):
        return model._meta.get_field(field).upload_to(instance, "foto van mij.png")

    assert name(CaseFile, "file", CaseFile(room_id=3)).startswith("cases/3/")
    assert name(Article, "cover", Article()).startswith("knowledge/covers/")
    assert name(Article, "cover", Article()).endswith(".jpg")
    photo = name(Professional, "photo", Professional())
    assert photo.startswith("profiles/") and photo.endswith(".jpg") and photo.count("/") == 1


def test_it_is_written_into_migrations_and_compared_by_value():
    upload_to = RandomName("cases", "room_id")
    written, imports = MigrationWriter.serialize(upload_to)

    assert written == "core.models.RandomName('cases', 'room_id')"
    assert imports == {"import core.models"}
    assert upload_to == RandomName("cases", "room_id")
    assert upload_to != RandomName("cases", "channel_id")
    assert upload_to != RandomName("cases", "room_id", suffix=".jpg")
