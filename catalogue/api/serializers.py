"""The shape of catalogue versions in the API (documentation; ``selectors.catalogue_rows`` builds it)."""

from rest_framework import serializers

from ..choices import CatalogueStatus, RollupMethod


class LevelSerializer(serializers.Serializer):
    value = serializers.IntegerField(min_value=1, max_value=5)
    label = serializers.CharField()
    description = serializers.CharField()


class ScalesSerializer(serializers.Serializer):
    likelihood = LevelSerializer(many=True)
    impact = LevelSerializer(many=True)


class BandSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable across catalogue versions, e.g. HIGH.")
    label = serializers.CharField()
    rank = serializers.IntegerField(help_text="1 = least severe.")
    colour = serializers.CharField(help_text="#RRGGBB")
    description = serializers.CharField(allow_blank=True)


class MatrixCellSerializer(serializers.Serializer):
    likelihood = serializers.IntegerField(min_value=1, max_value=5)
    impact = serializers.IntegerField(min_value=1, max_value=5)
    band = serializers.CharField(help_text="Band code.")


class CategorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text="Stable across catalogue versions.")
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    guidance = serializers.ListField(child=serializers.CharField(), help_text="Questions for the assessor.")
    weight = serializers.DecimalField(max_digits=6, decimal_places=2, help_text="Weight in the weighted mean.")
    display_order = serializers.IntegerField()
    safeguards = serializers.ListField(child=serializers.CharField(), help_text="Codes of its safeguards.")


class SafeguardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    categories = serializers.ListField(
        child=serializers.CharField(), help_text="Codes of the categories it mitigates."
    )


class CatalogueSerializer(serializers.Serializer):
    """A published or retired catalogue version: what assessments against it were rated on."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=[CatalogueStatus.PUBLISHED, CatalogueStatus.RETIRED])
    description = serializers.CharField(allow_blank=True)
    rollup_method = serializers.ChoiceField(
        choices=RollupMethod.choices, help_text="How ratings roll up per agreement."
    )
    rollup_params = serializers.DictField(
        help_text='E.g. {"escalate_band": "HIGH", "min_count": 2, "to_band": "CRITICAL"}.'
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)
    retired_at = serializers.DateTimeField(allow_null=True)
    scales = ScalesSerializer()
    bands = BandSerializer(many=True)
    matrix = MatrixCellSerializer(many=True, help_text="25 cells: the band of each (likelihood, impact).")
    categories = CategorySerializer(many=True)
    safeguards = SafeguardSerializer(many=True)
