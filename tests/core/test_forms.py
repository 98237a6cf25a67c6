"""The platform's form rendering: optional marks only where a form asks for something, NL Design
System markup for selects and file inputs, never Django's "---------"."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.models import User
from core.forms import NamesField, PersonChoiceField, PlainSelect, add_errors
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


class Tags(forms.Form):
    tags = NamesField(most=3, longest=12, label="Tags")
    title = forms.CharField(label="Titel", required=False)


def test_names_are_tidied_and_a_repeat_counts_once():
    form = Tags({"tags": " armoede ,Mantel  zorg,, ARMOEDE, mantel zorg ,"})

    assert form.is_valid()
    assert form.cleaned_data["tags"] == ["armoede", "Mantel zorg"]
    assert Tags({"tags": ""}).is_valid() and Tags({}).is_valid()


def test_too_long_a_name_or_too_many_names_is_refused_with_the_limit():
    with translation.override("nl"):
        too_long = Tags({"tags": "armoede, eenzaamheid bij ouderen"})
        too_many = Tags({"tags": "a, b, c, d"})
        assert not too_long.is_valid() and not too_many.is_valid()
        assert too_long.errors["tags"] == ["Elke naam mag hoogstens 12 tekens lang zijn."]
        assert too_many.errors["tags"] == ["Noem er hoogstens 3."]


def test_a_form_may_say_what_its_names_are():
    field = NamesField(most=1, error_messages={"too_many": "Kies één thema."})
    try:
        field.clean("a, b")
    except ValidationError as error:
        assert error.messages == ["Kies één thema."]
    else:
        raise AssertionError("two names passed a field that takes one")


def test_a_services_refusal_lands_at_the_fields_it_names():
    form = Tags({"tags": "a", "title": "x"})
    assert form.is_valid()

    add_errors(form, ValidationError({"title": ["Bestaat al."], "owner": ["Niet actief."]}))

    assert form.errors["title"] == ["Bestaat al."]
    assert form.non_field_errors() == ["Niet actief."]  # the form has no field "owner"
    assert "owner" not in form.errors


def test_a_refusal_without_fields_lands_where_the_view_says_or_above_the_form():
    at_field, above = Tags({"tags": "a"}), Tags({"tags": "a"})
    assert at_field.is_valid() and above.is_valid()

    add_errors(at_field, ValidationError("Dat bestand is geen afbeelding."), "tags")
    add_errors(above, ValidationError("De kamer is gesloten."))

    assert at_field.errors["tags"] == ["Dat bestand is geen afbeelding."]
    assert above.non_field_errors() == ["De kamer is gesloten."]
