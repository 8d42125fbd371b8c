"""Stored scores: derived data, recomputed from the ratings by ``assessments.aggregation``.

Nothing here is edited by hand. Every row can be rebuilt by a full recompute; the integer sums
are what incremental updates add to and subtract from (see ``assessments.scoring.Tally``).
All scores are stored in hundredths of a point ("centi-scores", 100..2500) and are shown as
means rounded half up to two places.

Partner, partner x category, category, portfolio and snapshot rows are per team: each agreement
counts for its owner team only, so a page adds up the rows of the teams its viewer may see
(``assessments.selectors.scores.scoped_tallies``) and the all-teams figure is the sum over teams.
"""

from django.db import models
from django.urls import reverse

from catalogue.models import RiskCatalogue

from .. import scoring
from .assessment import Assessment
from .portfolio import Agreement, Partner, Team


class BandCounts(models.Model):
    """One count per band rank (1 = least severe); ``scoring.MAX_BAND_RANK`` columns.

    Counts (and ``n`` below) are signed columns on purpose: incremental updates upsert deltas, and
    PostgreSQL checks a CHECK constraint against the proposed row of ``INSERT ... ON CONFLICT``
    before it turns into an update. They are never negative in a consistent state (tests check).
    """

    band_1 = models.IntegerField(default=0)
    band_2 = models.IntegerField(default=0)
    band_3 = models.IntegerField(default=0)
    band_4 = models.IntegerField(default=0)
    band_5 = models.IntegerField(default=0)
    band_6 = models.IntegerField(default=0)

    BAND_FIELDS = tuple(f"band_{rank}" for rank in range(1, scoring.MAX_BAND_RANK + 1))

    class Meta:
        abstract = True

    @property
    def band_counts(self) -> tuple[int, ...]:
        return tuple(getattr(self, name) for name in self.BAND_FIELDS)

    @property
    def worst_band_rank(self) -> int | None:
        return scoring.worst_rank_of_counts(self.band_counts)


class ScoreTally(scoring.MeanScores, BandCounts):
    """The exact sums behind a partner, category or portfolio score (``scoring.Tally``), and its
    means (``score``...)."""

    n = models.IntegerField(help_text="Agreements (partner, portfolio) or ratings (category) counted.")
    score_sum_c = models.BigIntegerField(help_text="Sum of residual centi-scores.")
    score_low_sum_c = models.BigIntegerField()
    score_high_sum_c = models.BigIntegerField()
    inherent_sum_c = models.BigIntegerField()
    fingerprint = models.BigIntegerField(help_text="Order-independent hash of the inputs counted.")
    computed_at = models.DateTimeField()

    TALLY_FIELDS = ("n", "score_sum_c", "score_low_sum_c", "score_high_sum_c", "inherent_sum_c")

    class Meta:
        abstract = True

    @property
    def tally(self) -> scoring.Tally:
        return scoring.Tally(
            n=self.n,
            score_sum_c=self.score_sum_c,
            score_low_sum_c=self.score_low_sum_c,
            score_high_sum_c=self.score_high_sum_c,
            inherent_sum_c=self.inherent_sum_c,
            band_counts=self.band_counts,
            fingerprint=self.fingerprint,
        )


def partner_ids_parse(text: str | None) -> tuple[int, ...]:
    """``AgreementScore.counted_partners`` as sorted ids ("3,12" -> (3, 12))."""
    return tuple(sorted(int(part) for part in (text or "").split(",") if part))


