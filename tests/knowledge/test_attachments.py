"""Attachments: judged by their bytes (a forged type is refused); PDF text becomes searchable."""

from __future__ import annotations

import zipfile
from http import HTTPStatus
from io import BytesIO

import pytest

from knowledge import services
from knowledge.models import Article, ArticleAttachment
from tests.knowledge.fixtures import article_data, pdf_bytes, png_bytes, publish, upload

pytestmark = pytest.mark.django_db


def _post(client, article, name, content, content_type):
    return client.post(
        f"/knowledge/articles/{article.pk}/files/",
        {"file": upload(name, content, content_type)},
    )


@pytest.mark.parametrize(
    ("name", "content", "claimed"),
    [
        ("rapport.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
        ("foto.png", b"MZ\x90\x00 this is an executable", "image/png"),
        ("brief.docx", b"PK\x03\x04 not really a zip", "application/msword"),
        ("pagina.html", b"<!doctype html><p>hoi</p>", "text/html"),
        (
            "script.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            "image/svg+xml",
        ),
    ],
)
def test_it_refuses_a_forged_type(client, trainer, name, content, claimed):
    article = services.save_article(None, by=trainer, data=article_data())
    client.force_login(trainer)
    response = _post(client, article, name, content, claimed)
    assert response.status_code == HTTPStatus.FOUND
    assert not ArticleAttachment.objects.exists()
    assert "error" in [m.level_tag for m in response.wsgi_request._messages]


def test_it_refuses_a_zip_that_is_not_an_office_document(client, trainer):
    archive = BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("evil.exe", b"MZ")
    article = services.save_article(None, by=trainer, data=article_data())
    client.force_login(trainer)
    _post(client, article, "verslag.docx", archive.getvalue(), "application/vnd.ms-word")
    assert not ArticleAttachment.objects.exists()


def test_it_stores_the_real_type_and_a_harmless_name(client, trainer):
    article = services.save_article(None, by=trainer, data=article_data())
    client.force_login(trainer)
    _post(client, article, "../../etc/passwd.exe", png_bytes(), "application/x-msdownload")
    item = ArticleAttachment.objects.get()
    assert item.content_type == "image/png"
    assert item.name == "passwd.png"
    assert ".." not in item.file.name


def test_it_serves_files_safely(client, trainer, colleague):
    article = services.save_article(None, by=trainer, data=article_data())
    pdf = services.add_attachment(article, by=trainer, upload=upload("a.pdf", pdf_bytes("Hoi")))
    image = services.add_attachment(article, by=trainer, upload=upload("b.png", png_bytes()))
    client.force_login(colleague)
    assert client.get(f"/knowledge/articles/{article.pk}/files/{pdf.pk}/").status_code == 404
    services.set_published(article, by=trainer)
    response = client.get(f"/knowledge/articles/{article.pk}/files/{pdf.pk}/")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    inline = client.get(f"/knowledge/articles/{article.pk}/files/{image.pk}/")
    assert inline["Content-Disposition"].startswith("inline")
    # a file of another article is not reachable through this one
    other = publish(trainer, title="Ander")
    assert client.get(f"/knowledge/articles/{other.pk}/files/{pdf.pk}/").status_code == 404


def test_only_authors_add_or_remove_files(client, trainer, colleague):
    article = publish(trainer)
    item = services.add_attachment(article, by=trainer, upload=upload("a.png", png_bytes()))
    client.force_login(colleague)
    assert _post(client, article, "b.png", png_bytes(), "image/png").status_code == 404
    url = f"/knowledge/articles/{article.pk}/files/{item.pk}/delete/"
    assert client.post(url).status_code == 404
    client.force_login(trainer)
    assert client.post(url).status_code == HTTPStatus.FOUND
    assert not ArticleAttachment.objects.exists()


def test_it_extracts_the_text_of_a_pdf(trainer):
    article = services.save_article(None, by=trainer, data=article_data())
    item = services.add_attachment(
        article, by=trainer, upload=upload("x.pdf", pdf_bytes("Budgetcoaching voor gezinnen"))
    )
    assert "Budgetcoaching voor gezinnen" in item.text
    article = Article.objects.get(pk=article.pk)
    assert "Budgetcoaching" in article.search_text


def test_a_broken_pdf_is_kept_but_not_searchable(trainer):
    article = services.save_article(None, by=trainer, data=article_data())
    item = services.add_attachment(
        article, by=trainer, upload=upload("x.pdf", b"%PDF-1.4\ngarbage without objects")
    )
    assert item.text == ""


def test_the_text_of_a_pdf_is_found_by_search(client, trainer, colleague):
    article = publish(trainer, title="Leefstijl", body="Over bewegen.")
    services.add_attachment(
        article, by=trainer, upload=upload("x.pdf", pdf_bytes("Budgetcoaching voor gezinnen"))
    )
    client.force_login(colleague)
    response = client.get("/knowledge/?q=budgetcoaching")
    assert [a.pk for a in response.context["page"].object_list] == [article.pk]
    assert "<mark>Budgetcoaching</mark>" in response.content.decode()
