from __future__ import annotations

from http import HTTPStatus
from io import StringIO
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from accounts.roles import Role
from directory.importer import COLUMNS, import_professionals, template_csv
from directory.models import (
    Discipline,
    Domain,
    ExpertiseTag,
    Language,
    Membership,
    Neighbourhood,
    Organisation,
    Professional,
)
from directory.search import DirectorySearchForm, search
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def found_by(text: str) -> set[str]:
    """The e-mail addresses of those the directory search finds for ``text``."""
    form = DirectorySearchForm({"q": text})
    assert form.is_valid(), form.errors
    return {p.user.email for p in search(form.cleaned_data, None).page.object_list}


ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
email,name,job_title,organisation,role,disciplines,neighbourhoods,expertise,languages,phone,big_number,agb_code
anouk.aerts@wijk.example,Anouk Aerts,Huisarts,hp-kasteelpark,admin,huisarts,hoensbroek,"diabetes, ouderenzorg","nl, en",045 000 1101,12345678901,01234567
bram.bongers@wijk.example,Bram Bongers,Welzijnswerker,Welzijn Samen Hoensbroek,,Welzijnswerker|wijkverpleegkundige,"Hoensbroek, heerlen-noord",Diabetes,Nederlands,,,
"""  # noqa: E501

# Dutch Excel: semicolons, Windows-1252, Dutch column names, a new organisation.
DUTCH = """\
E-mail;Naam;Functie;Organisatie;Discipline;Wijken;Talen;Telefoon;BIG;Soort organisatie
anais.kessels@wijk.example;Anaïs Kessels;Wijkcoach;Coöperatie Wijkkracht;welzijnswerker;Hoensbroek;Arabisch, nl;045 000 2202;;Welzijnsorganisatie
joel.frissen@wijk.example;Joël Frissen;Huisarts;hp-kasteelpark;Huisarts;Heerlen Noord;;;123 456 789 01;
"""  # noqa: E501

BAD = """\
email,name,organisation,disciplines,big_number
goed@wijk.example,Goed Genoeg,hp-kasteelpark,huisarts,12345678901
geen-adres,Fout Adres,hp-kasteelpark,huisarts,
onbekend@wijk.example,Onbekende Discipline,hp-kasteelpark,tovenaar,
kort@wijk.example,Korte Big,hp-kasteelpark,huisarts,1234567890
GOED@wijk.example,Dubbel Adres,hp-kasteelpark,huisarts,
"""


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def reference_data(db):
    hoensbroek = Neighbourhood.objects.create(
        slug="hoensbroek", name="Hoensbroek", municipality="Heerlen"
    )
    Neighbourhood.objects.create(slug="heerlen-noord", name="Heerlen Noord", municipality="Heerlen")
    for slug, name, domain in [
        ("huisarts", "Huisarts", Domain.MEDICAL),
        ("wijkverpleegkundige", "Wijkverpleegkundige", Domain.MEDICAL),
        ("welzijnswerker", "Welzijnswerker", Domain.SOCIAL),
    ]:
        Discipline.objects.create(slug=slug, name=name, domain=domain)
    for code, name in [("nl", "Nederlands"), ("en", "Engels"), ("ar", "Arabisch")]:
        Language.objects.create(code=code, name=name)
    for slug, name in [
        ("hp-kasteelpark", "Huisartsenpraktijk Kasteelpark"),
        ("welzijn-samen", "Welzijn Samen Hoensbroek"),
    ]:
        Organisation.objects.create(slug=slug, name=name, verified=True).neighbourhoods.add(
            hoensbroek
        )


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "import.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import_directory", str(path), "--no-progress", *args, stdout=out, stderr=out)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return (
        User.objects.count(),
        Professional.objects.count(),
        Membership.objects.count(),
        Organisation.objects.count(),
        ExpertiseTag.objects.count(),
    )


def test_it_imports_a_utf8_comma_file(reference_data, tmp_path):
    output = run(write(tmp_path, GOOD))
    assert "2 professional(s) imported: 2 created, 0 updated, 0 unchanged" in output
    assert "2 new account(s) have no password yet" in output

    anouk = Professional.objects.get(user__email="anouk.aerts@wijk.example")
    assert anouk.user.display_name == "Anouk Aerts"
    assert not anouk.user.has_usable_password()
    assert anouk.user.has_role(Role.PROFESSIONAL)
    assert EmailAddress.objects.filter(
        user=anouk.user, email=anouk.user.email, verified=True, primary=True
    ).exists()
    assert anouk.job_title == "Huisarts"
    assert (anouk.phone, anouk.big_number, anouk.agb_code) == (
        "045 000 1101",
        "12345678901",
        "01234567",
    )
    assert {lang.code for lang in anouk.languages.all()} == {"nl", "en"}
    assert {t.slug for t in anouk.expertise.all()} == {"diabetes", "ouderenzorg"}
    membership = anouk.memberships.get()
    assert (membership.organisation.slug, membership.role, membership.verified) == (
        "hp-kasteelpark",
        Membership.Role.ADMIN,
        True,
    )

    bram = Professional.objects.get(user__email="bram.bongers@wijk.example")
    assert {d.slug for d in bram.disciplines.all()} == {"welzijnswerker", "wijkverpleegkundige"}
    assert {n.slug for n in bram.neighbourhoods.all()} == {"hoensbroek", "heerlen-noord"}
    # "Diabetes" is the tag the first row created, not a second one
    assert [t.slug for t in bram.expertise.all()] == ["diabetes"]
    assert bram.memberships.get().role == Membership.Role.MEMBER


def test_imported_professionals_are_verified_and_findable(reference_data, tmp_path):
    run(write(tmp_path, GOOD))
    verified = Professional.objects.filter(verified=True)
    assert {p.user.email for p in verified} == {
        "anouk.aerts@wijk.example",
        "bram.bongers@wijk.example",
    }
    for professional in verified:
        assert professional.user.email in found_by(professional.user.display_name)
    assert "anouk.aerts@wijk.example" in found_by("huisartsenpraktijk kasteelpark")


def test_it_imports_a_dutch_excel_file(reference_data, tmp_path):
    output = run(write(tmp_path, DUTCH, encoding="cp1252"))
    assert "2 created" in output
    assert "New organisations (not yet verified): Coöperatie Wijkkracht" in output

    anais = Professional.objects.get(user__email="anais.kessels@wijk.example")
    assert anais.user.display_name == "Anaïs Kessels"
    assert anais.search_name == "Anaïs Kessels"
    assert found_by("anaïs kessels") == {"anais.kessels@wijk.example"}
    assert anais.verified
    organisation = anais.memberships.get().organisation
    assert (organisation.name, organisation.slug, organisation.kind, organisation.verified) == (
        "Coöperatie Wijkkracht",
        "cooperatie-wijkkracht",
        "Welzijnsorganisatie",
        False,
    )
    assert {lang.code for lang in anais.languages.all()} == {"ar", "nl"}

    joel = Professional.objects.get(user__email="joel.frissen@wijk.example")
    assert joel.user.display_name == "Joël Frissen"
    assert joel.big_number == "12345678901"
    assert [n.slug for n in joel.neighbourhoods.all()] == ["heerlen-noord"]


def test_it_reads_utf8_with_a_byte_order_mark_and_semicolons(reference_data, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + DUTCH.encode("utf-8"))
    assert "2 created" in run(path)
    assert User.objects.filter(display_name="Anaïs Kessels").exists()


def test_it_rejects_a_bad_file_whole_and_lists_every_error(reference_data, tmp_path):
    before = counts()
    with pytest.raises(CommandError) as raised:
        run(write(tmp_path, BAD))
    assert str(raised.value) == "The file has 4 error(s); nothing was imported."
    assert counts() == before

    report = import_professionals(write(tmp_path, BAD).read_bytes())
    found = {(e.row, e.column) for e in report.errors}
    assert found == {(3, "email"), (4, "disciplines"), (5, "big_number"), (6, "email")}
    messages = {(e.row): e.message for e in report.errors}
    assert messages[3] == "Enter a valid email address."
    assert "tovenaar" in messages[4]
    assert messages[5] == "A BIG number has 11 digits."
    assert messages[6] == "This e-mail address is also in row 2."


def test_the_command_prints_the_errors_as_a_table(reference_data, tmp_path):
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import_directory", str(write(tmp_path, BAD)), "--no-progress", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["Row", "Column", "Problem"]
    assert lines[1].split(None, 2) == ["3", "email", "Enter a valid email address."]
    assert lines[3].split(None, 2) == ["5", "big_number", "A BIG number has 11 digits."]


def test_it_names_the_missing_required_columns(reference_data, tmp_path):
    with pytest.raises(CommandError, match="nothing was imported"):
        out = StringIO()
        call_command(
            "import_directory",
            str(write(tmp_path, "naam,functie\nAnouk Aerts,Huisarts\n")),
            "--no-progress",
            stdout=out,
        )
    assert "Required column(s) missing: email, organisation." in out.getvalue()


@pytest.mark.parametrize("content", [b"", b"  \r\n", b"\xef\xbb\xbf"])
def test_it_refuses_an_empty_file(reference_data, tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    report = import_professionals(path.read_bytes())
    assert [(e.row, e.message) for e in report.errors] == [(None, "The file is empty.")]
    with pytest.raises(CommandError, match="1 error"):
        run(path)


def test_it_refuses_a_file_with_only_a_header(reference_data):
    report = import_professionals(b"email,name,organisation\n")
    assert [e.message for e in report.errors] == [
        "The file has column names but no rows to import."
    ]


def test_it_refuses_duplicate_and_unknown_columns(reference_data):
    report = import_professionals(
        b"email,e-mail,naam,organisatie,opmerkingen\na@wijk.example,a@wijk.example,A,x,y\n"
    )
    assert [(e.row, e.column) for e in report.errors] == [(1, "e-mail"), (1, "opmerkingen")]
    assert "appears twice" in report.errors[0].message


def test_it_refuses_undecodable_bytes_and_workbooks(reference_data):
    # 0x81 is neither UTF-8 nor Windows-1252
    report = import_professionals(b"email,name,organisation\n\x81,b,c\n")
    assert report.errors[0].message.startswith("The file is not readable text.")
    report = import_professionals(b"PK\x03\x04 zipped workbook")
    assert "Excel workbook" in report.errors[0].message


def test_an_unknown_organisation_is_an_error_unless_its_kind_is_given(reference_data):
    report = import_professionals(b"email,name,organisation\na@wijk.example,Anna,Nieuwe Praktijk\n")
    assert [(e.row, e.column) for e in report.errors] == [(2, "organisation")]
    assert "organisation_kind" in report.errors[0].message
    assert not Organisation.objects.filter(name="Nieuwe Praktijk").exists()


def test_a_dry_run_writes_nothing(reference_data, tmp_path):
    before = counts()
    output = run(write(tmp_path, DUTCH, encoding="cp1252"), "--dry-run")
    assert "Dry run, nothing was saved. 2 professional(s) checked: 2 would be created" in output
    assert "1 new organisation(s)" in output
    assert counts() == before


def test_it_shows_a_progress_bar_on_stderr(reference_data, tmp_path, capsys):
    call_command("import_directory", str(write(tmp_path, GOOD)), stdout=StringIO())
    assert "2/2" in capsys.readouterr().err


def test_importing_twice_changes_nothing_the_second_time(reference_data, tmp_path):
    path = write(tmp_path, GOOD)
    run(path)
    snapshot = counts()
    stamps = list(Professional.objects.order_by("pk").values_list("updated_at", flat=True))

    output = run(path)
    assert "0 created, 0 updated, 2 unchanged" in output
    assert "no password" not in output
    assert counts() == snapshot
    assert list(Professional.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps


def test_it_updates_existing_people_and_leaves_empty_cells_alone(reference_data, tmp_path):
    existing = UserFactory(email="anouk.aerts@wijk.example", display_name="A. Aerts")
    professional = Professional.objects.create(user=existing, bio="Mijn eigen tekst.")
    membership = Membership.objects.create(
        professional=professional,
        organisation=Organisation.objects.get(slug="hp-kasteelpark"),
        role=Membership.Role.MEMBER,
    )
    output = run(write(tmp_path, GOOD.replace("anouk.aerts@", "Anouk.Aerts@")))
    assert "1 created, 1 updated, 0 unchanged" in output
    professional.refresh_from_db()
    existing.refresh_from_db()
    assert existing.display_name == "Anouk Aerts"
    assert existing.has_usable_password()
    assert professional.bio == "Mijn eigen tekst."
    assert professional.verified
    membership.refresh_from_db()
    assert (membership.verified, membership.role) == (True, Membership.Role.ADMIN)


def test_the_documented_template_matches_the_importer(reference_data):
    assert (ROOT / "docs" / "import-template.csv").read_text(encoding="utf-8") == template_csv()
    documentation = (ROOT / "docs" / "IMPORT.md").read_text(encoding="utf-8")
    for column in COLUMNS:
        assert f"`{column.name}`" in documentation


def test_the_template_imports_into_the_demo_data(db):
    from demo.directory import seed

    seed()
    report = import_professionals(template_csv().encode(), dry_run=True)
    assert report.errors == []
    assert (report.created, report.organisations_created) == (2, ["Coöperatie Wijkkracht"])


# --- admin upload ---------------------------------------------------------------------------

IMPORT_URL = "admin:directory_professional_import"


@pytest.fixture
def platform_admin(reference_data):
    return UserFactory(roles=[Role.PLATFORM_ADMIN], is_staff=True, is_superuser=True)


def sign_in(client, user) -> None:
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def upload(client, text: str, **data):
    csv_file = SimpleUploadedFile("import.csv", text.encode(), content_type="text/csv")
    return client.post(reverse(IMPORT_URL), {"file": csv_file, **data}, follow=True)


def test_the_changelist_links_to_the_import(client, platform_admin):
    sign_in(client, platform_admin)
    response = client.get(reverse("admin:directory_professional_changelist"))
    assert reverse(IMPORT_URL).encode() in response.content


def test_a_platform_admin_imports_a_good_file(client, platform_admin):
    sign_in(client, platform_admin)
    assert client.get(reverse(IMPORT_URL)).status_code == HTTPStatus.OK
    response = upload(client, GOOD)
    assert response.redirect_chain[-1][0] == reverse("admin:directory_professional_changelist")
    page = response.content.decode()
    assert "2 professional(s) imported: 2 created" in page
    assert "2 new account(s) have no password yet" in page
    membership = Membership.objects.get(professional__user__email="anouk.aerts@wijk.example")
    assert membership.verified_by == platform_admin


def test_a_bad_upload_shows_the_report_and_creates_nothing(client, platform_admin):
    sign_in(client, platform_admin)
    before = counts()
    response = upload(client, BAD)
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "The file has 4 error(s); nothing was imported." in page
    assert "Enter a valid email address." in page
    assert "This e-mail address is also in row 2." in page
    assert counts() == before


def test_a_dry_run_upload_saves_nothing(client, platform_admin):
    sign_in(client, platform_admin)
    before = counts()
    response = upload(client, GOOD, dry_run="on")
    assert "Dry run, nothing was saved." in response.content.decode()
    assert counts() == before


def test_an_upload_over_five_megabytes_is_refused(client, platform_admin):
    sign_in(client, platform_admin)
    before = counts()
    response = upload(client, GOOD + "x" * (5 * 1024 * 1024))
    assert "The file may be at most 5 MB." in response.content.decode()
    assert counts() == before


def test_the_template_can_be_downloaded(client, platform_admin):
    sign_in(client, platform_admin)
    response = client.get(reverse("admin:directory_professional_import_template"))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/csv")
    # with a byte order mark and semicolons, Dutch Excel opens it in columns with accents intact
    assert response.content.startswith(b"\xef\xbb\xbfemail;name;")


def test_outsiders_cannot_import(client, reference_data, tmp_path):
    ordinary = UserFactory()
    client.force_login(ordinary)
    response = client.get(reverse(IMPORT_URL))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("admin:login"))
    upload(client, GOOD)
    assert counts()[1] == 0

    # staff without the platform-admin role may use the admin, but not this page
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(reverse(IMPORT_URL)).status_code == HTTPStatus.FORBIDDEN
    csv_file = SimpleUploadedFile("import.csv", GOOD.encode(), content_type="text/csv")
    assert client.post(reverse(IMPORT_URL), {"file": csv_file}).status_code == HTTPStatus.FORBIDDEN
    assert counts()[1] == 0