class AgreementScore(scoring.CentiScores, BandCounts):
    """An agreement's score from its latest approved assessment (any agreement status).

    ``band_*`` count its categories per residual band. ``is_active`` records whether the agreement
    was active when computed: only then does it count towards partners, categories and the portfolio.
    """

    agreement = models.OneToOneField(Agreement, on_delete=models.CASCADE, primary_key=True, related_name="score")
    # Derived rows, rewritten in bulk: no foreign-key checks or indexes beyond the primary key
    # (tens of thousands of checks per full recompute). Deleting a source row cascades in Django.
    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    catalogue = models.ForeignKey(
        RiskCatalogue, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    is_active = models.BooleanField()
    # What an incremental recompute must subtract from: the partner set may have changed since.
    counted_partners = models.TextField(
        blank=True, default="", help_text="Ids of the partners its contribution was counted for, comma-separated."
    )
    # ...and the owner team may have changed since too.
    counted_team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False,
        help_text="The owner team its contribution was counted for.",
    )
    n_ratings = models.PositiveIntegerField()
    weight_total = models.BigIntegerField(help_text="Sum of category weights, in hundredths.")
    residual_wsum = models.BigIntegerField(help_text="Sum of weight x residual score.")
    residual_wsum_low = models.BigIntegerField()
    residual_wsum_high = models.BigIntegerField()
    inherent_wsum = models.BigIntegerField()
    score_c = models.PositiveIntegerField(help_text="Weighted mean residual score, in hundredths.")
    score_low_c = models.PositiveIntegerField()
    score_high_c = models.PositiveIntegerField()
    inherent_score_c = models.PositiveIntegerField()
    band_rank = models.PositiveSmallIntegerField(help_text="Band from the catalogue's roll-up method.")
    band_rank_low = models.PositiveSmallIntegerField()
    band_rank_high = models.PositiveSmallIntegerField()
    fingerprint = models.BigIntegerField(help_text="Order-independent hash of the ratings and weights used.")
    computed_at = models.DateTimeField()

    RESULT_FIELDS = (
        "n_ratings", "weight_total", "residual_wsum", "residual_wsum_low", "residual_wsum_high", "inherent_wsum",
        "score_c", "score_low_c", "score_high_c", "inherent_score_c", "band_rank", "band_rank_low",
        "band_rank_high", "fingerprint",
    )

    def __str__(self) -> str:
        return f"Score of agreement {self.agreement_id}: {self.score}"

    def get_absolute_url(self) -> str:
        return reverse("scores:agreement", args=[self.agreement_id])

    @property
    def counted_partner_ids(self) -> tuple[int, ...]:
        return partner_ids_parse(self.counted_partners)

    @property
    def result(self) -> scoring.AgreementResult:
        return scoring.AgreementResult(
            **{name: getattr(self, name) for name in self.RESULT_FIELDS},
            band_counts=self.band_counts,
            worst_rank=self.worst_band_rank,
        )


