"""Writing and publishing: only trainers (and platform admins) create and publish."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from PIL import Image

from knowledge import services
from knowledge.models import Article, Theme
from tests.knowledge.fixtures import article_data, png_bytes, upload, verified

pytestmark = pytest.mark.django_db


def _form(**overrides):
    theme = Theme.objects.get(slug="schulden-en-armoede")
    data = {
        "title": "Schulden en gezondheid",
        "summary": "Geldzorgen maken ziek.",
        "body": "## Signalen\n\n- slecht slapen\n- afspraken missen",
        "themes": [theme.pk],
        "tag_names": "vroegsignalering, stress",
        "domains": ["medical", "debt"],
        "audience": "all",
        "action": "save",
    }
    data.update(overrides)
    return data


def test_it_seeds_the_themes():
    assert list(Theme.objects.values_list("name", flat=True)) == [
        "Positieve Gezondheid",
        "Schulden en armoede",
        "GGZ",
        "Jeugd en gezin",
        "Ouderen en eenzaamheid",
        "Leefstijl",
        "Samenwerken en privacy",
    ]


def test_it_lets_a_trainer_write_a_draft_and_publish_it(client, trainer):
    client.force_login(trainer)
    response = client.post("/knowledge/articles/new/", _form())
    article = Article.objects.get()
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"/knowledge/articles/{article.pk}/"
    assert article.status == Article.Status.DRAFT
    assert list(article.authors.all()) == [trainer]
    assert sorted(article.tags.values_list("name", flat=True)) == ["stress", "vroegsignalering"]
    assert article.domains == ["medical", "debt"]
    assert article.revisions.count() == 0

    response = client.post(f"/knowledge/articles/{article.pk}/publish/")
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert article.published_at is not None
    assert article.revisions.count() == 1


def test_it_previews_without_saving(client, trainer):
    client.force_login(trainer)
    response = client.post("/knowledge/articles/new/", _form(action="preview", body="**Vet**"))
    assert response.status_code == HTTPStatus.OK
    assert "<strong>Vet</strong>" in response.content.decode()
    assert not Article.objects.exists()


@pytest.mark.parametrize("roles", [[], ["professional"], ["privacy_officer"]])
def test_it_refuses_people_without_the_trainer_role(client, roles):
    someone = verified("Niet Trainer", roles)
    client.force_login(someone)
    assert client.get("/knowledge/articles/new/").status_code == HTTPStatus.NOT_FOUND
    assert client.post("/knowledge/articles/new/", _form()).status_code == HTTPStatus.NOT_FOUND
    assert not Article.objects.exists()
    with pytest.raises(PermissionDenied):
        services.save_article(None, by=someone, data=article_data())


def test_it_lets_a_platform_admin_publish(client, admin_user, trainer):
    from directory.models import Professional

    Professional.objects.get_or_create(user=admin_user)
    article = services.save_article(None, by=trainer, data=article_data())
    client.force_login(admin_user)
    response = client.post(f"/knowledge/articles/{article.pk}/publish/")
    assert response.status_code == HTTPStatus.FOUND
    article.refresh_from_db()
    assert article.is_published


def test_it_keeps_other_people_from_publishing_or_editing(client, trainer, colleague):
    other_trainer = verified("Andere Trainer", ["trainer"])
    article = services.save_article(None, by=trainer, data=article_data())
    for person in (colleague, other_trainer):
        client.force_login(person)
        assert client.post(f"/knowledge/articles/{article.pk}/publish/").status_code == 404
        assert client.get(f"/knowledge/articles/{article.pk}/edit/").status_code == 404
        assert client.get(f"/knowledge/articles/{article.pk}/").status_code == 404  # a draft
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT
    services.set_published(article, by=trainer)
    client.force_login(colleague)
    assert client.get(f"/knowledge/articles/{article.pk}/").status_code == 200
    assert client.get(f"/knowledge/articles/{article.pk}/edit/").status_code == 404
    assert client.post(f"/knowledge/articles/{article.pk}/unpublish/").status_code == 404
    assert client.post(f"/knowledge/articles/{article.pk}/delete/").status_code == 404


def test_it_computes_the_reading_time(trainer):
    article = services.save_article(None, by=trainer, data=article_data(body="woord " * 650))
    assert article.reading_minutes == 4


def test_it_resizes_the_cover_and_drops_metadata(client, trainer):
    client.force_login(trainer)
    data = _form(cover_alt="Wijkcentrum")
    data["cover_upload"] = upload("cover.png", png_bytes((2400, 1000)), "image/png")
    assert client.post("/knowledge/articles/new/", data).status_code == HTTPStatus.FOUND
    article = Article.objects.get()
    with Image.open(article.cover.open("rb")) as image:
        assert image.size == (1200, 630)
        assert image.format == "JPEG"
    services.set_published(article, by=trainer)
    response = client.get(f"/knowledge/articles/{article.pk}/cover/")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "image/jpeg"


def test_it_refuses_a_cover_that_is_not_an_image(client, trainer):
    client.force_login(trainer)
    data = _form(cover_alt="Nep")
    data["cover_upload"] = upload("cover.png", b"<script>alert(1)</script>", "image/png")
    response = client.post("/knowledge/articles/new/", data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Article.objects.exists()


def test_it_refuses_too_many_tags_and_saves_nothing(client, trainer):
    client.force_login(trainer)
    tags = ", ".join(f"tag {n}" for n in range(13))
    response = client.post(
        "/knowledge/articles/new/", _form(tag_names=tags), headers={"accept-language": "nl"}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["tag_names"] == ["Gebruik hoogstens 12 tags."]
    assert not Article.objects.exists()


def test_it_requires_a_channel_for_a_restricted_article(client, trainer):
    client.force_login(trainer)
    response = client.post("/knowledge/articles/new/", _form(audience="channels"))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Article.objects.exists()


def test_it_offers_only_the_authors_own_channels(client, trainer, closed_room):
    client.force_login(trainer)
    response = client.post(
        "/knowledge/articles/new/", _form(audience="channels", channels=[closed_room.channel.pk])
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST  # not a member of that channel
    assert not Article.objects.exists()


def test_co_authors_edit_and_publish_together(client, trainer, colleague):
    partner = verified("Pieter Partner", ["trainer"])
    client.force_login(trainer)
    client.post("/knowledge/articles/new/", _form(coauthors=[partner.pk]))
    article = Article.objects.get()
    assert set(article.authors.all()) == {trainer, partner}
    # someone without the trainer role is not offered, and not accepted
    client.post(f"/knowledge/articles/{article.pk}/edit/", _form(coauthors=[colleague.pk]))
    assert set(article.authors.all()) == {trainer, partner}
    client.force_login(partner)
    assert client.post(f"/knowledge/articles/{article.pk}/publish/").status_code == 302
    article.refresh_from_db()
    assert article.is_published


def test_a_platform_admin_editing_an_article_does_not_become_an_author(client, admin_user, trainer):
    from directory.models import Professional

    Professional.objects.get_or_create(user=admin_user)
    partner = verified("Pieter Partner", ["trainer"])
    client.force_login(trainer)
    client.post("/knowledge/articles/new/", _form(coauthors=[partner.pk]))
    article = Article.objects.get()
    client.force_login(admin_user)
    response = client.post(
        f"/knowledge/articles/{article.pk}/edit/",
        _form(title="Schulden en gezondheid (herzien)", coauthors=[trainer.pk, partner.pk]),
    )
    assert response.status_code == HTTPStatus.FOUND
    article.refresh_from_db()
    assert article.title == "Schulden en gezondheid (herzien)"
    assert set(article.authors.all()) == {trainer, partner}
    # the administrator may still take a co-author off
    client.post(f"/knowledge/articles/{article.pk}/edit/", _form(coauthors=[trainer.pk]))
    assert set(article.authors.all()) == {trainer}


def test_an_author_who_lost_the_trainer_role_stays_an_author_when_a_partner_edits(client, trainer):
    partner = verified("Pieter Partner", ["trainer"])
    client.force_login(trainer)
    client.post("/knowledge/articles/new/", _form(coauthors=[partner.pk]))
    article = Article.objects.get()
    trainer.groups.remove(Group.objects.get(name="trainer"))
    client.force_login(partner)
    page = client.get(f"/knowledge/articles/{article.pk}/edit/")
    assert trainer not in page.context["form"].fields["coauthors"].queryset  # cannot be shown
    response = client.post(f"/knowledge/articles/{article.pk}/edit/", _form(title="Nieuw"))
    assert response.status_code == HTTPStatus.FOUND
    assert set(article.authors.all()) == {trainer, partner}
