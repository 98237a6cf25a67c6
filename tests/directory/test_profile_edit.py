from __future__ import annotations

import io
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from directory.models import ExpertiseTag, Professional

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "display_name": "Anna de Vries",
        "job_title": "Wijkcoach",
        "availability": "ma–do",
        "phone": "045 123 4567",
        "phone_visibility": "colleagues",
        "email_visibility": "organisation",
        "big_number": "",
        "agb_code": "",
        "bio": "Ik werk in **Hoensbroek**. <script>alert(1)</script>",
        "expertise_names": "armoede, Mantelzorg, armoede",
    }
    data.update(overrides)
    return data


def png(width=900, height=600) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return SimpleUploadedFile("portret.png", buffer.getvalue(), content_type="image/png")


def test_an_unverified_user_edits_their_own_profile(client, user):
    client.force_login(user)
    response = client.post(reverse("directory:profile_edit"), form_data())
    assert response.status_code == HTTPStatus.FOUND
    professional = Professional.objects.get(user=user)
    user.refresh_from_db()
    assert user.display_name == "Anna de Vries"
    assert professional.job_title == "Wijkcoach"
    assert sorted(t.name for t in professional.expertise.all()) == ["Mantelzorg", "armoede"]
    # the search row follows (listed once verified)
    assert professional.search_name == "Anna de Vries"
    assert "'wijkcoach':4A" in professional.search_vector
    assert not professional.verified


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("big_number", "1234567890"),
        ("big_number", "12345678901x"),
        ("agb_code", "1234567"),
        ("phone", "bel mij"),
        ("display_name", ""),
        ("phone_visibility", "everyone"),
    ],
)
def test_bad_values_get_field_errors_and_change_nothing(client, colleague, field, value):
    client.force_login(colleague)
    before = Professional.objects.get(user=colleague).job_title
    response = client.post(reverse("directory:profile_edit"), form_data(**{field: value}))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.context["form"].errors
    assert Professional.objects.get(user=colleague).job_title == before


def test_valid_big_and_agb_numbers_are_kept(client, colleague):
    client.force_login(colleague)
    client.post(
        reverse("directory:profile_edit"), form_data(big_number="12345678901", agb_code="01234567")
    )
    professional = Professional.objects.get(user=colleague)
    assert (professional.big_number, professional.agb_code) == ("12345678901", "01234567")


def test_the_bio_is_rendered_safely(client, colleague):
    client.force_login(colleague)
    client.post(reverse("directory:profile_edit"), form_data())
    page = client.get(reverse("directory:professional", args=[colleague.professional.pk]))
    html = page.content.decode()
    assert "<strong>Hoensbroek</strong>" in html
    assert "<script>alert(1)</script>" not in html


def test_a_photo_is_resized_to_a_square_jpeg(client, colleague, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(colleague)
    response = client.post(
        reverse("directory:profile_edit"), {**form_data(), "photo_upload": png()}
    )
    assert response.status_code == HTTPStatus.FOUND
    professional = Professional.objects.get(user=colleague)
    with Image.open(professional.photo.path) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (512, 512)
        assert not stored.getexif()
    photo = client.get(reverse("directory:professional_photo", args=[professional.pk]))
    assert photo.status_code == HTTPStatus.OK
    assert photo["Content-Type"] == "image/jpeg"


def test_a_file_that_is_not_a_photo_is_refused(client, colleague, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(colleague)
    fake = SimpleUploadedFile("foto.jpg", b"<html><script>alert(1)</script>", "image/jpeg")
    response = client.post(reverse("directory:profile_edit"), {**form_data(), "photo_upload": fake})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "photo_upload" in response.context["form"].errors
    assert not Professional.objects.get(user=colleague).photo


def test_photos_are_not_for_outsiders(client, colleague, user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(colleague)
    client.post(reverse("directory:profile_edit"), {**form_data(), "photo_upload": png()})
    url = reverse("directory:professional_photo", args=[colleague.professional.pk])
    client.force_login(user)  # signed in, not verified
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    client.logout()
    assert client.get(url).status_code == HTTPStatus.FOUND


def test_expertise_tags_are_shared_case_insensitively(client, colleague):
    ExpertiseTag.objects.create(name="Armoede", slug="armoede")
    client.force_login(colleague)
    client.post(reverse("directory:profile_edit"), form_data(expertise_names="armoede"))
    assert ExpertiseTag.objects.filter(name__iexact="armoede").count() == 1


@pytest.mark.parametrize(
    ("expertise", "error"),
    [
        (", ".join(f"thema {n}" for n in range(16)), "Noem hoogstens 15 expertises."),
        ("armoede, " + "x" * 61, "Elke expertise mag hoogstens 60 tekens zijn."),
    ],
)
def test_too_many_or_too_long_expertises_are_refused_and_nothing_is_saved(
    client, colleague, expertise, error
):
    client.force_login(colleague)
    response = client.post(
        reverse("directory:profile_edit"),
        form_data(expertise_names=expertise, job_title="Anders"),
        headers={"accept-language": "nl"},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["expertise_names"] == [error]
    assert Professional.objects.get(user=colleague).job_title != "Anders"
    assert not ExpertiseTag.objects.exists()
