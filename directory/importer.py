"""Import professionals from a CSV file: read, validate every row, then apply all or nothing.

The file format is documented in docs/IMPORT.md. The management command ``import_directory``
and the admin's "Import CSV" page both call ``import_professionals``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from directory.models import (
    Discipline,
    ExpertiseTag,
    Language,
    Membership,
    Neighbourhood,
    Organisation,
    Professional,
)
from directory.services import profile_for, refresh_verified, search_refresh_batch

DELIMITERS = ",;\t"
# Excel workbooks (.xlsx is a zip file, .xls an OLE container) rather than CSV text.
WORKBOOK_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


@dataclass(frozen=True)
class Column:
    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("email", ("e_mail", "emailadres", "e_mailadres", "e_mail_adres", "mail"), required=True),
    Column("name", ("naam", "volledige_naam"), required=True),
    Column("job_title", ("functie", "functietitel")),
    Column("organisation", ("organisatie", "organization"), required=True),
    Column("role", ("rol",)),
    Column("disciplines", ("discipline", "beroep")),
    Column("neighbourhoods", ("neighbourhood", "wijk", "wijken")),
    Column("expertise", ("expertises", "deskundigheid")),
    Column("languages", ("language", "taal", "talen")),
    Column("phone", ("telefoon", "telefoonnummer")),
    Column("big_number", ("big", "big_nummer", "bignummer")),
    Column("agb_code", ("agb", "agbcode")),
    Column("availability", ("beschikbaarheid", "bereikbaarheid")),
    Column("bio", ("over_mij",)),
    Column("organisation_kind", ("organisation_type", "organisatie_type", "soort_organisatie")),
    Column("organisation_city", ("organisatie_plaats", "plaats_organisatie")),
)
REQUIRED = tuple(c.name for c in COLUMNS if c.required)
PROFILE_FIELDS = ("job_title", "phone", "big_number", "agb_code", "availability", "bio")
ROLE_VALUES = {
    "member": Membership.Role.MEMBER,
    "lid": Membership.Role.MEMBER,
    "medewerker": Membership.Role.MEMBER,
    "admin": Membership.Role.ADMIN,
    "beheerder": Membership.Role.ADMIN,
}

TEMPLATE_ROWS = (
    {
        "email": "anouk.aerts@hp-kasteelpark.example",
        "name": "Anouk Aerts",
        "job_title": "Huisarts",
        "organisation": "hp-kasteelpark",
        "role": "admin",
        "disciplines": "huisarts",
        "neighbourhoods": "hoensbroek",
        "expertise": "diabetes, ouderenzorg",
        "languages": "nl, en",
        "phone": "045 000 1101",
        "big_number": "12345678901",
        "agb_code": "01234567",
        "availability": "Maandag t/m donderdag, 8:30 tot 17:00",
        "bio": "Huisarts in Hoensbroek.",
    },
    {
        "email": "anais.kessels@wijkcooperatie.example",
        "name": "Anaïs Kessels",
        "job_title": "Wijkcoach",
        "organisation": "Coöperatie Wijkkracht",
        "disciplines": "Wijkcoach | Welzijnswerker",
        "neighbourhoods": "Hoensbroek, Heerlen Noord",
        "expertise": "eenzaamheid",
        "languages": "Nederlands",
        "organisation_kind": "Welzijnsorganisatie",
        "organisation_city": "Heerlen",
    },
)


@dataclass(frozen=True)
class RowError:
    """One problem in the file. ``row`` is the spreadsheet row (the header is row 1); None for
    problems with the file as a whole."""

    row: int | None
    column: str
    message: str


@dataclass
class ImportReport:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    organisations_created: list[str] = field(default_factory=list)
    expertise_created: list[str] = field(default_factory=list)
    new_accounts: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return _("The file has %(count)d error(s); nothing was imported.") % {
                "count": len(self.errors)
            }
        counts = {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "organisations": len(self.organisations_created),
            "expertise": len(self.expertise_created),
        }
        if self.dry_run:
            text = _(
                "Dry run, nothing was saved. %(rows)d professional(s) checked: %(created)d would "
                "be created, %(updated)d updated, %(unchanged)d unchanged; %(organisations)d new "
                "organisation(s) and %(expertise)d new expertise tag(s)."
            )
        else:
            text = _(
                "%(rows)d professional(s) imported: %(created)d created, %(updated)d updated, "
                "%(unchanged)d unchanged; %(organisations)d new organisation(s) and "
                "%(expertise)d new expertise tag(s)."
            )
        return text % counts

    def password_hint(self) -> str:
        """What to tell new account holders, who have no password yet; empty if none."""
        if not self.new_accounts or self.dry_run:
            return ""
        return _(
            "%(count)d new account(s) have no password yet. Send them an e-mail asking them to "
            "choose one through “Forgot password?” (%(path)s)."
        ) % {"count": len(self.new_accounts), "path": reverse("account_reset_password")}


class FileRefused(Exception):
    """The file cannot be read as a table at all."""

    def __init__(self, error: RowError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True)
class NewOrganisation:
    slug: str
    name: str
    kind: str
    city: str


@dataclass(frozen=True)
class NewTag:
    slug: str
    name: str


@dataclass
class ProfessionalRow:
    """One valid data row. ``None`` means "leave as it is": the column is absent or the cell
    empty."""

    row: int
    email: str
    name: str
    organisation: Organisation | NewOrganisation
    role: str | None
    profile: dict[str, str]
    disciplines: list[Discipline] | None
    neighbourhoods: list[Neighbourhood] | None
    languages: list[Language] | None
    expertise: list[ExpertiseTag | NewTag] | None


@dataclass
class Table:
    """The file's header (as written) with the field each column feeds, and its data rows."""

    headers: list[str]
    fields: list[str | None]
    rows: list[tuple[int, list[str]]]