class PartnerScore(ScoreTally):
    """A partner's score over one team's active agreements, each counted once by its latest approved
    assessment."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="scores", db_index=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partner", "team"], name="partnerscore_unique_key")]

    def __str__(self) -> str:
        return f"Score of partner {self.partner_id} for team {self.team_id}: {self.score}"

    def get_absolute_url(self) -> str:
        return reverse("scores:partner", args=[self.partner_id])


class PartnerCategoryScore(ScoreTally):
    """One partner's ratings in one category (by code) across one team's active agreements."""

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="category_scores", db_index=False  # the unique key covers it
    )
    category_code = models.CharField(max_length=64)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "category_code", "team"],
                                    name="partnercategoryscore_unique_key"),
        ]

    def __str__(self) -> str:
        return f"Score of partner {self.partner_id} in {self.category_code} for team {self.team_id}: {self.score}"


class CategoryScore(ScoreTally):
    """A category (by code, across catalogue versions) over the current ratings of one team's active
    agreements."""

    category_code = models.CharField(max_length=64)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["category_code", "team"], name="categoryscore_unique_key")]

    def __str__(self) -> str:
        return f"Score of {self.category_code} for team {self.team_id}: {self.score}"

    def get_absolute_url(self) -> str:
        return reverse("scores:category", args=[self.category_code])


class PortfolioScore(ScoreTally):
    """One team's portfolio of active agreements: ``band_*`` is its distribution by agreement band.

    One row per team counting something (as every level: a row counting nothing is deleted).
    """

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"Portfolio score of team {self.team_id}: {self.score}"

    def get_absolute_url(self) -> str:
        return reverse("scores:portfolio")


class ScoresLock(models.Model):
    """A single row (id 1) that every recompute locks first, so recomputes apply one after another
    and never deadlock on tally rows (``aggregation.sql.lock_scores``)."""

    SINGLETON_ID = 1
    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID)
    locked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return "Scores lock"


class ScoreLevel(models.TextChoices):
    PARTNER = "partner", "Partner"
    CATEGORY = "category", "Category"
    PORTFOLIO = "portfolio", "Portfolio"


class ScoreSnapshot(ScoreTally):
    """A daily time series per (level, key, team) stored as changes: a row for a day only when the
    tally changed.

    The value on any day is the latest row on or before it; a row with ``n = 0`` means the key
    stopped counting anything for that team. Written by the full recompute (nightly), idempotently
    per day.
    """

    day = models.DateField()
    level = models.CharField(max_length=16, choices=ScoreLevel.choices)
    key = models.CharField(max_length=64, help_text="Partner id, category code, or 'portfolio'.")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        ordering = ["level", "key", "team", "day"]
        constraints = [
            models.UniqueConstraint(fields=["day", "level", "key", "team"], name="scoresnapshot_unique_day_key"),
        ]
        indexes = [models.Index(fields=["level", "key", "team", "day"], name="scoresnapshot_series")]

    def __str__(self) -> str:
        return f"{self.level} {self.key} of team {self.team_id} on {self.day}: {self.score}"


class DirtyAgreement(models.Model):
    """An agreement whose aggregates await a recompute (the dirty flag the sweeper reads).

    Marking bumps ``generation``; a recompute clears the mark only if the generation it read is
    still current, so a change made while it ran is never lost. When the sweeper cannot recompute
    the agreement, the mark stays with the error, counted in ``failures``, and waits until
    ``retry_at`` (a back-off that grows with each failure); marking it again retries it at once.
    """

    agreement = models.OneToOneField(Agreement, on_delete=models.CASCADE, primary_key=True, related_name="dirty")
    generation = models.PositiveBigIntegerField(default=1)
    marked_at = models.DateTimeField()
    reason = models.CharField(max_length=32)
    # Database defaults: marks are written by raw SQL (``aggregation.dirty``).
    failures = models.PositiveIntegerField(db_default=0, help_text="Sweeps that failed to recompute it in a row.")
    last_error = models.TextField(blank=True, db_default="")
    retry_at = models.DateTimeField(null=True, blank=True, help_text="Not swept again before this time.")

    class Meta:
        ordering = ["marked_at"]

    def __str__(self) -> str:
        return f"Agreement {self.agreement_id} dirty since {self.marked_at} ({self.reason})"


class DashboardSummary(models.Model):
    """What one team's dashboard shows of its current state, computed ahead by the worker.

    Derived from the stored scores with the dashboard's own selectors (``riskboard.dashboards.
    summaries``), so that a dashboard request reads a few rows whatever the portfolio's size. Every
    recompute that touches the team bumps ``generation`` in its own transaction (the full
    recompute bumps every team's); the summary is current only while ``summarised_generation``
    equals it and ``day`` is today (movers and reviews due depend on the day). A dashboard never
    shows a summary that is not current: it computes from the stored scores instead.
    """

    team = models.OneToOneField(Team, on_delete=models.CASCADE, primary_key=True, related_name="dashboard_summary")
    generation = models.BigIntegerField(default=1)
    summarised_generation = models.BigIntegerField(null=True, blank=True)
    day = models.DateField(null=True, blank=True, help_text="The day the summary was computed for.")
    data = models.JSONField(
        null=True, blank=True, help_text="What its dashboard reads (see riskboard.dashboards.selectors.summaries)."
    )
    computed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Dashboard summary of team {self.team_id}"

    @property
    def is_current_generation(self) -> bool:
        return self.summarised_generation == self.generation


class EveryTeamDashboardSummary(models.Model):
    """What the dashboard of every team (an auditor's, an administrator's) shows that cannot be
    added up from each team's ``DashboardSummary``: the heatmap's order of partners by their score
    over every team, and the movers. One row (``pk`` 1), computed ahead by the worker with the
    teams' summaries; current only while ``generations`` (each team's ``DashboardSummary.
    generation`` when it was computed) equals every team's now and ``day`` is today."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    generations = models.JSONField(default=dict, help_text="Team id (as text) -> its summary's generation.")
    day = models.DateField(null=True, blank=True)
    data = models.JSONField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return "Dashboard summary of every team"


class DashboardCellDate(models.Model):
    """The latest ``as_of`` of the current ratings behind one heatmap cell (partner x category) of
    one team: the hover's "last assessed", rewritten with the team's ``DashboardSummary``."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", db_index=False)
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+", db_index=False)
    category_code = models.CharField(max_length=64)
    last_assessed = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "partner", "category_code"], name="dashboardcelldate_unique_key"),
        ]

    def __str__(self) -> str:
        return f"Partner {self.partner_id} in {self.category_code} for team {self.team_id}: {self.last_assessed}"


class TeamAgreementCount(models.Model):
    """How many agreements a team owns: the sum of its rows, each a change of the number. Rows are
    appended by database triggers on the agreements table (insert, delete, and an update that
    moves an agreement to another team; migration ``0009``), never updated, so two transactions
    creating agreements in one team never wait for each other; the worker compacts each team's
    rows into one (``services.agreement_counts_compact``, every ten minutes). A list of every
    agreement a user may see thus says how many there are without counting them."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    agreements = models.BigIntegerField(help_text="A change of the team's number of agreements (+ or -).")

    def __str__(self) -> str:
        return f"Team {self.team_id}: {self.agreements:+d} agreements"
