"""Reading an object's history: its audit events, newest first, with who, when and what.

Financial detail follows the same rule as the object's own fields: a reader without
``view_financials`` on the object sees that a financial event happened and who made it, not the
amounts (``visible_changes``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet

from governance.access import can
from governance.models import AuditEvent, Membership, Organization

HISTORY_PAGE_SIZE = 25
# Fields whose values are user ids: shown by name.
PERSON_FIELDS = frozenset({"owner", "sponsor", "controller", "requested_by", "decided_by"})
# Events whose changes are amounts through and through (prefixes of the action).
FINANCIAL_ACTIONS = ("measure.financials_changed", "measure.actual_", "measure.baseline_frozen")


def _organization_id(obj: Model) -> int:
    return obj.pk if isinstance(obj, Organization) else obj.organization_id  # type: ignore[attr-defined]


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def object_history(obj: Model) -> QuerySet[AuditEvent]:
    """The audit events of ``obj``, newest first, with their actors."""
    return (
        AuditEvent.objects.for_org(_organization_id(obj))
        .filter(object_type=obj._meta.label_lower, object_id=obj.pk)
        .select_related("actor")
        .order_by("-seq")
    )


def shows_financials(user: Any, obj: Model) -> bool:
    """Whether ``user`` may read the amounts in ``obj``'s history."""
    return can(user, "view_financials", obj)


def visible_changes(event: AuditEvent, obj: Model, *, financials: bool) -> dict[str, Any] | None:
    """``event.changes`` as ``obj``'s reader may see them; ``None`` when all of it is hidden."""
    if financials:
        return event.changes
    if event.action.startswith(FINANCIAL_ACTIONS):
        return None
    hidden = set(getattr(type(obj), "FINANCIAL_FIELDS", ()))
    if not hidden or not isinstance(event.changes, dict):
        return event.changes
    return {name: value for name, value in event.changes.items() if name not in hidden}


@dataclass(frozen=True)
class ChangeLine:
    """One field of an event, as people read it."""

    field: str
    before: str | None  # None: the change names a value, not a before and after
    after: str


@dataclass(frozen=True)
class HistoryEntry:
    event: AuditEvent
    lines: list[ChangeLine]
    hidden: bool  # the changes are financial and this reader may not see them


def _label(name: str) -> str:
    return name.replace("_", " ").replace(".", " · ").strip().capitalize() or name


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return str(value)


def _person_ids(changes: Any) -> set[int]:
    if not isinstance(changes, dict):
        return set()
    found: set[int] = set()
    for name in PERSON_FIELDS.intersection(changes):
        value = changes[name]
        for item in value if isinstance(value, list) else [value]:
            if type(item) is int:
                found.add(item)
    return found


def change_lines(changes: Any, people: dict[int, str] | None = None) -> list[ChangeLine]:
    """``{field: [old, new]}`` as "field: old → new", any other ``{field: value}`` as is; user
    ids in person fields (owner, sponsor …) as the names in ``people``."""
    if not isinstance(changes, dict):
        return [ChangeLine("Details", None, _text(changes))] if changes else []
    people = people or {}

    def text(name: str, value: Any) -> str:
        if name in PERSON_FIELDS and type(value) is int and value in people:
            return people[value]
        return _text(value)

    lines = []
    for name, value in changes.items():
        name = str(name)
        if isinstance(value, list) and len(value) == 2:
            lines.append(ChangeLine(_label(name), text(name, value[0]), text(name, value[1])))
        else:
            lines.append(ChangeLine(_label(name), None, text(name, value)))
    return lines


def history_page(
    obj: Model, *, user: Any, page: Any = 1, per_page: int = HISTORY_PAGE_SIZE
) -> tuple[Page, list[HistoryEntry]]:
    """One page of ``obj``'s history for ``user`` (who may view ``obj``): two queries."""
    paginator = Paginator(object_history(obj), per_page)
    current = paginator.get_page(page)
    financials = shows_financials(user, obj)
    visible = [
        (event, visible_changes(event, obj, financials=financials)) for event in current.object_list
    ]
    ids = set().union(*(_person_ids(changes) for _, changes in visible))
    # One query for every person named on the page (only members of this organization).
    people = (
        {
            member.user_id: _name(member.user)
            for member in Membership.objects.for_org(_organization_id(obj))
            .filter(user_id__in=ids)
            .select_related("user")
        }
        if ids
        else {}
    )
    entries = [
        HistoryEntry(event, change_lines(changes or {}, people), changes is None)
        for event, changes in visible
    ]
    return current, entries


def history_context(obj: Model, *, user: Any, page: Any = 1) -> dict[str, Any]:
    """The template context of ``governance/_history.html`` for ``obj``."""
    current, entries = history_page(obj, user=user, page=page)
    return {"history": entries, "history_page": current}
