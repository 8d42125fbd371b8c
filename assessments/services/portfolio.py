"""Teams and their members, partners, and agreements: every write to them.

Who may call what (decided by ``riskboard.permissions``):

- teams, memberships and partners: administrators (``Action.ADMINISTER``), as in the admin;
- agreements: whoever may edit the owning team's work (``Action.EDIT`` on that team: its analysts
  and managers, and administrators), on the team it moves to as well when ownership changes;
  deleting an agreement: administrators only.

Each function validates with ``full_clean()`` and runs in one transaction; the audit trail is
written by the database triggers (``audit``). A change that moves an agreement in or out of the
aggregates (its status or its partners) marks its scores dirty through ``assessments.hooks``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction

from riskboard.permissions import Action, require

from .. import hooks
from ..choices import AgreementStatus
from ..models import Agreement, Membership, Partner, Team, TeamAgreementCount

TEAM_FIELDS = {"name", "slug", "description"}
MEMBERSHIP_FIELDS = {"user", "team", "role"}
PARTNER_FIELDS = {"name", "kind", "country", "region", "notes"}
AGREEMENT_FIELDS = {
    "reference", "title", "kind", "classification", "owner_team", "status", "start_date", "end_date",
    "notice_period_days", "description",
}


def _require_administrator(actor) -> None:
    require(actor, Action.ADMINISTER, None)


def _values(instance: models.Model, names: Iterable[str]) -> dict[str, Any]:
    """The stored form of ``names`` on ``instance`` (ids for foreign keys), to tell what changed."""
    return {name: instance._meta.get_field(name).value_from_object(instance) for name in names}


def _assign(instance: models.Model, fields: dict[str, Any], allowed: set[str]) -> list[str]:
    """Set ``fields`` on ``instance`` and return the names whose value changed; a field outside
    ``allowed`` is a programming error."""
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise TypeError(f"{type(instance).__name__} fields that cannot be changed here: {', '.join(unknown)}")
    before = _values(instance, fields)
    for name, value in fields.items():
        setattr(instance, name, value)
    after = _values(instance, fields)
    return [name for name in fields if before[name] != after[name]]


def _locked(instance: models.Model) -> models.Model:
    """``instance``'s row as stored now, locked until the transaction ends: the caller's copy may be
    stale, or hold values not saved yet."""
    # Unordered: a model's default ordering may join a nullable relation, which FOR UPDATE refuses.
    locked = type(instance).objects.select_for_update().order_by().filter(pk=instance.pk).first()
    if locked is None:
        raise ValidationError(f"{instance._meta.verbose_name.capitalize()} {instance} no longer exists.")
    return locked


def _update(instance: models.Model, fields: dict[str, Any], allowed: set[str]) -> list[str]:
    """Set ``fields`` on ``instance``'s locked row, validate and save it if anything changed, and
    refresh ``instance``. Returns the names of the fields that changed."""
    locked = _locked(instance)
    changed = _assign(locked, fields, allowed)
    if changed:
        locked.full_clean()
        locked.save()
    instance.refresh_from_db()
    return changed


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# --- Teams and memberships ----------------------------------------------------------------------


@transaction.atomic
def team_create(*, actor, name: str, slug: str, description: str = "") -> Team:
    """Create a team (administrators). ``name`` and ``slug`` are unique."""
    _require_administrator(actor)
    team = Team(name=name, slug=slug, description=description)
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def team_update(*, team: Team, actor, **fields: Any) -> Team:
    """Change a team's ``name``, ``slug`` or ``description`` (administrators)."""
    _require_administrator(actor)
    _update(team, fields, TEAM_FIELDS)
    return team


@transaction.atomic
def team_delete(*, team: Team, actor) -> None:
    """Delete a team and its memberships (administrators). Refused while it owns agreements:
    they, and their history, would lose their owner."""
    _require_administrator(actor)
    owned = Agreement.objects.filter(owner_team=team).count()
    if owned:
        raise ValidationError(
            f"Team {team} owns {_plural(owned, 'agreement')}; give them to another team before deleting it.",
            code="protected",
        )
    team.delete()


