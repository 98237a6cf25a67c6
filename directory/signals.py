"""Keep every professional's search row (directory.services.refresh_search) in step with what it
is made of, whichever way that changes: services, forms, the admin or the shell.

A search row holds the profile's name, disciplines and their domains, neighbourhoods, verified
organisations, expertise and languages (as text to search and as ids to filter and count on).
Changes to a profile or its relations refresh that profile; renaming a discipline, neighbourhood,
organisation, expertise tag or language refreshes everyone who has it (and the cached facet
labels); deleting one refreshes them after the delete. Bulk operations that send no signals
(``QuerySet.update``, ``bulk_create``) must call ``refresh_search`` themselves.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from directory.models import (
    Discipline,
    ExpertiseTag,
    Language,
    Membership,
    Neighbourhood,
    Organisation,
    Professional,
)
from directory.search import FACET_LABELS_KEY
from directory.services import queue_refresh

# Through tables of the profile's many-to-many fields: (model, field pointing at the value).
_M2M = {
    Professional.disciplines.through: "discipline",
    Professional.neighbourhoods.through: "neighbourhood",
    Professional.expertise.through: "expertisetag",
    Professional.languages.through: "language",
}
# Fields of the related things that end up in the search rows of those who have them.
_SEARCHED_FIELDS = {
    Discipline: ["name", "domain"],
    Neighbourhood: ["name", "municipality"],
    ExpertiseTag: ["name"],
    Language: ["name"],
    Organisation: ["name"],
}


def _holders(instance: Model) -> list[int]:
    """Professionals whose search row mentions ``instance`` (a discipline, organisation, …)."""
    if isinstance(instance, Organisation):
        rows = Membership.objects.filter(organisation=instance, verified=True)
        return list(rows.values_list("professional_id", flat=True))
    through, field = next((t, f) for t, f in _M2M.items() if t._meta.get_field(f).related_model
                          is type(instance))  # fmt: skip
    return list(through.objects.filter(**{field: instance}).values_list("professional_id",
                                                                         flat=True))  # fmt: skip


def profile_saved(sender: type, instance: Professional, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        queue_refresh([instance.pk])


def user_saved(sender: type, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if raw or (update_fields is not None and "display_name" not in update_fields):
        return  # e.g. the last_login update at every sign-in
    ids = Professional.objects.filter(user_id=instance.pk).values_list("pk", flat=True)
    queue_refresh(list(ids))


def relation_changed(
    sender: type, instance: Model, action: str, reverse: bool, pk_set: set | None, **kwargs: Any
) -> None:
    if not reverse:
        if action in {"post_add", "post_remove", "post_clear"}:
            queue_refresh([instance.pk])
        return
    # From the other side, e.g. discipline.professional_set.add(...): pk_set holds professionals.
    if action == "pre_clear":
        instance._search_holders = _holders(instance)
    elif action == "post_clear":
        queue_refresh(getattr(instance, "_search_holders", []))
    elif action in {"post_add", "post_remove"}:
        queue_refresh(pk_set or [])


def membership_changed(
    sender: type, instance: Membership, raw: bool = False, **kwargs: Any
) -> None:
    if not raw:
        queue_refresh([instance.professional_id])


def value_before_save(sender: type, instance: Model, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return
    fields = _SEARCHED_FIELDS[sender]
    instance._search_before = sender._default_manager.filter(pk=instance.pk).values(*fields).first()


def value_saved(
    sender: type, instance: Model, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    before = getattr(instance, "_search_before", None)
    if raw or created or before is None:
        return
    if any(before[name] != getattr(instance, name) for name in before):
        queue_refresh(_holders(instance))


def labels_changed(sender: type, instance: Model, **kwargs: Any) -> None:
    """A facet label (or value) changed: once that is committed, every process loads them
    afresh (before it, another process could load the old ones under a new version)."""
    transaction.on_commit(lambda: cache.delete(FACET_LABELS_KEY))


def value_before_delete(sender: type, instance: Model, **kwargs: Any) -> None:
    if sender is Organisation:
        return  # deleting it deletes the memberships, which refresh their professionals
    instance._search_holders = _holders(instance)


def value_deleted(sender: type, instance: Model, **kwargs: Any) -> None:
    queue_refresh(getattr(instance, "_search_holders", []))


def connect() -> None:
    uid = "directory.signals"
    post_save.connect(profile_saved, sender=Professional, dispatch_uid=uid)
    post_save.connect(user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid=uid)
    for through in _M2M:
        m2m_changed.connect(relation_changed, sender=through, dispatch_uid=uid)
    post_save.connect(membership_changed, sender=Membership, dispatch_uid=uid)
    post_delete.connect(membership_changed, sender=Membership, dispatch_uid=uid)
    for model in _SEARCHED_FIELDS:
        pre_save.connect(value_before_save, sender=model, dispatch_uid=uid)
        post_save.connect(value_saved, sender=model, dispatch_uid=uid)
        pre_delete.connect(value_before_delete, sender=model, dispatch_uid=uid)
        post_delete.connect(value_deleted, sender=model, dispatch_uid=uid)
        post_save.connect(labels_changed, sender=model, dispatch_uid=f"{uid}.labels")
        post_delete.connect(labels_changed, sender=model, dispatch_uid=f"{uid}.labels")