def normalise_header(header: str) -> str:
    return re.sub(r"[\s\-./]+", "_", header.strip().lower()).strip("_")


HEADER_FIELDS = {
    alias: column.name for column in COLUMNS for alias in (column.name, *column.aliases)
}


def decode(data: bytes) -> str:
    """The file's text: UTF-16 with a byte order mark, UTF-8 (BOM optional) or Windows-1252."""
    if data.startswith(WORKBOOK_SIGNATURES):
        raise FileRefused(
            RowError(
                None, "", _("This is an Excel workbook, not a CSV file. Save it as CSV first.")
            )
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        try:
            # What Dutch Excel writes when it saves "CSV (puntkomma-gescheiden)".
            return data.decode("cp1252")
        except UnicodeDecodeError:
            pass
    raise FileRefused(
        RowError(
            None, "", _("The file is not readable text. Save it as CSV in UTF-8 and try again.")
        )
    )


def detect_delimiter(text: str) -> str:
    sample = "\n".join(text[:65536].splitlines()[:50])
    header_line = next((line for line in sample.splitlines() if line.strip()), "")
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = ""
    if delimiter and delimiter in header_line:
        return delimiter
    # The sniffer can be fooled by commas inside text; the header line rarely is.
    counts = {candidate: header_line.count(candidate) for candidate in DELIMITERS}
    best = max(counts, key=lambda candidate: counts[candidate])
    return best if counts[best] else ","


def read_table(data: bytes) -> Table:
    """Decode ``data`` and split it into header and rows; raise FileRefused if impossible."""
    text = decode(data)
    if "\x00" in text:
        raise FileRefused(RowError(None, "", _("This is not a CSV file.")))
    if not text.strip():
        raise FileRefused(RowError(None, "", _("The file is empty.")))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=detect_delimiter(text))
    records: list[tuple[int, list[str]]] = []
    try:
        # Numbered as a spreadsheet shows them: a cell with line breaks is still one row.
        for number, record in enumerate(reader, start=1):
            records.append((number, [cell.strip() for cell in record]))
    except csv.Error as exc:
        raise FileRefused(
            RowError(
                len(records) + 1, "", _("This row cannot be read: %(reason)s") % {"reason": exc}
            )
        ) from None
    headers = records[0][1]
    if not any(headers):
        raise FileRefused(RowError(1, "", _("The first row must hold the column names.")))
    return Table(
        headers=headers,
        fields=[HEADER_FIELDS.get(normalise_header(h)) if h else None for h in headers],
        rows=[(number, cells) for number, cells in records[1:] if any(cells)],
    )


