"""Full-text search over title, summary, body and attachment text, with theme and tag filters."""

from __future__ import annotations

import pytest

from knowledge.models import Theme
from tests.knowledge.fixtures import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(trainer):
    schulden = Theme.objects.get(slug="schulden-en-armoede")
    leefstijl = Theme.objects.get(slug="leefstijl")
    return {
        "title": publish(trainer, title="Schuldhulpverlening in de wijk", summary="Over geld.",
                         body="Tekst.", themes=[schulden], tag_names=["geld"]),
        "body": publish(trainer, title="Bewegen", summary="Over sport.",
                        body="Veel mensen met schulden bewegen minder.", themes=[leefstijl],
                        tag_names=["sport"]),
        "other": publish(trainer, title="Slapen", summary="Over rust.", body="Slaap goed.",
                         themes=[leefstijl], tag_names=[]),
    }  # fmt: skip


def _titles(client, query):
    return [a.title for a in client.get(f"/knowledge/{query}").context["page"].object_list]


def test_it_filters_by_theme_and_tag(client, colleague, articles):
    client.force_login(colleague)
    assert _titles(client, "?theme=schulden-en-armoede") == ["Schuldhulpverlening in de wijk"]
    assert sorted(_titles(client, "?theme=leefstijl")) == ["Bewegen", "Slapen"]
    assert _titles(client, "?tag=sport") == ["Bewegen"]
    assert client.get("/knowledge/?theme=bestaat-niet").status_code == 400


def test_the_filter_lists_offer_every_theme_and_tag_and_keep_the_choice(
    client, colleague, articles
):
    client.force_login(colleague)
    page = client.get("/knowledge/?theme=leefstijl&tag=sport").content.decode()
    assert (
        '<select class="utrecht-select utrecht-select--html-select" id="id_theme" name="theme">'
        in page
    )
    assert '<option value="leefstijl" selected>Leefstijl</option>' in page
    assert '<option value="schulden-en-armoede">Schulden en armoede</option>' in page
    assert '<option value="sport" selected>sport</option>' in page
    assert '<option value="geld">geld</option>' in page
    assert '<option value="">Alle tags</option>' in page


@pytest.mark.parametrize("query", ["", "q=schuld&", "theme=leefstijl&"])
def test_a_page_number_beyond_any_offset_gives_the_first_page(client, colleague, articles, query):
    client.force_login(colleague)
    for number in ["99999999999999999999", str(2**63 // 20), "9" * 5000]:
        response = client.get(f"/knowledge/?{query}page={number}")
        assert response.status_code == 200
        assert response.context["page"].number == 1
        assert response.context["page"].object_list


def test_it_ranks_title_matches_first_with_dutch_stemming(client, colleague, articles):
    client.force_login(colleague)
    # "schuld" matches "schulden" (Dutch stemming) and "Schuldhulpverlening" (prefix)
    assert _titles(client, "?q=schuld") == ["Schuldhulpverlening in de wijk", "Bewegen"]
    assert _titles(client, "?q=schuld&theme=leefstijl") == ["Bewegen"]


def test_it_highlights_snippets_and_escapes_them(client, trainer, colleague):
    publish(trainer, title="Veilig", summary="Samenvatting",
            body="Let op <b>vet</b> en [[[nep]]] markeringen bij mantelzorgers.")  # fmt: skip
    client.force_login(colleague)
    page = client.get("/knowledge/?q=mantelzorgers").content.decode()
    assert "<mark>mantelzorgers</mark>" in page
    assert "<b>" not in page  # the database drops the tags, the template escapes the rest
    assert "<mark>nep" not in page
