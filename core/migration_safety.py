"""Which migrations a rolling upgrade cannot take: docs/DEPLOY.md, "Migrations".

During an upgrade the previous release keeps serving on the new schema while the migration runs
(``web1`` migrates while the old ``web2`` serves). A migration is safe for that when it only adds
what the old code does not notice, and takes no lock that stops a busy table's reads or writes
for longer than a moment. ``problems`` reads a migration's operations, with the models as they
were before it, and names each one that is not; ``manage.py checkmigrations`` runs it on every
migration that is not in the accepted list (core/accepted_migrations.txt), and CI fails on any.

What counts as a problem, on a table that existed before the migration (a table the same
migration creates is empty and unused, so anything goes there):

- a column the old code does not fill but the database requires (NOT NULL without
  ``db_default``): the old code's inserts fail;
- an index or a unique column made in the ordinary way: ``CREATE INDEX`` blocks every write
  until it has read the whole table; ``AddIndexConcurrently`` does not;
- a constraint (a foreign key, a check, a unique constraint) checked against every row while
  writes wait; ``AddConstraintNotValid`` then ``ValidateConstraint`` do not wait for that;
- a change of a column's type, nullability or database default: a rewrite or a full scan
  under an exclusive lock, and old code that expects the column as it was;
- removing or renaming a column or a table: the old code still reads it;
- SQL and Python the check cannot read (``RunSQL``, ``RunPython``): review them, then accept
  them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.postgres import operations as postgres_operations
from django.db import models
from django.db.migrations import Migration, operations
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

#: the migrations accepted as they are: those from before this check, and ones reviewed since
ACCEPTED = Path(__file__).resolve().parent / "accepted_migrations.txt"

#: field attributes that live only in Python: changing them changes nothing in the database
PYTHON_ONLY = frozenset({
    "verbose_name", "help_text", "choices", "validators", "blank", "editable", "default",
    "error_messages", "related_name", "related_query_name", "limit_choices_to", "on_delete",
    "auto_now", "auto_now_add", "upload_to", "storage", "to_field", "swappable",
})  # fmt: skip

SAFE = (
    operations.CreateModel,
    operations.AlterModelOptions,
    operations.AlterModelManagers,
    operations.AlterModelTableComment,
    postgres_operations.AddIndexConcurrently,
    postgres_operations.RemoveIndexConcurrently,
    postgres_operations.AddConstraintNotValid,
    postgres_operations.ValidateConstraint,
    postgres_operations.CreateExtension,
)


def accepted(path: Path = ACCEPTED) -> set[tuple[str, str]]:
    """The (app label, migration name) pairs listed in ``path``: one ``app.name`` a line,
    anything after ``#`` a comment (the reason a reviewed migration is accepted)."""
    pairs = set()
    for line in path.read_text().splitlines():
        entry = line.partition("#")[0].strip()
        if entry:
            app_label, _dot, name = entry.partition(".")
            pairs.add((app_label, name))
    return pairs


def project_migrations(loader: MigrationLoader) -> Iterator[tuple[str, str]]:
    """The migrations of the platform's own apps (not of Django or other libraries)."""
    root = Path(settings.BASE_DIR).resolve()
    for app_label, name in sorted(loader.disk_migrations):
        app_path = Path(apps.get_app_config(app_label).path).resolve()
        if app_path.is_relative_to(root) and ".venv" not in app_path.parts:
            yield app_label, name


def unchecked(
    loader: MigrationLoader, accepted_pairs: set[tuple[str, str]]
) -> Iterator[tuple[Migration, ProjectState]]:
    """Each platform migration not accepted, with the models as they are before it."""
    for key in project_migrations(loader):
        if key not in accepted_pairs:
            yield loader.get_migration(*key), loader.project_state(key, at_end=False)


def problems(migration: Migration, before: ProjectState) -> list[str]:
    """What in ``migration`` a rolling upgrade cannot take, one sentence each."""
    created: set[str] = set()
    found: list[str] = []
    for operation in _flatten(migration.operations):
        if isinstance(operation, operations.CreateModel):
            created.add(operation.name_lower)
        model = getattr(operation, "model_name_lower", None) or getattr(
            operation, "name_lower", None
        )
        if model in created and not isinstance(operation, operations.RenameModel):
            continue
        problem = _problem(migration.app_label, operation, before)
        if problem:
            found.append(f"{operation.describe()}: {problem}")
    return found


