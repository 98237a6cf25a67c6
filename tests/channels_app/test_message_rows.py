"""``{% message_actions %}`` writes the controls under a message exactly as the template markup
it replaced (and as static/js/chat.js writes them for a live message)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import translation

# The controls as template markup, as the message template had them.
MARKUP = """{% load i18n rowurls %}<div class="wijk-message__actions">
{% if not in_thread and not message.parent_id %}<a class="utrecht-link utrecht-link--html-a" href="{% row_url 'channels_app:thread' message.channel_id message.pk %}">{% translate "Reply" %}</a>{% endif %}
{% if rights.can_post %}<form method="post" action="{% row_url 'channels_app:message_action' message.channel_id message.pk 'react' %}" class="wijk-inline-form">{% csrf_token %}<input type="hidden" name="emoji" value="👍"><button type="submit" class="utrecht-button utrecht-button--subtle" aria-label="{% translate 'React with thumbs up' %}">👍</button></form>{% endif %}
{% if message.author_id == user.pk or rights.can_moderate %}<form method="post" action="{% row_url 'channels_app:message_action' message.channel_id message.pk 'delete' %}" class="wijk-inline-form">{% csrf_token %}<button type="submit" class="utrecht-button utrecht-button--subtle">{% translate "Delete" %}</button></form>{% endif %}
{% if rights.can_moderate %}<form method="post" action="{% row_url 'channels_app:message_action' message.channel_id message.pk message.pinned_at|yesno:'unpin,pin' %}" class="wijk-inline-form">{% csrf_token %}<button type="submit" class="utrecht-button utrecht-button--subtle">{% if message.pinned_at %}{% translate "Unpin" %}{% else %}{% translate "Pin" %}{% endif %}</button></form>{% endif %}
{% if message.author_id != user.pk %}<a class="utrecht-link utrecht-link--html-a" href="{% row_url 'channels_app:report' message.channel_id message.pk %}">{% translate "Report" %}</a>{% endif %}
</div>"""  # noqa: E501


def _squeeze(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize("token", ["t0ken&", None, "NOTPROVIDED"])
@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("in_thread", [False, True])
@pytest.mark.parametrize("parent_id", [None, 7])
@pytest.mark.parametrize("pinned_at", [None, "2026-01-01"])
@pytest.mark.parametrize(
    ("author_id", "can_post", "can_moderate"),
    [(1, True, False), (2, True, False), (2, True, True), (2, False, False), (1, False, True)],
)
def test_the_tag_writes_the_markup_it_replaced(
    token, language, in_thread, parent_id, pinned_at, author_id, can_post, can_moderate
):
    message = SimpleNamespace(
        pk=41, channel_id=5, parent_id=parent_id, pinned_at=pinned_at, author_id=author_id
    )
    context = {
        "message": message,
        "in_thread": in_thread,
        "rights": SimpleNamespace(can_post=can_post, can_moderate=can_moderate),
        "user": SimpleNamespace(pk=1),
    }
    if token is not None:
        context["csrf_token"] = token
    tag = Template("{% load message_rows %}{% message_actions message in_thread %}")
    with translation.override(language):
        expected = _squeeze(Template(MARKUP).render(Context(context)))
        assert _squeeze(tag.render(Context(context))) == expected
    if token == "t0ken&" and (can_post or can_moderate or author_id == 1):
        assert 'value="t0ken&amp;"' in expected
    else:
        assert "csrfmiddlewaretoken" not in expected
