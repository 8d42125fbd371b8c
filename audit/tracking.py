"""How a change becomes a history entry: pghistory trackers whose trigger stores whole rows.

pghistory's stock trigger copies the tracked row into typed columns of the event table. Ours
stores the row *before* and *after* the change as JSON (``to_jsonb(OLD)`` / ``to_jsonb(NEW)``):

- each entry carries its own before and after, so a diff never depends on an earlier entry
  (which is missing for rows that existed before tracking began);
- the event tables do not mirror the tracked models' columns, so a migration in ``catalogue`` or
  ``assessments`` never needs a matching migration here, and a trigger never names a column that
  a later migration could drop.

Triggers are row-level, so ``QuerySet.update()``, ``bulk_create()`` and raw SQL are recorded one
row at a time, exactly like ``save()``. They exist on PostgreSQL only.
"""

from __future__ import annotations

from collections.abc import Sequence

import pghistory
import pghistory.models
import pghistory.trigger
import pgtrigger
from django.db import models
from django.db.backends.utils import names_digest
from django.db.models.fields.json import KeyTransform

# Labels stored in ``pgh_label``: what happened to the row.
CREATE = "create"
UPDATE = "update"
DELETE = "delete"


class AuditEvent(pghistory.models.Event):
    """Base of every event model: one row per created, updated or deleted tracked row."""

    pgh_obj_id = models.BigIntegerField(db_index=True, help_text="Primary key of the changed row.")
    pgh_before = models.JSONField(null=True, blank=True, help_text="The row before the change (not on create).")
    pgh_after = models.JSONField(null=True, blank=True, help_text="The row after the change (not on delete).")

    class Meta:
        abstract = True


# Stored in place of a secret column's value when an update changed it (see ``tracks(secrets=...)``).
SECRET_CHANGED = "changed (not recorded)"  # noqa: S105  (a label, not a secret)


class _RowJsonTrigger(pghistory.trigger.Event):
    """pghistory's event trigger, writing the old and new row as JSON instead of typed columns.

    Columns named in the event model's ``audit_secrets`` never reach the JSON; an update that
    changes one stores ``SECRET_CHANGED`` under its name in the row after, so the entry says that
    the secret changed without holding it. ``audit_obj_id_sql`` (an SQL expression over the row,
    ``{row}`` standing for OLD or NEW) replaces the primary key as the entry's object id.
    """

    def get_func(self, model):
        pk_column = model._meta.pk.column
        secrets = tuple(self.event_model.audit_secrets)
        # No braces in the SQL: pgtrigger formats the function's text with str.format.
        strip = " - ARRAY[%s]::text[]" % ", ".join(f"'{c}'" for c in secrets) if secrets else ""  # noqa: UP031
        after = f"to_jsonb(NEW){strip}"
        if secrets and self.label == UPDATE:
            marks = " || ".join(
                f"""CASE WHEN OLD."{column}" IS DISTINCT FROM NEW."{column}" """
                f"""THEN jsonb_build_object('{column}', '{SECRET_CHANGED}') ELSE jsonb_build_object() END"""
                for column in secrets
            )
            after = f"({after}) || {marks}"
        obj_id_sql = self.event_model.audit_obj_id_sql
        columns = {
            # clock_timestamp(), not now(): entries of one transaction keep their real order.
            "pgh_created_at": "clock_timestamp()",
            "pgh_label": f"'{self.label}'",
            "pgh_obj_id": obj_id_sql.format(row=self.row) if obj_id_sql else f'{self.row}."{pk_column}"',
            # OLD is NULL on insert and NEW on delete (PostgreSQL 11+), so both are always safe.
            "pgh_before": f"to_jsonb(OLD){strip}",
            "pgh_after": after,
            # Upserts the pghistory context (actor, URL) set by the middleware or by audit.context.
            "pgh_context_id": "_pgh_attach_context()",
        }
        table = self.event_model._meta.db_table
        names = ", ".join(f'"{name}"' for name in columns)
        values = ", ".join(columns.values())
        # Every identifier comes from model metadata, never from input.
        sql = f'INSERT INTO "{table}" ({names}) VALUES ({values}); RETURN NULL;'  # noqa: S608
        return pgtrigger.Func(sql)