@transaction.atomic
def membership_create(*, actor, user: AbstractBaseUser, role: str, team: Team | None = None) -> Membership:
    """Give ``user`` a ``role`` in ``team`` (administrators). Analysts and managers need a team;
    administrators and auditors act across all teams, with or without one."""
    _require_administrator(actor)
    membership = Membership(user=user, team=team, role=role)
    membership.full_clean()
    membership.save()
    return membership


@transaction.atomic
def membership_update(*, membership: Membership, actor, **fields: Any) -> Membership:
    """Change a membership's ``user``, ``team`` or ``role`` (administrators)."""
    _require_administrator(actor)
    _update(membership, fields, MEMBERSHIP_FIELDS)
    return membership


@transaction.atomic
def membership_delete(*, membership: Membership, actor) -> None:
    """Remove a membership, and with it that role (administrators)."""
    _require_administrator(actor)
    membership.delete()


# --- Partners -----------------------------------------------------------------------------------


@transaction.atomic
def partner_create(*, actor, name: str, kind: str, region: str, country: str = "", notes: str = "") -> Partner:
    """Create a partner (administrators). ``country`` is an ISO 3166-1 alpha-2 code or blank."""
    _require_administrator(actor)
    partner = Partner(name=name, kind=kind, region=region, country=country, notes=notes)
    partner.full_clean()
    partner.save()
    return partner


@transaction.atomic
def partner_update(*, partner: Partner, actor, **fields: Any) -> Partner:
    """Change a partner's ``name``, ``kind``, ``country``, ``region`` or ``notes`` (administrators).

    None of them counts in a score (scores are kept per partner id), so nothing is recomputed.
    """
    _require_administrator(actor)
    _update(partner, fields, PARTNER_FIELDS)
    return partner


@transaction.atomic
def partner_delete(*, partner: Partner, actor) -> None:
    """Delete a partner that is party to no agreement (administrators).

    Refused while any agreement names it: deleting it would silently remove it from those
    agreements and from the history of their scores. Remove it from them first (which recomputes
    their scores), then delete it. Administrators see every team, so the count tells them nothing
    they may not see.
    """
    _require_administrator(actor)
    locked = _locked(partner)
    agreements = locked.agreements.count()
    if agreements:
        raise ValidationError(
            f"{locked} is a party to {_plural(agreements, 'agreement')}; remove it from them before deleting it: "
            "deleting it would rewrite their history.",
            code="protected",
        )
    locked.delete()


# --- Agreements ---------------------------------------------------------------------------------


def _status_check(status: str) -> None:
    if status not in AgreementStatus.values:
        raise ValidationError({"status": [f"Choose one of: {', '.join(AgreementStatus.values)}."]})


def _partners_check(partners: list[Partner]) -> None:
    if not partners:
        raise ValidationError({"partners": ["Choose at least one partner."]})


@transaction.atomic
def agreement_create(
    *,
    actor,
    reference: str,
    title: str,
    kind: str,
    classification: str,
    owner_team: Team,
    partners: Iterable[Partner],
    status: str = AgreementStatus.PROPOSED,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    notice_period_days: int = 90,
    description: str = "",
) -> Agreement:
    """Register an agreement of ``owner_team`` with one or more ``partners`` (``Action.EDIT`` on
    that team). It has no assessment yet, so no score to recompute."""
    require(actor, Action.EDIT, owner_team.pk)
    partners = list(partners)
    _status_check(status)
    agreement = Agreement(
        reference=reference, title=title, kind=kind, classification=classification, owner_team=owner_team,
        status=status, start_date=start_date, end_date=end_date, notice_period_days=notice_period_days,
        description=description,
    )
    agreement.full_clean()
    _partners_check(partners)
    agreement.save()
    agreement.partners.set(partners)
    return agreement


