"""The shapes of stored scores in the API, and the query parameters of the score endpoints.

Output is assembled by ``score_selectors`` (in bulk); these serializers document it for the schema.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from rest_framework import serializers

from ..choices import AgreementStatus
from .serializers import DECIMAL_HELP, TeamRefSerializer

BAND_HELP = "A band code of the catalogue's risk matrix (e.g. HIGH), or null when nothing is counted."
BAND_COUNTS_HELP = "How many were counted in each band, by band code; bands counting none are left out."
PENDING_HELP = ("True when a change to an agreement this number depends on is waiting for a recompute: it is not "
                "counted yet. Always false with as_of.")
AS_OF_HELP = ("A past day (YYYY-MM-DD): the numbers as they stood that day, from the daily snapshots of your "
              "teams. Today: the current numbers. A future day, or a day before the first snapshot of your teams, "
              "is a 400 that names the first day recorded.")


class AgreementScoreRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=AgreementStatus.choices)


class AgreementScoreSerializer(serializers.Serializer):
    """An agreement's stored score: its latest approved assessment rolled up by its catalogue's rules."""

    agreement = AgreementScoreRefSerializer()
    team = TeamRefSerializer(help_text="The owner team.")
    assessment = serializers.IntegerField(help_text="Id of the approved assessment the score was computed from.")
    catalogue = serializers.IntegerField(help_text="Id of the catalogue version whose rules scored it.")
    counted = serializers.BooleanField(help_text="Whether it counts towards partner, category and portfolio scores "
                                       "(the agreement was active when computed).")
    ratings = serializers.IntegerField(help_text="Complete ratings used.")
    score = serializers.CharField(help_text="Weighted mean residual score, 1.00 to 25.00. " + DECIMAL_HELP)
    score_low = serializers.CharField(help_text="Low end of the confidence range. " + DECIMAL_HELP)
    score_high = serializers.CharField(help_text="High end of the confidence range. " + DECIMAL_HELP)
    inherent_score = serializers.CharField(help_text="Before safeguards. " + DECIMAL_HELP)
    band = serializers.CharField(allow_null=True, help_text="The headline band (\"Band\" on the pages): the "
                                 "catalogue's roll-up, what partner and portfolio scores count. " + BAND_HELP)
    band_low = serializers.CharField(allow_null=True, help_text="The headline band at the low end of the range.")
    band_high = serializers.CharField(allow_null=True, help_text="The headline band at the high end of the range.")
    worst_band = serializers.CharField(allow_null=True, help_text="The worst residual band of any category "
                                       "(\"Worst category\" on the pages).")
    band_counts = serializers.DictField(child=serializers.IntegerField(), help_text="Categories per residual band.")
    fingerprint = serializers.IntegerField(help_text="Order-independent hash of the ratings and weights used.")
    computed_at = serializers.DateTimeField(help_text="When this value was computed.")
    pending = serializers.BooleanField(help_text="True when a recompute is waiting: the agreement changed, or an "
                                       "approval is not counted yet.")


class TallySerializer(serializers.Serializer):
    """What a partner, category or portfolio score shows: means over what is counted."""

    counted = serializers.IntegerField(help_text="Agreements counted (partners, portfolio) or ratings counted "
                                       "(categories): active agreements of your teams, by their latest approved "
                                       "assessment.")
    score = serializers.CharField(allow_null=True, help_text="Mean residual score. " + DECIMAL_HELP)
    score_low = serializers.CharField(allow_null=True, help_text="Mean of the low ends of the confidence ranges.")
    score_high = serializers.CharField(allow_null=True, help_text="Mean of the high ends of the confidence ranges.")
    inherent_score = serializers.CharField(allow_null=True, help_text="Mean inherent score (before safeguards).")
    band = serializers.CharField(allow_null=True, help_text="The band of the mean score as shown (the dashboard's "
                                 "colour), on the newest published catalogue's matrix. " + BAND_HELP)
    worst_band = serializers.CharField(allow_null=True, help_text="The worst band counted: of an agreement's headline "
                                       "band (partners, portfolio) or of a rating (categories).")
    band_counts = serializers.DictField(child=serializers.IntegerField(), help_text=BAND_COUNTS_HELP)
    fingerprint = serializers.IntegerField(help_text="Order-independent hash of the inputs counted.")
    computed_at = serializers.DateTimeField(allow_null=True, help_text="When the newest of the stored rows summed "
                                            "was computed; null when nothing is stored.")
    pending = serializers.BooleanField(help_text=PENDING_HELP)
    as_of = serializers.DateField(allow_null=True, help_text="The day asked for, or null for the current numbers.")


class PartnerNameSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(allow_null=True, help_text="Null for a partner (of an as_of answer) that none of "
                                 "your agreements names any more.")


class PartnerScoreSerializer(TallySerializer):
    partner = PartnerNameSerializer()


class CategoryRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class CategoryScoreSerializer(TallySerializer):
    category = CategoryRefSerializer()


class PortfolioScoreSerializer(TallySerializer):
    """The portfolio of your teams."""


class ScoreQuerySerializer(serializers.Serializer):
    """Query parameters of the partner, category and portfolio scores (checked: a 400 names the field)."""

    as_of = serializers.DateField(required=False, help_text=AS_OF_HELP)
    team = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1,
                                    help_text="Team id: count only this team's agreements (one of your teams).")

    def validate_as_of(self, value: dt.date) -> dt.date:
        if value > timezone.localdate():
            raise serializers.ValidationError("Choose today or an earlier day: scores of the future are not known.")
        return value


class ScoreListQuerySerializer(ScoreQuerySerializer):
    updated_since = serializers.DateTimeField(
        required=False, help_text="Only rows whose computed_at is at or after this time (ISO 8601). Inclusive."
    )

    def validate_updated_since(self, value: dt.datetime) -> dt.datetime:
        try:
            return value.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            raise serializers.ValidationError("Choose a time from year 1 to year 9999 in UTC.") from None
