"""The browser tests' shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page

from accounts.models import User
from channels_app import services
from channels_app.models import Channel
from tests.e2e import BROWSER_TIME_ZONE, session_cookie
from tests.factories import ProfessionalFactory, UserFactory


@dataclass
class Workspace:
    anna: User
    bert: User
    gezond: Channel
    schulden: Channel
    direct: Channel
    server: str

    def url(self, channel: Channel) -> str:
        return f"{self.server}/channels/{channel.pk}/"


@pytest.fixture
def workspace(transactional_db, live_asgi_server) -> Workspace:
    anna = ProfessionalFactory(user=UserFactory(display_name="Anna Huisarts")).user
    bert = ProfessionalFactory(user=UserFactory(display_name="Bert Schuldhulp")).user
    gezond = services.create_channel(by=anna, kind="closed", name="Samen Heerlen Gezond")
    services.decide(services.invite(gezond, by=anna, user=bert), by=bert, accept=True)
    schulden = services.create_channel(by=bert, kind="open", name="Geldzorgen Hoensbroek")
    services.join(schulden, anna)
    direct = services.direct_channel(by=bert, others=[anna])
    return Workspace(anna, bert, gezond, schulden, direct, f"http://{live_asgi_server}")


@pytest.fixture
def pages(workspace, browser_page) -> Iterator[tuple[Page, Page]]:
    """Anna on a desktop, Bert on another desktop, each in their own browser context."""
    browser_page.context.add_cookies([session_cookie(workspace.anna, workspace.server)])
    other = browser_page.context.browser.new_context(
        viewport={"width": 1280, "height": 900}, timezone_id=BROWSER_TIME_ZONE
    )
    other.add_cookies([session_cookie(workspace.bert, workspace.server)])
    try:
        yield browser_page, other.new_page()
    finally:
        other.close()