class _RowJsonEvent(pghistory.RowEvent):
    level = pgtrigger.Row

    def add_event_trigger(self, event_model):
        pgtrigger.register(
            _RowJsonTrigger(
                event_model=event_model,
                label=self.label,
                name=self.trigger_name,
                row=self.row,
                operation=self.operation,
                condition=self.condition,
                level=pgtrigger.Row,
            )
        )(event_model.pgh_tracked_model)


class CreateEvent(_RowJsonEvent):
    label = CREATE
    row = "NEW"
    operation = pgtrigger.Insert
    trigger_name = "audit_create"


class UpdateEvent(_RowJsonEvent):
    """Fires only when the row really changed (``OLD.* IS DISTINCT FROM NEW.*``), or, given
    ``ignore``, when a column other than those changed."""

    def __init__(self, *, ignore: Sequence[str] = ()):
        super().__init__(condition=pgtrigger.AnyChange(exclude=list(ignore)) if ignore else pgtrigger.AnyChange())

    label = UPDATE
    row = "NEW"
    operation = pgtrigger.Update
    trigger_name = "audit_update"


class DeleteEvent(_RowJsonEvent):
    label = DELETE
    row = "OLD"
    operation = pgtrigger.Delete
    trigger_name = "audit_delete"


def _parent_index_name(tracked_model: type[models.Model], side: str, column: str) -> str:
    """A stable index name of at most 30 characters (Django's limit), unique per model, side and column."""
    digest = names_digest(tracked_model._meta.label_lower, side, column, length=6)
    return f"audit_{tracked_model._meta.model_name[:8]}_{column[:6]}_{digest}_{side.removeprefix('pgh_')[0]}"


def _indexes(tracked_model: type[models.Model], parents: Sequence[tuple[str, str]]) -> list[models.Index]:
    """The indexes the history pages read through (``audit.selectors``).

    - (time, id): the global history is paged by seek on this order, newest first, and filtered by
      date ranges, so a page costs an index range scan whatever the size of the table;
    - the row before and after, by each parent column: a record's history gathers the rows it
      owns (an assessment's ratings) by looking their parent's id up in the stored JSON.
    """
    indexes = [models.Index(fields=["pgh_created_at", "pgh_id"])]
    for _label, column in parents:
        for side in ("pgh_after", "pgh_before"):
            indexes.append(
                models.Index(KeyTransform(column, side), name=_parent_index_name(tracked_model, side, column))
            )
    return indexes


def tracks(
    tracked_model: type[models.Model],
    *,
    parents: Sequence[tuple[str, str]] = (),
    secrets: Sequence[str] = (),
    ignore: Sequence[str] = (),
    obj_id_sql: str | None = None,
) -> type[models.Model]:
    """Abstract base of the event model recording every create, update and delete of ``tracked_model``.

    Subclass it in ``audit/models.py``; the subclass is the (append-only) event table. ``parents``
    names the rows an entry also belongs to, as ``(model label, column)`` pairs read from the
    row's JSON (kept as ``audit_parents``): a rating's entries appear in its assessment's history.

    ``secrets``: columns never stored (a password hash, a token's hash); an update records only
    that one changed. ``ignore``: fields whose change alone records nothing (``last_login``:
    sign-ins have their own entries). ``obj_id_sql``: for a model without an integer key, an SQL
    expression giving a stable integer id from ``{row}`` (such an entry has no history page).
    """
    if obj_id_sql is None and not isinstance(tracked_model._meta.pk, models.AutoField):  # BigAutoField included
        raise TypeError(f"{tracked_model._meta.label}: the audit trail tracks models with integer keys only.")
    return pghistory.create_event_model(
        tracked_model,
        CreateEvent(),
        UpdateEvent(ignore=ignore),
        DeleteEvent(),
        fields=[],  # no typed copy of the row: see the module docstring
        obj_field=None,  # pgh_obj_id is a plain column: no foreign key, no migration dependency
        base_model=AuditEvent,
        app_label="audit",
        append_only=True,  # a trigger refuses UPDATE and DELETE on the event table
        attrs={"audit_parents": tuple(parents), "audit_secrets": tuple(secrets), "audit_obj_id_sql": obj_id_sql},
        meta={"indexes": _indexes(tracked_model, parents)},
    )
