"""The platform's form rendering: optional marks only where a form asks for something, NL Design
System markup for selects and file inputs, never Django's "---------"."""

from __future__ import annotations

from django import forms

from accounts.models import User
from core.forms import PersonChoiceField, PlainSelect
from directory.models import Organisation


class Profile(forms.Form):
    name = forms.CharField(label="Naam")
    phone = forms.CharField(label="Telefoon", required=False)
    token = forms.CharField(widget=forms.HiddenInput)


class Search(forms.Form):
    q = forms.CharField(label="Zoeken", required=False)
    token = forms.CharField(widget=forms.HiddenInput)  # hidden: asks nothing of the person


class Attachment(forms.Form):
    file = forms.FileField(label="Bestand", required=False)
    note = forms.CharField(label="Toelichting")


def test_a_form_that_asks_for_something_marks_its_optional_fields():
    html = str(Profile())
    assert html.count('class="wijk-optional"') == 1
    assert 'Telefoon <span class="wijk-optional">' in html
    assert not Profile()["name"].marked_optional


def test_a_search_form_marks_nothing_optional():
    assert 'class="wijk-optional"' not in str(Search())
    assert not Search()["q"].marked_optional


def test_a_file_field_renders_the_styled_file_input():
    html = str(Attachment()["file"])
    assert 'type="file"' in html
    assert 'class="wijk-file-input"' in html


def test_a_plain_select_is_a_utrecht_select(db):
    Organisation.objects.create(name="Impuls", slug="impuls")

    class Filter(forms.Form):
        organisation = forms.ModelChoiceField(
            Organisation.objects.all(), required=False, empty_label="Alle", widget=PlainSelect()
        )

    html = str(Filter()["organisation"])
    assert 'class="utrecht-select utrecht-select--html-select"' in html
    assert '<option value="" selected>Alle</option>' in html
    assert "---------" not in html


def test_a_box_to_tick_is_never_marked_optional():
    class Login(forms.Form):
        login = forms.EmailField(label="E-mailadres")
        remember = forms.BooleanField(label="Onthouden", required=False)

    assert 'class="wijk-optional"' not in str(Login())


def test_a_search_form_with_a_required_query_marks_nothing_optional():
    from core.forms import SearchForm

    class Messages(SearchForm):
        q = forms.CharField(label="Zoeken")
        author = forms.CharField(label="Auteur", required=False)

    assert 'class="wijk-optional"' not in str(Messages())


def test_a_person_choice_shows_names_and_never_an_email_address():
    field = PersonChoiceField(queryset=User.objects.none())
    assert field.label_from_instance(User(display_name="Anna Smeets", email="a@example.nl")) == (
        "Anna Smeets"
    )
    assert "@" not in field.label_from_instance(User(display_name="", email="a@example.nl"))