def check_header(table: Table) -> list[RowError]:
    errors = []
    seen: dict[str, str] = {}
    for header, field_name in zip(table.headers, table.fields, strict=True):
        if not header:
            continue
        if field_name is None:
            errors.append(
                RowError(
                    1,
                    header,
                    _("Unknown column. Remove it or use one of: %(columns)s.")
                    % {"columns": ", ".join(c.name for c in COLUMNS)},
                )
            )
        elif field_name in seen:
            errors.append(
                RowError(
                    1,
                    header,
                    _("This column appears twice (also as “%(other)s”).")
                    % {"other": seen[field_name]},
                )
            )
        else:
            seen[field_name] = header
    missing = [name for name in REQUIRED if name not in seen]
    if missing:
        errors.append(
            RowError(
                1,
                "",
                _("Required column(s) missing: %(columns)s.") % {"columns": ", ".join(missing)},
            )
        )
    if not table.rows:
        errors.append(RowError(None, "", _("The file has column names but no rows to import.")))
    return errors


def split_values(value: str) -> list[str]:
    """A cell's list of values, separated by commas or pipes, without repeats."""
    values = [part.strip() for part in re.split(r"[,|]", value)]
    return list(dict.fromkeys(v for v in values if v))


class References:
    """The controlled lists, loaded once, plus what this file would add."""

    def __init__(self) -> None:
        self.disciplines = self._index(Discipline.objects.all(), ("slug", "name"))
        self.neighbourhoods = self._index(Neighbourhood.objects.all(), ("slug", "name"))
        self.languages = self._index(Language.objects.all(), ("code", "name"))
        self.organisations = self._index(Organisation.objects.all(), ("slug", "name"))
        self.tags = self._index(ExpertiseTag.objects.all(), ("slug", "name"))
        self.new_organisations: dict[str, NewOrganisation] = {}
        self.new_tags: dict[str, NewTag] = {}

    @staticmethod
    def _index(objects: Iterable[Any], keys: tuple[str, ...]) -> dict[str, list[Any]]:
        index: dict[str, list[Any]] = {}
        for obj in objects:
            for key in {str(getattr(obj, k)).casefold() for k in keys}:
                index.setdefault(key, []).append(obj)
        return index

    @staticmethod
    def lookup(index: dict[str, list[Any]], value: str) -> list[Any]:
        """Everything ``value`` names: by slug or code, or by name ignoring case."""
        return index.get(value.casefold()) or index.get(slugify(value)) or []

    def find_all(self, index: dict[str, list[Any]], cell: str) -> list[Any]:
        found, problems = [], []
        for value in split_values(cell):
            matches = self.lookup(index, value)
            if len(matches) == 1:
                found.append(matches[0])
            elif matches:
                problems.append(ambiguous(value))
            else:
                problems.append(
                    _("“%(value)s” is not on the list; check the spelling or use the slug.")
                    % {"value": value}
                )
        if problems:
            raise ValidationError(problems)
        return list(dict.fromkeys(found))

    def organisation(self, value: str, kind: str, city: str) -> Organisation | NewOrganisation:
        matches = self.lookup(self.organisations, value)
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise ValidationError(ambiguous(value))
        slug = slugify(value)[:200]
        if not kind or not slug or len(value) > 200:
            raise ValidationError(
                _(
                    "Unknown organisation “%(value)s”. Use the name or slug of an existing "
                    "organisation, or fill in organisation_kind to create it."
                )
                % {"value": value}
            )
        # The first row that names a new organisation decides its type and place.
        return self.new_organisations.setdefault(
            slug, NewOrganisation(slug=slug, name=value, kind=kind[:100], city=city[:100])
        )

    def expertise(self, cell: str) -> list[ExpertiseTag | NewTag]:
        tags: list[ExpertiseTag | NewTag] = []
        for value in split_values(cell):
            matches = self.lookup(self.tags, value)
            if matches:
                tags.append(matches[0])
                continue
            slug = slugify(value)[:60]
            if not slug or len(value) > 60:
                raise ValidationError(
                    _("“%(value)s” cannot be an expertise tag: use at most 60 letters or digits.")
                    % {"value": value}
                )
            tags.append(self.new_tags.setdefault(slug, NewTag(slug=slug, name=value)))
        return list(dict.fromkeys(tags))


def ambiguous(value: str) -> str:
    return _("“%(value)s” matches more than one entry; use the slug.") % {"value": value}


def clean_model_value(model: type[Any], field_name: str, value: str) -> str:
    """``value`` checked by the model field's own validators (length, format)."""
    return model._meta.get_field(field_name).clean(value, None)


