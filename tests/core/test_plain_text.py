"""Markdown as plain text (core.rendering.markdown_to_text), for calendar files and e-mails."""

from __future__ import annotations

from core.rendering import markdown_to_text


def test_markup_goes_and_the_text_stays():
    assert markdown_to_text("Een **leersessie** over _privacy_ & `code`") == (
        "Een leersessie over privacy & code"
    )


def test_paragraphs_stay_apart_and_headings_become_lines():
    text = "## Programma\n\nWe oefenen.\nIn tweetallen.\n\nDaarna koffie."
    assert markdown_to_text(text) == "Programma\n\nWe oefenen.\nIn tweetallen.\n\nDaarna koffie."


def test_lists_keep_their_markers():
    text = "Neem mee:\n\n- je casus\n- een pen\n  - of laptop\n\n1. eerst\n2. dan"
    assert markdown_to_text(text) == (
        "Neem mee:\n\n- je casus\n- een pen\n  - of laptop\n\n1. eerst\n2. dan"
    )


def test_a_link_keeps_its_address_and_an_unsafe_one_only_its_text():
    assert markdown_to_text("Lees [de AVG](https://autoriteitpersoonsgegevens.nl).") == (
        "Lees de AVG (https://autoriteitpersoonsgegevens.nl)."
    )
    assert markdown_to_text("<https://x.example>") == "https://x.example"
    assert markdown_to_text("[bestand](ftp://x.example/a)") == "bestand"
    assert markdown_to_text("[artikel](/knowledge/articles/3/)") == "artikel"


def test_html_stays_text_and_quotes_and_tables_read_as_lines():
    assert markdown_to_text("<b>vet</b>") == "<b>vet</b>"
    assert markdown_to_text("> citaat\n> regel") == "> citaat\n> regel"
    assert markdown_to_text("| a | b |\n|---|---|\n| 1 | 2 |") == "a | b\n1 | 2"
    assert markdown_to_text("") == ""