def _flatten(items: Iterable[Operation]) -> Iterator[Operation]:
    for operation in items:
        if isinstance(operation, operations.SeparateDatabaseAndState):
            yield from _flatten(operation.database_operations)
        else:
            yield operation


def _problem(app_label: str, operation: Operation, before: ProjectState) -> str | None:
    if isinstance(operation, SAFE):
        return None
    if isinstance(operation, operations.AddField):
        return _added_field(operation.field)
    if isinstance(operation, operations.AlterField):
        old = before.models[app_label, operation.model_name_lower].fields[operation.name]
        return _altered_field(old, operation.field)
    if isinstance(operation, (operations.AddIndex, operations.AlterIndexTogether)):
        return (
            "CREATE INDEX blocks writes to the table until it has read every row; use "
            "AddIndexConcurrently in a migration with atomic = False"
        )
    if (
        isinstance(operation, (operations.AlterUniqueTogether, operations.AlterIndexTogether))
        and not operation.option_value
    ):
        return None  # all of them removed: quick, and the old code does not depend on them
    if isinstance(operation, (operations.AddConstraint, operations.AlterUniqueTogether)):
        return (
            "the constraint is checked against every row while writes wait; add it with "
            "AddConstraintNotValid and check it with ValidateConstraint in a later migration"
        )
    if isinstance(operation, (operations.RemoveField, operations.DeleteModel)):
        return (
            "the previous release still reads it; stop using it in one release and remove it "
            "in the next (then accept this migration)"
        )
    if isinstance(
        operation,
        (operations.RenameField, operations.RenameModel, operations.AlterModelTable,
         operations.RenameIndex),
    ):  # fmt: skip
        return "the previous release still uses the old name; add the new one beside it instead"
    if isinstance(operation, (operations.RunSQL, operations.RunPython)):
        return (
            "the check cannot read it; make sure it takes no long lock (updates in batches, "
            "lock_timeout), then accept the migration"
        )
    if isinstance(operation, (operations.RemoveIndex, operations.RemoveConstraint)):
        return None  # quick; the old code does not depend on an index
    return "unknown to this check: review it, then accept the migration"


def _added_field(field: models.Field) -> str | None:  # type: ignore[type-arg]
    if field.many_to_many:
        return None  # a new table
    if not field.null and field.db_default is models.NOT_PROVIDED:
        return (
            "NOT NULL without db_default: the previous release's inserts fail; make it "
            "null=True or give it a db_default"
        )
    if field.unique or field.primary_key:
        return "the unique index is built while writes wait; add it concurrently afterwards"
    if field.remote_field is not None and getattr(field, "db_constraint", False):
        return (
            "the foreign key is checked against every row while writes wait, and indexed "
            "without CONCURRENTLY; add it with db_constraint=False and db_index=False, then "
            "the constraint (AddConstraintNotValid) and the index (AddIndexConcurrently)"
        )
    if getattr(field, "db_index", False):
        return "the index is built while writes wait; add it with AddIndexConcurrently"
    return None


def _altered_field(old: models.Field, new: models.Field) -> str | None:  # type: ignore[type-arg]
    def database_side(field: models.Field) -> dict[str, object]:  # type: ignore[type-arg]
        _name, path, args, kwargs = field.deconstruct()
        return {"path": path, "args": args} | {
            key: value for key, value in kwargs.items() if key not in PYTHON_ONLY
        }

    before, after = database_side(old), database_side(new)
    if before == after:
        return None
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    if changed == {"max_length"} and _length(after) >= _length(before):
        return None  # a longer varchar: PostgreSQL changes only the catalogue
    if changed == {"null"} and after.get("null"):
        return None  # dropping NOT NULL: the catalogue only, and the old code still fits
    return (
        f"changes {', '.join(sorted(changed))} of an existing column: a rewrite or a full scan "
        "under an exclusive lock, and the previous release expects the column as it was; add "
        "a new column beside it instead"
    )


def _length(side: dict[str, object]) -> int:
    value = side.get("max_length")
    return value if isinstance(value, int) else 0