class RowReader:
    """The cells of one data row by field, collecting every problem with its column."""

    def __init__(self, table: Table, number: int, cells: list[str]) -> None:
        self.number = number
        self.errors: list[RowError] = []
        self.column_of = {f: h for h, f in zip(table.headers, table.fields, strict=True) if f}
        self.values: dict[str, str] = {}
        for index, cell in enumerate(cells):
            field_name = table.fields[index] if index < len(table.fields) else None
            if field_name:
                self.values[field_name] = cell
            elif cell:
                self.error(
                    "", _("This cell has no column name: “%(value)s”.") % {"value": cell[:40]}
                )

    def error(self, field_name: str, message: str) -> None:
        self.errors.append(RowError(self.number, self.column_of.get(field_name, ""), message))

    def get(self, field_name: str, parse: Callable[[str], Any], *, required: bool = False) -> Any:
        """The parsed cell; None if it is empty (and may be) or has an error."""
        value = self.values.get(field_name, "")
        if not value:
            if required:
                self.error(field_name, _("This cell is required."))
            return None
        try:
            return parse(value)
        except ValidationError as exc:
            for message in exc.messages:
                self.error(field_name, message)
            return None


def validate_rows(table: Table) -> tuple[list[ProfessionalRow], list[RowError]]:
    refs = References()
    valid: list[ProfessionalRow] = []
    errors: list[RowError] = []
    first_row_of_email: dict[str, int] = {}
    position = {header: index for index, header in enumerate(table.headers)}

    for number, cells in table.rows:
        row = RowReader(table, number, cells)
        email = row.get(
            "email", lambda v: clean_model_value(User, "email", v).lower(), required=True
        )
        if email in first_row_of_email:
            row.error(
                "email",
                _("This e-mail address is also in row %(row)d.")
                % {"row": first_row_of_email[email]},
            )
        elif email:
            first_row_of_email[email] = number
        name = row.get("name", lambda v: clean_model_value(User, "display_name", v), required=True)
        new_organisation = {
            "kind": row.values.get("organisation_kind", ""),
            "city": row.values.get("organisation_city", ""),
        }
        organisation = row.get(
            "organisation", partial(refs.organisation, **new_organisation), required=True
        )
        role = row.get("role", _parse_role)
        profile = {}
        for field_name in PROFILE_FIELDS:
            value = row.get(field_name, partial(_clean_profile, field_name))
            if value is not None:
                profile[field_name] = value
        disciplines = row.get("disciplines", partial(refs.find_all, refs.disciplines))
        neighbourhoods = row.get("neighbourhoods", partial(refs.find_all, refs.neighbourhoods))
        languages = row.get("languages", partial(refs.find_all, refs.languages))
        expertise = row.get("expertise", refs.expertise)

        if row.errors:
            # In the order of the file's columns, as someone reading along the row expects.
            errors.extend(sorted(row.errors, key=lambda e: position.get(e.column, -1)))
            continue
        valid.append(
            ProfessionalRow(
                row=number,
                email=email,
                name=name,
                organisation=organisation,
                role=role,
                profile=profile,
                disciplines=disciplines,
                neighbourhoods=neighbourhoods,
                languages=languages,
                expertise=expertise,
            )
        )
    return valid, errors


def _parse_role(value: str) -> str:
    role = ROLE_VALUES.get(value.casefold())
    if role is None:
        raise ValidationError(_("Use “member” or “admin”."))
    return role


def _clean_profile(field_name: str, value: str) -> str:
    if field_name in {"big_number", "agb_code"}:
        # Spreadsheets and people group long numbers with spaces or dots.
        value = re.sub(r"[\s.]", "", value)
    return clean_model_value(Professional, field_name, value)


def _set_m2m(manager: Any, objects: list[Any] | None) -> bool:
    if objects is None:
        return False
    wanted = {obj.pk for obj in objects}
    if set(manager.values_list("pk", flat=True)) == wanted:
        return False
    manager.set(objects)
    return True


