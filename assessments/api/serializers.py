"""The shapes of partners, agreements and assessments in the API.

Output is assembled by ``selectors`` (in bulk, from ``values()``); these serializers document it
for the schema. Input serializers check the shape of what a client sends; the services decide
whether it is allowed and valid, as for the pages.
"""

from rest_framework import serializers

from catalogue.models import SCALE_MAX, SCALE_MIN

from ..choices import AgreementKind, AgreementStatus, AssessmentStatus, Classification, Confidence, PartnerKind, Region

DECIMAL_HELP = "A decimal number as a string, two places (e.g. \"12.50\"), exactly as on the pages."


class PartnerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=PartnerKind.choices)
    country = serializers.CharField(allow_blank=True, help_text="ISO 3166-1 alpha-2, or empty.")
    region = serializers.ChoiceField(choices=Region.choices)
    notes = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class TeamRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


class PartnerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AgreementSerializer(serializers.Serializer):
    """An agreement's own data. Its scores are at /scores/agreements/, its assessments at /assessments/."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=AgreementKind.choices)
    classification = serializers.ChoiceField(choices=Classification.choices)
    status = serializers.ChoiceField(choices=AgreementStatus.choices)
    owner_team = TeamRefSerializer()
    partners = PartnerRefSerializer(many=True)
    start_date = serializers.DateField(allow_null=True)
    end_date = serializers.DateField(allow_null=True)
    notice_period_days = serializers.IntegerField()
    description = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


LEVEL = {"min_value": SCALE_MIN, "max_value": SCALE_MAX, "allow_null": True}


class RatingSerializer(serializers.Serializer):
    category = serializers.CharField(help_text="The category's code in the assessment's catalogue.")
    inherent_likelihood = serializers.IntegerField(**LEVEL)
    inherent_impact = serializers.IntegerField(**LEVEL)
    residual_likelihood = serializers.IntegerField(**LEVEL)
    residual_impact = serializers.IntegerField(**LEVEL)
    inherent_score = serializers.IntegerField(allow_null=True, help_text="Likelihood x impact, 1 to 25.")
    residual_score = serializers.IntegerField(allow_null=True, help_text="Likelihood x impact, 1 to 25.")
    inherent_band = serializers.CharField(allow_null=True, help_text="Band code from the catalogue's matrix.")
    residual_band = serializers.CharField(allow_null=True, help_text="Band code from the catalogue's matrix.")
    confidence = serializers.ChoiceField(choices=Confidence.choices)
    safeguards = serializers.ListField(child=serializers.CharField(), help_text="Safeguard codes.")
    safeguards_other = serializers.CharField(allow_blank=True)
    rationale = serializers.CharField(allow_blank=True)
    evidence = serializers.CharField(allow_blank=True)
    updated_at = serializers.DateTimeField()


class ResultSerializer(serializers.Serializer):
    """The roll-up of the ratings by the catalogue's rules (what the agreement would score)."""

    score = serializers.CharField(help_text="Weighted mean residual score. " + DECIMAL_HELP)
    score_low = serializers.CharField(help_text="Low end of the confidence range. " + DECIMAL_HELP)
    score_high = serializers.CharField(help_text="High end of the confidence range. " + DECIMAL_HELP)
    inherent_score = serializers.CharField(help_text=DECIMAL_HELP)
    band = serializers.CharField(allow_null=True, help_text="The headline band: the catalogue's roll-up of the "
                                 "ratings (floors or count rules included), what partner and portfolio scores count.")
    band_low = serializers.CharField(allow_null=True)
    band_high = serializers.CharField(allow_null=True)
    worst_band = serializers.CharField(allow_null=True, help_text="The worst residual band of any category.")


class AgreementRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()


class AssessmentSerializer(serializers.Serializer):
    """An assessment with its ratings. Its ETag is its version (``"v7"``): send it in If-Match."""

    id = serializers.IntegerField()
    agreement = AgreementRefSerializer()
    team_id = serializers.IntegerField(help_text="The owner team of the agreement.")
    catalogue = serializers.IntegerField(help_text="Id of the catalogue version used.")
    status = serializers.ChoiceField(choices=AssessmentStatus.choices)
    as_of = serializers.DateField()
    version = serializers.IntegerField(help_text="Bumped by every change; the ETag is \"v<version>\".")
    authors = serializers.ListField(child=serializers.CharField(), help_text="Usernames of who worked on it.")
    reviewer = serializers.CharField(allow_null=True)
    review_comment = serializers.CharField(allow_blank=True)
    previous = serializers.IntegerField(allow_null=True, help_text="The approved assessment it was pre-filled from.")
    next_review_date = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    missing_categories = serializers.ListField(
        child=serializers.CharField(),
        help_text="Codes of the categories not yet fully rated (empty: it can be submitted).",
    )
    result = ResultSerializer(allow_null=True, help_text="Null until every category is fully rated.")
    ratings = RatingSerializer(many=True)


# --- Input --------------------------------------------------------------------------------------


class AssessmentCreateSerializer(serializers.Serializer):
    agreement = serializers.IntegerField(min_value=1, help_text="Id of an agreement of your team.")
    as_of = serializers.DateField(required=False, help_text="The date the assessment describes (default: today).")


class RatingWriteSerializer(serializers.Serializer):
    """One category's rating. Fields left out keep their saved value; null clears a level."""

    category = serializers.CharField(max_length=64, help_text="Category code in the assessment's catalogue.")
    inherent_likelihood = serializers.IntegerField(required=False, **LEVEL)
    inherent_impact = serializers.IntegerField(required=False, **LEVEL)
    residual_likelihood = serializers.IntegerField(required=False, **LEVEL)
    residual_impact = serializers.IntegerField(required=False, **LEVEL)
    confidence = serializers.ChoiceField(choices=Confidence.choices, required=False)
    safeguards = serializers.ListField(child=serializers.CharField(max_length=64), required=False, max_length=200,
                                       help_text="Safeguard codes; replaces the chosen set.")
    safeguards_other = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    rationale = serializers.CharField(required=False, allow_blank=True, max_length=10000,
                                      help_text="Required when a residual level is above its inherent level.")
    evidence = serializers.CharField(required=False, allow_blank=True, max_length=10000)


class AssessmentUpdateSerializer(serializers.Serializer):
    ratings = RatingWriteSerializer(many=True, allow_empty=False, max_length=200)

    def validate_ratings(self, ratings):
        codes = [r["category"] for r in ratings]
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            raise serializers.ValidationError(f"Each category once: {', '.join(duplicates)} repeated.")
        return ratings


class ApproveSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)


class ReturnSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=10000, help_text="What needs to change (required).")
