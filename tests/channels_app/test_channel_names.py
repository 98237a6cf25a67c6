"""One channel per name, whatever its capitals: held by the database, told as a field error."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from channels_app import services
from channels_app.models import Channel
from tests.factories import ProfessionalFactory

TAKEN = "Er bestaat al een kanaal met deze naam."


@pytest.mark.django_db
def test_a_name_in_use_is_a_field_error_and_the_database_refuses_it_too():
    owner = ProfessionalFactory().user
    services.create_channel(by=owner, kind="open", name="Wijk Hoensbroek")
    with pytest.raises(ValidationError) as refused:
        services.create_channel(by=owner, kind="closed", name=" wijk HOENSBROEK ")
    assert refused.value.message_dict == {"name": [TAKEN]}
    with pytest.raises(IntegrityError), transaction.atomic():
        Channel.objects.create(kind="closed", name="WIJK hoensbroek", slug="anders")
    # direct conversations have no name, and any number of them exist
    others = [ProfessionalFactory().user for _ in range(3)]
    for other in others:
        services.direct_channel(by=owner, others=[other])
    assert Channel.objects.filter(kind="direct").count() == 3


@pytest.mark.django_db
def test_renaming_to_a_name_in_use_shows_the_error_and_changes_nothing(client):
    owner = ProfessionalFactory().user
    services.create_channel(by=owner, kind="open", name="Jeugd en gezin")
    mine = services.create_channel(by=owner, kind="closed", name="Schulden en zorg")
    client.force_login(owner)
    response = client.post(
        reverse("channels_app:settings", args=[mine.pk]),
        {"name": "JEUGD en gezin", "description": "", "topic": ""},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert TAKEN in html and "Instellingen van Schulden en zorg" in html
    mine.refresh_from_db()
    assert mine.name == "Schulden en zorg"
    # its own name in other capitals is fine
    response = client.post(
        reverse("channels_app:settings", args=[mine.pk]),
        {"name": "Schulden en Zorg", "description": "", "topic": ""},
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.name == "Schulden en Zorg"


@pytest.mark.django_db(transaction=True)
def test_the_migration_renames_names_that_clash_before_it_holds_them_unique():
    before, after = ("channels_app", "0009_report_moderation"), ("channels_app", "0010_rights_once")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps.get_model("channels_app", "Channel")
    for n, name in enumerate(["Samen", "samen", "SAMEN", "Anders", "samen (2)"]):
        old.objects.create(kind="open", name=name, slug=f"k{n}")
    old.objects.create(kind="direct", name="", slug=None)
    old.objects.create(kind="direct", name="", slug=None)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    try:
        executor.migrate([after])
        names = sorted(Channel.objects.exclude(kind="direct").values_list("name", flat=True))
        assert names == ["Anders", "SAMEN (4)", "Samen", "samen (2)", "samen (3)"]
    finally:
        # the tests after this one need the whole schema again
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
