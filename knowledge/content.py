"""Turning what trainers write and upload into what readers see: article HTML, PDF text, diffs."""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.safestring import SafeString

from core.rendering import ARTICLE_TAGS, COMMENT_TAGS, render_markdown
from knowledge.models import Article, ArticleAttachment

logger = logging.getLogger(__name__)

PDF_MAX_PAGES = 200
PDF_MAX_CHARS = 200_000
_FILE_URL = re.compile(r"^/knowledge/articles/(\d+)/files/(\d+)/$")


def attachment_url(attachment: ArticleAttachment) -> str:
    return reverse("knowledge:attachment", args=[attachment.article_id, attachment.pk])


def article_html(article: Article, attachments: Iterable[ArticleAttachment]) -> SafeString:
    """The article's Markdown as safe HTML; images only from this article's own attachments."""
    image_ids = {a.pk for a in attachments if a.is_image}

    def image_allowed(src: str) -> bool:
        match = _FILE_URL.match(src)
        return bool(match) and int(match[1]) == article.pk and int(match[2]) in image_ids

    return render_markdown(article.body, tags=ARTICLE_TAGS, image_allowed=image_allowed)


def comment_html(text: str) -> SafeString:
    return render_markdown(text, tags=COMMENT_TAGS)


def pdf_text(file) -> str:
    """The text of a PDF for the search index; empty when it cannot be read."""
    from pypdf import PdfReader

    try:
        file.seek(0)
        reader = PdfReader(file)
        parts: list[str] = []
        size = 0
        for page in reader.pages[:PDF_MAX_PAGES]:
            text = page.extract_text() or ""
            parts.append(text)
            size += len(text)
            if size >= PDF_MAX_CHARS:
                break
    except Exception:
        logger.info("could not extract text from an uploaded PDF", exc_info=True)
        return ""
    finally:
        file.seek(0)
    text = " ".join(" ".join(parts).split())
    return text[:PDF_MAX_CHARS].replace("\x00", "")


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added" or "removed"
    text: str


@dataclass(frozen=True)
class FieldDiff:
    field: str
    changed: bool
    lines: list[DiffLine]


def diff_text(old: str, new: str, *, context: int = 2) -> list[DiffLine]:
    """A line diff with a little context; the template escapes the text."""
    old_lines, new_lines = (old or "").splitlines(), (new or "").splitlines()
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        if lines:
            lines.append(DiffLine("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(DiffLine("same", line) for line in old_lines[i1:i2])
                continue
            if tag in {"replace", "delete"}:
                lines.extend(DiffLine("removed", line) for line in old_lines[i1:i2])
            if tag in {"replace", "insert"}:
                lines.extend(DiffLine("added", line) for line in new_lines[j1:j2])
    return lines


def diff_revisions(old, new) -> list[FieldDiff]:
    """What changed between two revisions (or a revision and the article), field by field."""
    result = []
    for field in ("title", "summary", "body"):
        before, after = getattr(old, field), getattr(new, field)
        result.append(FieldDiff(field, before != after, diff_text(before, after)))
    return result