class Applier:
    """Writes valid rows; must run inside a transaction."""

    def __init__(self, report: ImportReport, by: User | None) -> None:
        self.report = report
        self.by = by
        self.now = timezone.now()
        self.group = Group.objects.get(name=Role.PROFESSIONAL)
        self.organisations: dict[str, Organisation] = {}
        self.tags: dict[str, ExpertiseTag] = {}

    def organisation(self, ref: Organisation | NewOrganisation) -> Organisation:
        if isinstance(ref, Organisation):
            return ref
        if ref.slug not in self.organisations:
            self.organisations[ref.slug] = Organisation.objects.create(
                slug=ref.slug, name=ref.name, kind=ref.kind, city=ref.city
            )
            self.report.organisations_created.append(ref.name)
        return self.organisations[ref.slug]

    def tag(self, ref: ExpertiseTag | NewTag) -> ExpertiseTag:
        if isinstance(ref, ExpertiseTag):
            return ref
        if ref.slug not in self.tags:
            self.tags[ref.slug] = ExpertiseTag.objects.create(slug=ref.slug, name=ref.name)
            self.report.expertise_created.append(ref.name)
        return self.tags[ref.slug]

    def apply(self, row: ProfessionalRow) -> None:
        changed = False
        user = User.objects.filter(email__iexact=row.email).first()
        if user is None:
            user = User.objects.create_user(email=row.email, display_name=row.name)
            # allauth lets nobody in without a verified address; the importer vouches for it.
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
            self.report.new_accounts.append(user.email)
        elif user.display_name != row.name:
            user.display_name = row.name
            user.save(update_fields=["display_name"])
            changed = True
        if not user.groups.filter(pk=self.group.pk).exists():
            user.groups.add(self.group)
            changed = True

        had_profile = Professional.objects.filter(user=user).exists()
        professional = profile_for(user)
        changed_fields = [
            name for name, value in row.profile.items() if getattr(professional, name) != value
        ]
        if changed_fields:
            for name in changed_fields:
                setattr(professional, name, row.profile[name])
            professional.save(update_fields=[*changed_fields, "updated_at"])
            changed = True

        changed |= _set_m2m(professional.disciplines, row.disciplines)
        changed |= _set_m2m(professional.neighbourhoods, row.neighbourhoods)
        changed |= _set_m2m(professional.languages, row.languages)
        tags = None if row.expertise is None else [self.tag(t) for t in row.expertise]
        changed |= _set_m2m(professional.expertise, tags)
        changed |= self.membership(professional, self.organisation(row.organisation), row.role)

        refresh_verified(professional)
        if not had_profile:
            self.report.created += 1
        elif changed:
            self.report.updated += 1
        else:
            self.report.unchanged += 1

    def membership(
        self, professional: Professional, organisation: Organisation, role: str | None
    ) -> bool:
        membership, created = Membership.objects.get_or_create(
            professional=professional,
            organisation=organisation,
            defaults={
                "role": role or Membership.Role.MEMBER,
                "verified": True,
                "verified_by": self.by,
                "verified_at": self.now,
            },
        )
        if created:
            return True
        update = []
        if not membership.verified:
            membership.verified, membership.verified_by, membership.verified_at = (
                True,
                self.by,
                self.now,
            )
            update += ["verified", "verified_by", "verified_at"]
        if role and membership.role != role:
            membership.role = role
            update.append("role")
        if update:
            membership.save(update_fields=update)
        return bool(update)


def import_professionals(
    data: bytes,
    *,
    dry_run: bool = False,
    by: User | None = None,
    progress: Callable[[list[ProfessionalRow]], Iterable[ProfessionalRow]] | None = None,
) -> ImportReport:
    """Validate the whole CSV file ``data``; if it has no errors, import every row.

    Imported memberships count as verified by ``by`` (a platform administrator; None from the
    command line). With ``dry_run`` everything is written and then rolled back, so the counts
    are exact. ``progress`` may wrap the rows, e.g. in a progress bar.
    """
    report = ImportReport(dry_run=dry_run)
    try:
        table = read_table(data)
    except FileRefused as refused:
        report.errors.append(refused.error)
        return report
    report.errors.extend(check_header(table))
    if report.errors:
        return report
    rows, report.errors = validate_rows(table)
    report.rows = len(table.rows)
    if report.errors:
        return report

    with transaction.atomic():
        applier = Applier(report, by)
        # every imported profile's search row is computed once, in one statement, at the end
        with search_refresh_batch():
            for row in (progress or _no_progress)(rows):
                applier.apply(row)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _no_progress(rows: list[ProfessionalRow]) -> Iterator[ProfessionalRow]:
    yield from rows


def template_csv(delimiter: str = ",") -> str:
    """The documented column template with example rows (docs/import-template.csv)."""
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=[c.name for c in COLUMNS], delimiter=delimiter, lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(TEMPLATE_ROWS)
    return out.getvalue()
