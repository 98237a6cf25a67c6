"""The one place where user-written text becomes HTML.

Markdown is rendered by markdown-it-py with raw HTML switched off, then cleaned by bleach
against an allow-list, so whatever a user types (profiles, messages, articles, comments,
case notes) can never carry script, event handlers, frames or dangerous URLs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import bleach
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

#: Element sets from small to large; each call site picks the smallest that serves it.
INLINE_TAGS = frozenset({"a", "strong", "em", "code", "del", "br"})
BASIC_TAGS = INLINE_TAGS | {"p", "ul", "ol", "li", "blockquote", "pre"}
RICH_TAGS = BASIC_TAGS | {
    "h2", "h3", "h4", "hr", "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
#: Knowledge-base articles: headings, lists, tables, quotes, code and their own images.
ARTICLE_TAGS = RICH_TAGS
#: Comments under articles: the basic set, no headings, tables or images.
COMMENT_TAGS = BASIC_TAGS

SAFE_PROTOCOLS = frozenset({"http", "https", "mailto", "tel"})

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable(["table", "strikethrough"])
_markdown.disable(["image"])
_rich_markdown = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
# Chat messages keep the line breaks people type.
_chat_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True})
_chat_markdown.enable(["strikethrough"]).disable(["image", "table", "heading", "lheading"])


def _link_attributes(
    attrs: dict[tuple[str | None, str], str], new: bool = False
) -> dict[tuple[str | None, str], str] | None:
    href = attrs.get((None, "href"), "")
    if href.startswith(("http://", "https://")):
        attrs[(None, "rel")] = "noopener noreferrer nofollow"
    return attrs


def clean_html(
    html: str,
    *,
    tags: Iterable[str] = BASIC_TAGS,
    image_allowed: Callable[[str], bool] | None = None,
    linkify: bool = True,
) -> SafeString:
    """Clean ``html`` against the allow-list; images only where ``image_allowed(src)`` says so."""

    def allow_attribute(tag: str, name: str, value: str) -> bool:
        if tag == "a":
            return name in {"href", "title"}
        if tag == "img":
            if name == "src":
                return image_allowed is not None and image_allowed(value)
            return name in {"alt", "title"}
        if tag in {"th", "td"}:
            return name == "align" and value in {"left", "center", "right"}
        return False

    cleaner = bleach.Cleaner(
        tags=set(tags),
        attributes=allow_attribute,
        protocols=set(SAFE_PROTOCOLS),
        strip=True,
        strip_comments=True,
    )
    cleaned = cleaner.clean(html)
    if linkify and "a" in tags:
        cleaned = bleach.linkify(
            cleaned, callbacks=[_link_attributes], skip_tags={"pre", "code"}, parse_email=False
        )
    return mark_safe(str(cleaned))  # noqa: S308 - cleaned against the allow-list above


def render_markdown(
    text: str,
    *,
    tags: Iterable[str] = BASIC_TAGS,
    image_allowed: Callable[[str], bool] | None = None,
    chat: bool = False,
) -> SafeString:
    """Render Markdown written by a user to safe HTML (``chat``: keep single line breaks)."""
    if chat:
        engine = _chat_markdown
    elif image_allowed is not None:
        engine = _rich_markdown
    else:
        engine = _markdown
    return clean_html(engine.render(text or ""), tags=tags, image_allowed=image_allowed)
