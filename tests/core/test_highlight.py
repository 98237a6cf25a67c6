"""Search snippets shown as the message shows them: Markdown rendered and sanitised, the words
found marked in the text and never inside a tag."""

from __future__ import annotations

from core.templatetags.highlight import rendered_snippet


def test_the_words_found_are_marked_in_the_rendered_text():
    html = rendered_snippet("Wie gaat naar de **[[[budgetcursus]]]**?")
    assert html == "<p>Wie gaat naar de <strong><mark>budgetcursus</mark></strong>?</p>\n"


def test_a_marker_inside_a_link_address_stays_out_of_the_tag():
    html = rendered_snippet("zie [de folder](https://wijk.example/[[[folder]]]) en [[[folder]]]")
    assert 'href="https://wijk.example/%5B%5B%5Bfolder%5D%5D%5D"' in html
    assert html.count("<mark>") == 1 and "en <mark>folder</mark>" in html


def test_what_a_message_may_not_carry_is_removed_first():
    html = rendered_snippet("<script>alert(1)</script><img src=x onerror=alert(1)> [[[hallo]]]")
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html  # shown as the text it was
    assert "<mark>hallo</mark>" in html
