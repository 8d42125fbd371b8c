"""Where the recomputes' SQL restates a rule that Python defines, the two agree on the same data.

Each rule is defined once in Python (``LATEST_APPROVED_FIRST``, ``scoring.Matrix``...) and the
SQL is written from that definition; these tests run the SQL on this database (SQLite by default,
PostgreSQL in CI) and compare its answers with the Python definition's.
"""

import datetime as dt
import random

import pytest
from django.db import connection

from assessments import selectors
from assessments.aggregation.sql import Dialect
from assessments.choices import AssessmentStatus
from assessments.models import Assessment

from .conftest import approve_new_assessment

pytestmark = pytest.mark.django_db


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_the_sql_picks_the_latest_approved_assessment_the_orm_picks(portfolio, world):
    # Besides the portfolio's approvals at the same instant (the later id wins), an approval
    # recorded after another but dated before it (the later approval time wins).
    agreement = next(a for a in portfolio.agreements if Assessment.objects.filter(
        agreement=a, status=AssessmentStatus.APPROVED).exists())
    current = Assessment.objects.filter(agreement=agreement).approved_latest_first().first()
    approve_new_assessment(agreement=agreement, rng=random.Random(1), when=current.approved_at - dt.timedelta(days=1))

    orm: dict[int, int] = {}
    for agreement_id, assessment_id in Assessment.objects.approved_latest_first().values_list("agreement_id", "pk"):
        orm.setdefault(agreement_id, assessment_id)
    ties = Assessment.objects.filter(status=AssessmentStatus.APPROVED).values("agreement_id", "approved_at")
    assert len({(t["agreement_id"], t["approved_at"]) for t in ties}) < len(ties)  # the data has ties
    assert orm[agreement.pk] == current.pk

    dialect = Dialect(connection)
    every = _fetch(dialect.latest_approved(status="%s"), [AssessmentStatus.APPROVED.value])
    ids = sorted(orm)
    some = _fetch(dialect.latest_of(ids), [*dialect.ids_params(ids), AssessmentStatus.APPROVED.value])
    assert {agreement_id: assessment_id for assessment_id, agreement_id, _ in every} == orm
    assert {agreement_id: assessment_id for assessment_id, agreement_id, _ in some} == orm
    listed = selectors.agreement_list(user=world.administrator).filter(current_assessment_id__isnull=False)
    assert dict(listed.values_list("pk", "current_assessment_id")) == orm
