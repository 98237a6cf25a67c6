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
from markdown_it.token import Token

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


def markdown_to_text(text: str) -> str:
    """Markdown a person wrote as readable plain text, for where no HTML is shown (calendar
    files, e-mails): the markup goes, paragraphs stay apart, list items keep a marker and a link
    its address after its text."""
    lines: list[str] = []
    lists: list[list[int] | None] = []  # per open list: [next number], or None for bullets
    marker = ""
    quote = 0
    row: list[str] | None = None

    def indent() -> str:
        return "> " * quote + "  " * max(len(lists) - 1, 0)

    def end_block() -> None:
        if lines and lines[-1] != "":
            lines.append("")

    for token in _markdown.parse(text or ""):
        kind = token.type
        if kind == "inline":
            content = _inline_text(token.children or [])
            if row is not None:
                row.append(" ".join(content.split()))
                continue
            first, *rest = content.split("\n") or [""]
            lines.append(f"{indent()}{marker}{first}")
            lines.extend(f"{indent()}{' ' * len(marker)}{line}" for line in rest)
            marker = ""
        elif kind in {"bullet_list_open", "ordered_list_open"}:
            if not lists:
                end_block()
            start = token.attrGet("start")
            lists.append(None if kind == "bullet_list_open" else [int(start or 1)])
        elif kind in {"bullet_list_close", "ordered_list_close"}:
            lists.pop()
            if not lists:
                end_block()
        elif kind == "list_item_open":
            numbers = lists[-1]
            marker = "- " if numbers is None else f"{numbers[0]}. "
            if numbers is not None:
                numbers[0] += 1
        elif kind in {"fence", "code_block"}:
            lines.extend(f"{indent()}{line}" for line in token.content.rstrip("\n").split("\n"))
            end_block()
        elif kind == "blockquote_open":
            quote += 1
        elif kind == "blockquote_close":
            quote -= 1
        elif kind == "hr":
            lines.append(f"{indent()}———")
            end_block()
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            lines.append(f"{indent()}{' | '.join(row)}")
            row = None
        elif kind in {"paragraph_close", "heading_close", "table_close"} and not token.hidden:
            end_block()
    return "\n".join(lines).strip()


def _inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    links: list[tuple[str, int]] = []  # (address, where its text starts in parts)
    for child in children:
        if child.type in {"text", "code_inline", "html_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append("\n")
        elif child.type == "link_open":
            links.append((str(child.attrGet("href") or ""), len(parts)))
        elif child.type == "link_close" and links:
            href, start = links.pop()
            label = "".join(parts[start:])
            scheme = href.partition(":")[0].lower() if ":" in href else ""
            # Only addresses one can open from a calendar; the text is all a relative link leaves.
            if scheme in SAFE_PROTOCOLS and href not in {label, f"mailto:{label}"}:
                parts.append(f" ({href})")
    return "".join(parts)