@transaction.atomic
def agreement_update(
    *, agreement: Agreement, actor, partners: Iterable[Partner] | None = None, **fields: Any
) -> Agreement:
    """Change an agreement's fields (``AGREEMENT_FIELDS``, the status included) and, when given,
    its partners (the complete new set), in one transaction.

    Needs ``Action.EDIT`` on the team that owns it, and on the new team when ``owner_team`` moves.
    The row is locked, so concurrent changes apply one after the other. Only active agreements
    count towards partner, category and portfolio scores, each for its partners and its owner
    team: when the status, the partners or the owner team change (and only then) the agreement's
    scores are marked dirty and their recompute is queued once committed. Returns ``agreement``, refreshed.
    """
    locked = _locked(agreement)
    require(actor, Action.EDIT, locked.owner_team_id)
    old_status, old_team_id = locked.status, locked.owner_team_id
    if "status" in fields:
        _status_check(fields["status"])
    changed = _assign(locked, fields, AGREEMENT_FIELDS)
    if "owner_team" in changed:
        require(actor, Action.EDIT, locked.owner_team_id)
    if changed:
        locked.full_clean()
        locked.save()
    partners_changed = False
    if partners is not None:
        partners = list(partners)
        _partners_check(partners)
        if {p.pk for p in partners} != set(locked.partners.values_list("pk", flat=True)):
            locked.partners.set(partners)
            partners_changed = True
            if not changed:  # its partners are part of it: clients syncing by updated_at must see the change
                locked.save(update_fields=["updated_at"])
    team_changed = locked.owner_team_id != old_team_id
    if locked.status != old_status or partners_changed or team_changed:
        hooks.agreement_changed(agreement_id=locked.pk, status=locked.status != old_status, partners=partners_changed,
                                team=team_changed)
    agreement.refresh_from_db()
    return agreement


def agreement_set_status(*, agreement: Agreement, actor, status: str) -> Agreement:
    """Change an agreement's status (proposed, active, suspended, terminated, expired):
    ``agreement_update`` with the status alone."""
    return agreement_update(agreement=agreement, actor=actor, status=status)


@transaction.atomic
def agreement_delete(*, agreement: Agreement, actor) -> None:
    """Delete an agreement that has never been assessed (administrators only).

    Refused once it has an assessment: that is history, and its scores count in the aggregates.
    """
    _require_administrator(actor)
    assessments = agreement.assessments.count()
    if assessments:
        raise ValidationError(
            f"Agreement {agreement.reference} has {_plural(assessments, 'assessment')}; "
            "an assessed agreement stays, for its history: terminate it instead.",
            code="protected",
        )
    agreement.delete()


# --- Each team's number of agreements ---------------------------------------------------------


def agreement_counts_compact() -> int:
    """Fold each team's rows of ``TeamAgreementCount`` (one per change, appended by the triggers)
    into one row holding their sum; returns the rows removed. Rerunnable, and safe beside writers:
    rows of transactions not yet committed are not among those folded, and stay to be summed.
    A task of the worker (beat: every ten minutes); no actor, nothing any user sees changes."""
    table = TeamAgreementCount._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A table name from the model; no value from outside.
            cursor.execute(
                f"WITH folded AS (DELETE FROM {table} WHERE team_id IN ("  # noqa: S608
                f"SELECT team_id FROM {table} GROUP BY team_id HAVING count(*) > 1) RETURNING team_id, agreements), "
                f"kept AS (INSERT INTO {table} (team_id, agreements) SELECT team_id, SUM(agreements) FROM folded "
                "GROUP BY team_id RETURNING 1) "
                "SELECT (SELECT count(*) FROM folded) - (SELECT count(*) FROM kept)"
            )
            return cursor.fetchone()[0]
        # SQLite: the rows read are the rows folded, by key.
        rows = list(TeamAgreementCount.objects.values_list("pk", "team_id", "agreements"))
        by_team: dict[int, list[tuple[int, int]]] = {}
        for pk, team_id, change in rows:
            by_team.setdefault(team_id, []).append((pk, change))
        folded = {team_id: changes for team_id, changes in by_team.items() if len(changes) > 1}
        if not folded:
            return 0
        TeamAgreementCount.objects.filter(pk__in=[pk for changes in folded.values() for pk, _ in changes]).delete()
        TeamAgreementCount.objects.bulk_create([
            TeamAgreementCount(team_id=team_id, agreements=sum(change for _, change in changes))
            for team_id, changes in folded.items()
        ])
        return sum(len(changes) - 1 for changes in folded.values())
