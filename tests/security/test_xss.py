"""Every field that shows user content, filled with the XSS corpus, opened in real Chromium.

Two checks per page: no dialog opens (nothing ran), and the DOM holds no script, event
handler, dangerous URL or embedding element that came from content — the second because the
Content-Security-Policy would otherwise hide a sanitiser that lets something through.
"""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from channels_app import services
from channels_app.models import Attachment, Channel, Notification
from tests.factories import OrganisationFactory, ProfessionalFactory, UserFactory
from tests.security.xss_corpus import PAYLOADS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOM_CHECK = r"""
() => {
  const main = document.querySelector("main") || document.body;
  const urlAttributes = ["href", "src", "action", "formaction", "xlink:href", "data",
                         "background", "poster", "srcdoc", "lowsrc", "dynsrc"];
  const found = [];
  const describe = (el) => el.outerHTML.slice(0, 120);
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toUpperCase();
    if (tag === "SCRIPT" && !(el.getAttribute("src") || "").startsWith("/static/")) {
      found.push("script: " + describe(el));
    }
    if (main.contains(el) && ["IFRAME", "FRAME", "FRAMESET", "OBJECT", "EMBED", "BASE",
        "META", "LINK", "STYLE", "TEMPLATE", "NOSCRIPT", "SVG", "MATH"].includes(tag)) {
      // the platform's own: charts and icons, and the room's templates for a message being
      // sent and for editing one (beside the list, never in it)
      const chart = tag === "SVG" && el.closest(".wijk-chart, [aria-hidden=true]");
      const ownTemplate =
        tag === "TEMPLATE" &&
        el.matches(".wijk-room__messages > :is([data-pending-row], [data-edit-form])");
      if (!chart && !ownTemplate) {
        found.push("element: " + describe(el));
      }
    }
    for (const attribute of el.attributes) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value.replace(/[\u0000-\u0020]/g, "").toLowerCase();
      if (name.startsWith("on")) found.push("handler: " + describe(el));
      if (urlAttributes.includes(name) && /^(javascript|vbscript|data):/.test(value)) {
        found.push("url: " + describe(el));
      }
      // the platform's own sizes, set by its scripts through the CSSOM (the room's message box
      // above a phone's keyboard): only --wijk-* custom properties with a length in px
      const ownSizes = Array.from(el.style).every(
        (property) => property.startsWith("--wijk-") &&
          /^\d+(\.\d+)?px$/.test(el.style.getPropertyValue(property).trim()));
      if (name === "style" && main.contains(el) && !ownSizes) {
        found.push("style: " + describe(el));
      }
    }
  }
  return found;
}
"""


@pytest.fixture
def content(settings):
    """The corpus in messages, threads, file names, profiles, organisations and channels."""
    settings.MESSAGE_RATE_LIMIT = (100_000, 10)
    corpus = "\n\n".join(PAYLOADS)
    organisation = OrganisationFactory(
        name="Welzijn <script>alert(1)</script>", slug="welzijn-xss", description=corpus
    )
    viewer = ProfessionalFactory(
        user=UserFactory(display_name="Vera Veilig"), organisation=organisation
    ).user
    authors = [
        ProfessionalFactory(
            user=UserFactory(display_name=payload[:150], email=f"xss{index}@wijk.example"),
            job_title=payload[:150],
            availability=payload[:200],
            bio=corpus,
            organisation=organisation,
        ).user
        for index, payload in enumerate(PAYLOADS[:12])
    ]
    channel = services.create_channel(
        by=viewer,
        kind=Channel.Kind.CLOSED,
        name="XSS <img src=x onerror=alert(1)>"[:80],
        description=corpus[:1000],
        topic=PAYLOADS[2][:250],
    )
    for author in authors:
        services._add_member(channel, author)
    messages = [
        services.post_message(channel.pk, author=authors[i % len(authors)], body=payload)[0]
        for i, payload in enumerate(PAYLOADS)
    ]
    root = messages[0]
    for payload in PAYLOADS[:20]:
        services.post_message(channel.pk, author=authors[1], body=payload, parent_id=root.pk)
    for index, payload in enumerate(PAYLOADS[:10]):
        Attachment.objects.create(
            channel=channel,
            message=messages[-1],
            uploader=authors[0],
            file=f"attachments/{uuid.uuid4()}.pdf",
            name=payload[:150],
            content_type="application/pdf",
            size=100 + index,
        )
    for author in authors[:5]:
        Notification.objects.create(
            user=viewer, kind=Notification.Kind.MENTION, channel=channel, message=root,
            actor=author,
        )  # fmt: skip
    return {
        "viewer": viewer,
        "channel": channel,
        "root": root,
        "author": authors[3],
        "organisation": organisation,
    }


def test_no_payload_runs_anywhere_user_content_is_shown(live_asgi_server, browser_page, content):
    client = Client()
    client.force_login(content["viewer"])
    server = f"http://{live_asgi_server}"
    page = browser_page
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server}]
    )
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    channel, root = content["channel"], content["root"]
    pages = [
        reverse("channels_app:channel", args=[channel.pk]),
        reverse("channels_app:thread", args=[channel.pk, root.pk]),
        reverse("channels_app:members", args=[channel.pk]),
        reverse("channels_app:index"),
        reverse("channels_app:notifications"),
        reverse("channels_app:search") + "?q=alert",
        reverse("channels_app:search") + "?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        reverse("directory:index") + "?q=alert",
        reverse("directory:index") + "?q=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E",
        reverse("directory:professional", args=[content["author"].professional.pk]),
        reverse("directory:organisation", args=[content["organisation"].slug]),
        reverse("directory:organisation_members", args=[content["organisation"].slug]),
    ]
    problems = {}
    for path in pages:
        response = page.goto(server + path)
        assert response.status in (200, 404), path
        page.wait_for_load_state("networkidle")
        page.mouse.move(200, 300)  # hover handlers
        page.keyboard.press("Tab")  # focus handlers
        found = page.evaluate(DOM_CHECK)
        if found:
            problems[path] = found
    assert dialogs == []
    assert problems == {}
